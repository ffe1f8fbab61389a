// The merchant's dashboard: plain JavaScript against the gateway's /api.
// Everything user-supplied is rendered with textContent, never innerHTML.
"use strict";

const HISTORY_PAGE_SIZE = 25;
const state = { range: { days: 30 }, pointsType: "all", pointsQ: "", cursors: {}, customersQ: "" };
// The customer on screen; `loads` counts loads so a slow answer for a
// customer the merchant already left is dropped instead of drawn.
const detail = { id: null, customer: null, historyCursor: null, reversedIds: new Set(), loads: 0 };

// How the page proves who it acts for. No secret is ever kept by the page
// or put in a URL:
// - embedded in the Shopify admin, each request carries a fresh session
//   token from App Bridge (`shopify.idToken()`) as its Bearer;
// - standalone, a key typed once into the sign-in form is traded for an
//   HttpOnly session cookie (the browser sends it; no script can read it),
//   and every write carries the session's CSRF token, held here in memory
//   (a page loaded again asks GET /api/session for it).
const auth = { embedded: false, signedIn: false, csrf: null, actor: null };
const SAFE_METHODS = new Set(["GET", "HEAD"]);

// The Shopify admin opens the app's URL with ?embedded=1 (and shop, host);
// the gateway then serves the page with App Bridge, whose global `shopify`
// hands out session tokens. Both must hold: a stray ?embedded=1 on a page
// without App Bridge is the standalone dashboard.
function isEmbedded() {
  return new URLSearchParams(location.search).get("embedded") === "1"
    && typeof window.shopify?.idToken === "function";
}

async function credentialHeaders(method) {
  if (auth.embedded) return { Authorization: "Bearer " + await window.shopify.idToken() };
  return SAFE_METHODS.has(method) ? {} : { "X-CSRF-Token": auth.csrf };
}

// An error answered by the API: its message and, for a 422, which fields.
class ApiError extends Error {
  constructor(status, error) {
    super(error.message || "request failed (" + status + ")");
    this.status = status;
    this.code = error.code;
    this.details = error.details;
  }
}

function apiUrl(path, query) {
  const url = new URL(path, location.origin);
  for (const [k, v] of Object.entries(query || {})) if (v !== "" && v != null) url.searchParams.set(k, v);
  return url;
}

async function authorizedFetch(method, path, { query, json, headers } = {}) {
  const init = { method, credentials: "same-origin", headers: { ...await credentialHeaders(method), ...headers } };
  if (json !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(json);
  }
  let response;
  try {
    response = await fetch(apiUrl(path, query), init);
  } catch {
    throw new ApiError(0, { message: "The dashboard could not reach the server. Check the connection and try again." });
  }
  if (response.status === 401) { signedOut("Your session has ended. Sign in again."); throw new ApiError(401, {}); }
  if (!response.ok) {
    const body = await response.json().catch(() => ({}));
    throw new ApiError(response.status, body.error || { message: response.statusText });
  }
  return response;
}

async function api(method, path, options) {
  const response = await authorizedFetch(method, path, options);
  return response.json().catch(() => ({}));
}

// One key per dialog opening: a double click or a retry of the same
// adjustment or redemption reaches the API with the same key and takes effect
// once. getRandomValues works on plain http too, unlike randomUUID.
function newIdempotencyKey() {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return "dash-" + Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

function rangeParams() {
  if (state.range.from) return { from: state.range.from, to: state.range.to };
  const to = new Date();
  const from = new Date(to.getTime() - state.range.days * 86400000);
  return { from: from.toISOString(), to: to.toISOString() };
}

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "class") node.className = v;
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v);
  }
  for (const child of children) if (child != null) node.append(child instanceof Node ? child : String(child));
  return node;
}

const fmtDate = (iso) => iso ? new Date(iso).toLocaleString() : "";
// A calendar date ("2026-03-01") is the same day everywhere: format it in UTC,
// or a merchant west of Greenwich would see the day before.
const fmtDay = (value) => !value ? "" : value.length === 10
  ? new Date(value + "T00:00:00Z").toLocaleDateString(undefined, { timeZone: "UTC" })
  : new Date(value).toLocaleDateString();
const signed = (n) => el("span", { class: n >= 0 ? "plus" : "minus" }, (n > 0 ? "+" : "") + n);
const badge = (text, kind) => el("span", { class: "badge " + (kind || text) }, text);
const customerLink = (id, label) => el("a", { href: "#/customers/" + encodeURIComponent(id) }, label || id);
const statusBadge = (status) => status === "excluded" ? badge("Excluded", "excluded") : badge("Active", "active");
const orDash = (value) => value == null ? "—" : value;

const REFERRAL_STEPS = [["link_clicked_at", "Link clicked"], ["email_entered_at", "Email entered"],
                        ["coupon_issued_at", "Coupon issued"], ["order_placed_at", "Order placed"]];
