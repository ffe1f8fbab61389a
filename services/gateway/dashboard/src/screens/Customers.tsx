import { IndexTable, Page, Text } from "@shopify/polaris";
import { useState } from "react";

import { StatusBadge } from "../components/badges";
import { FeedFilters, PagedIndexTable, useDebounced } from "../components/IndexPage";
import { CustomerLink } from "../components/links";
import { usePagedQuery } from "../components/usePagedQuery";
import { formatCalendarDay, formatPoints } from "../format";
import type { Member } from "../types";

export function Customers() {
  const [search, setSearch] = useState("");
  const q = useDebounced(search.trim());
  const page = usePagedQuery<Member>("/api/customers", { q });
  return (
    <Page
      title="Customers"
      subtitle="Members of your loyalty program, newest first"
      secondaryActions={[{ content: "Import balances", url: "/customers/import" }]}
    >
      <PagedIndexTable
        what="Customers"
        resourceName={{ singular: "customer", plural: "customers" }}
        headings={[
          { title: "Customer" },
          { title: "Name" },
          { title: "Status" },
          { title: "VIP tier" },
          { title: "Balance", alignment: "end" },
          { title: "Member since" },
        ]}
        page={page}
        empty={
          q
            ? { title: "No customers found", description: "Search by the start of an email address or a name." }
            : {
                title: "No customers yet",
                description: "Customers appear here when your shop tells us about their sign-up or first order.",
              }
        }
        filters={
          <FeedFilters
            tabs={[{ id: "all", label: "All customers" }]}
            selected={0}
            onSelect={() => undefined}
            search={{ value: search, onChange: setSearch, placeholder: "Search by email or name" }}
          />
        }
        row={(c, index) => (
          <IndexTable.Row id={c.customer_id} key={c.customer_id} position={index}>
            <IndexTable.Cell>
              <CustomerLink id={c.customer_id} label={c.email} />
            </IndexTable.Cell>
            <IndexTable.Cell>{c.name ?? "—"}</IndexTable.Cell>
            <IndexTable.Cell>
              <StatusBadge status={c.status} />
            </IndexTable.Cell>
            <IndexTable.Cell>{c.vip_tier ?? "—"}</IndexTable.Cell>
            <IndexTable.Cell>
              <Text as="span" alignment="end" numeric>
                {formatPoints(c.balance)}
              </Text>
            </IndexTable.Cell>
            <IndexTable.Cell>{formatCalendarDay(c.member_since)}</IndexTable.Cell>
          </IndexTable.Row>
        )}
      />
    </Page>
  );
}
