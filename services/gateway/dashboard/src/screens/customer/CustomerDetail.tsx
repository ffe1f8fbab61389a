import { Banner, BlockStack, Card, EmptyState, Layout, Page, SkeletonPage } from "@shopify/polaris";
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { useParams } from "react-router";

import { ApiError, encode, getJson } from "../../api";
import { StatusBadge } from "../../components/badges";
import { ErrorBanner } from "../../components/ErrorBanner";
import emptyIllustration from "../../empty.svg";
import { formatCalendarDay, formatPoints } from "../../format";
import type { CustomerDetail as Detail, Member, Reward } from "../../types";
import { AdjustPointsModal, displayName, EditOverviewModal, ExclusionModal, RedeemModal, useRewards } from "./actions";
import { CustomerTimeline } from "./Timeline";
import { ProfileCard } from "./ProfileCard";
import { CustomerGoogleReviews, CustomerReferrals, CustomerReviews } from "./Sections";

type Dialog = "adjust" | "redeem" | "edit" | "exclusion" | null;

/** Why Redeem can't apply now, or null when it can. */
function redeemBlocked(customer: Member, rewards: Reward[] | undefined): string | null {
  if (customer.status === "excluded") return "Excluded customers can't redeem rewards.";
  if (!rewards) return null; // not known yet (or not loaded): the dialog will say
  const active = rewards.filter((r) => r.active);
  if (!active.length) return "No active rewards: create one under Rewards.";
  const cheapest = Math.min(...active.map((r) => r.points_cost));
  if (customer.available_points < cheapest)
    return `The cheapest reward costs ${formatPoints(cheapest)}; ${formatPoints(customer.available_points)} available.`;
  return null;
}

export function CustomerDetail() {
  const { customerId = "" } = useParams();
  const [dialog, setDialog] = useState<Dialog>(null);
  const detail = useQuery({
    queryKey: ["/api/customers", customerId],
    queryFn: () => getJson<Detail>(`/api/customers/${encode(customerId)}`),
  });
  const rewards = useRewards();

  if (detail.isPending) return <SkeletonPage primaryAction backAction />;
  if (detail.isError && !detail.data) {
    const missing = detail.error instanceof ApiError && detail.error.status === 404;
    return (
      <Page
        title={missing ? "Customer not found" : "Customer"}
        backAction={{ content: "Customers", url: "/customers" }}
      >
        {missing ? (
          <Card>
            <EmptyState
              heading="No such customer"
              image={emptyIllustration}
              action={{ content: "Find a customer", url: "/customers" }}
            >
              <p>This shop has no loyalty member with the id {customerId}.</p>
            </EmptyState>
          </Card>
        ) : (
          <ErrorBanner what="This customer" error={detail.error} onRetry={() => void detail.refetch()} />
        )}
      </Page>
    );
  }

  const { customer } = detail.data;
  const excluded = customer.status === "excluded";
  const blocked = redeemBlocked(customer, rewards.data?.items);
  const close = () => setDialog(null);
  return (
    <Page
      title={displayName(customer)}
      titleMetadata={<StatusBadge status={customer.status} />}
      subtitle={`${customer.email ?? "No email"} · member since ${formatCalendarDay(customer.member_since)}`}
      backAction={{ content: "Customers", url: "/customers" }}
      primaryAction={{ content: "Adjust points", onAction: () => setDialog("adjust") }}
      secondaryActions={[
        {
          content: "Redeem",
          disabled: blocked !== null,
          helpText: blocked ?? undefined,
          onAction: () => setDialog("redeem"),
        },
        { content: "Edit overview", onAction: () => setDialog("edit") },
        {
          content: excluded ? "Re-include in program" : "Exclude from program",
          destructive: !excluded,
          onAction: () => setDialog("exclusion"),
        },
      ]}
    >
      <Layout>
        <Layout.Section>
          <BlockStack gap="400">
            {detail.isError && (
              <ErrorBanner what="This customer" error={detail.error} onRetry={() => void detail.refetch()} />
            )}
            {excluded && (
              <Banner tone="warning" title="Excluded from the loyalty program">
                <p>They earn no points and can't redeem rewards until you re-include them. Adjustments still apply.</p>
              </Banner>
            )}
            {blocked && !excluded && (
              <Banner tone="info">
                <p>Redeem is unavailable: {blocked}</p>
              </Banner>
            )}
            {customer.next_expiry && (
              <Banner
                tone="info"
                title={`${formatPoints(customer.next_expiry.points)} expire on ${formatCalendarDay(customer.next_expiry.date)}`}
              >
                <p>The oldest points still unspent expire first.</p>
              </Banner>
            )}
            <CustomerTimeline customerId={customerId} />
            <CustomerReferrals referrals={detail.data.referrals} />
            <CustomerReviews reviews={detail.data.reviews} />
            <CustomerGoogleReviews reviews={detail.data.google_reviews} />
          </BlockStack>
        </Layout.Section>
        <Layout.Section variant="oneThird">
          <ProfileCard customer={customer} />
        </Layout.Section>
      </Layout>
      {dialog === "adjust" && <AdjustPointsModal customer={customer} onClose={close} />}
      {dialog === "redeem" && <RedeemModal customer={customer} onClose={close} />}
      {dialog === "edit" && <EditOverviewModal customer={customer} onClose={close} />}
      {dialog === "exclusion" && <ExclusionModal customer={customer} onClose={close} />}
    </Page>
  );
}
