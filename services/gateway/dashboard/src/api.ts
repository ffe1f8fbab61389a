// The gateway's admin API over fetch: JSON in and out, its errors as
// ApiError (status, code, message, and a 422's field list).
import { authenticatedFetch, sessionEnded } from "./auth";

export type FieldError = { field: string | null; message: string };

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: unknown = null,
  ) {
    super(message);
  }

  /** A 422's `details`: one message per field ("vip_tiers.0.name"). */
  get fieldErrors(): FieldError[] {
    return Array.isArray(this.details) ? (this.details as FieldError[]) : [];
  }
}

export type Page<T> = { items: T[]; next_cursor: string | null };
export type Query = Record<string, string | number | null | undefined>;

function url(path: string, query?: Query): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query ?? {})) {
    if (value !== null && value !== undefined && value !== "") params.set(name, String(value));
  }
  const search = params.toString();
  return search ? `${path}?${search}` : path;
}

/** `json` is sent as JSON; `upload` as its own bytes (a file the merchant
 * chose), with the content type the API asks for. */
type Options = {
  query?: Query;
  json?: unknown;
  upload?: { body: Blob; contentType: string };
  idempotencyKey?: string;
};

function bodyOf(options: Options): BodyInit | undefined {
  if (options.upload) return options.upload.body;
  return options.json === undefined ? undefined : JSON.stringify(options.json);
}

export async function request(method: string, path: string, options: Options = {}): Promise<Response> {
  const headers: Record<string, string> = { Accept: "application/json" };
  if (options.json !== undefined) headers["Content-Type"] = "application/json";
  if (options.upload) headers["Content-Type"] = options.upload.contentType;
  if (options.idempotencyKey) headers["Idempotency-Key"] = options.idempotencyKey;
  let response: Response;
  try {
    response = await authenticatedFetch(url(path, options.query), {
      method,
      headers,
      body: bodyOf(options),
    });
  } catch {
    throw new ApiError(0, "network", "The server could not be reached. Check the connection and try again.");
  }
  if (response.ok) return response;
  const body = await response.json().catch(() => ({}));
  const error = body?.error ?? {};
  if (response.status === 401) sessionEnded();
  throw new ApiError(
    response.status,
    error.code ?? "http_error",
    error.message ?? `The server answered ${response.status} ${response.statusText}.`,
    error.details ?? null,
  );
}

export async function getJson<T>(path: string, query?: Query): Promise<T> {
  return (await request("GET", path, { query })).json() as Promise<T>;
}

export async function send<T>(method: string, path: string, options: Options = {}): Promise<T> {
  const response = await request(method, path, options);
  return (await response.json().catch(() => ({}))) as T;
}

/** Downloads a file the API serves (embedded, the session token is a
 * header, which can't ride on a plain link): fetch it, then save the blob under its name. */
export async function download(path: string, query: Query, fallbackName: string): Promise<void> {
  const response = await request("GET", path, { query });
  const named = /filename="?([^";]+)"?/.exec(response.headers.get("Content-Disposition") ?? "");
  const href = URL.createObjectURL(await response.blob());
  const link = document.createElement("a");
  link.href = href;
  link.download = named ? named[1] : fallbackName;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(href), 0);
}

/** A fresh Idempotency-Key: one per dialog opening, reused by its retries. */
export function newIdempotencyKey(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return "dash-" + Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

export const encode = encodeURIComponent;
