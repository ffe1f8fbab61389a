import { BlockStack, Button, ButtonGroup, IndexTable, Text } from "@shopify/polaris";
import { useQueryClient } from "@tanstack/react-query";
import { useState } from "react";

import { encode, send } from "../api";
import { StatusBadge } from "../components/badges";
import { useDateRange } from "../components/DateRangeContext";
import { FeedPage } from "../components/FeedPage";
import { FeedFilters, PagedIndexTable, type Tab } from "../components/IndexPage";
import { CustomerName, productName } from "../components/links";
import { useToast } from "../components/Toasts";
import { usePagedQuery } from "../components/usePagedQuery";
import { When } from "../components/When";
import { rangeQuery } from "../dateRange";
import { formatPoints } from "../format";
import type { ModerationStatus, Review } from "../types";

export const MODERATION_TABS: Tab[] = [
  { id: "", label: "All" },
  { id: "pending", label: "Pending" },
  { id: "approved", label: "Approved" },
  { id: "rejected", label: "Rejected" },
];

/** Approved within the last minute and not yet credited: points credits the
 * reward a moment after the approval (an event between two services). */
export const awaitingReward = (
  items: { status: ModerationStatus; reward_points: number | null; moderated_at: string | null }[],
) =>
  items.some(
    (item) =>
      item.status === "approved" &&
      item.reward_points == null &&
      item.moderated_at != null &&
      Date.now() - Date.parse(item.moderated_at) < 60_000,
  );

export function Stars({ rating }: { rating: number }) {
  return (
    <Text as="span" tone="caution">
      <span aria-hidden="true">{"★".repeat(rating) + "☆".repeat(5 - rating)}</span>
      <Text as="span" visuallyHidden>
        {rating} out of 5 stars
      </Text>
    </Text>
  );
}

/** The points a review earned, with the photo bonus on its own line. */
export function ReviewReward({ review }: { review: Review }) {
  if (review.reward_points == null)
    return (
      <Text as="span" alignment="end">
        —
      </Text>
    );
  return (
    <BlockStack gap="050" inlineAlign="end">
      <Text as="span" numeric>
        {formatPoints(review.reward_points)}
      </Text>
      {review.photo_bonus_points ? (
        <Text as="span" variant="bodySm" tone="subdued">
          incl. {formatPoints(review.photo_bonus_points)} photo bonus
        </Text>
      ) : null}
    </BlockStack>
  );
}

/** Approve and Reject for a pending review or Google submission. */
export function ModerationButtons({
  kind,
  id,
  status,
}: {
  kind: "reviews" | "google-reviews";
  id: string;
  status: ModerationStatus;
}) {
  const queries = useQueryClient();
  const toast = useToast();
  const [busy, setBusy] = useState<string | null>(null);
  if (status !== "pending") return null;
  const noun = kind === "reviews" ? "Review" : "Google review";
  const decide = async (decision: "approve" | "reject") => {
    setBusy(decision);
    try {
      await send("POST", `/api/${kind}/${encode(id)}/${decision}`);
      toast(`${noun} ${decision === "approve" ? "approved" : "rejected"}`);
      await queries.invalidateQueries();
    } catch (error) {
      toast(`${noun} not ${decision}d: ${error instanceof Error ? error.message : error}`, { error: true });
    } finally {
      setBusy(null);
    }
  };
  return (
    <ButtonGroup>
      <Button size="slim" onClick={() => decide("approve")} loading={busy === "approve"} disabled={busy !== null}>
        Approve
      </Button>
      <Button
        size="slim"
        tone="critical"
        onClick={() => decide("reject")}
        loading={busy === "reject"}
        disabled={busy !== null}
      >
        Reject
      </Button>
    </ButtonGroup>
  );
}

export function ReviewActivities() {
  const { range } = useDateRange();
  const [tab, setTab] = useState(0);
  const page = usePagedQuery<Review>(
    "/api/activities/reviews",
    { status: MODERATION_TABS[tab].id, ...rangeQuery(range) },
    { refetchWhile: awaitingReward },
  );
  return (
    <FeedPage title="Review activities" subtitle="Product reviews to moderate, and the points approved ones earned">
      <PagedIndexTable
        what="Review activities"
        resourceName={{ singular: "review", plural: "reviews" }}
        headings={[
          { title: "Customer" },
          { title: "Product" },
          { title: "Rating" },
          { title: "Review" },
          { title: "Status" },
          { title: "Reward", alignment: "end" },
          { title: "Date" },
          { title: "Actions", hidden: true },
        ]}
        page={page}
        empty={{ title: "No reviews found", description: "Try another status or a longer date range." }}
        filters={<FeedFilters tabs={MODERATION_TABS} selected={tab} onSelect={setTab} />}
        row={(r, index) => (
          <IndexTable.Row id={r.id} key={r.id} position={index}>
            <IndexTable.Cell>
              <CustomerName id={r.customer_id} name={r.customer_name} email={r.customer_email} />
            </IndexTable.Cell>
            <IndexTable.Cell>{productName(r)}</IndexTable.Cell>
            <IndexTable.Cell>
              <Stars rating={r.rating} />
            </IndexTable.Cell>
            <IndexTable.Cell>
              <div className="review-body">
                <BlockStack gap="050">
                  <Text as="span" fontWeight="semibold">
                    {r.title}
                  </Text>
                  <Text as="span" tone="subdued">
                    {r.body}
                  </Text>
                  {r.media_urls.length > 0 && (
                    <Text as="span" variant="bodySm" tone="subdued">
                      {r.media_urls.length} photo{r.media_urls.length === 1 ? "" : "s"}
                    </Text>
                  )}
                </BlockStack>
              </div>
            </IndexTable.Cell>
            <IndexTable.Cell>
              <StatusBadge status={r.status} />
            </IndexTable.Cell>
            <IndexTable.Cell>
              <ReviewReward review={r} />
            </IndexTable.Cell>
            <IndexTable.Cell>
              <When at={r.occurred_at} />
            </IndexTable.Cell>
            <IndexTable.Cell>
              <ModerationButtons kind="reviews" id={r.id} status={r.status} />
            </IndexTable.Cell>
          </IndexTable.Row>
        )}
      />
    </FeedPage>
  );
}
