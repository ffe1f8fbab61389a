import { BlockStack, Box, Card, InlineGrid, InlineStack, Link, Page, SkeletonBodyText, Text } from "@shopify/polaris";
import { useQuery } from "@tanstack/react-query";
import type { ReactNode } from "react";

import { getJson, type Page as ApiPage } from "../api";
import { StatusBadge } from "../components/badges";
import { useDateRange } from "../components/DateRangeContext";
import { DateRangePicker } from "../components/DateRangePicker";
import { ErrorBanner } from "../components/ErrorBanner";
import { CustomerLink } from "../components/links";
import { When } from "../components/When";
import { rangeQuery } from "../dateRange";
import { formatSignedPoints } from "../format";
import type { Activity, GoogleReview, Referral, Review } from "../types";
import { Stars } from "./ReviewActivities";

// The landing screen: the newest activity of each kind in the range, from
// the feeds. The KPI cards and the earned/redeemed/expired chart come with
// GET /api/dashboard (SPEC §7 "Overview"), whose `recent` then feeds these
// same panels.

type PanelProps<T> = {
  title: string;
  path: string;
  viewAll: { url: string; label: string };
  empty: string;
  line: (item: T) => ReactNode;
};

function RecentPanel<T extends { id: string | number; occurred_at: string }>(props: PanelProps<T>) {
  const { range } = useDateRange();
  const query = { ...rangeQuery(range), limit: 5 };
  const result = useQuery({ queryKey: [props.path, query], queryFn: () => getJson<ApiPage<T>>(props.path, query) });
  let body: ReactNode;
  if (result.isPending) body = <SkeletonBodyText lines={5} />;
  else if (result.isError)
    body = <ErrorBanner what={props.title} error={result.error} onRetry={() => void result.refetch()} />;
  else if (!result.data.items.length)
    body = (
      <Text as="p" tone="subdued">
        {props.empty} Try a longer date range.
      </Text>
    );
  else
    body = (
      <BlockStack as="ul" gap="300">
        {result.data.items.map((item) => (
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
  return (
    <Card>
      <BlockStack gap="400">
        <InlineStack align="space-between" blockAlign="center">
          <Text as="h2" variant="headingMd">
            {props.title}
          </Text>
          <Link url={props.viewAll.url}>{props.viewAll.label}</Link>
        </InlineStack>
        {body}
      </BlockStack>
    </Card>
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

export function Overview() {
  return (
    <Page title="Customers' activities" subtitle="What your customers did, newest first">
      <BlockStack gap="400">
        <InlineStack>
          <DateRangePicker />
        </InlineStack>
        <InlineGrid columns={{ xs: 1, md: 2 }} gap="400">
          <RecentPanel<Activity>
            title="Point activities"
            path="/api/activities/points"
            viewAll={{ url: "/points", label: "View all point activities" }}
            empty="No point activity in this period."
            line={(a) =>
              twoLines(
                <CustomerLink id={a.customer_id} label={a.customer_email} />,
                `${a.action} · ${formatSignedPoints(a.points)} points`,
              )
            }
          />
          <RecentPanel<Referral>
            title="Referral activities"
            path="/api/activities/referrals"
            viewAll={{ url: "/referrals", label: "View all referral activities" }}
            empty="No referral in this period."
            line={(r) =>
              twoLines(
                r.referee_email,
                <InlineStack gap="100" blockAlign="center">
                  <span>Referred by {r.referrer_email ?? r.referrer_customer_id}</span>
                  <StatusBadge status={r.status} />
                </InlineStack>,
              )
            }
          />
          <RecentPanel<Review>
            title="Review activities"
            path="/api/activities/reviews"
            viewAll={{ url: "/reviews", label: "View all review activities" }}
            empty="No review in this period."
            line={(r) =>
              twoLines(
                r.title || r.product_title || `Product ${r.product_id}`,
                <InlineStack gap="100" blockAlign="center">
                  <Stars rating={r.rating} />
                  <StatusBadge status={r.status} />
                </InlineStack>,
              )
            }
          />
          <RecentPanel<GoogleReview>
            title="Google review submissions"
            path="/api/activities/google-reviews"
            viewAll={{ url: "/google-reviews", label: "View all Google reviews" }}
            empty="No Google review submission in this period."
            line={(g) =>
              twoLines(<CustomerLink id={g.customer_id} label={g.customer_email} />, <StatusBadge status={g.status} />)
            }
          />
        </InlineGrid>
      </BlockStack>
    </Page>
  );
}
