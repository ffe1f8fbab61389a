import { BlockStack, InlineGrid, InlineStack, Page } from "@shopify/polaris";
import { useQuery } from "@tanstack/react-query";

import { getJson } from "../api";
import { useDateRange } from "../components/DateRangeContext";
import { DateRangePicker } from "../components/DateRangePicker";
import { ErrorBanner } from "../components/ErrorBanner";
import { dayRangeQuery } from "../dateRange";
import type { Overview as OverviewAnswer } from "../types";
import { KeyFigures } from "./overview/KeyFigures";
import { PointsOverTime } from "./overview/PointsOverTime";
import { RecentActivity } from "./overview/RecentActivity";
import { ReferralFunnel } from "./overview/ReferralFunnel";
import { ReviewStats } from "./overview/ReviewStats";

/** The landing screen (SPEC §7 "Overview"): the period's totals, points per
 * day, the referral funnel, review counts and the newest activity of each
 * kind, all from one GET /api/dashboard. A service that did not answer is
 * named in its own sections; the others show what they have. */
export function Overview() {
  const { range } = useDateRange();
  const query = dayRangeQuery(range);
  const result = useQuery({
    queryKey: ["/api/dashboard", query],
    queryFn: () => getJson<OverviewAnswer>("/api/dashboard", query),
  });
  // A failed request shows its banner and nothing stale under it.
  const overview = result.isError ? undefined : result.data;
  return (
    <Page title="Customers' activities" subtitle="How your loyalty program did, and what your customers did last">
      <BlockStack gap="400">
        <InlineStack>
          <DateRangePicker />
        </InlineStack>
        {result.isError ? (
          <ErrorBanner what="The overview" error={result.error} onRetry={() => void result.refetch()} />
        ) : (
          <>
            <KeyFigures overview={overview} />
            <PointsOverTime overview={overview} />
            <InlineGrid columns={{ xs: 1, md: 2 }} gap="400">
              <ReferralFunnel overview={overview} />
              <ReviewStats overview={overview} />
            </InlineGrid>
            <RecentActivity overview={overview} />
          </>
        )}
      </BlockStack>
    </Page>
  );
}
