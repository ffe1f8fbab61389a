import { IndexTable, InlineStack, Text } from "@shopify/polaris";
import { ExportIcon } from "@shopify/polaris-icons";
import { useState } from "react";

import { download } from "../api";
import { AdjustmentBadge } from "../components/badges";
import { useDateRange } from "../components/DateRangeContext";
import { FeedPage } from "../components/FeedPage";
import { PointsCells } from "../components/PointsCells";
import { FeedFilters, PagedIndexTable, useDebounced, type Tab } from "../components/IndexPage";
import { CustomerName } from "../components/links";
import { useToast } from "../components/Toasts";
import { usePagedQuery } from "../components/usePagedQuery";
import { When } from "../components/When";
import { rangeQuery } from "../dateRange";
import type { Activity } from "../types";

const TABS: Tab[] = [
  { id: "all", label: "All" },
  { id: "earned", label: "Earned" },
  { id: "redeemed", label: "Redeemed" },
  { id: "refunded", label: "Refunded" },
  { id: "expired", label: "Expired" },
];

export function PointActivities() {
  const { range } = useDateRange();
  const [tab, setTab] = useState(0);
  const [search, setSearch] = useState("");
  const q = useDebounced(search.trim());
  const [exporting, setExporting] = useState(false);
  const toast = useToast();
  const filters = { type: TABS[tab].id, q, ...rangeQuery(range) };
  const page = usePagedQuery<Activity>("/api/activities/points", filters);

  const exportCsv = async () => {
    setExporting(true);
    try {
      await download("/api/activities/points.csv", filters, "point-activities.csv");
      toast("Point activities exported");
    } catch (error) {
      toast(`Export failed: ${error instanceof Error ? error.message : error}`, { error: true });
    } finally {
      setExporting(false);
    }
  };

  return (
    <FeedPage
      title="Point activities"
      subtitle="Every point your customers earned, redeemed, got refunded or let expire"
      secondaryActions={[{ content: "Export CSV", icon: ExportIcon, onAction: exportCsv, loading: exporting }]}
    >
      <PagedIndexTable
        what="Point activities"
        resourceName={{ singular: "point activity", plural: "point activities" }}
        headings={[
          { title: "Customer" },
          { title: "Action" },
          { title: "Points", alignment: "end" },
          { title: "Balance", alignment: "end" },
          { title: "Date" },
        ]}
        page={page}
        empty={{
          title: "No point activities found",
          description: "Try another tab, a longer date range or another search.",
        }}
        filters={
          <FeedFilters
            tabs={TABS}
            selected={tab}
            onSelect={setTab}
            search={{ value: search, onChange: setSearch, placeholder: "Search by email" }}
          />
        }
        row={(a, index) => (
          <IndexTable.Row id={String(a.id)} key={a.id} position={index}>
            <IndexTable.Cell>
              <CustomerName id={a.customer_id} name={a.customer_name} email={a.customer_email} />
            </IndexTable.Cell>
            <IndexTable.Cell>
              <InlineStack gap="200" blockAlign="center" wrap={false}>
                <Text as="span">{a.action}</Text>
                {a.type === "adjusted" && <AdjustmentBadge />}
              </InlineStack>
            </IndexTable.Cell>
            <PointsCells activity={a} />
            <IndexTable.Cell>
              <When at={a.occurred_at} />
            </IndexTable.Cell>
          </IndexTable.Row>
        )}
      />
    </FeedPage>
  );
}
