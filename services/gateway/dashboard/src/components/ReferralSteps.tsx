import { InlineStack, ProgressBar, Text, Tooltip } from "@shopify/polaris";

import { formatDateTime } from "../format";
import type { Referral } from "../types";

const STEPS: [keyof Referral["steps"], string][] = [
  ["link_clicked_at", "Link clicked"],
  ["email_entered_at", "Email entered"],
  ["coupon_issued_at", "Coupon issued"],
  ["order_placed_at", "Order placed"],
];

/** The referral's progress on one line ("3 of 4 · Coupon issued"); each
 * step reached, with when, on hover and for screen readers. */
export function ReferralSteps({ referral }: { referral: Referral }) {
  const reached = STEPS.filter(([key]) => referral.steps[key]);
  const last = reached[reached.length - 1];
  const detail = reached.map(([key, label]) => `${label}: ${formatDateTime(referral.steps[key] as string)}`).join("; ");
  return (
    <Tooltip content={detail}>
      <InlineStack gap="200" blockAlign="center" wrap={false}>
        <div className="step-progress">
          <ProgressBar
            progress={(reached.length / STEPS.length) * 100}
            size="small"
            // A row's state, not a task in progress: drawn as it is, at once.
            animated={false}
            tone={referral.status === "cancelled" ? "critical" : "primary"}
          />
        </div>
        <Text as="span" variant="bodySm">
          {reached.length} of {STEPS.length} · {last ? last[1] : "Not started"}
        </Text>
        <Text as="span" visuallyHidden>
          {detail}
        </Text>
      </InlineStack>
    </Tooltip>
  );
}
