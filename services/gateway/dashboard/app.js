// The merchant's dashboard: plain JavaScript against the gateway's /api.
// Everything user-supplied is rendered with textContent, never innerHTML.
"use strict";

const KEY_STORAGE = "loyalty.adminKey";
const state = { range: { days: 30 }, pointsType: "all", pointsQ: "", cursors: {} };

function adminKey() { return sessionStorage.getItem(KEY_STORAGE); }

function takeKeyFromUrl() {
  const match = location.hash.match(/key=([^&]+)/);
  if (match) {
    sessionStorage.setItem(KEY_STORAGE, decodeURIComponent(match[1]));
    history.replaceState(null, "", location.pathname + "#/");
  }
}

async function api(method, path, params) {
  const url = new URL(path, location.origin);
  for (const [k, v] of Object.entries(params || {})) if (v !== "" && v != null) url.searchParams.set(k, v);
  const response = await fetch(url, { method, headers: { Authorization: "Bearer " + adminKey() } });
  const body = await response.json().catch(() => ({}));
  if (response.status === 401) { signOut("Your API key was not accepted."); throw new Error("unauthorized"); }
  if (!response.ok) throw new Error((body.error && body.error.message) || response.statusText);
  return body;
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
const signed = (n) => el("span", { class: n >= 0 ? "plus" : "minus" }, (n > 0 ? "+" : "") + n);
const badge = (text) => el("span", { class: "badge " + text }, text);
const customerLink = (id, label) => el("a", { href: "#/customers/" + encodeURIComponent(id) }, label || id);

function say(message) { document.getElementById("status").textContent = message || ""; }

// ---- feeds ---------------------------------------------------------------

const FEEDS = {
  points: {
    path: "/api/activities/points",
    params: () => ({ type: state.pointsType, q: state.pointsQ }),
    row: (a) => el("tr", {},
      el("td", {}, customerLink(a.customer_id, a.customer_email || a.customer_id)),
      el("td", {}, a.action, a.type === "adjusted" ? el("span", { class: "badge" }, " adjustment") : null),
      el("td", { class: "num" }, signed(a.points)),
      el("td", { class: "num" }, a.balance_after),
      el("td", {}, fmtDate(a.occurred_at))),
  },
  referrals: {
    path: "/api/activities/referrals",
    params: () => ({ status: document.getElementById("referrals-status").value }),
    row: (r) => {
      const steps = el("ul", { class: "steps" });
      for (const [key, label] of [["link_clicked_at", "Link clicked"], ["email_entered_at", "Email entered"],
                                  ["coupon_issued_at", "Coupon issued"], ["order_placed_at", "Order placed"]]) {
        if (r.steps && r.steps[key]) steps.append(el("li", {}, label + " · " + fmtDate(r.steps[key])));
      }
      const action = r.status === "cancelled" ? el("td", {}) : el("td", {},
        el("button", { type: "button", class: "danger row-action", "data-referral": r.id,
                       onclick: () => cancelReferral(r) }, "Cancel referral"));
      return el("tr", { "data-id": r.id },
        el("td", {}, customerLink(r.referrer_customer_id, r.referrer_email || r.referrer_customer_id)),
        el("td", {}, r.referee_email),
        el("td", {}, badge(r.status)),
        el("td", {}, steps),
        el("td", {}, r.discount_code || "", " ", r.discount_code ? badge(r.discount_code_status) : null),
        el("td", { class: "num" }, r.referrer_reward_points == null ? "—" : r.referrer_reward_points),
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
      el("td", { class: "num" }, r.reward_points == null ? "—" : r.reward_points),
      el("td", {}, fmtDate(r.occurred_at)),
      moderationButtons("/api/reviews/", r, "reviews")),
  },
  "google-reviews": {
    path: "/api/activities/google-reviews",
    params: () => ({}),
    row: (g) => el("tr", { "data-id": g.id },
      el("td", {}, customerLink(g.customer_id)),
      el("td", {}, el("a", { href: g.review_url, rel: "noopener noreferrer", target: "_blank" }, "Open")),
      el("td", {}, badge(g.status)),
      el("td", { class: "num" }, g.reward_points == null ? "—" : g.reward_points),
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

async function loadFeed(name, reset) {
  const feed = FEEDS[name];
  const tbody = document.querySelector(`#${name}-table tbody`);
  const more = document.querySelector(`[data-more="${name}"]`);
  if (reset) { tbody.replaceChildren(); state.cursors[name] = null; }
  try {
    const page = await api("GET", feed.path, { ...rangeParams(), ...feed.params(), cursor: state.cursors[name] || "" });
    for (const item of page.items) tbody.append(feed.row(item));
    if (!tbody.children.length) tbody.append(el("tr", {}, el("td", { colspan: 8, class: "empty" }, "No activity in this period.")));
    state.cursors[name] = page.next_cursor;
    more.hidden = !page.next_cursor;
    say("");
  } catch (e) { say(e.message); }
}

async function cancelReferral(referral) {
  const dialog = document.getElementById("confirm");
  document.getElementById("confirm-text").textContent = referral.status === "pending"
    ? `Cancel ${referral.referee_email}'s pending referral? Their discount code will be voided and can't be used, and the referrer will not be rewarded for this referral.`
    : `Cancel ${referral.referee_email}'s completed referral? Their unused discount codes will be voided. Points already earned stay.`;
  dialog.returnValue = "";
  dialog.showModal();
  dialog.addEventListener("close", async function onClose() {
    dialog.removeEventListener("close", onClose);
    if (dialog.returnValue !== "ok") return;
    try { await api("POST", `/api/referrals/${encodeURIComponent(referral.id)}/cancel`); loadFeed("referrals", true); }
    catch (e) { say(e.message); }
  });
}

// ---- overview and customer ----------------------------------------------

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
      const page = await api("GET", FEEDS[name].path, { ...rangeParams(), limit: 5 });
      list.replaceChildren(...(page.items.length ? page.items.map((i) => el("li", {}, line(i)))
                                                 : [el("li", { class: "empty" }, "Nothing yet.")]));
    } catch (e) { list.replaceChildren(el("li", { class: "empty" }, e.message)); }
  }));
}