// The steps a referral reached, each with when.
function referralSteps(r) {
  const steps = el("ul", { class: "steps" });
  for (const [key, label] of REFERRAL_STEPS) {
    if (r.steps && r.steps[key]) steps.append(el("li", {}, label + " · " + fmtDate(r.steps[key])));
  }
  return steps;
}
const referralCode = (r) => [r.discount_code || "", " ", r.discount_code ? badge(r.discount_code_status) : null];
// A review's reward, with points' separate photo bonus beneath it.
const reviewReward = (r) => [orDash(r.reward_points),
  r.photo_bonus_points ? el("div", { class: "note" }, "+" + r.photo_bonus_points + " photo bonus") : null];
const googleReviewLink = (g) => el("a", { href: g.review_url, rel: "noopener noreferrer", target: "_blank" }, "Open");

function actorLabel(actor) {
  if (!actor || actor === "system") return "System";
  const key = actor.match(/^api_key:(.*)@[^@]*$/);
  return key ? "Admin (" + key[1] + ")" : actor;
}

function say(message) { document.getElementById("status").textContent = message || ""; }

// Shows an API error in a form's .form-error box: its message, then one line
// per field for a 422's list of {field, message} (other details are ids the
// merchant already sees); `null` clears it.
function showError(form, error) {
  const box = form.querySelector(".form-error");
  box.replaceChildren();
  box.hidden = !error;
  if (!error) return;
  box.append(el("p", {}, error.message));
  if (Array.isArray(error.details) && error.details.length) {
    box.append(el("ul", {}, ...error.details.map((d) => el("li", {}, d.field ? d.field + ": " + d.message : d.message))));
  }
}

// Opens a modal dialog whose primary button runs `action(form)`. The dialog
// stays open, showing the API's error, until the action succeeds; the action
// returns true to stay open on success too (to show a result).
function runDialog(dialog, action) {
  const form = dialog.querySelector("form");
  const submit = form.querySelector('button[value="ok"]');
  showError(form, null);
  submit.disabled = false;
  form.onsubmit = async (event) => {
    event.preventDefault();
    if (submit.disabled) return;
    submit.disabled = true;
    showError(form, null);
    let keepOpen = false;
    try {
      keepOpen = await action(form);
      if (!keepOpen) dialog.close("ok");
    } catch (e) {
      showError(form, e);
    } finally {
      submit.disabled = keepOpen;
    }
  };
  dialog.showModal();
}

// A yes/no question whose "yes" runs `action(reason)`; `reason` asks for an
// optional reason as well.
function confirmAction({ text, ok, cancel, reason, action }) {
  const dialog = document.getElementById("confirm");
  document.getElementById("confirm-text").textContent = text;
  document.getElementById("confirm-ok").textContent = ok;
  document.getElementById("confirm-cancel").textContent = cancel;
  document.getElementById("confirm-reason-label").hidden = !reason;
  const reasonInput = document.getElementById("confirm-reason");
  reasonInput.value = "";
  runDialog(dialog, () => action(reason ? reasonInput.value.trim() || undefined : undefined));
}

// ---- feeds ---------------------------------------------------------------

function pointsParams() { return { type: state.pointsType, q: state.pointsQ }; }

const FEEDS = {
  points: {
    path: "/api/activities/points",
    params: pointsParams,
    row: (a) => el("tr", { "data-id": a.id },
      el("td", {}, customerLink(a.customer_id, a.customer_email || a.customer_id)),
      el("td", {}, a.action, " ", a.type === "adjusted" ? badge("Adjusted", "adjusted") : null),
      el("td", { class: "num" }, signed(a.points)),
      el("td", { class: "num" }, a.balance_after),
      el("td", {}, fmtDate(a.occurred_at))),
  },
  referrals: {
    path: "/api/activities/referrals",
    params: () => ({ status: document.getElementById("referrals-status").value }),
    row: (r) => {
      const action = r.status === "cancelled" ? el("td", {}) : el("td", {},
        el("button", { type: "button", class: "danger row-action", "data-referral": r.id,
                       onclick: () => cancelReferral(r) }, "Cancel referral"));
      return el("tr", { "data-id": r.id },
        el("td", {}, customerLink(r.referrer_customer_id, r.referrer_email || r.referrer_customer_id)),
        el("td", {}, r.referee_email),
        el("td", {}, badge(r.status)),
        el("td", {}, referralSteps(r)),
        el("td", {}, ...referralCode(r)),
        el("td", { class: "num" }, orDash(r.referrer_reward_points)),
        el("td", {}, fmtDate(r.occurred_at)),
        action);
    },
  },
  reviews: {
    path: "/api/activities/reviews",
    params: () => ({ status: document.getElementById("reviews-status").value }),
    row: (r) => el("tr", { "data-id": r.id },
      el("td", {}, customerLink(r.customer_id)),
      el("td", {}, r.product_id),
      el("td", {}, "★".repeat(r.rating)),
      el("td", {}, el("strong", {}, r.title || ""), el("div", {}, r.body || "")),
      el("td", {}, badge(r.status)),
      el("td", { class: "num" }, ...reviewReward(r)),
      el("td", {}, fmtDate(r.occurred_at)),
      moderationButtons("/api/reviews/", r, "reviews")),
  },
  "google-reviews": {
    path: "/api/activities/google-reviews",
    params: () => ({}),
    row: (g) => el("tr", { "data-id": g.id },
      el("td", {}, customerLink(g.customer_id)),
      el("td", {}, googleReviewLink(g)),
      el("td", {}, badge(g.status)),
      el("td", { class: "num" }, orDash(g.reward_points)),
      el("td", {}, fmtDate(g.occurred_at)),
      moderationButtons("/api/google-reviews/", g, "google-reviews")),
  },
};

