import { Banner } from "@shopify/polaris";

/** What failed, why, and a way to try again. Rendered only while the query
 * is failing: it is gone as soon as the same query works again. */
export function ErrorBanner({ what, error, onRetry }: { what: string; error: Error | null; onRetry?: () => void }) {
  if (!error) return null;
  return (
    <Banner
      tone="critical"
      title={`${what} could not be loaded`}
      action={onRetry ? { content: "Try again", onAction: onRetry } : undefined}
    >
      <p>{error.message}</p>
    </Banner>
  );
}

/** A section whose service did not answer: the rest of the page still works. */
export function UnavailableBanner({ what }: { what: string }) {
  return (
    <Banner tone="warning" title={`${what} are unavailable right now`}>
      <p>The service that keeps them did not answer. Everything else on this page still works; reload to try again.</p>
    </Banner>
  );
}
