import {
  Badge,
  BlockStack,
  Box,
  Button,
  Card,
  EmptyState,
  IndexTable,
  InlineStack,
  Page,
  SkeletonBodyText,
  Text,
  useBreakpoints,
} from "@shopify/polaris";
import { useInfiniteQuery } from "@tanstack/react-query";
import { useState } from "react";
import { useParams } from "react-router";

import { getJson, type Page as ApiPage } from "../../api";
import { ErrorBanner } from "../../components/ErrorBanner";
import { When } from "../../components/When";
import emptyIllustration from "../../empty.svg";
import { capitalize, formatNumber } from "../../format";
import type { DeliveryAttempt } from "../../types";
import { SUBSCRIPTIONS, useSendTest, useSetStatus, useSubscriptions } from "./api";
import { SubscriptionStatus } from "./Webhooks";

const OUTCOME_TONES = { delivered: "success", retrying: "attention", failed: "critical" } as const;

function OutcomeBadge({ outcome }: { outcome: DeliveryAttempt["outcome"] }) {
  return <Badge tone={OUTCOME_TONES[outcome]}>{capitalize(outcome)}</Badge>;
}

/** Every attempt, newest first, a page at a time ("Load more"). While a
 * test sent from here has not been attempted yet, or an attempt waits for
 * its retry, it looks again every 2 s. */
function useAttempts(subscriptionId: string, awaitedDelivery: number | null) {
  const path = `${SUBSCRIPTIONS}/${subscriptionId}/deliveries`;
  return useInfiniteQuery({
    queryKey: [path],
    queryFn: ({ pageParam }) => getJson<ApiPage<DeliveryAttempt>>(path, { cursor: pageParam }),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.next_cursor,
    refetchInterval: (query) => {
      const newest = query.state.data?.pages[0]?.items ?? [];
      const awaited = awaitedDelivery !== null && !newest.some((a) => a.delivery_id === awaitedDelivery);
      return awaited || newest[0]?.outcome === "retrying" ? 2000 : false;
    },
  });
}

export function DeliveryLog() {
  const { subscriptionId = "" } = useParams();
  const { smDown } = useBreakpoints();
  const [awaitedDelivery, setAwaitedDelivery] = useState<number | null>(null);
  const subscriptions = useSubscriptions();
  const attempts = useAttempts(subscriptionId, awaitedDelivery);
  const sendTest = useSendTest();
  const setStatus = useSetStatus();
  const subscription = subscriptions.data?.items.find((s) => s.id === subscriptionId);
  const sendTestAction = {
    content: "Send test",
    loading: sendTest.isPending,
    onAction: () => sendTest.mutate(subscriptionId, { onSuccess: (delivery) => setAwaitedDelivery(delivery.id) }),
  };
  const items = attempts.isError ? [] : (attempts.data?.pages.flatMap((page) => page.items) ?? []);

  let log;
  if (attempts.isError)
    log = (
      <Box padding="400">
        <ErrorBanner what="The delivery log" error={attempts.error} onRetry={() => void attempts.refetch()} />
      </Box>
    );
  else if (attempts.isPending)
    log = (
      <Box padding="400">
        <SkeletonBodyText lines={6} />
      </Box>
    );
  else if (!items.length)
    log = (
      <EmptyState heading="Nothing sent yet" image={emptyIllustration} action={sendTestAction}>
        <p>Send a test to check that your endpoint answers; each attempt shows here with its outcome.</p>
      </EmptyState>
    );
  else
    log = (
      <>
        <IndexTable
          condensed={smDown}
          resourceName={{ singular: "attempt", plural: "attempts" }}
          itemCount={items.length}
          selectable={false}
          loading={attempts.isFetching && !attempts.isFetchingNextPage}
          headings={[
            { title: "Attempted" },
            { title: "Topic" },
            { title: "Event ID" },
            { title: "Outcome" },
            { title: "Status code", alignment: "end" },
            { title: "Duration", alignment: "end" },
            { title: "Error" },
            { title: "Next retry" },
          ]}
        >
          {items.map((attempt, index) => (
            <IndexTable.Row id={String(attempt.id)} key={attempt.id} position={index}>
              <IndexTable.Cell>
                <When at={attempt.attempted_at} />
              </IndexTable.Cell>
              <IndexTable.Cell>{attempt.topic}</IndexTable.Cell>
              <IndexTable.Cell>
                <Text as="span" variant="bodySm" breakWord>
                  {attempt.event_id}
                </Text>
              </IndexTable.Cell>
              <IndexTable.Cell>
                <OutcomeBadge outcome={attempt.outcome} />
              </IndexTable.Cell>
              <IndexTable.Cell>
                <Text as="span" alignment="end" numeric>
                  {attempt.status_code ?? "—"}
                </Text>
              </IndexTable.Cell>
              <IndexTable.Cell>
                <Text as="span" alignment="end" numeric>
                  {formatNumber(attempt.duration_ms)} ms
                </Text>
              </IndexTable.Cell>
              <IndexTable.Cell>
                <Text as="span" variant="bodySm" breakWord>
                  {attempt.error ?? "—"}
                </Text>
              </IndexTable.Cell>
              <IndexTable.Cell>
                {attempt.next_retry_at ? <When at={attempt.next_retry_at} exact /> : "—"}
              </IndexTable.Cell>
            </IndexTable.Row>
          ))}
        </IndexTable>
        {attempts.hasNextPage && (
          <Box padding="400">
            <InlineStack align="center">
              <Button loading={attempts.isFetchingNextPage} onClick={() => void attempts.fetchNextPage()}>
                Load more
              </Button>
            </InlineStack>
          </Box>
        )}
      </>
    );

  const paused = subscription && subscription.status !== "active";
  return (
    <Page
      title="Delivery log"
      subtitle={subscription?.url}
      backAction={{ content: "Outbound webhooks", url: "/webhooks" }}
      primaryAction={sendTestAction}
      secondaryActions={
        subscription
          ? [
              {
                content: paused ? "Resume" : "Pause",
                loading: setStatus.isPending,
                onAction: () => setStatus.mutate({ id: subscriptionId, status: paused ? "active" : "paused" }),
              },
            ]
          : undefined
      }
    >
      <Box paddingBlockEnd="400">
        <BlockStack gap="400">
          {subscriptions.isError && (
            <ErrorBanner
              what="The subscription"
              error={subscriptions.error}
              onRetry={() => void subscriptions.refetch()}
            />
          )}
          {subscription && (
            <Card>
              <BlockStack gap="200">
                <SubscriptionStatus subscription={subscription} />
                <InlineStack gap="100">
                  {subscription.topics.map((topic) => (
                    <Badge key={topic}>{topic}</Badge>
                  ))}
                </InlineStack>
              </BlockStack>
            </Card>
          )}
          <Card padding="0">{log}</Card>
        </BlockStack>
      </Box>
    </Page>
  );
}