function moderationButtons(base, item, feed) {
  if (item.status !== "pending") return el("td", {});
  const act = (verb) => async () => {
    try { await api("POST", base + encodeURIComponent(item.id) + "/" + verb); loadFeed(feed, true); }
    catch (e) { say(e.message); }
  };
  return el("td", {}, el("button", { type: "button", onclick: act("approve") }, "Approve"), " ",
                     el("button", { type: "button", onclick: act("reject") }, "Reject"));
}

// The latest load of each list: a slower answer to an earlier filter (a
// quick "All" then "Search") must not land on top of the newer one.
const listLoads = {};
const startLoad = (name) => (listLoads[name] = (listLoads[name] || 0) + 1);
const isLatest = (name, load) => listLoads[name] === load;

async function loadFeed(name, reset) {
  const feed = FEEDS[name];
  const tbody = document.querySelector(`#${name}-table tbody`);
  const more = document.querySelector(`[data-more="${name}"]`);
  const load = startLoad(name);
  const cursor = reset ? null : state.cursors[name];
  try {
    const page = await api("GET", feed.path, { query: { ...rangeParams(), ...feed.params(), cursor } });
    if (!isLatest(name, load)) return;
    if (reset) tbody.replaceChildren();
    for (const item of page.items) tbody.append(feed.row(item));
    if (!tbody.children.length) tbody.append(el("tr", {}, el("td", { colspan: 8, class: "empty" }, "No activity in this period.")));
    state.cursors[name] = page.next_cursor;
    more.hidden = !page.next_cursor;
    say("");
  } catch (e) { if (isLatest(name, load)) say(e.message); }
}

function cancelReferral(referral) {
  confirmAction({
    text: referral.status === "pending"
      ? `Cancel ${referral.referee_email}'s pending referral? Their discount code will be voided and can't be used, and the referrer will not be rewarded for this referral.`
      : `Cancel ${referral.referee_email}'s completed referral? Their unused discount codes will be voided. Points already earned stay.`,
    ok: "Cancel referral", cancel: "Keep referral",
    action: async () => {
      await api("POST", `/api/referrals/${encodeURIComponent(referral.id)}/cancel`);
      loadFeed("referrals", true);
    },
  });
}

// The CSV of the point activities as filtered on screen. The key travels in
// a header, which a plain link can't send: fetch it, then save the Blob.
async function exportPointsCsv() {
  const button = document.getElementById("points-export");
  button.disabled = true;
  try {
    const response = await authorizedFetch("GET", "/api/activities/points.csv", { query: { ...rangeParams(), ...pointsParams() } });
    const name = (response.headers.get("Content-Disposition") || "").match(/filename="?([^";]+)"?/);
    const url = URL.createObjectURL(await response.blob());
    const link = el("a", { href: url, download: name ? name[1] : "point-activities.csv" });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 0);
    say("");
  } catch (e) { say(e.message); }
  finally { button.disabled = false; }
}

// ---- overview ----------------------------------------------------------------

async function loadOverview() {
  const panels = {
    points: (a) => `${a.customer_email || a.customer_id}: ${a.action} (${a.points > 0 ? "+" : ""}${a.points})`,
    referrals: (r) => `${r.referee_email} · ${r.status}`,
    reviews: (r) => `${"★".repeat(r.rating)} ${r.title || ""} · ${r.status}`,
    "google-reviews": (g) => `${g.customer_id} · ${g.status}`,
  };
  // The four panels load in parallel.
  await Promise.all(Object.entries(panels).map(async ([name, line]) => {
    const list = document.querySelector(`[data-panel="${name}"] ul`);
    try {
      const page = await api("GET", FEEDS[name].path, { query: { ...rangeParams(), limit: 5 } });
      list.replaceChildren(...(page.items.length ? page.items.map((i) => el("li", {}, line(i)))
                                                 : [el("li", { class: "empty" }, "Nothing yet.")]));
    } catch (e) { list.replaceChildren(el("li", { class: "empty" }, e.message)); }
  }));
}

// ---- customers list ------------------------------------------------------------

