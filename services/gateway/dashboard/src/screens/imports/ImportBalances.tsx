import {
  Banner,
  BlockStack,
  Box,
  Button,
  Card,
  DropZone,
  InlineError,
  InlineStack,
  List,
  Page,
  Text,
} from "@shopify/polaris";
import { useState } from "react";
import { useNavigate, useParams } from "react-router";

import { ApiError } from "../../api";
import { useToast } from "../../components/Toasts";
import { capitalize, formatFileSize } from "../../format";
import { MAX_FILE_BYTES, useRecentImports, useUpload } from "./api";
import { ImportResult } from "./ImportResult";
import { RecentImports } from "./RecentImports";

const EXAMPLE = `customer_id,email,points,first_name
1001,ana@example.com,250,Ana
1002,ben@example.com,80,`;

const TOO_LARGE = `Files up to ${formatFileSize(MAX_FILE_BYTES)} can be imported. Split the rows into smaller files, each with the header row, and upload them one by one.`;

/** Why the file was not taken, in this page's words; the API's own message
 * and a 422's list of what is wrong with the file under it. */
function UploadRefused({ error, onDismiss }: { error: Error; onDismiss: () => void }) {
  const status = error instanceof ApiError ? error.status : null;
  if (status === 413)
    return (
      <Banner tone="critical" title="This file is too large" onDismiss={onDismiss}>
        <p>{TOO_LARGE}</p>
      </Banner>
    );
  const problems = error instanceof ApiError ? error.fieldErrors : [];
  const refused = status === 422;
  return (
    <Banner
      tone="critical"
      title={refused ? "This file cannot be imported" : "The file was not uploaded"}
      onDismiss={onDismiss}
    >
      <BlockStack gap="200">
        <p>{capitalize(error.message)}</p>
        {problems.length > 0 && (
          <List>
            {problems.map((problem, index) => (
              <List.Item key={index}>
                {problem.field ? `${problem.field}: ${problem.message}` : problem.message}
              </List.Item>
            ))}
          </List>
        )}
        <p>
          {refused
            ? "Nothing was imported. Fix the file and upload it again."
            : "Uploading the same file again is safe: no row is applied twice."}
        </p>
      </BlockStack>
    </Banner>
  );
}

/** Why a file the merchant chose is not taken, if it is not: not a .csv
 * file, or larger than the gateway takes. */
function refusal(chosen: File | undefined, rejected: File[]): string | null {
  if (!chosen) return rejected.length ? "Choose a .csv file." : null;
  return chosen.size > MAX_FILE_BYTES ? TOO_LARGE : null;
}

/** The columns, a small example, the drop zone and the button that
 * starts the import. */
function Upload({ onStarted }: { onStarted: (id: string, again: boolean) => void }) {
  const [file, setFile] = useState<File | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const upload = useUpload();
  const recent = useRecentImports();
  const choose = (accepted: File[], rejected: File[]) => {
    upload.reset();
    const [chosen] = accepted;
    const refused = refusal(chosen, rejected);
    setProblem(refused);
    setFile(refused ? null : (chosen ?? null));
  };
  const start = (chosen: File) =>
    upload.mutate(chosen, {
      onSuccess: ({ id }) => {
        const again = Boolean(recent.data?.items.some((found) => found.id === id));
        setFile(null);
        onStarted(id, again);
      },
    });
  return (
    <Card>
      <BlockStack gap="400">
        <Text as="h2" variant="headingMd">
          Upload a CSV file
        </Text>
        <Text as="p">
          One line per customer, under a header row that names the columns in any order: <b>customer_id</b>,{" "}
          <b>email</b> and <b>points</b>, and if you have them <b>first_name</b>, <b>last_name</b>, <b>birthday</b>{" "}
          (YYYY-MM-DD) and <b>vip_tier</b>. Each row adds its points to the customer's balance once, as an adjustment
          named “Imported balance”: uploading the same file again changes nothing.
        </Text>
        <BlockStack gap="100">
          <Text as="p">For example:</Text>
          <pre className="csv-example">{EXAMPLE}</pre>
        </BlockStack>
        {upload.error && <UploadRefused error={upload.error} onDismiss={() => upload.reset()} />}
        <BlockStack gap="100">
          <DropZone
            id="import-file"
            label="CSV file"
            accept=".csv,text/csv"
            type="file"
            allowMultiple={false}
            disabled={upload.isPending}
            error={Boolean(problem)}
            onDrop={(_files, accepted, rejected) => choose(accepted, rejected)}
          >
            {file ? (
              <Box padding="400">
                <BlockStack gap="100" inlineAlign="center">
                  <Text as="p" fontWeight="semibold" breakWord>
                    {file.name}
                  </Text>
                  <Text as="p" tone="subdued">
                    {formatFileSize(file.size)} · click or drop to choose another file
                  </Text>
                </BlockStack>
              </Box>
            ) : (
              <DropZone.FileUpload actionHint="or drop a .csv file here" />
            )}
          </DropZone>
          {problem && <InlineError message={problem} fieldID="import-file" />}
        </BlockStack>
        <InlineStack align="end">
          <Button variant="primary" disabled={!file} loading={upload.isPending} onClick={() => file && start(file)}>
            Import balances
          </Button>
        </InlineStack>
      </BlockStack>
    </Card>
  );
}

/** Moving customers' balances from another app (SPEC §7 "Importing
 * balances"): upload a file, watch its rows apply, read what failed. The
 * import on show is in the address (`/customers/import/<id>`), so a reload
 * or a link from the list shows it again. */
export function ImportBalances() {
  const { importId } = useParams();
  const navigate = useNavigate();
  const toast = useToast();
  return (
    <Page
      title="Import balances"
      subtitle="Move your customers' points from another loyalty app"
      backAction={{ content: "Customers", url: "/customers" }}
    >
      <Box paddingBlockEnd="400">
        <BlockStack gap="400">
          <Upload
            onStarted={(id, again) => {
              toast(again ? "This file was imported already" : "Import started");
              navigate(`/customers/import/${id}`);
            }}
          />
          {importId && <ImportResult id={importId} />}
          <RecentImports />
        </BlockStack>
      </Box>
    </Page>
  );
}
