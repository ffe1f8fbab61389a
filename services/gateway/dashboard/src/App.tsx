import { AppProvider, type AppProviderProps } from "@shopify/polaris";
import en from "@shopify/polaris/locales/en.json";
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import { HashRouter, Link, Route, Routes } from "react-router";

import { ApiError } from "./api";
import { useSession } from "./auth";
import { AppFrame } from "./components/AppFrame";
import { DateRangeProvider } from "./components/DateRangeContext";
import { AuditLog } from "./screens/AuditLog";
import { CustomerDetail } from "./screens/customer/CustomerDetail";
import { Customers } from "./screens/Customers";
import { GoogleReviews } from "./screens/GoogleReviews";
import { ImportBalances } from "./screens/imports/ImportBalances";
import { NotFound } from "./screens/NotFound";
import { Overview } from "./screens/Overview";
import { PointActivities } from "./screens/PointActivities";
import { ProgramSettings } from "./screens/ProgramSettings";
import { ReferralActivities } from "./screens/ReferralActivities";
import { ReviewActivities } from "./screens/ReviewActivities";
import { Rewards } from "./screens/Rewards";
import { DeliveryLog } from "./screens/webhooks/DeliveryLog";
import { Webhooks } from "./screens/webhooks/Webhooks";
import { CheckingSession, EmbeddedSignInFailed, SignIn } from "./screens/SignIn";

/** Polaris links (Link, Navigation, Page actions) go through the router;
 * links out of the app open in a new tab. */
type LinkProps = React.ComponentProps<NonNullable<AppProviderProps["linkComponent"]>>;

function RouterLink({ url, children, external, ref: _ref, ...rest }: LinkProps) {
  if (external || /^https?:/.test(url)) {
    return (
      <a {...rest} href={url} target="_blank" rel="noopener noreferrer">
        {children}
      </a>
    );
  }
  return (
    <Link {...(rest as object)} to={url}>
      {children}
    </Link>
  );
}

function newQueryClient(): QueryClient {
  return new QueryClient({
    defaultOptions: {
      queries: {
        // The server answered: asking again at once would answer the same.
        // Only a request that never reached it is tried once more.
        retry: (failures, error) => error instanceof ApiError && error.status === 0 && failures < 1,
        refetchOnWindowFocus: false,
        staleTime: 10_000,
      },
    },
  });
}

function Screens() {
  return (
    <Routes>
      <Route path="/" element={<Overview />} />
      <Route path="/points" element={<PointActivities />} />
      <Route path="/referrals" element={<ReferralActivities />} />
      <Route path="/reviews" element={<ReviewActivities />} />
      <Route path="/google-reviews" element={<GoogleReviews />} />
      <Route path="/customers" element={<Customers />} />
      <Route path="/customers/import" element={<ImportBalances />} />
      <Route path="/customers/import/:importId" element={<ImportBalances />} />
      <Route path="/customers/:customerId" element={<CustomerDetail />} />
      <Route path="/rewards" element={<Rewards />} />
      <Route path="/program" element={<ProgramSettings />} />
      <Route path="/audit-log" element={<AuditLog />} />
      <Route path="/webhooks" element={<Webhooks />} />
      <Route path="/webhooks/:subscriptionId" element={<DeliveryLog />} />
      <Route path="*" element={<NotFound />} />
    </Routes>
  );
}

export function App() {
  const session = useSession();
  const signedIn = session.status === "signed-in";
  const [queries, setQueries] = useState(newQueryClient);
  // Nothing one merchant loaded outlives their session.
  useEffect(() => {
    if (!signedIn) setQueries(newQueryClient());
  }, [signedIn]);
  let shown;
  if (session.status === "checking") shown = <CheckingSession />;
  else if (session.status === "signed-out")
    shown = session.embedded ? <EmbeddedSignInFailed notice={session.notice} /> : <SignIn notice={session.notice} />;
  else
    shown = (
      <QueryClientProvider client={queries}>
        <DateRangeProvider>
          <AppFrame session={session}>
            <Screens />
          </AppFrame>
        </DateRangeProvider>
      </QueryClientProvider>
    );
  return (
    <HashRouter>
      <AppProvider i18n={en} linkComponent={RouterLink}>
        {shown}
      </AppProvider>
    </HashRouter>
  );
}