async function loadCustomers(reset) {
  const tbody = document.querySelector("#customers-table tbody");
  const more = document.getElementById("customers-more");
  const load = startLoad("customers");
  const cursor = reset ? null : state.cursors.customers;
  try {
    const page = await api("GET", "/api/customers", { query: { q: state.customersQ, cursor } });
    if (!isLatest("customers", load)) return;
    if (reset) tbody.replaceChildren();
    for (const c of page.items) {
      tbody.append(el("tr", { "data-id": c.customer_id },
        el("td", {}, customerLink(c.customer_id, c.email || c.customer_id)),
        el("td", {}, c.name || ""),
        el("td", {}, statusBadge(c.status)),
        el("td", {}, c.vip_tier || "—"),
        el("td", { class: "num" }, c.balance),
        el("td", {}, fmtDay(c.member_since))));
    }
    if (!tbody.children.length) {
      tbody.append(el("tr", {}, el("td", { colspan: 6, class: "empty" }, state.customersQ ? "No customer matches." : "No customers yet.")));
    }
    state.cursors.customers = page.next_cursor;
    more.hidden = !page.next_cursor;
    say("");
  } catch (e) { if (isLatest("customers", load)) say(e.message); }
}

// ---- customer detail -------------------------------------------------------------

function renderProfile(customer) {
  document.getElementById("customer-title").textContent = customer.name || customer.email || customer.customer_id;
  document.getElementById("customer-status").replaceChildren(statusBadge(customer.status));
  document.getElementById("toggle-exclusion").textContent =
    customer.status === "excluded" ? "Re-include in program" : "Exclude from program";

  const tier = customer.vip_tier
    ? [customer.vip_tier, customer.vip_tier_manual ? el("span", { class: "marker" }, " (set by hand)") : null]
    : ["—"];
  const fields = [
    ["Email", customer.email], ["Name", customer.name], ["Birthday", fmtDay(customer.birthday)],
    ["VIP tier", tier], ["Status", statusBadge(customer.status)],
    ["Balance", customer.balance], ["Pending", customer.pending_points], ["Available", customer.available_points],
    ["Lifetime earned", customer.lifetime_earned], ["Lifetime redeemed", customer.lifetime_redeemed],
    ["Member since", fmtDate(customer.member_since)],
  ];
  const profile = document.getElementById("customer-profile");
  profile.replaceChildren();
  for (const [label, value] of fields) {
    const shown = Array.isArray(value) ? value : [value === "" || value == null ? "—" : value];
    profile.append(el("dt", {}, label), el("dd", { "data-field": label }, ...shown));
  }

  const expiry = document.getElementById("customer-expiry");
  expiry.hidden = !customer.next_expiry;
  expiry.textContent = customer.next_expiry
    ? `${customer.next_expiry.points} points expire on ${fmtDay(customer.next_expiry.date)}` : "";
}

function historyRow(a) {
  const notes = [];
  // The row keeps its window's end; it only matters while it is ahead.
  if (a.pending_until && new Date(a.pending_until) > new Date()) {
    notes.push(el("div", { class: "note" }, "Pending until " + fmtDate(a.pending_until)));
  }
  if (a.uncollected_points) notes.push(el("div", { class: "note" }, a.uncollected_points + " points could not be taken back"));
  const reversible = a.points !== 0 && !a.reverses_activity_id && !detail.reversedIds.has(a.id);
  return el("tr", { "data-id": a.id },
    el("td", {}, a.action, ...notes),
    el("td", { class: "num" }, signed(a.points)),
    el("td", { class: "num" }, a.balance_after),
    el("td", {}, fmtDate(a.occurred_at)),
    el("td", { title: a.actor || "" }, actorLabel(a.actor)),
    el("td", {}, reversible
      ? el("button", { type: "button", class: "row-action", onclick: () => reverseActivity(a) }, "Reverse")
      : null));
}

async function loadHistory(reset) {
  const tbody = document.querySelector("#customer-history tbody");
  const more = document.getElementById("history-more");
  const load = detail.loads;
  if (reset) detail.historyCursor = null;
  const page = await api("GET", `/api/customers/${encodeURIComponent(detail.id)}/activities`,
                         { query: { cursor: detail.historyCursor, limit: HISTORY_PAGE_SIZE } });
  if (load !== detail.loads) return;
  if (reset) { tbody.replaceChildren(); detail.reversedIds.clear(); }
  // Newest first: a reversal is listed before the row it reverses.
  for (const a of page.items) {
    if (a.reverses_activity_id) detail.reversedIds.add(a.reverses_activity_id);
    tbody.append(historyRow(a));
  }
  if (!tbody.children.length) tbody.append(el("tr", {}, el("td", { colspan: 6, class: "empty" }, "No points history yet.")));
  detail.historyCursor = page.next_cursor;
  more.hidden = !page.next_cursor;
}

const ROLES = { referrer: "Referrer", referee: "Referee" };

