import { BlockStack, InlineStack, Page, type PageProps } from "@shopify/polaris";
import type { ReactNode } from "react";

import { DateRangePicker } from "./DateRangePicker";

/** A screen of dated activity: its title, the shared date range, the list. */
export function FeedPage({
  title,
  subtitle,
  secondaryActions,
  children,
}: Pick<PageProps, "title" | "subtitle" | "secondaryActions"> & { children: ReactNode }) {
  return (
    <Page
      title={title}
      subtitle={subtitle}
      backAction={{ content: "Overview", url: "/" }}
      secondaryActions={secondaryActions}
    >
      <BlockStack gap="400">
        <InlineStack>
          <DateRangePicker />
        </InlineStack>
        {children}
      </BlockStack>
    </Page>
  );
}
