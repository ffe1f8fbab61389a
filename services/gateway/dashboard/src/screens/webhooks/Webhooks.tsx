import {
  Badge,
  Banner,
  BlockStack,
  Box,
  Button,
  ButtonGroup,
  Card,
  ChoiceList,
  EmptyState,
  IndexTable,
  InlineStack,
  Link,
  Page,
  SkeletonBodyText,
  Text,
  TextField,
  useBreakpoints,
} from "@shopify/polaris";
import { useQueryClient } from "@tanstack/react-query";
import { useState } from "react";

import { send } from "../../api";
import { ActionModal, type FieldErrors } from "../../components/ActionModal";
import { StatusBadge } from "../../components/badges";
import { ErrorBanner } from "../../components/ErrorBanner";
import { useToast } from "../../components/Toasts";
import emptyIllustration from "../../empty.svg";
import { formatCalendarDay } from "../../format";
import type { CreatedWebhookSubscription, WebhookSubscription } from "../../types";
import { SUBSCRIPTIONS, TOPICS, useSendTest, useSetStatus, useSubscriptions } from "./api";

/** A 422 names a bad topic by its place in the list ("topics.1"). */
const topicsError = (errors: FieldErrors): string | undefined =>
  Object.entries(errors).find(([field]) => field === "topics" || field.startsWith("topics."))?.[1];

/** The signing secret, this once: only an encrypted copy is kept. */
function SigningSecret({ secret }: { secret: string }) {
  const toast = useToast();
  const copy = () =>
    navigator.clipboard.writeText(secret).then(
      () => toast("Signing secret copied"),
      () => toast("Could not copy: select the secret and copy it", { error: true }),
    );
  return (
    <BlockStack gap="400">
      <Banner tone="warning" title="Copy the signing secret now">
        <p>
          It is shown this once. Your endpoint checks each delivery's X-Loyalty-Hmac-Sha256 header with it (docs:
          “Outbound webhooks”).
        </p>
      </Banner>
      <TextField
        label="Signing secret"
        value={secret}
        readOnly
        autoComplete="off"
        monospaced
        connectedRight={<Button onClick={() => void copy()}>Copy</Button>}
      />
    </BlockStack>
  );
}

function AddWebhookModal({ onClose }: { onClose: () => void }) {
  const [url, setUrl] = useState("");
  const [topics, setTopics] = useState<string[]>([]);
  const queries = useQueryClient();
  return (
    <ActionModal
      title="Add webhook"
      actionLabel="Add webhook"
      doneMessage="Webhook added"
      onClose={onClose}
      onSubmit={async (idempotencyKey) => {
        // A retry in this dialog answers the subscription (and secret) the
        // first press made, never a second one.
        const created = await send<CreatedWebhookSubscription>("POST", SUBSCRIPTIONS, {
          json: { url: url.trim(), topics },
          idempotencyKey,
        });
        await queries.invalidateQueries({ queryKey: [SUBSCRIPTIONS] });
        return created;
      }}
      showResult={(created) => <SigningSecret secret={(created as CreatedWebhookSubscription).signing_secret} />}
    >
      {(errors) => (
        <BlockStack gap="400">
          <TextField
            label="Endpoint URL"
            type="url"
            autoComplete="off"
            placeholder="https://example.com/hooks/loyalty"
            value={url}
            onChange={setUrl}
            error={errors.url}
            helpText="An https:// address on the public internet. Each delivery is a signed JSON POST."
          />
          <ChoiceList
            allowMultiple
            title="Topics"
            choices={TOPICS.map((topic) => ({ label: topic, value: topic }))}
            selected={topics}
            onChange={setTopics}
            error={topicsError(errors)}
          />
        </BlockStack>
      )}
    </ActionModal>
  );
}

function DeleteWebhookModal({ subscription, onClose }: { subscription: WebhookSubscription; onClose: () => void }) {
  const queries = useQueryClient();
  return (
    <ActionModal
      title="Delete webhook?"
      actionLabel="Delete webhook"
      doneMessage="Webhook deleted"
      destructive
      onClose={onClose}
      onSubmit={async () => {
        const deleted = await send("DELETE", `${SUBSCRIPTIONS}/${subscription.id}`);
        await queries.invalidateQueries({ queryKey: [SUBSCRIPTIONS] });
        return deleted;
      }}
    >
      {() => (
        <Text as="p" breakWord>
          Nothing more is sent to {subscription.url}, and its delivery log is deleted. This cannot be undone.
        </Text>
      )}
    </ActionModal>
  );
}