function customerReferralRow(r) {
  // The other party: the friend they referred (a customer once their order
  // completed it), or the member who referred them.
  const other = r.role === "referrer"
    ? (r.referee_customer_id ? customerLink(r.referee_customer_id, r.referee_email) : r.referee_email)
    : customerLink(r.referrer_customer_id, r.referrer_email || r.referrer_customer_id);
  return el("tr", { "data-id": r.id, "data-role": r.role },
    el("td", {}, ROLES[r.role]),
    el("td", {}, other),
    el("td", {}, badge(r.status)),
    el("td", {}, referralSteps(r)),
    el("td", {}, ...referralCode(r)),
    el("td", { class: "num" }, orDash(r.referrer_reward_points)),
    el("td", {}, fmtDate(r.occurred_at)));
}

const customerReviewRow = (r) => el("tr", { "data-id": r.id },
  el("td", {}, r.product_id),
  el("td", {}, "★".repeat(r.rating)),
  el("td", {}, el("strong", {}, r.title || "")),
  el("td", {}, badge(r.status)),
  el("td", { class: "num" }, ...reviewReward(r)),
  el("td", {}, fmtDate(r.occurred_at)));

const customerGoogleReviewRow = (g) => el("tr", { "data-id": g.id },
  el("td", {}, googleReviewLink(g)),
  el("td", {}, badge(g.status)),
  el("td", { class: "num" }, orDash(g.reward_points)),
  el("td", {}, fmtDate(g.occurred_at)));

// Fills a detail table with one row per item, or one line saying there are
// none (or that the service behind them did not answer: `items` is null).
function fillTable(id, items, row, empty) {
  const columns = document.querySelectorAll(`#${id} thead th`).length;
  const line = (text) => [el("tr", {}, el("td", { colspan: columns, class: "empty" }, text))];
  document.querySelector(`#${id} tbody`).replaceChildren(...(items == null
    ? line("Not available right now; reload to try again.")
    : items.length ? items.map(row) : line(empty)));
}

function renderReferralsAndReviews({ referrals, reviews, google_reviews }) {
  fillTable("customer-referrals", referrals, customerReferralRow, "No referrals yet.");
  fillTable("customer-reviews", reviews, customerReviewRow, "No reviews yet.");
  fillTable("customer-google-reviews", google_reviews, customerGoogleReviewRow, "No Google reviews yet.");
}

// Loads (or reloads, after an action) the profile, the first page of
// history, and the customer's referrals and reviews.
async function loadCustomer(customerId) {
  if (customerId !== detail.id) {
    detail.id = customerId;
    detail.customer = null;
    document.getElementById("customer-title").textContent = "Customer";
    document.getElementById("customer-status").replaceChildren();
    document.getElementById("customer-profile").replaceChildren();
    document.getElementById("customer-expiry").hidden = true;
    for (const id of ["customer-history", "customer-referrals", "customer-reviews", "customer-google-reviews"]) {
      document.querySelector(`#${id} tbody`).replaceChildren();
    }
    document.getElementById("history-more").hidden = true;
  }
  const load = ++detail.loads;
  try {
    const [found] = await Promise.all([
      api("GET", "/api/customers/" + encodeURIComponent(customerId)), loadHistory(true)]);
    if (load !== detail.loads) return;
    detail.customer = found.customer;
    renderProfile(found.customer);
    renderReferralsAndReviews(found);
    say("");
  } catch (e) { if (load === detail.loads) say(e.message); }
}

const customerPath = (suffix) => "/api/customers/" + encodeURIComponent(detail.id) + (suffix || "");

function openAdjust() {
  const dialog = document.getElementById("adjust-dialog");
  const form = dialog.querySelector("form");
  form.reset();
  const idempotencyKey = newIdempotencyKey();
  runDialog(dialog, async () => {
    await api("POST", customerPath("/points-adjustments"), {
      json: { points: Number(form.points.value), reason: form.reason.value.trim() },
      headers: { "Idempotency-Key": idempotencyKey },
    });
    await loadCustomer(detail.id);
  });
  form.points.focus();
}

async function openRedeem() {
  const dialog = document.getElementById("redeem-dialog");
  const form = dialog.querySelector("form");
  const select = form.reward_id;
  const result = document.getElementById("redeem-result");
  const submit = document.getElementById("redeem-submit");
  result.hidden = true;
  select.disabled = false;
  submit.hidden = false;
  select.replaceChildren(el("option", { value: "" }, "Loading rewards…"));
  document.getElementById("redeem-available").textContent = detail.customer
    ? `${detail.customer.available_points} points available to spend.` : "";
  const idempotencyKey = newIdempotencyKey();
  const rewards = new Map();
  runDialog(dialog, async () => {
    const reward = rewards.get(select.value);
    const redemption = await api("POST", customerPath("/redemptions"), {
      json: { reward_id: reward.id }, headers: { "Idempotency-Key": idempotencyKey } });
    document.getElementById("redeem-code").textContent = redemption.code;
    document.getElementById("redeem-spent").textContent =
      `${redemption.points_spent} points spent on ${redemption.reward ? redemption.reward.name : reward.name}.`;
    result.hidden = false;
    select.disabled = true;
    submit.hidden = true;
    await loadCustomer(detail.id);
    return true;
  });
  submit.disabled = true;  // until the rewards are there to pick from
  try {
    const { items } = await api("GET", "/api/rewards");
    const options = items.filter((r) => r.active).map((r) => {
      rewards.set(String(r.id), r);
      return el("option", { value: String(r.id) }, `${r.name} — ${r.points_cost} points`);
    });
    select.replaceChildren(...(options.length ? options
      : [el("option", { value: "" }, "No active rewards: create one under Rewards")]));
    submit.disabled = !options.length;
  } catch (e) { showError(form, e); }
}

