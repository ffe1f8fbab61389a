import { BlockStack, Box, InlineGrid, InlineStack, Text } from "@shopify/polaris";
import type { ReactNode } from "react";

import { StatusBadge } from "../../components/badges";
import { CustomerLink, productName } from "../../components/links";
import { When } from "../../components/When";
import { formatSignedPoints } from "../../format";
import type { Activity, GoogleReview, Overview, Referral, Review } from "../../types";
import { Stars } from "../ReviewActivities";
import { Nothing, Section, type PartProps, type Service } from "./parts";

type PanelProps<T> = {
  title: string;
  service: Service;
  rows: (recent: Overview["recent"]) => T[];
  viewAll: { url: string; label: string };
  empty: string;
  line: (item: T) => ReactNode;
  overview: Overview | undefined;
};

/** The period's five newest rows of one feed, newest first, with how long ago. */
function RecentPanel<T extends { id: string | number; occurred_at: string }>(props: PanelProps<T>) {
  return (
    <Section
      title={props.title}
      link={props.viewAll}
      service={props.service}
      what={props.title}
      overview={props.overview}
      skeletonLines={5}
    >
      {({ recent }) => {
        const rows = props.rows(recent);
        if (!rows.length) return <Nothing>{props.empty} Try a longer date range.</Nothing>;
        return (
          <BlockStack as="ul" gap="300">
            {rows.map((item) => (
              <Box as="li" key={item.id}>
                <InlineStack align="space-between" blockAlign="start" gap="200" wrap={false}>
                  <Box minWidth="0">{props.line(item)}</Box>
                  <Text as="span" variant="bodySm" tone="subdued">
                    <When at={item.occurred_at} />
                  </Text>
                </InlineStack>
              </Box>
            ))}
          </BlockStack>
        );
      }}
    </Section>
  );
}

const twoLines = (first: ReactNode, second: ReactNode) => (
  <BlockStack gap="050">
    <Text as="span" fontWeight="medium" truncate>
      {first}
    </Text>
    <Text as="span" variant="bodySm" tone="subdued">
      {second}
    </Text>
  </BlockStack>
);

/** A customer by name (by email while no name is known), linked to their detail. */
const person = (id: string, name: string | null, email: string | null) => (
  <CustomerLink id={id} label={name ?? email} />
);

/** The four "latest" panels: points, referrals, reviews, Google reviews. */
export function RecentActivity({ overview }: PartProps) {
  return (
    <InlineGrid columns={{ xs: 1, md: 2 }} gap="400">
      <RecentPanel<Activity>
        title="Point activities"
        service="points"
        rows={(recent) => recent.points}
        viewAll={{ url: "/points", label: "View all point activities" }}
        empty="No point activity in this period."
        line={(a) =>
          twoLines(
            person(a.customer_id, a.customer_name, a.customer_email),
            `${a.action} · ${formatSignedPoints(a.points)} points`,
          )
        }
        overview={overview}
      />
      <RecentPanel<Referral>
        title="Referral activities"
        service="referrals"
        rows={(recent) => recent.referrals}
        viewAll={{ url: "/referrals", label: "View all referral activities" }}
        empty="No referral in this period."
        line={(r) =>
          twoLines(
            r.referee_email,
            <InlineStack gap="100" blockAlign="center">
              <span>Referred by {r.customer_name ?? r.customer_email ?? r.referrer_email ?? "a customer"}</span>
              <StatusBadge status={r.status} />
            </InlineStack>,
          )
        }
        overview={overview}
      />
      <RecentPanel<Review>
        title="Review activities"
        service="reviews"
        rows={(recent) => recent.reviews}
        viewAll={{ url: "/reviews", label: "View all review activities" }}
        empty="No review in this period."
        line={(r) =>
          twoLines(
            productName(r),
            <InlineStack gap="100" blockAlign="center">
              <Stars rating={r.rating} />
              <span>by {r.customer_name ?? r.customer_email ?? "a customer"}</span>
              <StatusBadge status={r.status} />
            </InlineStack>,
          )
        }
        overview={overview}
      />
      <RecentPanel<GoogleReview>
        title="Google review submissions"
        service="reviews"
        rows={(recent) => recent.google_reviews}
        viewAll={{ url: "/google-reviews", label: "View all Google reviews" }}
        empty="No Google review submission in this period."
        line={(g) =>
          twoLines(person(g.customer_id, g.customer_name, g.customer_email), <StatusBadge status={g.status} />)
        }
        overview={overview}
      />
    </InlineGrid>
  );
}