/** Active, paused, or disabled and why. */
export function SubscriptionStatus({ subscription }: { subscription: WebhookSubscription }) {
  return (
    <BlockStack gap="100" inlineAlign="start">
      <StatusBadge status={subscription.status} />
      {subscription.disabled_reason && (
        <Text as="span" variant="bodySm" tone="subdued" breakWord>
          {subscription.disabled_reason}
        </Text>
      )}
    </BlockStack>
  );
}

function Row({
  subscription,
  index,
  onDelete,
}: {
  subscription: WebhookSubscription;
  index: number;
  onDelete: () => void;
}) {
  const sendTest = useSendTest();
  const setStatus = useSetStatus();
  const paused = subscription.status !== "active";
  return (
    <IndexTable.Row id={subscription.id} position={index}>
      <IndexTable.Cell>
        <Text as="span" fontWeight="semibold" breakWord>
          <Link url={`/webhooks/${subscription.id}`} accessibilityLabel={`Delivery log of ${subscription.url}`}>
            {subscription.url}
          </Link>
        </Text>
      </IndexTable.Cell>
      <IndexTable.Cell>
        <InlineStack gap="100">
          {subscription.topics.map((topic) => (
            <Badge key={topic}>{topic}</Badge>
          ))}
        </InlineStack>
      </IndexTable.Cell>
      <IndexTable.Cell>
        <SubscriptionStatus subscription={subscription} />
      </IndexTable.Cell>
      <IndexTable.Cell>{formatCalendarDay(subscription.created_at)}</IndexTable.Cell>
      <IndexTable.Cell>
        <ButtonGroup>
          <Button size="slim" loading={sendTest.isPending} onClick={() => sendTest.mutate(subscription.id)}>
            Send test
          </Button>
          <Button
            size="slim"
            loading={setStatus.isPending}
            onClick={() => setStatus.mutate({ id: subscription.id, status: paused ? "active" : "paused" })}
          >
            {paused ? "Resume" : "Pause"}
          </Button>
          <Button size="slim" tone="critical" variant="plain" onClick={onDelete}>
            Delete
          </Button>
        </ButtonGroup>
      </IndexTable.Cell>
    </IndexTable.Row>
  );
}

export function Webhooks() {
  const { smDown } = useBreakpoints(); // a phone: rows as a list, no sideways scrolling
  const [adding, setAdding] = useState(false);
  const [deleting, setDeleting] = useState<WebhookSubscription | null>(null);
  const subscriptions = useSubscriptions();
  let body;
  if (subscriptions.isPending)
    body = (
      <Card>
        <SkeletonBodyText lines={6} />
      </Card>
    );
  else if (subscriptions.isError)
    body = (
      <ErrorBanner what="Outbound webhooks" error={subscriptions.error} onRetry={() => void subscriptions.refetch()} />
    );
  else if (!subscriptions.data.items.length)
    body = (
      <Card>
        <EmptyState
          heading="Send your program's events to your own systems"
          image={emptyIllustration}
          action={{ content: "Add webhook", onAction: () => setAdding(true) }}
        >
          <p>Add an https endpoint and pick topics: points earned, tier changes, referrals, reviews.</p>
        </EmptyState>
      </Card>
    );
  else
    body = (
      <Card padding="0">
        <IndexTable
          condensed={smDown}
          resourceName={{ singular: "webhook", plural: "webhooks" }}
          itemCount={subscriptions.data.items.length}
          selectable={false}
          loading={subscriptions.isFetching}
          headings={[
            { title: "Endpoint" },
            { title: "Topics" },
            { title: "Status" },
            { title: "Added" },
            { title: "Actions" },
          ]}
        >
          {subscriptions.data.items.map((subscription, index) => (
            <Row
              key={subscription.id}
              subscription={subscription}
              index={index}
              onDelete={() => setDeleting(subscription)}
            />
          ))}
        </IndexTable>
      </Card>
    );
  return (
    <Page
      title="Outbound webhooks"
      subtitle="Signed POSTs to your endpoints when things happen in your program"
      primaryAction={{ content: "Add webhook", onAction: () => setAdding(true) }}
    >
      <Box paddingBlockEnd="400">{body}</Box>
      {adding && <AddWebhookModal onClose={() => setAdding(false)} />}
      {deleting && <DeleteWebhookModal subscription={deleting} onClose={() => setDeleting(null)} />}
    </Page>
  );
}