async function openEdit() {
  const dialog = document.getElementById("edit-dialog");
  const form = dialog.querySelector("form");
  const customer = detail.customer;
  if (!customer) return;
  form.name.value = customer.name || "";
  form.birthday.value = customer.birthday || "";
  form.birthday.max = new Date().toISOString().slice(0, 10);
  const currentTier = customer.vip_tier_manual ? customer.vip_tier : null;
  form.vip_tier.replaceChildren(el("option", { value: "" }, "Automatic (by lifetime points)"));
  runDialog(dialog, async () => {
    // Only what the merchant changed: choosing a tier by hand pins it, so an
    // untouched "Automatic" must not be sent as the tier it happens to be now.
    const changes = {};
    const name = form.name.value.trim() || null;
    if (name !== (customer.name || null)) changes.name = name;
    const birthday = form.birthday.value || null;
    if (birthday !== (customer.birthday || null)) changes.birthday = birthday;
    const tier = form.vip_tier.value || null;
    if (tier !== currentTier) changes.vip_tier = tier;
    if (!Object.keys(changes).length) return;
    await api("PATCH", customerPath(), { json: changes });
    await loadCustomer(detail.id);
  });
  try {
    const program = await api("GET", "/api/program");
    const names = (program.vip_tiers || []).slice().sort((a, b) => a.threshold - b.threshold).map((t) => t.name);
    // A tier set by hand and since removed from the program still shows.
    if (currentTier && !names.includes(currentTier)) names.push(currentTier);
    form.vip_tier.append(...names.map((n) => el("option", { value: n }, n)));
    form.vip_tier.value = currentTier || "";
  } catch (e) { showError(form, e); }
}

function toggleExclusion() {
  const customer = detail.customer;
  if (!customer) return;
  const who = customer.email || customer.name || customer.customer_id;
  const excluded = customer.status === "excluded";
  confirmAction(excluded ? {
    text: `Re-include ${who} in the loyalty program? They earn points again from now on; nothing they missed while excluded is added.`,
    ok: "Re-include", cancel: "Keep excluded",
    action: async () => { await api("DELETE", customerPath("/exclusion")); await loadCustomer(detail.id); },
  } : {
    text: `Exclude ${who} from the loyalty program? They will earn no points, can't redeem rewards, and their referral link stops working. Their balance stays.`,
    ok: "Exclude", cancel: "Keep in program", reason: true,
    action: async (reason) => {
      await api("PUT", customerPath("/exclusion"), { json: reason ? { reason } : {} });
      await loadCustomer(detail.id);
    },
  });
}

function reverseActivity(activity) {
  const undo = -activity.points;
  confirmAction({
    text: `Reverse "${activity.action}"? A new entry of ${undo > 0 ? "+" : ""}${undo} points is added to the history; the original entry stays.`
      + (activity.type === "redeemed" ? " The reward's discount code is voided." : ""),
    ok: "Reverse", cancel: "Keep", reason: true,
    action: async (reason) => {
      await api("POST", `/api/point-activities/${encodeURIComponent(activity.id)}/reversal`,
                { json: reason ? { reason } : {} });
      await loadCustomer(detail.id);
    },
  });
}

// ---- rewards ------------------------------------------------------------------------

const REWARD_KINDS = { fixed_amount: "Fixed amount off", percentage: "Percentage off", free_shipping: "Free shipping" };

async function loadRewards() {
  const tbody = document.querySelector("#rewards-table tbody");
  try {
    const { items } = await api("GET", "/api/rewards");
    tbody.replaceChildren(...items.map((r) => el("tr", { "data-id": r.id },
      el("td", {}, r.name),
      el("td", {}, REWARD_KINDS[r.kind] || r.kind),
      el("td", { class: "num" }, r.value == null ? "—" : r.kind === "percentage" ? r.value + "%" : r.value),
      el("td", { class: "num" }, r.points_cost),
      el("td", {}, r.active ? badge("active") : badge("inactive")),
      el("td", {}, fmtDay(r.created_at)))));
    if (!items.length) tbody.append(el("tr", {}, el("td", { colspan: 6, class: "empty" }, "No rewards yet.")));
    say("");
  } catch (e) { say(e.message); }
}

