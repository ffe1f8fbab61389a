import { BlockStack, Button, IndexTable, InlineStack, Text } from "@shopify/polaris";
import { useQueryClient } from "@tanstack/react-query";
import { useState } from "react";

import { encode, send } from "../api";
import { ActionModal } from "../components/ActionModal";
import { StatusBadge } from "../components/badges";
import { useDateRange } from "../components/DateRangeContext";
import { FeedPage } from "../components/FeedPage";
import { FeedFilters, PagedIndexTable, type Tab } from "../components/IndexPage";
import { CustomerName } from "../components/links";
import { ReferralSteps } from "../components/ReferralSteps";
import { usePagedQuery } from "../components/usePagedQuery";
import { When } from "../components/When";
import { rangeQuery } from "../dateRange";
import { formatPoints } from "../format";
import type { Referral } from "../types";

const TABS: Tab[] = [
  { id: "", label: "All" },
  { id: "pending", label: "Pending" },
  { id: "completed", label: "Completed" },
  { id: "cancelled", label: "Cancelled" },
];

/** The referee's welcome code and whether it can still be used. */
export function RefereeCode({ referral }: { referral: Referral }) {
  return (
    <InlineStack gap="200" blockAlign="center" wrap={false}>
      <Text as="span" fontWeight="medium">
        {referral.discount_code}
      </Text>
      <StatusBadge status={referral.discount_code_status} />
    </InlineStack>
  );
}

export const referrerEarned = (referral: Referral): string =>
  referral.referrer_reward_points == null ? "—" : formatPoints(referral.referrer_reward_points);

/** What cancelling does, as the seeds state it: a pending referral's codes
 * are voided and its referrer is never rewarded; a completed one's unused
 * codes are voided (what the referrer earned stays). */
export function CancelReferralModal({ referral, onClose }: { referral: Referral; onClose: () => void }) {
  const queries = useQueryClient();
  const referrer = referral.referrer_email ?? `customer ${referral.referrer_customer_id}`;
  return (
    <ActionModal
      title={`Cancel ${referral.referee_email}'s referral?`}
      actionLabel="Cancel referral"
      cancelLabel="Keep referral"
      destructive
      doneMessage="Referral cancelled"
      onClose={onClose}
      onSubmit={async () => {
        await send("POST", `/api/referrals/${encode(referral.id)}/cancel`);
        await queries.invalidateQueries();
      }}
    >
      {() =>
        referral.status === "pending" ? (
          <BlockStack gap="200">
            <p>
              This referral is pending. The referee's discount code {referral.discount_code} will be voided and can't be
              used at checkout.
            </p>
            <p>{referrer} will not be rewarded for this referral, now or later.</p>
            <p>Cancelling can't be undone.</p>
          </BlockStack>
        ) : (
          <BlockStack gap="200">
            <p>
              This referral is completed. The referee's unused discount codes, such as {referral.discount_code}, will be
              voided.
            </p>
            <p>
              The {referrerEarned(referral)} {referrer} already earned for it stay.
            </p>
            <p>Cancelling can't be undone.</p>
          </BlockStack>
        )
      }
    </ActionModal>
  );
}

/** Cancelled within the last minute with its code still active: points voids
 * the code a moment after the cancellation (an event between two services). */
const awaitingVoid = (items: Referral[]) =>
  items.some(
    (r) =>
      r.status === "cancelled" &&
      r.discount_code_status === "active" &&
      r.cancelled_at != null &&
      Date.now() - Date.parse(r.cancelled_at) < 60_000,
  );

export function ReferralActivities() {
  const { range } = useDateRange();
  const [tab, setTab] = useState(0);
  const [cancelling, setCancelling] = useState<Referral | null>(null);
  const page = usePagedQuery<Referral>(
    "/api/activities/referrals",
    { status: TABS[tab].id, ...rangeQuery(range) },
    { refetchWhile: awaitingVoid },
  );
  return (
    <FeedPage
      title="Referral activities"
      subtitle="Who your customers referred, how far each friend got, and what the referrer earned"
    >
      <PagedIndexTable
        what="Referral activities"
        resourceName={{ singular: "referral", plural: "referrals" }}
        headings={[
          { title: "Referrer" },
          { title: "Referee" },
          { title: "Status" },
          { title: "Steps" },
          { title: "Referee code" },
          { title: "Referrer earned", alignment: "end" },
          { title: "Date" },
          { title: "Actions", hidden: true },
        ]}
        page={page}
        empty={{ title: "No referrals found", description: "Try another status or a longer date range." }}
        filters={<FeedFilters tabs={TABS} selected={tab} onSelect={setTab} />}
        row={(r, index) => (
          <IndexTable.Row id={r.id} key={r.id} position={index}>
            <IndexTable.Cell>
              <CustomerName
                id={r.referrer_customer_id}
                name={r.customer_name}
                email={r.customer_email ?? r.referrer_email}
              />
            </IndexTable.Cell>
            <IndexTable.Cell>{r.referee_email}</IndexTable.Cell>
            <IndexTable.Cell>
              <StatusBadge status={r.status} />
            </IndexTable.Cell>
            <IndexTable.Cell>
              <ReferralSteps referral={r} />
            </IndexTable.Cell>
            <IndexTable.Cell>
              <RefereeCode referral={r} />
            </IndexTable.Cell>
            <IndexTable.Cell>
              <Text as="span" alignment="end" numeric>
                {referrerEarned(r)}
              </Text>
            </IndexTable.Cell>
            <IndexTable.Cell>
              <When at={r.occurred_at} />
            </IndexTable.Cell>
            <IndexTable.Cell>
              {r.status !== "cancelled" && (
                <div className="row-action">
                  <Button size="slim" tone="critical" variant="tertiary" onClick={() => setCancelling(r)}>
                    Cancel referral
                  </Button>
                </div>
              )}
            </IndexTable.Cell>
          </IndexTable.Row>
        )}
      />
      {cancelling && <CancelReferralModal referral={cancelling} onClose={() => setCancelling(null)} />}
    </FeedPage>
  );
}
