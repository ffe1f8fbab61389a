import { Link } from "@shopify/polaris";

import { encode } from "../api";

export const customerUrl = (customerId: string): string => `/customers/${encode(customerId)}`;

/** A customer, by email where the API gives it, linked to their detail. */
export function CustomerLink({ id, label }: { id: string; label?: string | null }) {
  return <Link url={customerUrl(id)}>{label || `Customer ${id}`}</Link>;
}