function showRewardValue() {
  const form = document.getElementById("reward-form");
  form.querySelector('[data-for-kind="value"]').hidden = form.kind.value === "free_shipping";
}

async function createReward(event) {
  event.preventDefault();
  const form = event.target;
  const reward = { name: form.name.value.trim(), kind: form.kind.value, points_cost: Number(form.points_cost.value) };
  if (reward.kind !== "free_shipping") reward.value = form.value.value.trim();
  showError(form, null);
  try {
    await api("POST", "/api/rewards", { json: reward });
    form.reset();
    showRewardValue();
    loadRewards();
  } catch (e) { showError(form, e); }
}

// ---- program settings -------------------------------------------------------------

const PROGRAM_INTEGERS = ["pending_days", "signup_points", "birthday_points", "review_points",
  "photo_review_bonus_points", "google_review_points", "referrer_reward_points"];

function tierRow(tier) {
  const row = el("tr", {},
    el("td", {}, el("input", { name: "tier_name", "aria-label": "Tier name", maxlength: "50", required: "" })),
    el("td", { class: "num" }, el("input", { name: "tier_threshold", type: "number", min: "0", step: "1",
                                             "aria-label": "Tier threshold", required: "" })),
    el("td", {}, el("button", { type: "button", onclick: () => row.remove() }, "Remove")));
  row.querySelector('[name="tier_name"]').value = tier.name || "";
  row.querySelector('[name="tier_threshold"]').value = tier.threshold ?? "";
  return row;
}

async function loadProgram() {
  const form = document.getElementById("program-form");
  showError(form, null);
  document.getElementById("program-saved").hidden = true;
  try {
    fillProgram(await api("GET", "/api/program"));
    say("");
  } catch (e) { say(e.message); }
}

function fillProgram(program) {
  const form = document.getElementById("program-form");
  form.points_per_currency_unit.value = program.points_per_currency_unit;
  form.rounding.value = program.rounding;
  form.expiry_days.value = program.expiry_days ?? "";
  for (const name of PROGRAM_INTEGERS) form[name].value = program[name];
  form.referee_coupon_type.value = program.referee_coupon.type;
  form.referee_coupon_value.value = program.referee_coupon.value;
  document.querySelector("#tiers-table tbody").replaceChildren(...(program.vip_tiers || []).map(tierRow));
}

async function saveProgram(event) {
  event.preventDefault();
  const form = event.target;
  const saved = document.getElementById("program-saved");
  saved.hidden = true;
  const program = {
    points_per_currency_unit: form.points_per_currency_unit.value.trim(),
    rounding: form.rounding.value,
    expiry_days: form.expiry_days.value === "" ? null : Number(form.expiry_days.value),
    referee_coupon: { type: form.referee_coupon_type.value, value: form.referee_coupon_value.value.trim() },
    vip_tiers: Array.from(document.querySelectorAll("#tiers-table tbody tr"), (row) => ({
      name: row.querySelector('[name="tier_name"]').value.trim(),
      threshold: Number(row.querySelector('[name="tier_threshold"]').value),
    })),
  };
  for (const name of PROGRAM_INTEGERS) program[name] = Number(form[name].value || 0);
  showError(form, null);
  try {
    fillProgram(await api("PUT", "/api/program", { json: program }));
    saved.hidden = false;
  } catch (e) { showError(form, e); }
}

// ---- routing ---------------------------------------------------------------

// Screens without the date range; the rest are the overview and the feeds.
const PAGES = {
  customers: () => loadCustomers(true),
  rewards: loadRewards,
  program: loadProgram,
};

function show(view) {
  for (const section of document.querySelectorAll(".view")) section.hidden = section.id !== "view-" + view;
  const navView = view === "customer" ? "customers" : view;
  for (const link of document.querySelectorAll("#nav a")) link.classList.toggle("active", link.dataset.view === navView);
  document.getElementById("range-bar").hidden = view === "customer" || view in PAGES;
}

