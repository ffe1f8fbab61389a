import {
  BlockStack,
  Box,
  Card,
  EmptyState,
  IndexTable,
  Page,
  Select,
  SkeletonBodyText,
  Text,
  TextField,
  useBreakpoints,
} from "@shopify/polaris";
import { useQueryClient } from "@tanstack/react-query";
import { useState } from "react";

import { send } from "../api";
import { useShopCurrency } from "../auth";
import { ActionModal } from "../components/ActionModal";
import { StatusBadge } from "../components/badges";
import { ErrorBanner } from "../components/ErrorBanner";
import emptyIllustration from "../empty.svg";
import { currencySymbol, formatCalendarDay, formatMoney, formatPoints } from "../format";
import type { RewardKind } from "../types";
import { rewardValue, useRewards } from "./customer/actions";

const KINDS: { value: RewardKind; label: string }[] = [
  { value: "fixed_amount", label: "Fixed amount off" },
  { value: "percentage", label: "Percentage off" },
  { value: "free_shipping", label: "Free shipping" },
];

function CreateRewardModal({ onClose }: { onClose: () => void }) {
  const [name, setName] = useState("");
  const [kind, setKind] = useState<RewardKind>("fixed_amount");
  const [value, setValue] = useState("");
  const [cost, setCost] = useState("");
  const queries = useQueryClient();
  const currency = useShopCurrency();
  return (
    <ActionModal
      title="Create reward"
      actionLabel="Create reward"
      doneMessage="Reward created"
      onClose={onClose}
      onSubmit={async () => {
        const reward: Record<string, unknown> = { name: name.trim(), kind, points_cost: Number(cost) };
        if (kind !== "free_shipping") reward.value = value.trim();
        const created = await send("POST", "/api/rewards", { json: reward });
        await queries.invalidateQueries({ queryKey: ["/api/rewards"] });
        return created;
      }}
    >
      {(errors) => (
        <BlockStack gap="400">
          <TextField
            label="Name"
            autoComplete="off"
            value={name}
            onChange={setName}
            error={errors.name}
            helpText={`What the customer sees, e.g. “${formatMoney(5, currency)} off”.`}
          />
          <Select
            label="Kind"
            options={KINDS}
            value={kind}
            onChange={(k) => setKind(k as RewardKind)}
            error={errors.kind}
          />
          {kind !== "free_shipping" && (
            <TextField
              label={kind === "percentage" ? "Percentage off" : "Amount off"}
              type="number"
              autoComplete="off"
              value={value}
              onChange={setValue}
              error={errors.value}
              prefix={kind === "percentage" ? undefined : currencySymbol(currency)}
              suffix={kind === "percentage" ? "%" : undefined}
              helpText={kind === "percentage" ? undefined : `In your shop's currency, ${currency}.`}
            />
          )}
          <TextField
            label="Points cost"
            type="number"
            autoComplete="off"
            value={cost}
            onChange={setCost}
            error={errors.points_cost}
            suffix="points"
          />
        </BlockStack>
      )}
    </ActionModal>
  );
}

export function Rewards() {
  const { smDown } = useBreakpoints(); // a phone: rows as a list, no sideways scrolling
  const [creating, setCreating] = useState(false);
  const rewards = useRewards();
  const currency = useShopCurrency();
  let body;
  if (rewards.isPending)
    body = (
      <Card>
        <SkeletonBodyText lines={6} />
      </Card>
    );
  else if (rewards.isError)
    body = <ErrorBanner what="Rewards" error={rewards.error} onRetry={() => void rewards.refetch()} />;
  else if (!rewards.data.items.length)
    body = (
      <Card>
        <EmptyState
          heading="Create your first reward"
          image={emptyIllustration}
          action={{ content: "Create reward", onAction: () => setCreating(true) }}
        >
          <p>Rewards are what customers spend their points on: an amount or a percentage off, or free shipping.</p>
        </EmptyState>
      </Card>
    );
  else
    body = (
      <Card padding="0">
        <IndexTable
          condensed={smDown}
          resourceName={{ singular: "reward", plural: "rewards" }}
          itemCount={rewards.data.items.length}
          selectable={false}
          loading={rewards.isFetching}
          headings={[
            { title: "Name" },
            { title: "Value" },
            { title: "Points cost", alignment: "end" },
            { title: "Status" },
            { title: "Created" },
          ]}
        >
          {rewards.data.items.map((r, index) => (
            <IndexTable.Row id={String(r.id)} key={r.id} position={index}>
              <IndexTable.Cell>
                <Text as="span" fontWeight="semibold">
                  {r.name}
                </Text>
              </IndexTable.Cell>
              <IndexTable.Cell>{rewardValue(r, currency)}</IndexTable.Cell>
              <IndexTable.Cell>
                <Text as="span" alignment="end" numeric>
                  {formatPoints(r.points_cost)}
                </Text>
              </IndexTable.Cell>
              <IndexTable.Cell>
                <StatusBadge status={r.active ? "active" : "inactive"} />
              </IndexTable.Cell>
              <IndexTable.Cell>{formatCalendarDay(r.created_at)}</IndexTable.Cell>
            </IndexTable.Row>
          ))}
        </IndexTable>
      </Card>
    );
  return (
    <Page
      title="Rewards"
      subtitle="What customers can spend their points on"
      primaryAction={{ content: "Create reward", onAction: () => setCreating(true) }}
    >
      <Box paddingBlockEnd="400">{body}</Box>
      {creating && <CreateRewardModal onClose={() => setCreating(false)} />}
    </Page>
  );
}
