import { BlockStack, Link, Text } from "@shopify/polaris";

import { encode } from "../api";

export const customerUrl = (customerId: string): string => `/customers/${encode(customerId)}`;

/** A customer, by email where the API gives it, linked to their detail. */
export function CustomerLink({ id, label }: { id: string; label?: string | null }) {
  return <Link url={customerUrl(id)}>{label || `Customer ${id}`}</Link>;
}

/** A customer as a person: their name linked to their detail, their email
 * under it; the email alone (or, last, the id) while no name is known. */
export function CustomerName({ id, name, email }: { id: string; name: string | null; email: string | null }) {
  if (!name) return <CustomerLink id={id} label={email} />;
  return (
    <BlockStack gap="050">
      <CustomerLink id={id} label={name} />
      {email && (
        <Text as="span" variant="bodySm" tone="subdued" breakWord>
          {email}
        </Text>
      )}
    </BlockStack>
  );
}

/** A reviewed product by its title; by its id only while no order or
 * submission has told its title. */
export const productName = (review: { product_id: string; product_title: string | null }): string =>
  review.product_title ?? `Product ${review.product_id}`;
