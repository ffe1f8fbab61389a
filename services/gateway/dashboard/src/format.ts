// Numbers, points, money and dates in the browser's own locale.

const locale = navigator.language || "en-US";
const integer = new Intl.NumberFormat(locale, { maximumFractionDigits: 0 });
const decimal = new Intl.NumberFormat(locale, { maximumFractionDigits: 4 });
const dateTime = new Intl.DateTimeFormat(locale, { dateStyle: "medium", timeStyle: "short" });
const calendarDay = new Intl.DateTimeFormat(locale, { dateStyle: "medium", timeZone: "UTC" });
const localDay = new Intl.DateTimeFormat(locale, { dateStyle: "medium" });
const relative = new Intl.RelativeTimeFormat(locale, { numeric: "auto" });

export const formatNumber = (value: number): string => integer.format(value);

export const formatDecimal = (value: string | number): string => decimal.format(Number(value));

/** "1,478 points", "1 point". */
export const formatPoints = (value: number): string =>
  `${integer.format(value)} ${Math.abs(value) === 1 ? "point" : "points"}`;

/** "+30", "−120", "0": a ledger movement. */
export const formatSignedPoints = (value: number): string =>
  value > 0 ? `+${integer.format(value)}` : value < 0 ? `−${integer.format(-value)}` : "0";

const moneyFormats = new Map<string, Intl.NumberFormat>();

function moneyFormat(currency: string): Intl.NumberFormat {
  let format = moneyFormats.get(currency);
  if (!format) {
    format = new Intl.NumberFormat(locale, { style: "currency", currency });
    moneyFormats.set(currency, format);
  }
  return format;
}

/** "$5.00", "5,00 €": an amount in the shop's currency (useShopCurrency),
 * written the browser's way. */
export const formatMoney = (value: string | number, currency: string): string =>
  moneyFormat(currency).format(Number(value));

/** "$", "€", "CHF": what an amount field puts before its number. */
export const currencySymbol = (currency: string): string =>
  moneyFormat(currency)
    .formatToParts(0)
    .find((part) => part.type === "currency")?.value ?? currency;

const rating = new Intl.NumberFormat(locale, { minimumFractionDigits: 1, maximumFractionDigits: 2 });

/** "4.0", "4.33": an average of stars. */
export const formatRating = (value: number): string => rating.format(value);

export const formatPercent = (value: string | number): string =>
  new Intl.NumberFormat(locale, { style: "percent", maximumFractionDigits: 2 }).format(Number(value) / 100);

/** "Nov 30, 2026, 5:38 PM". */
export const formatDateTime = (iso: string): string => dateTime.format(new Date(iso));

/** A calendar date ("2026-03-01") is the same day everywhere: shown in UTC,
 * or a merchant west of Greenwich would see the day before. */
export const formatCalendarDay = (day: string): string =>
  day.length === 10 ? calendarDay.format(new Date(`${day}T00:00:00Z`)) : localDay.format(new Date(day));

const shortDay = new Intl.DateTimeFormat(locale, { month: "short", day: "numeric", timeZone: "UTC" });

/** "Nov 30": a calendar date on a chart's axis. */
export const formatShortDay = (day: string): string => shortDay.format(new Date(`${day}T00:00:00Z`));

/** "40%": `part` of `whole`, none of nothing. */
export const formatShare = (part: number, whole: number): string =>
  new Intl.NumberFormat(locale, { style: "percent", maximumFractionDigits: 0 }).format(whole ? part / whole : 0);

export const formatLocalDay = (date: Date): string => localDay.format(date);

/** "Just now", "5 minutes ago", "3 hours ago", "yesterday"; past a week,
 * the date and time. */
export function formatRelative(iso: string, now: number = Date.now()): string {
  const seconds = Math.round((new Date(iso).getTime() - now) / 1000);
  const ago = Math.abs(seconds);
  if (ago < 60) return "Just now";
  if (ago < 3600) return relative.format(Math.round(seconds / 60), "minute");
  if (ago < 86400) return relative.format(Math.round(seconds / 3600), "hour");
  if (ago < 7 * 86400) return relative.format(Math.round(seconds / 86400), "day");
  return formatDateTime(iso);
}

/** Who did it, as the audit trail and the history name them. */
export function formatActor(actor: string | null): string {
  if (!actor || actor === "system") return "System";
  const key = /^api_key:(.*)@[^@]*$/.exec(actor);
  if (key) return `Admin (${key[1]})`;
  const staff = /^staff:(.*)$/.exec(actor);
  return staff ? `Staff member ${staff[1]}` : actor;
}

const bytes = new Intl.NumberFormat(locale, { style: "unit", unit: "byte", unitDisplay: "long" });
const kilobytes = new Intl.NumberFormat(locale, { style: "unit", unit: "kilobyte", maximumFractionDigits: 1 });
const megabytes = new Intl.NumberFormat(locale, { style: "unit", unit: "megabyte", maximumFractionDigits: 1 });

/** "22 bytes", "12.5 kB", "3.2 MB": the size of a file, counted in
 * 1,024s as the gateway's limit is (64 MB: 64 × 1,024 × 1,024 bytes). */
export function formatFileSize(size: number): string {
  if (size < 1024) return bytes.format(size);
  return size < 1024 * 1024 ? kilobytes.format(size / 1024) : megabytes.format(size / (1024 * 1024));
}

export const capitalize = (text: string): string => text.charAt(0).toUpperCase() + text.slice(1);
