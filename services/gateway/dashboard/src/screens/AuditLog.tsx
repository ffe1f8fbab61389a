import { BlockStack, IndexTable, Text } from "@shopify/polaris";
import { useState } from "react";

import { useShopCurrency } from "../auth";
import { useDateRange } from "../components/DateRangeContext";
import { FeedPage } from "../components/FeedPage";
import { FeedFilters, PagedIndexTable, useDebounced } from "../components/IndexPage";
import { CustomerName } from "../components/links";
import { usePagedQuery } from "../components/usePagedQuery";
import { When } from "../components/When";
import { rangeQuery } from "../dateRange";
import { formatActor } from "../format";
import type { AuditEntry } from "../types";
import { auditChanges } from "./auditChanges";

const ACTIONS: Record<string, string> = {
  points_adjusted: "Adjusted points",
  reward_redeemed: "Redeemed a reward",
  activity_reversed: "Reversed an activity",
  customer_excluded: "Excluded from the program",
  customer_included: "Re-included in the program",
  customer_updated: "Edited the overview",
  program_updated: "Changed the program settings",
  reward_created: "Created a reward",
  referral_cancelled: "Cancelled a referral",
  points_imported: "Imported balances",
};

export function AuditLog() {
  const { range } = useDateRange();
  const [search, setSearch] = useState("");
  const customerId = useDebounced(search.trim());
  const currency = useShopCurrency();
  const page = usePagedQuery<AuditEntry>("/api/audit-log", { customer_id: customerId, ...rangeQuery(range) });
  return (
    <FeedPage title="Audit log" subtitle="Every admin action: who, when, why, and what changed">
      <PagedIndexTable
        what="The audit log"
        resourceName={{ singular: "entry", plural: "entries" }}
        headings={[
          { title: "Date" },
          { title: "Action" },
          { title: "Customer" },
          { title: "By" },
          { title: "Reason" },
          { title: "Changes" },
        ]}
        page={page}
        empty={{ title: "No admin actions found", description: "Try a longer date range or another customer ID." }}
        filters={
          <FeedFilters
            tabs={[{ id: "all", label: "All actions" }]}
            selected={0}
            onSelect={() => undefined}
            search={{ value: search, onChange: setSearch, placeholder: "Filter by customer ID" }}
          />
        }
        row={(entry, index) => (
          <IndexTable.Row id={String(entry.id)} key={entry.id} position={index}>
            <IndexTable.Cell>
              <When at={entry.occurred_at} />
            </IndexTable.Cell>
            <IndexTable.Cell>{ACTIONS[entry.action] ?? entry.action}</IndexTable.Cell>
            <IndexTable.Cell>
              {entry.customer_id ? (
                <CustomerName id={entry.customer_id} name={entry.customer_name} email={entry.customer_email} />
              ) : (
                "—"
              )}
            </IndexTable.Cell>
            <IndexTable.Cell>{formatActor(entry.actor)}</IndexTable.Cell>
            <IndexTable.Cell>{entry.reason ?? "—"}</IndexTable.Cell>
            <IndexTable.Cell>
              <BlockStack gap="050">
                {auditChanges(entry, currency).map((line) => (
                  <Text as="span" variant="bodySm" key={line} breakWord>
                    {line}
                  </Text>
                ))}
              </BlockStack>
            </IndexTable.Cell>
          </IndexTable.Row>
        )}
      />
    </FeedPage>
  );
}
