// The merchant's actions on one customer, each a dialog (ActionModal: one
// Idempotency-Key per opening, the API's refusal shown inside it).
import { BlockStack, Select, Text, TextField } from "@shopify/polaris";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type ReactNode } from "react";

import { encode, getJson, send } from "../../api";
import { useShopCurrency } from "../../auth";
import { ActionModal } from "../../components/ActionModal";
import { formatMoney, formatPercent, formatPoints, formatSignedPoints } from "../../format";
import type { Activity, Member, Program, Redemption, Reward } from "../../types";

type Props = { customer: Member; onClose: () => void };

const customerPath = (customer: Member, suffix = "") => `/api/customers/${encode(customer.customer_id)}${suffix}`;
export const displayName = (customer: Member) => customer.name || customer.email || `Customer ${customer.customer_id}`;

/** Everything on screen may have changed: the profile, the history, the feeds. */
function useRefresh() {
  const queries = useQueryClient();
  return () => queries.invalidateQueries();
}

export function AdjustPointsModal({ customer, onClose }: Props) {
  const [points, setPoints] = useState("");
  const [reason, setReason] = useState("");
  const refresh = useRefresh();
  return (
    <ActionModal
      title={`Adjust points for ${displayName(customer)}`}
      actionLabel="Adjust points"
      doneMessage="Points adjusted"
      onClose={onClose}
      onSubmit={async (idempotencyKey) => {
        const result = await send("POST", customerPath(customer, "/points-adjustments"), {
          json: { points: Number(points), reason: reason.trim() },
          idempotencyKey,
        });
        await refresh();
        return result;
      }}
    >
      {(errors) => (
        <BlockStack gap="400">
          <TextField
            label="Points"
            type="number"
            autoComplete="off"
            value={points}
            onChange={setPoints}
            error={errors.points}
            helpText={`A positive number adds points, a negative one takes them away (${formatPoints(customer.available_points)} available).`}
          />
          <TextField
            label="Reason"
            autoComplete="off"
            value={reason}
            onChange={setReason}
            error={errors.reason}
            helpText="Shown in the points history as “Adjusted by admin: …”."
          />
        </BlockStack>
      )}
    </ActionModal>
  );
}

/** "$5.00 off", "10% off", "Free shipping": money in the shop's `currency`. */
export function rewardValue(reward: Reward, currency: string): string {
  if (reward.kind === "free_shipping" || reward.value == null) return "Free shipping";
  return reward.kind === "percentage"
    ? `${formatPercent(reward.value)} off`
    : `${formatMoney(reward.value, currency)} off`;
}

export function useRewards() {
  return useQuery({ queryKey: ["/api/rewards"], queryFn: () => getJson<{ items: Reward[] }>("/api/rewards") });
}

export function RedeemModal({ customer, onClose }: Props) {
  const rewards = useRewards();
  const currency = useShopCurrency();
  const choices = (rewards.data?.items ?? []).filter((r) => r.active);
  const [rewardId, setRewardId] = useState(choices.length ? String(choices[0].id) : "");
  const refresh = useRefresh();
  return (
    <ActionModal
      title={`Redeem a reward for ${displayName(customer)}`}
      actionLabel="Redeem"
      disabled={!rewardId}
      doneMessage={(result) => `Reward redeemed: code ${(result as Redemption).code}`}
      onClose={onClose}
      onSubmit={async (idempotencyKey) => {
        const result = await send<Redemption>("POST", customerPath(customer, "/redemptions"), {
          json: { reward_id: Number(rewardId) },
          idempotencyKey,
        });
        await refresh();
        return result;
      }}
      showResult={(result) => {
        const redemption = result as Redemption;
        return (
          <BlockStack gap="200">
            <Text as="p">Give the customer this discount code:</Text>
            <Text as="p" variant="headingLg" fontWeight="bold">
              <span className="redeemed-code">{redemption.code}</span>
            </Text>
            <Text as="p" tone="subdued">
              {formatPoints(redemption.points_spent)} spent on {redemption.reward.name}.
            </Text>
          </BlockStack>
        );
      }}
    >
      {(errors) => (
        <Select
          label="Reward"
          options={
            choices.length
              ? choices.map((r) => ({
                  value: String(r.id),
                  label: `${r.name} (${rewardValue(r, currency)}) — ${formatPoints(r.points_cost)}`,
                }))
              : [{ value: "", label: "No active rewards: create one under Rewards" }]
          }
          value={rewardId}
          onChange={setRewardId}
          error={
            errors.reward_id ?? (rewards.isError ? `Rewards could not be loaded: ${rewards.error.message}` : undefined)
          }
          helpText={`${formatPoints(customer.available_points)} available to spend.`}
        />
      )}
    </ActionModal>
  );
}

