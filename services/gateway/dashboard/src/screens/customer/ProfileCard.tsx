import { Badge, BlockStack, Card, InlineStack, Text } from "@shopify/polaris";
import type { ReactNode } from "react";

import { StatusBadge } from "../../components/badges";
import { formatCalendarDay, formatDateTime, formatPoints } from "../../format";
import type { Member } from "../../types";

export function ProfileCard({ customer }: { customer: Member }) {
  const tier = customer.vip_tier ? (
    <InlineStack gap="100" blockAlign="center">
      <span>{customer.vip_tier}</span>
      {customer.vip_tier_manual && <Badge size="small">Set by hand</Badge>}
    </InlineStack>
  ) : (
    "—"
  );
  return (
    <Card>
      <BlockStack gap="200">
        <Text as="h2" variant="headingMd">
          Profile
        </Text>
        {(
          [
            { term: "Email", description: customer.email ?? "—" },
            { term: "Name", description: customer.name ?? "—" },
            { term: "Birthday", description: customer.birthday ? formatCalendarDay(customer.birthday) : "—" },
            { term: "VIP tier", description: tier },
            { term: "Status", description: <StatusBadge status={customer.status} /> },
            { term: "Balance", description: formatPoints(customer.balance) },
            { term: "Pending", description: formatPoints(customer.pending_points) },
            { term: "Available", description: formatPoints(customer.available_points) },
            { term: "Lifetime earned", description: formatPoints(customer.lifetime_earned) },
            { term: "Lifetime redeemed", description: formatPoints(customer.lifetime_redeemed) },
            { term: "Member since", description: formatDateTime(customer.member_since) },
          ] as { term: string; description: ReactNode }[]
        ).map(({ term, description }) => (
          <InlineStack key={term} align="space-between" blockAlign="center" gap="200">
            <Text as="span" tone="subdued">
              {term}
            </Text>
            <Text as="span" alignment="end">
              {description}
            </Text>
          </InlineStack>
        ))}
      </BlockStack>
    </Card>
  );
}
