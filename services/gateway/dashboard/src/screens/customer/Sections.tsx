// The customer's referrals and reviews: each from its own service, so each
// says so on its own when that service did not answer.
import { BlockStack, Box, Card, IndexTable, Link, Text, useBreakpoints } from "@shopify/polaris";
import type { ReactNode } from "react";

import { StatusBadge } from "../../components/badges";
import { UnavailableBanner } from "../../components/ErrorBanner";
import { CustomerLink } from "../../components/links";
import { ReferralSteps } from "../../components/ReferralSteps";
import { When } from "../../components/When";
import { formatPoints } from "../../format";
import type { GoogleReview, Referral, Review } from "../../types";
import { GoogleReviewLink } from "../GoogleReviews";
import { RefereeCode, referrerEarned } from "../ReferralActivities";
import { ReviewReward, Stars } from "../ReviewActivities";

type SectionProps<T> = {
  title: string;
  items: T[] | null; // null: the service did not answer
  empty: ReactNode;
  headings: string[];
  numeric?: number[]; // columns aligned to the end
  row: (item: T) => ReactNode[];
};

function Section<T extends { id: string }>({ title, items, empty, headings, numeric = [], row }: SectionProps<T>) {
  const { smDown } = useBreakpoints(); // a phone: rows as a list, no sideways scrolling
  let body: ReactNode;
  if (items === null) body = <UnavailableBanner what={title} />;
  else if (!items.length)
    body = (
      <Text as="p" tone="subdued">
        {empty}
      </Text>
    );
  else
    body = (
      <IndexTable
        condensed={smDown}
        resourceName={{ singular: title.toLowerCase(), plural: title.toLowerCase() }}
        itemCount={items.length}
        selectable={false}
        headings={
          headings.map((heading, i) => ({
            title: heading,
            alignment: numeric.includes(i) ? "end" : undefined,
          })) as never
        }
      >
        {items.map((item, index) => (
          <IndexTable.Row id={item.id} key={item.id} position={index}>
            {row(item).map((cell, column) => (
              <IndexTable.Cell key={column}>
                {numeric.includes(column) ? (
                  <Text as="span" alignment="end" numeric>
                    {cell}
                  </Text>
                ) : (
                  cell
                )}
              </IndexTable.Cell>
            ))}
          </IndexTable.Row>
        ))}
      </IndexTable>
    );
  return (
    <Card padding="0">
      <BlockStack gap="200">
        <Box padding="400" paddingBlockEnd="0">
          <Text as="h2" variant="headingMd">
            {title}
          </Text>
        </Box>
        {items && items.length ? (
          body
        ) : (
          <Box padding="400" paddingBlockStart="0">
            {body}
          </Box>
        )}
      </BlockStack>
    </Card>
  );
}

export function CustomerReferrals({ referrals }: { referrals: Referral[] | null }) {
  return (
    <Section
      title="Referrals"
      items={referrals}
      empty="No referrals yet: they appear here when this customer refers a friend or is referred."
      headings={["Role", "Who", "Status", "Steps", "Referee code", "Referrer earned", "Date"]}
      numeric={[5]}
      row={(r) => [
        r.role === "referee" ? "Referred by" : "Referred",
        r.role === "referee" ? (
          <CustomerLink id={r.referrer_customer_id} label={r.referrer_email} />
        ) : r.referee_customer_id ? (
          <CustomerLink id={r.referee_customer_id} label={r.referee_email} />
        ) : (
          r.referee_email
        ),
        <StatusBadge status={r.status} />,
        <ReferralSteps referral={r} />,
        <RefereeCode referral={r} />,
        referrerEarned(r),
        <When at={r.occurred_at} />,
      ]}
    />
  );
}

export function CustomerReviews({ reviews }: { reviews: Review[] | null }) {
  return (
    <Section
      title="Reviews"
      items={reviews}
      empty={
        <>
          No reviews yet: they appear here when this customer reviews a product from your store.{" "}
          <Link url="/program">Set the points a review earns</Link> to ask for one.
        </>
      }
      headings={["Product", "Rating", "Title", "Status", "Reward", "Date"]}
      numeric={[4]}
      row={(r) => [
        r.product_title ?? `Product ${r.product_id}`,
        <Stars rating={r.rating} />,
        r.title,
        <StatusBadge status={r.status} />,
        <ReviewReward review={r} />,
        <When at={r.occurred_at} />,
      ]}
    />
  );
}

export function CustomerGoogleReviews({ reviews }: { reviews: GoogleReview[] | null }) {
  return (
    <Section
      title="Google reviews"
      items={reviews}
      empty={
        <>
          No Google reviews yet: they appear here when this customer sends the link to their Google review of your shop.{" "}
          <Link url="/program">Set the points a Google review earns</Link> to ask for one.
        </>
      }
      headings={["Google review", "Status", "Reward", "Date"]}
      numeric={[2]}
      row={(g) => [
        <GoogleReviewLink review={g} />,
        <StatusBadge status={g.status} />,
        g.reward_points == null ? "—" : formatPoints(g.reward_points),
        <When at={g.occurred_at} />,
      ]}
    />
  );
}
