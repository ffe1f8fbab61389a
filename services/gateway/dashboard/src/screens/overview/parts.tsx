import { BlockStack, Card, InlineStack, Link, SkeletonBodyText, Text } from "@shopify/polaris";
import type { ReactNode } from "react";

import { UnavailableBanner } from "../../components/ErrorBanner";
import type { Overview } from "../../types";

export type Service = Overview["unavailable"][number];

/** What every part of the overview is given: the answer once it is there
 * (undefined while loading). */
export type PartProps = { overview: Overview | undefined };

type SectionProps = {
  title: string;
  subtitle?: string;
  link?: { url: string; label: string };
  /** The service the section's numbers come from, and what it shows. */
  service: Service;
  what: string;
  overview: Overview | undefined;
  skeletonLines?: number;
  children: (overview: Overview) => ReactNode;
};

/** A card of the overview: its heading, then skeleton lines while the answer
 * is on its way, a banner if its service did not answer, else its content. */
export function Section({ title, subtitle, link, service, what, overview, skeletonLines = 4, children }: SectionProps) {
  let body: ReactNode;
  if (!overview) body = <SkeletonBodyText lines={skeletonLines} />;
  else if (overview.unavailable.includes(service)) body = <UnavailableBanner what={what} />;
  else body = children(overview);
  return (
    <Card>
      <BlockStack gap="400">
        <InlineStack align="space-between" blockAlign="center" gap="200">
          <BlockStack gap="100">
            <Text as="h2" variant="headingMd">
              {title}
            </Text>
            {subtitle && (
              <Text as="p" variant="bodySm" tone="subdued">
                {subtitle}
              </Text>
            )}
          </BlockStack>
          {link && <Link url={link.url}>{link.label}</Link>}
        </InlineStack>
        {body}
      </BlockStack>
    </Card>
  );
}

/** A label and its number on one line. */
export function Stat({ label, value, id }: { label: string; value: ReactNode; id?: string }) {
  return (
    <InlineStack align="space-between" blockAlign="center" gap="200" wrap={false}>
      <Text as="span" id={id}>
        {label}
      </Text>
      <Text as="span" fontWeight="semibold" numeric>
        {value}
      </Text>
    </InlineStack>
  );
}

/** What an empty section says, with what to try next. */
export function Nothing({ children }: { children: ReactNode }) {
  return (
    <Text as="p" tone="subdued">
      {children}
    </Text>
  );
}
