import { BlockStack, Divider, Text } from "@shopify/polaris";

import { formatNumber, formatPoints, formatRating } from "../../format";
import type { ByModeration } from "../../types";
import { Nothing, Section, Stat, type PartProps } from "./parts";

function Moderation({ title, counts }: { title: string; counts: ByModeration }) {
  const submitted = counts.pending + counts.approved + counts.rejected;
  return (
    <BlockStack gap="200">
      <Text as="h3" variant="headingSm">
        {title}
      </Text>
      <Stat label="Submitted" value={formatNumber(submitted)} />
      <Stat label="Approved" value={formatNumber(counts.approved)} />
      <Stat label="Waiting for you" value={formatNumber(counts.pending)} />
      <Stat label="Rejected" value={formatNumber(counts.rejected)} />
    </BlockStack>
  );
}

const NONE: ByModeration = { pending: 0, approved: 0, rejected: 0 };

/** "★ 4.3": stars for the eye, "4.3 out of 5 stars" for a screen reader. */
function AverageRating({ rating }: { rating: number }) {
  return (
    <>
      <Text as="span" tone="caution">
        <span aria-hidden="true">★ </span>
      </Text>
      {formatRating(rating)}
      <Text as="span" visuallyHidden>
        {" "}
        out of 5 stars
      </Text>
    </>
  );
}

/** Reviews and Google reviews submitted in the period, by their status now,
 * the product reviews' average rating, and the points approved product
 * reviews earned. */
export function ReviewStats({ overview }: PartProps) {
  return (
    <Section
      title="Reviews"
      subtitle="Reviews submitted in this period, by their status now"
      link={{ url: "/reviews", label: "View review activities" }}
      service="reviews"
      what="Review totals"
      overview={overview}
      skeletonLines={6}
    >
      {({ totals }) => {
        const reviews = totals.reviews ?? NONE;
        const google = totals.google_reviews ?? NONE;
        if (![reviews, google].some((c) => c.pending + c.approved + c.rejected))
          return (
            <Nothing>
              No review was submitted in this period. Set the points a review earns in Program settings to ask for more;
              try a longer date range.
            </Nothing>
          );
        return (
          <BlockStack gap="400">
            <Moderation title="Product reviews" counts={reviews} />
            {totals.reviews_average_rating != null && (
              <Stat label="Average rating" value={<AverageRating rating={totals.reviews_average_rating} />} />
            )}
            <Stat label="Points rewarded for reviews" value={formatPoints(totals.review_points_rewarded ?? 0)} />
            <Divider />
            <Moderation title="Google reviews" counts={google} />
          </BlockStack>
        );
      }}
    </Section>
  );
}
