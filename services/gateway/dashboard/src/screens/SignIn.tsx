import { Banner, BlockStack, Button, Card, Form, FormLayout, Page, Text, TextField } from "@shopify/polaris";
import { useState } from "react";

import { signIn } from "../auth";

/** The key is typed (or pasted) here, never passed in the address bar. */
export function SignIn({ notice }: { notice: string | null }) {
  const [key, setKey] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async () => {
    if (!key.trim()) return setError("Enter your shop's admin API key.");
    setBusy(true);
    setError(null);
    try {
      await signIn(key.trim());
    } catch (caught) {
      setError(caught instanceof Error ? caught.message : String(caught));
      setBusy(false);
    }
  };

  return (
    <Page narrowWidth title="Sign in" subtitle="Customers' activities: your loyalty program's dashboard">
      <BlockStack gap="400">
        {notice && !error && <Banner tone="warning">{notice}</Banner>}
        <Card>
          <Form onSubmit={submit}>
            <FormLayout>
              <Text as="p">Use your shop's admin API key.</Text>
              <TextField
                label="Admin API key"
                type="password"
                autoComplete="off"
                value={key}
                onChange={setKey}
                error={error ?? undefined}
                helpText="The key `loyalty shops create` printed for your shop. It is kept in this browser tab only."
                autoFocus
              />
              <Button submit variant="primary" loading={busy}>
                Sign in
              </Button>
            </FormLayout>
          </Form>
        </Card>
      </BlockStack>
    </Page>
  );
}
