// How the dashboard proves who it is: the one module that knows.
//
// Standalone, the merchant types an admin API key into the sign-in form
// once; POST /api/session trades it for an HttpOnly session cookie (no
// script can read it) and a CSRF token, which lives in this module's memory
// only and goes with every write. The key itself is never stored, nor put
// in a URL. A page loaded again asks GET /api/session whether its cookie
// still signs it in, and for the CSRF token.
//
// Embedded in the Shopify admin (`?embedded=1&host=…`), the gateway adds
// App Bridge to the page; every request then carries a fresh session token
// from `shopify.idToken()` as a Bearer header, and no cookie.
import { useSyncExternalStore } from "react";

// The shop's currency (ISO 4217) formats every amount of money the app shows.
type Who = { actor: string; shop: string; currency: string };

export type Session =
  | { status: "checking"; embedded: boolean }
  | { status: "signed-out"; embedded: boolean; notice: string | null }
  | ({ status: "signed-in"; embedded: boolean } & Who);

declare global {
  interface Window {
    shopify?: { idToken(): Promise<string> };
  }
}

const SESSION_ENDED = "Your session ended. Sign in again to continue.";
const TOKEN_REFUSED =
  "The session token from your Shopify admin was not accepted. Open the app again from your Shopify admin.";
const SIGNED_OUT = "You signed out.";
const UNREACHABLE = "The dashboard could not reach the server. Check the connection and try again.";
const UNSAFE = /^(POST|PUT|PATCH|DELETE)$/;
const CSRF_HEADER = "X-CSRF-Token";

function openedEmbedded(): boolean {
  const params = new URLSearchParams(window.location.search);
  return params.get("embedded") === "1" && params.has("host");
}

const embedded = openedEmbedded();
let csrfToken: string | null = null;
let snapshot: Session = { status: "checking", embedded };
const listeners = new Set<() => void>();

function become(session: Session) {
  snapshot = session;
  for (const listener of listeners) listener();
}

function signedOut(notice: string | null) {
  csrfToken = null;
  become({ status: "signed-out", embedded, notice });
}

/** fetch, authenticated: the session token when embedded (and no cookie),
 * the cookie otherwise, with the CSRF token on a write. A write refused for
 * a stale CSRF token (the cookie was renewed by signing in again in another
 * tab) is sent once more with the session's current token. */
export async function authenticatedFetch(url: string, init: RequestInit & { headers: Record<string, string> }) {
  if (embedded) {
    if (!window.shopify) throw new Error("Shopify App Bridge did not load: open the app from the Shopify admin.");
    const token = await window.shopify.idToken();
    return fetch(url, { ...init, credentials: "omit", headers: { ...init.headers, Authorization: `Bearer ${token}` } });
  }
  const unsafe = UNSAFE.test(init.method ?? "GET");
  const send = () =>
    fetch(url, {
      ...init,
      credentials: "same-origin",
      headers: unsafe && csrfToken ? { ...init.headers, [CSRF_HEADER]: csrfToken } : init.headers,
    });
  const response = await send();
  if (!unsafe || response.status !== 403) return response;
  const sent = csrfToken;
  await refresh();
  return csrfToken && csrfToken !== sent ? send() : response;
}

type SignedInAnswer = { actor: string; csrf_token: string | null; shop: { domain: string; currency: string } };

function signedIn(body: SignedInAnswer): Session {
  csrfToken = body.csrf_token;
  return { status: "signed-in", embedded, actor: body.actor, shop: body.shop.domain, currency: body.shop.currency };
}

/** Asks the gateway who this page acts as: signed in, or the form. */
async function refresh(): Promise<void> {
  let response: Response;
  try {
    response = await authenticatedFetch("/api/session", { headers: { Accept: "application/json" } });
  } catch (caught) {
    return signedOut(caught instanceof Error && embedded ? caught.message : UNREACHABLE);
  }
  // Not signed in: a page just opened shows the form plainly, one that was
  // signed in says its session ended.
  if (response.status === 401)
    return signedOut(embedded ? TOKEN_REFUSED : snapshot.status === "signed-in" ? SESSION_ENDED : null);
  if (!response.ok) return signedOut(`The server answered ${response.status}. Try again in a moment.`);
  become(signedIn(await response.json()));
}

/** Trades the key for a session cookie. A key the gateway does not take is
 * refused here, and the form says so. */
export async function signIn(key: string): Promise<void> {
  const response = await fetch("/api/session", {
    method: "POST",
    credentials: "same-origin",
    headers: { Accept: "application/json", "Content-Type": "application/json" },
    body: JSON.stringify({ key }),
  }).catch(() => {
    throw new Error(UNREACHABLE);
  });
  if (response.status === 401) throw new Error("This API key was not accepted. Check it and try again.");
  if (!response.ok) throw new Error(`The server answered ${response.status}. Try again.`);
  become(signedIn(await response.json()));
}

/** Ends the cookie session on the server, then shows the form. */
export async function signOut(): Promise<void> {
  await authenticatedFetch("/api/session", { method: "DELETE", headers: { Accept: "application/json" } }).catch(
    () => null,
  );
  signedOut(SIGNED_OUT);
}

/** An API call answered 401: the session expired, or its key was revoked
 * (embedded: Shopify's token was refused). */
export function sessionEnded(): void {
  if (snapshot.status === "signed-in") signedOut(embedded ? TOKEN_REFUSED : SESSION_ENDED);
}

export function useSession(): Session {
  return useSyncExternalStore(
    (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    () => snapshot,
  );
}

/** The signed-in shop's currency, for formatMoney. */
export function useShopCurrency(): string {
  const session = useSession();
  return session.status === "signed-in" ? session.currency : "USD";
}

/** Once, before the app renders: a `#key=…` from an old link is wiped
 * from the address bar (and history) unread, then the gateway is asked
 * whether this browser is already signed in. */
export function startSession(): void {
  if (/^#\/?key=/.test(window.location.hash)) {
    window.history.replaceState(null, "", window.location.pathname + window.location.search);
  }
  void refresh();
}
