// The outbound webhook subscriptions of the admin API (docs/webhooks.md):
// the list, and the actions a row and the delivery log share.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";

import { getJson, send } from "../../api";
import { useToast } from "../../components/Toasts";
import type { WebhookSubscription } from "../../types";

export const SUBSCRIPTIONS = "/api/webhook-subscriptions";

// SPEC §7's topics, in its order (shared/webhooks_api.py).
export const TOPICS = [
  "points.earned",
  "points.redeemed",
  "points.adjusted",
  "points.refunded",
  "points.expired",
  "member.tier_changed",
  "member.excluded",
  "member.included",
  "referral.claimed",
  "referral.completed",
  "referral.cancelled",
  "review.approved",
  "google_review.approved",
];

export const useSubscriptions = () =>
  useQuery({
    queryKey: [SUBSCRIPTIONS],
    queryFn: () => getJson<{ items: WebhookSubscription[] }>(SUBSCRIPTIONS),
  });

/** Send test: a toast either way; a paused or disabled subscription's 409
 * names why nothing was sent. Resolves to the scheduled delivery's id. */
export function useSendTest() {
  const toast = useToast();
  return useMutation({
    mutationFn: (id: string) => send<{ id: number }>("POST", `${SUBSCRIPTIONS}/${id}/test`),
    onSuccess: () => toast("Test sent"),
    onError: (error) => toast(`Test not sent: ${error.message}`, { error: true }),
  });
}

/** Pause, or resume (a disabled subscription too). */
export function useSetStatus() {
  const toast = useToast();
  const queries = useQueryClient();
  return useMutation({
    mutationFn: ({ id, status }: { id: string; status: "active" | "paused" }) =>
      send<WebhookSubscription>("PATCH", `${SUBSCRIPTIONS}/${id}`, { json: { status } }),
    onSuccess: (changed) => {
      toast(changed.status === "paused" ? "Webhook paused" : "Webhook resumed");
      return queries.invalidateQueries({ queryKey: [SUBSCRIPTIONS] });
    },
    onError: (error) => toast(error.message, { error: true }),
  });
}