function route() {
  document.getElementById("sign-out").hidden = !auth.signedIn || auth.embedded;
  document.getElementById("signed-in-as").textContent = auth.signedIn ? "Signed in as " + actorLabel(auth.actor) : "";
  if (!auth.signedIn) {
    for (const dialog of document.querySelectorAll("dialog[open]")) dialog.close();
    // Inside the Shopify admin there is nothing to type: its session token decides.
    document.getElementById("login").hidden = auth.embedded;
    document.getElementById("range-bar").hidden = true;
    for (const section of document.querySelectorAll(".view")) section.hidden = true;
    return;
  }
  document.getElementById("login").hidden = true;
  const hash = location.hash.replace(/^#\/?/, "");
  if (hash.startsWith("customers/")) { show("customer"); return loadCustomer(decodeURIComponent(hash.slice(10))); }
  if (PAGES[hash]) { show(hash); return PAGES[hash](); }
  const view = FEEDS[hash] ? hash : "overview";
  show(view);
  return view === "overview" ? loadOverview() : loadFeed(view, true);
}

// ---- signing in and out ------------------------------------------------------

// `session`: GET or POST /api/session's answer (who, and the CSRF token).
function signedIn(session) {
  Object.assign(auth, { signedIn: true, csrf: session.csrf_token, actor: session.actor });
  say("");
  route();
}

function signedOut(message) {
  Object.assign(auth, { signedIn: false, csrf: null, actor: null });
  say(message || "");
  route();
}

async function signIn(event) {
  event.preventDefault();
  const input = document.getElementById("login-key");
  let response;
  try {
    response = await fetch("/api/session", {
      method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ key: input.value.trim() }),
    });
  } catch {
    return say("The dashboard could not reach the server. Check the connection and try again.");
  }
  input.value = "";  // the key is not kept, not even in the form
  if (response.ok) return signedIn(await response.json());
  const body = await response.json().catch(() => ({}));
  say(response.status === 401 ? "That key was not accepted." : (body.error || {}).message || "Signing in failed.");
}

async function signOut() {
  try { await api("DELETE", "/api/session"); } catch { /* signed out here all the same */ }
  signedOut("You are signed out.");
}

// On load: signed in already if the cookie (or, embedded, the session token) says so.
async function start() {
  // Old links carried the key in the address (#key=…): it signs nobody in
  // now, and is wiped from the address bar so it is not shown or shared on.
  if (/key=/.test(location.hash)) history.replaceState(null, "", location.pathname + location.search + "#/");
  auth.embedded = isEmbedded();
  let response = null;
  try {
    response = await fetch("/api/session", { credentials: "same-origin", headers: await credentialHeaders("GET") });
  } catch {
    say("The dashboard could not reach the server. Check the connection and try again.");
  }
  if (response && response.ok) return signedIn(await response.json());
  if (response && auth.embedded) say("The Shopify admin's session could not be verified. Reload the app.");
  route();
}

function wire() {
  document.getElementById("login-form").addEventListener("submit", signIn);
  document.getElementById("sign-out").addEventListener("click", signOut);
  document.getElementById("range").addEventListener("change", (event) => {
    const custom = event.target.value === "custom";
    document.getElementById("custom-range").hidden = !custom;
    if (!custom) { state.range = { days: Number(event.target.value) }; route(); }
  });
  document.getElementById("range-apply").addEventListener("click", () => {
    const from = document.getElementById("range-from").value, to = document.getElementById("range-to").value;
    if (!from || !to) return say("Pick both dates.");
    state.range = { from: new Date(from + "T00:00:00Z").toISOString(), to: new Date(to + "T23:59:59Z").toISOString() };
    route();
  });
  for (const button of document.querySelectorAll("#points-tabs button")) {
    button.addEventListener("click", () => {
      state.pointsType = button.dataset.type;
      for (const b of document.querySelectorAll("#points-tabs button")) b.classList.toggle("active", b === button);
      loadFeed("points", true);
    });
  }
  document.getElementById("points-search").addEventListener("submit", (event) => {
    event.preventDefault();
    state.pointsQ = document.getElementById("points-q").value.trim();
    loadFeed("points", true);
  });
  document.getElementById("points-export").addEventListener("click", exportPointsCsv);
  for (const id of ["referrals-status", "reviews-status"]) {
    document.getElementById(id).addEventListener("change", () => loadFeed(id.split("-")[0], true));
  }
  for (const button of document.querySelectorAll(".more[data-more]")) {
    button.addEventListener("click", () => loadFeed(button.dataset.more, false));
  }

  document.getElementById("customers-search").addEventListener("submit", (event) => {
    event.preventDefault();
    state.customersQ = document.getElementById("customers-q").value.trim();
    loadCustomers(true);
  });
  document.getElementById("customers-more").addEventListener("click", () => loadCustomers(false));
  document.getElementById("history-more").addEventListener("click", () => loadHistory(false).catch((e) => say(e.message)));
  document.getElementById("open-adjust").addEventListener("click", openAdjust);
  document.getElementById("open-redeem").addEventListener("click", openRedeem);
  document.getElementById("open-edit").addEventListener("click", openEdit);
  document.getElementById("toggle-exclusion").addEventListener("click", toggleExclusion);
  for (const button of document.querySelectorAll("dialog [data-close]")) {
    button.addEventListener("click", () => button.closest("dialog").close("cancel"));
  }

  document.getElementById("reward-form").addEventListener("submit", createReward);
  document.getElementById("reward-form").kind.addEventListener("change", showRewardValue);
  document.getElementById("program-form").addEventListener("submit", saveProgram);
  document.getElementById("add-tier").addEventListener("click", () =>
    document.querySelector("#tiers-table tbody").append(tierRow({})));

  window.addEventListener("hashchange", route);
}

wire();
start();
