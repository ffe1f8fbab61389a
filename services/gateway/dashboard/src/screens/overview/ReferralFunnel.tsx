import { BlockStack, ProgressBar } from "@shopify/polaris";
import { useId } from "react";

import { formatNumber, formatPoints, formatShare } from "../../format";
import { Nothing, Section, Stat, type PartProps } from "./parts";

/** A step of the funnel: its count, and its share of the step it follows
 * (`of`, named by `ofWhat`) when there is one. */
function Step({
  label,
  count,
  of,
  ofWhat,
  tone,
}: {
  label: string;
  count: number;
  of: number;
  ofWhat?: string;
  tone: "primary" | "success" | "critical" | "highlight";
}) {
  const id = useId();
  const value = ofWhat && of ? `${formatNumber(count)} · ${formatShare(count, of)} of ${ofWhat}` : formatNumber(count);
  return (
    <BlockStack gap="100">
      <Stat id={id} label={label} value={value} />
      <ProgressBar
        // Claims can outnumber the range's clicks (a link clicked the day before).
        progress={of ? Math.min(100, (100 * count) / of) : 0}
        tone={tone}
        size="small"
        ariaLabelledBy={id}
        animated={false}
      />
    </BlockStack>
  );
}

/** The referral funnel of the period: clicks on customers' referral links,
 * the friends who claimed their welcome coupon, and how far they got: an
 * order completes a referral; a pending one waits for it; a cancelled one
 * never rewards. */
export function ReferralFunnel({ overview }: PartProps) {
  return (
    <Section
      title="Referrals"
      subtitle="Clicks on referral links in this period, and how far the friends got"
      link={{ url: "/referrals", label: "View referral activities" }}
      service="referrals"
      what="Referral totals"
      overview={overview}
      skeletonLines={6}
    >
      {({ totals }) => {
        const { pending, completed, cancelled } = totals.referrals ?? { pending: 0, completed: 0, cancelled: 0 };
        const referred = pending + completed + cancelled;
        const clicks = totals.referral_link_clicks ?? 0;
        if (!referred && !clicks)
          return (
            <Nothing>
              No referral link was clicked and no friend was referred in this period. Customers share their referral
              link from your store's loyalty widget; try a longer date range.
            </Nothing>
          );
        return (
          <BlockStack gap="300">
            <Step label="Link clicks" count={clicks} of={clicks} tone="highlight" />
            <Step label="Friends referred" count={referred} of={clicks} ofWhat="clicks" tone="highlight" />
            <Step label="Completed: placed an order" count={completed} of={referred} ofWhat="referred" tone="success" />
            <Step label="Pending: no order yet" count={pending} of={referred} ofWhat="referred" tone="primary" />
            <Step label="Cancelled" count={cancelled} of={referred} ofWhat="referred" tone="critical" />
            <Stat label="Points rewarded to referrers" value={formatPoints(totals.referral_points_rewarded ?? 0)} />
          </BlockStack>
        );
      }}
    </Section>
  );
}
