import { Card, EmptyState, Page } from "@shopify/polaris";

import emptyIllustration from "../empty.svg";

export function NotFound() {
  return (
    <Page title="Page not found">
      <Card>
        <EmptyState
          heading="This page does not exist"
          image={emptyIllustration}
          action={{ content: "Go to the overview", url: "/" }}
        >
          <p>Check the address, or start again from the overview.</p>
        </EmptyState>
      </Card>
    </Page>
  );
}
