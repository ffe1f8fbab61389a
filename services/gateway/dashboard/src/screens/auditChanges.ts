// What an audit entry changed, in the merchant's words: each field that
// differs, named as the screens name it, its values formatted as they are
// shown elsewhere (points, money in the shop's currency, days, tiers).
import {
  capitalize,
  formatCalendarDay,
  formatMoney,
  formatNumber,
  formatPercent,
  formatPoints,
  formatSignedPoints,
} from "../format";
import type { AuditEntry } from "../types";

// Ids say nothing to a merchant, and the entry's own date is its time.
const HIDDEN = new Set(["id", "activity_id", "reward_id", "import_id", "created_at"]);

const LABELS: Record<string, string> = {
  balance: "Balance",
  points: "Points",
  code: "Discount code",
  status: "Status",
  name: "Name",
  birthday: "Birthday",
  vip_tier: "VIP tier",
  kind: "Kind",
  value: "Value",
  points_cost: "Points cost",
  active: "Active",
  points_per_currency_unit: "Points per currency unit",
  rounding: "Rounding",
  pending_days: "Return window",
  expiry_days: "Points expire after",
  signup_points: "Sign-up bonus",
  birthday_points: "Birthday bonus",
  review_points: "Review",
  photo_review_bonus_points: "Photo review bonus",
  google_review_points: "Google review",
  referrer_reward_points: "Referrer reward",
  referee_coupon: "Welcome coupon",
  vip_tiers: "VIP tiers",
  file_name: "File",
  rows_done: "Rows imported",
  rows_failed: "Rows not imported",
};

const KINDS: Record<string, string> = {
  fixed_amount: "Fixed amount off",
  percentage: "Percentage off",
  free_shipping: "Free shipping",
};
const ROUNDING: Record<string, string> = { floor: "Round down", round: "Round to nearest", ceil: "Round up" };

type Fields = Record<string, unknown>;

function shown(key: string, value: unknown, whole: Fields, currency: string): string {
  if (value == null || value === "") {
    if (key === "expiry_days") return "never";
    return "none";
  }
  switch (key) {
    case "points": // a movement: "+5 points", "−120 points"
      return `${formatSignedPoints(Number(value))} ${Math.abs(Number(value)) === 1 ? "point" : "points"}`;
    case "balance":
    case "points_cost":
      return formatPoints(Number(value));
    case "pending_days":
    case "expiry_days":
      return `${formatNumber(Number(value))} ${Number(value) === 1 ? "day" : "days"}`;
    case "birthday":
      return formatCalendarDay(String(value));
    case "rows_done":
    case "rows_failed":
      return formatNumber(Number(value));
    case "status":
      return capitalize(String(value));
    case "kind":
      return KINDS[String(value)] ?? String(value);
    case "rounding":
      return ROUNDING[String(value)] ?? String(value);
    case "active":
      return value ? "Yes" : "No";
    case "points_per_currency_unit":
      return `${value} per ${formatMoney(1, currency)}`;
    case "value": // a reward's
      return whole.kind === "percentage" ? formatPercent(String(value)) : formatMoney(String(value), currency);
    case "referee_coupon": {
      const coupon = value as { type: string; value: string };
      return coupon.type === "percentage"
        ? `${formatPercent(coupon.value)} off`
        : `${formatMoney(coupon.value, currency)} off`;
    }
    case "vip_tiers": {
      const tiers = value as { name: string; threshold: number }[];
      return tiers.length ? tiers.map((t) => `${t.name} from ${formatPoints(t.threshold)}`).join(", ") : "none";
    }
  }
  if (key.endsWith("_points")) return formatPoints(Number(value));
  return typeof value === "object" ? JSON.stringify(value) : String(value);
}

/** "Balance: 15 points → 20 points", or "Name: $5 off" for what was new. */
export function auditChanges(entry: AuditEntry, currency: string): string[] {
  const before = (entry.before ?? {}) as Fields;
  const after = (entry.after ?? {}) as Fields;
  return [...new Set([...Object.keys(before), ...Object.keys(after)])]
    .filter((key) => !HIDDEN.has(key) && JSON.stringify(before[key]) !== JSON.stringify(after[key]))
    .map((key) => {
      const label = LABELS[key] ?? capitalize(key.replace(/_/g, " "));
      const now = shown(key, after[key], after, currency);
      return key in before ? `${label}: ${shown(key, before[key], before, currency)} → ${now}` : `${label}: ${now}`;
    });
}
