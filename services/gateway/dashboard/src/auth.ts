// How the dashboard proves who it is: the one module to change when the
// gateway's cookie sessions land (POST /api/session → HttpOnly cookie + a
// CSRF token header on writes; a Shopify session token when embedded).
//
// For now the merchant types their admin API key into the sign-in form; it
// is kept in sessionStorage (this tab only, gone when it closes) and sent as
// a Bearer header. It never goes into a URL.
import { useSyncExternalStore } from "react";

const STORAGE_KEY = "loyalty.adminKey";

type Session = { signedIn: boolean; notice: string | null };

let notice: string | null = null;
let snapshot: Session = read();
const listeners = new Set<() => void>();

function read(): Session {
  return { signedIn: Boolean(sessionStorage.getItem(STORAGE_KEY)), notice };
}

function changed() {
  snapshot = read();
  for (const listener of listeners) listener();
}

/** The headers that authenticate a request to /api. */
export function authHeaders(): Record<string, string> {
  const key = sessionStorage.getItem(STORAGE_KEY);
  return key ? { Authorization: `Bearer ${key}` } : {};
}

/** Checks the key against the API, then keeps it. A key the gateway does
 * not know is refused here, before any screen loads with it. */
export async function signIn(key: string): Promise<void> {
  const response = await fetch("/api/customers?limit=1", {
    headers: { Authorization: `Bearer ${key}` },
  }).catch(() => {
    throw new Error("The dashboard could not reach the server. Check the connection and try again.");
  });
  if (response.status === 401) throw new Error("This API key was not accepted. Check it and try again.");
  sessionStorage.setItem(STORAGE_KEY, key);
  notice = null;
  changed();
}

/** Forgets the key; `why` is shown on the sign-in form. */
export function signOut(why: string | null = null): void {
  sessionStorage.removeItem(STORAGE_KEY);
  notice = why;
  changed();
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
