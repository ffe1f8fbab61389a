import { BlockStack, ProgressBar } from "@shopify/polaris";
import { useId } from "react";

import { formatNumber, formatPoints, formatShare } from "../../format";
import { Nothing, Section, Stat, type PartProps } from "./parts";

function Step({
  label,
  count,
  of,
  tone,
}: {
  label: string;
  count: number;
  of: number;
  tone: "primary" | "success" | "critical" | "highlight";
}) {
  const id = useId();
  return (
    <BlockStack gap="100">
      <Stat id={id} label={label} value={`${formatNumber(count)} · ${formatShare(count, of)}`} />
      <ProgressBar
        progress={of ? (100 * count) / of : 0}
        tone={tone}
        size="small"
        ariaLabelledBy={id}
        animated={false}
      />
    </BlockStack>
  );
}

/** Friends referred in the period, and how far they got: an order completes
 * a referral; a pending one waits for it; a cancelled one never rewards. */
export function ReferralFunnel({ overview }: PartProps) {
  return (
    <Section
      title="Referrals"
      subtitle="Friends your customers referred in this period, and how far they got"
      link={{ url: "/referrals", label: "View referral activities" }}
      service="referrals"
      what="Referral totals"
      overview={overview}
      skeletonLines={6}
    >
      {({ totals }) => {
        const { pending, completed, cancelled } = totals.referrals ?? { pending: 0, completed: 0, cancelled: 0 };
        const referred = pending + completed + cancelled;
        if (!referred)
          return (
            <Nothing>
              No friend was referred in this period. Customers share their referral link from your store's loyalty
              widget; try a longer date range.
            </Nothing>
          );
        return (
          <BlockStack gap="300">
            <Step label="Friends referred" count={referred} of={referred} tone="highlight" />
            <Step label="Completed: placed an order" count={completed} of={referred} tone="success" />
            <Step label="Pending: no order yet" count={pending} of={referred} tone="primary" />
            <Step label="Cancelled" count={cancelled} of={referred} tone="critical" />
            <Stat label="Points rewarded to referrers" value={formatPoints(totals.referral_points_rewarded ?? 0)} />
          </BlockStack>
        );
      }}
    </Section>
  );
}