export function EditOverviewModal({ customer, onClose }: Props) {
  const program = useQuery({ queryKey: ["/api/program"], queryFn: () => getJson<Program>("/api/program") });
  const currentTier = customer.vip_tier_manual ? customer.vip_tier : null;
  const [name, setName] = useState(customer.name ?? "");
  const [birthday, setBirthday] = useState(customer.birthday ?? "");
  const [tier, setTier] = useState(currentTier ?? "");
  const refresh = useRefresh();
  const tiers = [...(program.data?.vip_tiers ?? [])].sort((a, b) => a.threshold - b.threshold).map((t) => t.name);
  // A tier set by hand and since removed from the program still shows.
  if (currentTier && !tiers.includes(currentTier)) tiers.push(currentTier);
  return (
    <ActionModal
      title="Edit overview"
      actionLabel="Save"
      doneMessage={(result) => (result === null ? "Nothing to change" : "Customer updated")}
      onClose={onClose}
      onSubmit={async () => {
        // Only what changed: choosing a tier pins it, so an untouched
        // "Automatic" must not be sent as the tier it happens to be now.
        const changes: Record<string, string | null> = {};
        if ((name.trim() || null) !== (customer.name || null)) changes.name = name.trim() || null;
        if ((birthday || null) !== (customer.birthday || null)) changes.birthday = birthday || null;
        if ((tier || null) !== currentTier) changes.vip_tier = tier || null;
        if (!Object.keys(changes).length) return null;
        const result = await send("PATCH", customerPath(customer), { json: changes });
        await refresh();
        return result;
      }}
    >
      {(errors) => (
        <BlockStack gap="400">
          <TextField label="Name" autoComplete="off" value={name} onChange={setName} error={errors.name} />
          <TextField
            label="Birthday"
            type="date"
            autoComplete="off"
            value={birthday}
            onChange={setBirthday}
            error={errors.birthday}
            max={new Date().toISOString().slice(0, 10)}
          />
          <Select
            label="VIP tier"
            options={[
              { value: "", label: "Automatic (by lifetime points)" },
              ...tiers.map((t) => ({ value: t, label: t })),
            ]}
            value={tier}
            onChange={setTier}
            error={
              errors.vip_tier ?? (program.isError ? `Tiers could not be loaded: ${program.error.message}` : undefined)
            }
            helpText="A tier chosen here stays until you set it back to Automatic."
          />
        </BlockStack>
      )}
    </ActionModal>
  );
}

type ConfirmProps = {
  title: string;
  actionLabel: string;
  cancelLabel: string;
  destructive?: boolean;
  doneMessage: string;
  explanation: ReactNode;
  onClose: () => void;
  /** Does it, with `{reason}` when the merchant gave one. */
  act: (body: { reason?: string }) => Promise<unknown>;
};

/** A yes/no question that may carry an optional reason (kept in the audit log). */
function ConfirmWithReason({ explanation, act, ...dialog }: ConfirmProps) {
  const [reason, setReason] = useState("");
  const refresh = useRefresh();
  return (
    <ActionModal
      {...dialog}
      onSubmit={async () => {
        const result = await act(reason.trim() ? { reason: reason.trim() } : {});
        await refresh();
        return result;
      }}
    >
      {(errors) => (
        <BlockStack gap="400">
          <Text as="p">{explanation}</Text>
          <TextField
            label="Reason (optional)"
            autoComplete="off"
            value={reason}
            onChange={setReason}
            error={errors.reason}
          />
        </BlockStack>
      )}
    </ActionModal>
  );
}

export function ExclusionModal({ customer, onClose }: Props) {
  const excluded = customer.status === "excluded";
  const who = displayName(customer);
  return (
    <ConfirmWithReason
      title={excluded ? `Re-include ${who} in the program?` : `Exclude ${who} from the program?`}
      actionLabel={excluded ? "Re-include" : "Exclude"}
      cancelLabel={excluded ? "Keep excluded" : "Keep in program"}
      destructive={!excluded}
      doneMessage={excluded ? "Customer re-included" : "Customer excluded"}
      explanation={
        excluded
          ? "They earn points again from now on. Nothing they missed while excluded is added."
          : "They will earn no points, can't redeem rewards, and their referral link stops working. Their balance stays."
      }
      onClose={onClose}
      act={(json) => send(excluded ? "DELETE" : "PUT", customerPath(customer, "/exclusion"), { json })}
    />
  );
}

/** What reversing a ledger entry needs to know of it. */
export type Reversible = Pick<Activity, "id" | "action" | "points"> & { type: string };

export function ReverseModal({ activity, onClose }: { activity: Reversible; onClose: () => void }) {
  return (
    <ConfirmWithReason
      title={`Reverse “${activity.action}”?`}
      actionLabel="Reverse"
      cancelLabel="Keep"
      destructive
      doneMessage="Activity reversed"
      explanation={
        `A new entry of ${formatSignedPoints(-activity.points)} points is added to the history; the original entry stays.` +
        (activity.type === "redeemed" ? " The reward's discount code is voided." : "")
      }
      onClose={onClose}
      act={(json) => send("POST", `/api/point-activities/${encode(String(activity.id))}/reversal`, { json })}
    />
  );
}
