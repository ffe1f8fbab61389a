import {
  Banner,
  BlockStack,
  Button,
  Card,
  Form,
  FormLayout,
  Frame,
  Loading,
  Page,
  SkeletonBodyText,
  SkeletonPage,
  Text,
  TextField,
} from "@shopify/polaris";
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
              <Text as="p">Use your admin API key.</Text>
              <TextField
                label="Admin API key"
                type="password"
                autoComplete="off"
                value={key}
                onChange={setKey}
                error={error ?? undefined}
                helpText="The key printed for you when your shop was set up, or by “loyalty keys create”. It is not kept: this browser keeps a session that ends when you sign out, or after 12 hours unused."
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

/** While the gateway says whether this browser is signed in: the page's
 * shape, not a sign-in form that may vanish a moment later. */
export function CheckingSession() {
  return (
    <Frame>
      <Loading />
      <SkeletonPage primaryAction>
        <Card>
          <SkeletonBodyText lines={4} />
        </Card>
      </SkeletonPage>
    </Frame>
  );
}

/** Embedded in the Shopify admin, there is no form: Shopify signs the staff
 * member in, and when it did not, opening the app again is the way. */
export function EmbeddedSignInFailed({ notice }: { notice: string | null }) {
  return (
    <Page narrowWidth title="Customers' activities">
      <Banner
        tone="critical"
        title="Shopify did not sign you in to this app"
        action={{ content: "Reload", onAction: () => window.location.reload() }}
      >
        <p>{notice ?? "Open the app again from your Shopify admin."}</p>
      </Banner>
    </Page>
  );
}