async function loadCustomer(customerId) {
  const profile = document.getElementById("customer-profile");
  const history = document.querySelector("#customer-history tbody");
  profile.replaceChildren(); history.replaceChildren();
  try {
    const { customer } = await api("GET", "/api/customers/" + encodeURIComponent(customerId));
    document.getElementById("customer-title").textContent = customer.name || customer.email || customer.customer_id;
    const fields = [["Email", customer.email], ["Name", customer.name], ["Birthday", customer.birthday],
      ["VIP tier", customer.vip_tier], ["Status", customer.status], ["Balance", customer.balance],
      ["Pending", customer.pending_points], ["Lifetime earned", customer.lifetime_earned],
      ["Lifetime redeemed", customer.lifetime_redeemed], ["Member since", fmtDate(customer.member_since)]];
    for (const [label, value] of fields) profile.append(el("dt", {}, label), el("dd", { "data-field": label }, value ?? "—"));
    for (const a of customer.recent_activities || []) {
      history.append(el("tr", {}, el("td", {}, a.action), el("td", { class: "num" }, signed(a.points)),
                        el("td", { class: "num" }, a.balance_after), el("td", {}, fmtDate(a.occurred_at))));
    }
    say("");
  } catch (e) { say(e.message); }
}

// ---- routing ---------------------------------------------------------------

function show(view) {
  for (const section of document.querySelectorAll(".view")) section.hidden = section.id !== "view-" + view;
  for (const link of document.querySelectorAll("#nav a")) link.classList.toggle("active", link.dataset.view === view);
  document.getElementById("range-bar").hidden = view === "customer";
}

function route() {
  if (!adminKey()) {
    document.getElementById("login").hidden = false;
    document.getElementById("range-bar").hidden = true;
    for (const section of document.querySelectorAll(".view")) section.hidden = true;
    document.getElementById("sign-out").hidden = true;
    return;
  }
  document.getElementById("login").hidden = true;
  document.getElementById("sign-out").hidden = false;
  const hash = location.hash.replace(/^#\/?/, "");
  if (hash.startsWith("customers/")) { show("customer"); return loadCustomer(decodeURIComponent(hash.slice(10))); }
  const view = FEEDS[hash] ? hash : "overview";
  show(view);
  return view === "overview" ? loadOverview() : loadFeed(view, true);
}

function signOut(message) {
  sessionStorage.removeItem(KEY_STORAGE);
  say(message || "");
  route();
}

function wire() {
  document.getElementById("login-form").addEventListener("submit", (event) => {
    event.preventDefault();
    sessionStorage.setItem(KEY_STORAGE, document.getElementById("login-key").value.trim());
    route();
  });
  document.getElementById("sign-out").addEventListener("click", () => signOut());
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
  for (const id of ["referrals-status", "reviews-status"]) {
    document.getElementById(id).addEventListener("change", () => loadFeed(id.split("-")[0], true));
  }
  for (const button of document.querySelectorAll(".more")) {
    button.addEventListener("click", () => loadFeed(button.dataset.more, false));
  }
  window.addEventListener("hashchange", () => { takeKeyFromUrl(); route(); });
}

takeKeyFromUrl();
wire();
route();
