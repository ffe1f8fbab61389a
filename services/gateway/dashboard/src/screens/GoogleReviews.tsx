import { IndexTable, Link, Text } from "@shopify/polaris";
import { useState } from "react";

import { StatusBadge } from "../components/badges";
import { useDateRange } from "../components/DateRangeContext";
import { FeedPage } from "../components/FeedPage";
import { FeedFilters, PagedIndexTable } from "../components/IndexPage";
import { CustomerName } from "../components/links";
import { usePagedQuery } from "../components/usePagedQuery";
import { When } from "../components/When";
import { rangeQuery } from "../dateRange";
import { formatPoints } from "../format";
import type { GoogleReview } from "../types";
import { awaitingReward, MODERATION_TABS, ModerationButtons } from "./ReviewActivities";

export function GoogleReviewLink({ review }: { review: GoogleReview }) {
  return (
    <Link url={review.review_url} external>
      Open review
    </Link>
  );
}

export function GoogleReviews() {
  const { range } = useDateRange();
  const [tab, setTab] = useState(0);
  const page = usePagedQuery<GoogleReview>(
    "/api/activities/google-reviews",
    { status: MODERATION_TABS[tab].id, ...rangeQuery(range) },
    { refetchWhile: awaitingReward },
  );
  return (
    <FeedPage
      title="Google review submissions"
      subtitle="Proofs of Google reviews your customers sent, to verify and reward"
    >
      <PagedIndexTable
        what="Google review submissions"
        resourceName={{ singular: "submission", plural: "submissions" }}
        headings={[
          { title: "Customer" },
          { title: "Google review" },
          { title: "Status" },
          { title: "Reward", alignment: "end" },
          { title: "Date" },
          { title: "Actions", hidden: true },
        ]}
        page={page}
        empty={{
          title: "No Google review submissions found",
          description: "Try another status or a longer date range.",
        }}
        filters={<FeedFilters tabs={MODERATION_TABS} selected={tab} onSelect={setTab} />}
        row={(g, index) => (
          <IndexTable.Row id={g.id} key={g.id} position={index}>
            <IndexTable.Cell>
              <CustomerName id={g.customer_id} name={g.customer_name} email={g.customer_email} />
            </IndexTable.Cell>
            <IndexTable.Cell>
              <GoogleReviewLink review={g} />
            </IndexTable.Cell>
            <IndexTable.Cell>
              <StatusBadge status={g.status} />
            </IndexTable.Cell>
            <IndexTable.Cell>
              <Text as="span" alignment="end" numeric>
                {g.reward_points == null ? "—" : formatPoints(g.reward_points)}
              </Text>
            </IndexTable.Cell>
            <IndexTable.Cell>
              <When at={g.occurred_at} />
            </IndexTable.Cell>
            <IndexTable.Cell>
              <ModerationButtons kind="google-reviews" id={g.id} status={g.status} />
            </IndexTable.Cell>
          </IndexTable.Row>
        )}
      />
    </FeedPage>
  );
}
