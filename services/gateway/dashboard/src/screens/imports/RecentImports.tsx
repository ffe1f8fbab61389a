import { Box, Card, EmptyState, IndexTable, Link, SkeletonBodyText, Text, useBreakpoints } from "@shopify/polaris";

import { StatusBadge } from "../../components/badges";
import { ErrorBanner } from "../../components/ErrorBanner";
import { When } from "../../components/When";
import emptyIllustration from "../../empty.svg";
import { formatNumber } from "../../format";
import type { PointsImportSummary } from "../../types";
import { useRecentImports } from "./api";
import { importName } from "./ImportResult";

/** "290 of 300 imported, 10 failed": whole words, as a phone's list shows
 * no column headings. */
function RowCounts({ found }: { found: PointsImportSummary }) {
  return (
    <Text as="span" numeric>
      {formatNumber(found.rows_done)} of {formatNumber(found.rows_total)} imported
      {found.rows_failed > 0 && `, ${formatNumber(found.rows_failed)} failed`}
    </Text>
  );
}

/** The newest imports, each a link to what it did. */
export function RecentImports() {
  const { smDown } = useBreakpoints();
  const imports = useRecentImports();
  let body;
  if (imports.isPending)
    body = (
      <Box padding="400">
        <SkeletonBodyText lines={4} />
      </Box>
    );
  else if (imports.isError)
    body = (
      <Box padding="400">
        <ErrorBanner what="Recent imports" error={imports.error} onRetry={() => void imports.refetch()} />
      </Box>
    );
  else if (!imports.data.items.length)
    body = (
      <EmptyState heading="No imports yet" image={emptyIllustration}>
        <p>Export your customers' balances from your old app as a CSV file and upload it above.</p>
      </EmptyState>
    );
  else
    body = (
      <IndexTable
        condensed={smDown}
        resourceName={{ singular: "import", plural: "imports" }}
        itemCount={imports.data.items.length}
        selectable={false}
        loading={imports.isFetching}
        headings={[{ title: "File" }, { title: "Status" }, { title: "Rows" }, { title: "Started" }]}
      >
        {imports.data.items.map((found, index) => (
          <IndexTable.Row id={found.id} key={found.id} position={index}>
            <IndexTable.Cell>
              <Text as="span" fontWeight="semibold" breakWord>
                <Link url={`/customers/import/${found.id}`}>{importName(found)}</Link>
              </Text>
            </IndexTable.Cell>
            <IndexTable.Cell>
              <StatusBadge status={found.status} />
            </IndexTable.Cell>
            <IndexTable.Cell>
              <RowCounts found={found} />
            </IndexTable.Cell>
            <IndexTable.Cell>
              <When at={found.created_at} />
            </IndexTable.Cell>
          </IndexTable.Row>
        ))}
      </IndexTable>
    );
  return (
    <Card padding="0">
      <Box padding="400">
        <Text as="h2" variant="headingMd">
          Recent imports
        </Text>
      </Box>
      {body}
    </Card>
  );
}
