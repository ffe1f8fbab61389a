// The admin API's shapes, as docs/points.md and the services' schemas give them.

export type Activity = {
  id: number;
  customer_id: string;
  customer_email: string | null;
  customer_name: string | null;
  type: "earned" | "redeemed" | "refunded" | "expired" | "adjusted";
  action: string;
  points: number;
  balance_after: number;
  uncollected_points: number | null;
  actor: string | null;
  occurred_at: string;
  pending_until: string | null;
  reverses_activity_id: number | null;
};

export type Member = {
  customer_id: string;
  email: string | null;
  first_name: string | null;
  last_name: string | null;
  name: string | null;
  birthday: string | null;
  status: "active" | "excluded";
  vip_tier: string | null;
  vip_tier_manual: boolean;
  balance: number;
  pending_points: number;
  available_points: number;
  lifetime_earned: number;
  lifetime_redeemed: number;
  member_since: string;
  next_expiry: { points: number; date: string } | null;
};

export type ReferralStatus = "pending" | "completed" | "cancelled";

export type Referral = {
  id: string;
  code: string;
  referrer_customer_id: string;
  referrer_email: string | null;
  // The referrer, by email and name (SPEC §7 "People and products, not ids").
  customer_email: string | null;
  customer_name: string | null;
  referee_email: string;
  referee_customer_id: string | null;
  status: ReferralStatus;
  steps: {
    link_clicked_at: string | null;
    email_entered_at: string;
    coupon_issued_at: string;
    order_placed_at: string | null;
  };
  discount_code: string;
  discount_code_status: "active" | "used" | "voided";
  order_id: string | null;
  referrer_reward_points: number | null;
  occurred_at: string;
  completed_at: string | null;
  cancelled_at: string | null;
  role?: "referrer" | "referee";
};

export type ModerationStatus = "pending" | "approved" | "rejected";

// customer_email, customer_name and product_title: SPEC §7 ("People and
// products, not ids"); null where no event has told them yet.
export type Review = {
  id: string;
  customer_id: string;
  customer_email: string | null;
  customer_name: string | null;
  product_id: string;
  product_title: string | null;
  rating: number;
  title: string;
  body: string;
  media_urls: string[];
  status: ModerationStatus;
  reward_points: number | null;
  photo_bonus_points: number | null;
  occurred_at: string;
  moderated_at: string | null;
};

export type GoogleReview = {
  id: string;
  customer_id: string;
  customer_email: string | null;
  customer_name: string | null;
  review_url: string;
  status: ModerationStatus;
  reward_points: number | null;
  occurred_at: string;
  moderated_at: string | null;
};

export type CustomerDetail = {
  customer: Member;
  referrals: Referral[] | null;
  reviews: Review[] | null;
  google_reviews: GoogleReview[] | null;
  unavailable: string[];
};

export type RewardKind = "fixed_amount" | "percentage" | "free_shipping";

export type Reward = {
  id: number;
  name: string;
  kind: RewardKind;
  value: string | null;
  points_cost: number;
  active: boolean;
  created_at: string;
};

export type Redemption = { code: string; points_spent: number; reward: Reward; customer: Member };

export type VipTier = { name: string; threshold: number };

export type Program = {
  points_per_currency_unit: string;
  rounding: "floor" | "round" | "ceil";
  pending_days: number;
  expiry_days: number | null;
  signup_points: number;
  birthday_points: number;
  review_points: number;
  photo_review_bonus_points: number;
  google_review_points: number;
  referrer_reward_points: number;
  referee_coupon: { type: "fixed" | "percentage"; value: string };
  vip_tiers: VipTier[];
};

export type AuditEntry = {
  id: number;
  customer_id: string | null;
  customer_email: string | null;
  customer_name: string | null;
  actor: string;
  action: string;
  reason: string | null;
  before: unknown;
  after: unknown;
  occurred_at: string;
};

export type ByModeration = Record<ModerationStatus, number>;

/** GET /api/dashboard (SPEC §7 "Overview", docs/overview.md): a service that
 * did not answer is in `unavailable`, its totals null and its rows empty. */
export type Overview = {
  range: { from: string; to: string };
  totals: {
    points_earned: number | null;
    points_redeemed: number | null;
    points_refunded: number | null;
    points_expired: number | null;
    points_adjusted: number | null;
    active_members: number | null;
    new_members: number | null;
    outstanding_points: number | null;
    referrals: Record<ReferralStatus, number> | null;
    referral_points_rewarded: number | null;
    referral_link_clicks: number | null;
    reviews: ByModeration | null;
    review_points_rewarded: number | null;
    google_reviews: ByModeration | null;
    reviews_average_rating: number | null;
  };
  series: { date: string; earned: number | null; redeemed: number | null; expired: number | null }[];
  recent: { points: Activity[]; referrals: Referral[]; reviews: Review[]; google_reviews: GoogleReview[] };
  unavailable: ("points" | "referrals" | "reviews")[];
};

/** GET /api/webhook-subscriptions (docs/webhooks.md, shared/webhooks_api.py). */
export type WebhookStatus = "active" | "paused" | "disabled";

export type WebhookSubscription = {
  id: string;
  url: string;
  topics: string[];
  status: WebhookStatus;
  disabled_reason: string | null;
  failing_since: string | null;
  created_at: string;
};

/** POST /api/webhook-subscriptions: the signing secret is in this answer only. */
export type CreatedWebhookSubscription = WebhookSubscription & { signing_secret: string };

/** One POST to a subscription's URL (GET …/{id}/deliveries, newest first). */
export type DeliveryAttempt = {
  id: number;
  delivery_id: number;
  topic: string;
  event_id: string;
  attempt: number;
  attempted_at: string;
  outcome: "delivered" | "retrying" | "failed";
  status_code: number | null;
  duration_ms: number;
  error: string | null;
  next_retry_at: string | null;
};

/** GET /api/imports/{id} (SPEC §7 "Importing balances"): rows apply in the
 * background; `errors` holds the first 1,000 bad rows, `rows_failed` counts
 * them all. `row` is the line in the file (the header is line 1). */
export type ImportStatus = "running" | "done" | "failed";

export type PointsImportSummary = {
  id: string;
  status: ImportStatus;
  rows_total: number;
  rows_done: number;
  rows_failed: number;
  created_at: string;
  finished_at: string | null;
  file_name: string | null;
};

export type PointsImport = PointsImportSummary & { errors: { row: number; message: string }[] };
