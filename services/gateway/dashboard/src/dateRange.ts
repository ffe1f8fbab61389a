// The date range the feeds and the overview share: a preset ("Last 30 days",
// the default) or two calendar days picked by the merchant, in their time zone.
import { formatLocalDay } from "./format";

export type Preset = { id: string; label: string; daysBack: number; untilToday?: boolean };

// "Last N days" is N calendar days with today the last of them, as the API's
// own default range counts them (docs/overview.md).
export const PRESETS: Preset[] = [
  { id: "today", label: "Today", daysBack: 0 },
  { id: "yesterday", label: "Yesterday", daysBack: 1, untilToday: true },
  { id: "last7", label: "Last 7 days", daysBack: 6 },
  { id: "last30", label: "Last 30 days", daysBack: 29 },
  { id: "last90", label: "Last 90 days", daysBack: 89 },
  { id: "last365", label: "Last 365 days", daysBack: 364 },
];

export type DateRange = {
  label: string;
  presetId: string | null;
  start: Date; // first day, local midnight
  end: Date | null; // last day (inclusive), or null for "up to now"
};

const startOfDay = (date: Date): Date => new Date(date.getFullYear(), date.getMonth(), date.getDate());
const addDays = (date: Date, days: number): Date =>
  new Date(date.getFullYear(), date.getMonth(), date.getDate() + days);

export function presetRange(id: string, today: Date = new Date()): DateRange {
  const preset = PRESETS.find((p) => p.id === id) ?? PRESETS[3];
  const start = addDays(startOfDay(today), -preset.daysBack);
  return { label: preset.label, presetId: preset.id, start, end: preset.untilToday ? start : null };
}

export function customRange(start: Date, end: Date): DateRange {
  const label = `${formatLocalDay(start)} – ${formatLocalDay(end)}`;
  return { label, presetId: null, start: startOfDay(start), end: startOfDay(end) };
}

/** `from`/`to` as the API takes them: up to now for a preset that runs to
 * today (the API's own default for `to`), else to the end of the last day. */
export function rangeQuery(range: DateRange): { from: string; to?: string } {
  const from = range.start.toISOString();
  return range.end ? { from, to: new Date(addDays(range.end, 1).getTime() - 1).toISOString() } : { from };
}

const calendarDate = (date: Date): string =>
  `${date.getFullYear()}-${String(date.getMonth() + 1).padStart(2, "0")}-${String(date.getDate()).padStart(2, "0")}`;

/** The overview's `from`/`to`: the range's first and last calendar days as
 * the merchant sees them (the API counts whole days, docs/overview.md). */
export function dayRangeQuery(range: DateRange, today: Date = new Date()): { from: string; to: string } {
  return { from: calendarDate(range.start), to: calendarDate(range.end ?? today) };
}

export const DEFAULT_RANGE_ID = "last30";
