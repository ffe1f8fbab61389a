import {
  Banner,
  BlockStack,
  Box,
  Button,
  Card,
  IndexTable,
  InlineStack,
  ProgressBar,
  SkeletonBodyText,
  Text,
  useBreakpoints,
} from "@shopify/polaris";
import { useState } from "react";

import { StatusBadge } from "../../components/badges";
import { ErrorBanner } from "../../components/ErrorBanner";
import { When } from "../../components/When";
import { formatNumber } from "../../format";
import type { PointsImport } from "../../types";
import { useImport } from "./api";

const BAD_ROWS_PAGE = 100;

const PROGRESS_TONES = { running: "highlight", done: "success", failed: "critical" } as const;

export const importName = (found: { file_name: string | null }): string => found.file_name ?? "Unnamed file";

/** "120 of 300 rows", moving while the rows are applied; full once done. */
function Progress({ found }: { found: PointsImport }) {
  const handled = found.rows_done + found.rows_failed;
  const total = found.rows_total;
  return (
    <BlockStack gap="200">
      <ProgressBar
        progress={Math.round((100 * handled) / total)}
        tone={PROGRESS_TONES[found.status]}
        animated={found.status === "running"}
        ariaLabelledBy="import-progress"
      />
      <Text as="p" id="import-progress">
        {formatNumber(handled)} of {formatNumber(total)} rows
        {found.rows_failed > 0 && ` (${formatNumber(found.rows_failed)} could not be imported)`}
      </Text>
    </BlockStack>
  );
}

/** Imported N, failed M, in words that say what to do about it. */
function Summary({ found }: { found: PointsImport }) {
  const imported = `Imported ${formatNumber(found.rows_done)} ${found.rows_done === 1 ? "row" : "rows"}`;
  const failed = `${formatNumber(found.rows_failed)} ${found.rows_failed === 1 ? "row" : "rows"} failed`;
  if (found.status === "failed")
    return (
      <Banner tone="critical" title={`The import stopped: ${imported.toLowerCase()}, ${failed}`}>
        <p>
          The rest of the file was not applied. Upload the same file again to finish it: rows already imported are not
          applied twice.
        </p>
      </Banner>
    );
  if (found.rows_failed)
    return (
      <Banner tone="warning" title={`${imported}, ${failed}`}>
        <p>Fix the rows below in the file and upload it again: the rows already imported are not applied twice.</p>
      </Banner>
    );
  return (
    <Banner tone="success" title={imported}>
      <p>Every customer in the file has their balance.</p>
    </Banner>
  );
}

/** The rows that were not imported: their line in the file and why, a
 * hundred at a time. */
function BadRows({ found }: { found: PointsImport }) {
  const { smDown } = useBreakpoints();
  const [shown, setShown] = useState(BAD_ROWS_PAGE);
  const rows = found.errors.slice(0, shown);
  return (
    <BlockStack gap="200">
      <Box paddingInline="400">
        <BlockStack gap="100">
          <Text as="h3" variant="headingSm">
            Rows not imported
          </Text>
          {found.rows_failed > found.errors.length && (
            <Text as="p" tone="subdued">
              The first {formatNumber(found.errors.length)} of {formatNumber(found.rows_failed)} are listed.
            </Text>
          )}
        </BlockStack>
      </Box>
      <IndexTable
        condensed={smDown}
        resourceName={{ singular: "row", plural: "rows" }}
        itemCount={rows.length}
        selectable={false}
        headings={[{ title: "Line" }, { title: "Problem" }]}
      >
        {rows.map((error, index) => (
          <IndexTable.Row id={String(error.row)} key={`${error.row}-${index}`} position={index}>
            <IndexTable.Cell>
              <Text as="span" numeric>
                Line {formatNumber(error.row)}
              </Text>
            </IndexTable.Cell>
            <IndexTable.Cell>
              <Text as="span" breakWord>
                {error.message}
              </Text>
            </IndexTable.Cell>
          </IndexTable.Row>
        ))}
      </IndexTable>
      {found.errors.length > shown && (
        <Box padding="400">
          <InlineStack align="center">
            <Button onClick={() => setShown((count) => count + BAD_ROWS_PAGE)}>Show more</Button>
          </InlineStack>
        </Box>
      )}
    </BlockStack>
  );
}

/** One import: its progress while it runs, then what it did and the rows
 * it could not import. */
export function ImportResult({ id }: { id: string }) {
  const imported = useImport(id);
  if (imported.isError)
    return <ErrorBanner what="The import" error={imported.error} onRetry={() => void imported.refetch()} />;
  if (imported.isPending)
    return (
      <Card>
        <SkeletonBodyText lines={4} />
      </Card>
    );
  const found = imported.data;
  return (
    <Card padding="0">
      <BlockStack>
        <Box padding="400">
          <BlockStack gap="400">
            <BlockStack gap="100">
              <InlineStack gap="200" blockAlign="center">
                <Text as="h2" variant="headingMd" breakWord>
                  {importName(found)}
                </Text>
                <StatusBadge status={found.status} />
              </InlineStack>
              <Text as="p" tone="subdued">
                Started: <When at={found.created_at} />
                {found.finished_at && (
                  <>
                    {" · "}Finished: <When at={found.finished_at} />
                  </>
                )}
              </Text>
            </BlockStack>
            {found.rows_total > 0 && <Progress found={found} />}
            {found.status !== "running" && <Summary found={found} />}
          </BlockStack>
        </Box>
        {found.errors.length > 0 && <BadRows key={found.id} found={found} />}
      </BlockStack>
    </Card>
  );
}
