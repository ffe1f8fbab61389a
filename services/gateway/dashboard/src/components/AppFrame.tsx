import { Frame, Navigation, TopBar } from "@shopify/polaris";
import {
  ClipboardCheckIcon,
  ConnectIcon,
  GiftCardIcon,
  HomeIcon,
  ImportIcon,
  LogoGoogleIcon,
  PersonIcon,
  PointOfSaleIcon,
  SettingsIcon,
  ShareIcon,
  StarIcon,
} from "@shopify/polaris-icons";
import { useState, type ReactNode } from "react";
import { useLocation } from "react-router";

import { signOut, type Session } from "../auth";
import { formatActor } from "../format";
import { ToastProvider } from "./Toasts";

const ACTIVITIES = [
  { url: "/", label: "Overview", icon: HomeIcon, exactMatch: true },
  { url: "/points", label: "Point activities", icon: PointOfSaleIcon },
  { url: "/referrals", label: "Referral activities", icon: ShareIcon },
  { url: "/reviews", label: "Review activities", icon: StarIcon },
  { url: "/google-reviews", label: "Google reviews", icon: LogoGoogleIcon },
];

const PROGRAM = [
  // The import is its own item: Polaris draws sub-items with data: images, which the page's policy blocks.
  { url: "/customers", label: "Customers", icon: PersonIcon, excludePaths: ["/customers/import"] },
  { url: "/customers/import", label: "Import balances", icon: ImportIcon },
  { url: "/rewards", label: "Rewards", icon: GiftCardIcon },
  { url: "/program", label: "Program settings", icon: SettingsIcon },
  { url: "/audit-log", label: "Audit log", icon: ClipboardCheckIcon },
  { url: "/webhooks", label: "Outbound webhooks", icon: ConnectIcon },
];

// Embedded, the Shopify admin signed the staff member in; signing out is its.
const SIGNED_IN_BY_SHOPIFY = { content: "Signed in through your Shopify admin", disabled: true };

type SignedIn = Extract<Session, { status: "signed-in" }>;

/** The app's chrome as a Shopify admin app has it: the navigation on the
 * left (a drawer behind the menu button on a phone), the account menu at
 * the top naming who is signed in (with Sign out, unless the Shopify admin
 * signed them in), toasts over everything. */
export function AppFrame({ session, children }: { session: SignedIn; children: ReactNode }) {
  const { pathname } = useLocation();
  const [navigationOpen, setNavigationOpen] = useState(false);
  const [menuOpen, setMenuOpen] = useState(false);
  const closeNavigation = () => setNavigationOpen(false);
  const who = formatActor(session.actor);

  const topBar = (
    <TopBar
      showNavigationToggle
      onNavigationToggle={() => setNavigationOpen((open) => !open)}
      userMenu={
        <TopBar.UserMenu
          name={who}
          detail={session.shop}
          initials={who.charAt(0).toUpperCase()}
          open={menuOpen}
          onToggle={() => setMenuOpen((open) => !open)}
          actions={[{ items: [session.embedded ? SIGNED_IN_BY_SHOPIFY : { content: "Sign out", onAction: signOut }] }]}
        />
      }
    />
  );
  const navigation = (
    <Navigation location={pathname}>
      <Navigation.Section
        title="Activities"
        items={ACTIVITIES.map((item) => ({ ...item, onClick: closeNavigation }))}
      />
      <Navigation.Section
        title="Loyalty program"
        items={PROGRAM.map((item) => ({ ...item, onClick: closeNavigation }))}
        separator
      />
    </Navigation>
  );
  return (
    <Frame
      topBar={topBar}
      navigation={navigation}
      showMobileNavigation={navigationOpen}
      onNavigationDismiss={closeNavigation}
    >
      <ToastProvider>{children}</ToastProvider>
    </Frame>
  );
}
