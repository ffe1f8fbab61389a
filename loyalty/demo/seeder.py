"""Plays the demo story (story.py) through the real routes of a running
fleet: Shopify webhooks for customers, orders and refunds, the storefront
for referral links, claims and reviews, the admin API for the program,
the merchant's adjustments, redemptions, exclusions, moderation and
cancellations. What the story asks that the shop refuses (say, a
redemption the customer cannot afford today) is skipped and counted."""

import itertools
import logging
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

from loyalty.demo import story as plot
from loyalty.demo.shop_client import SeedRefused, ShopClient

log = logging.getLogger(__name__)

PENDING_DAYS = 14
PROGRAM = {
    "points_per_currency_unit": "5",
    "rounding": "floor",
    "pending_days": PENDING_DAYS,
    "signup_points": 100,
    "birthday_points": 250,
    "review_points": 100,
    "photo_review_bonus_points": 50,
    "google_review_points": 200,
    "referrer_reward_points": 500,
    "referee_coupon": {"type": "fixed", "value": "10"},
    "vip_tiers": [
        {"name": "Bronze", "threshold": 0},
        {"name": "Silver", "threshold": 750},
        {"name": "Gold", "threshold": 2000},
        {"name": "Platinum", "threshold": 4000},
    ],
}

REWARDS = [
    {"name": "Free shipping", "kind": "free_shipping", "points_cost": 300},
    {"name": "$5 off your order", "kind": "fixed_amount", "value": "5", "points_cost": 400},
    {"name": "$10 off your order", "kind": "fixed_amount", "value": "10", "points_cost": 750},
    {"name": "15% off your order", "kind": "percentage", "value": "15", "points_cost": 1500},
]


def program(days: int) -> dict:
    """The rules the merchant sets on day 0. Points expire after two thirds
    of the story: those of its first third have expired by today, and
    those of the week after expire within the next week."""
    return {**PROGRAM, "expiry_days": max(PENDING_DAYS + 1, days * 2 // 3)}


SENDERS = 4
# What depends on a balance the one before it changed.
ONE_AT_A_TIME = (plot.Adjust, plot.Redeem)

# The method that plays each kind of action.
PLAYS = {
    plot.Signup: "sign_up",
    plot.PlaceOrder: "place_order",
    plot.Refund: "refund",
    plot.Claim: "claim",
    plot.WriteReview: "write_review",
    plot.SubmitGoogleReview: "submit_google_review",
    plot.SetBirthday: "set_birthday",
    plot.Adjust: "adjust",
    plot.Redeem: "redeem",
    plot.Exclude: "exclude",
    plot.Moderate: "moderate",
    plot.CancelReferral: "cancel_referral",
}


class Seeder:
    def __init__(self, shop: ShopClient) -> None:
        self.shop = shop
        self.links: dict[int, str] = {}  # referrer id -> link code
        self.claims: dict[str, dict] = {}  # story key -> the claim's answer
        self.reviews: dict[str, str] = {}  # story key -> review or submission id
        self.rewards: list[dict] = []
        self.skipped: Counter[str] = Counter()

    def set_up_program(self, days: int) -> None:
        """Day 0: the merchant sets the rules and fills the reward catalog."""
        self.shop.admin_ok("PUT", "/api/program", program(days))
        existing = {reward["name"] for reward in self.shop.admin_ok("GET", "/api/rewards")["items"]}
        for reward in REWARDS:
            if reward["name"] not in existing:
                self.shop.admin_ok("POST", "/api/rewards", reward)
        self.rewards = sorted(
            (r for r in self.shop.admin_ok("GET", "/api/rewards")["items"] if r["active"]),
            key=lambda reward: reward["points_cost"],
        )

    def play(self, action: object) -> None:
        getattr(self, PLAYS[type(action)])(action)

    def play_day(self, actions: list[object]) -> None:
        """A day's actions in their order; those of one kind side by side
        (as many shoppers and webhooks arrive at once), each kind after
        the one before it has been answered."""
        with ThreadPoolExecutor(max_workers=SENDERS) as senders:
            for kind, same_kind in itertools.groupby(actions, type):
                if kind in ONE_AT_A_TIME:
                    for action in same_kind:
                        self.play(action)
                else:
                    list(senders.map(self.play, same_kind))

    def _skip(self, what: str, why: str) -> None:
        log.info("demo seed: skipped %s (%s)", what, why)
        self.skipped[what.split()[0]] += 1

    # --- the shop platform ---------------------------------------------------------------

    def sign_up(self, action: plot.Signup) -> None:
        person = action.customer
        self.shop.webhook(
            "customers/create",
            {
                "id": person.id,
                "email": person.email,
                "first_name": person.first_name,
                "last_name": person.last_name,
            },
            webhook_id=f"demo-customer-{person.id}",
        )

    def place_order(self, action: plot.PlaceOrder) -> None:
        order = action.order
        person = order.customer
        codes = []
        if order.welcome_code_of is not None:
            claim = self.claims.get(order.welcome_code_of)
            if claim is not None:
                codes = [{"code": claim["discount_code"]}]
        subtotal = str(order.subtotal)
        self.shop.webhook(
            "orders/paid",
            {
                "id": order.id,
                "name": f"#{order.number}",
                "order_number": order.number,
                "email": person.email,
                "customer": {
                    "id": person.id,
                    "email": person.email,
                    "first_name": person.first_name,
                    "last_name": person.last_name,
                },
                "financial_status": "paid",
                "subtotal_price": subtotal,
                "total_price": subtotal,
                "currency": "USD",
                "discount_codes": codes,
                "line_items": [
                    {"product_id": line.product_id, "title": line.title, "quantity": line.quantity}
                    for line in order.lines
                ],
                "test": order.test,
            },
            webhook_id=f"demo-order-{order.id}",
        )

    def refund(self, action: plot.Refund) -> None:
        self.shop.webhook(
            "refunds/create",
            {
                "id": action.refund_id,
                "order_id": action.order.id,
                "customer": {"id": action.order.customer.id},
                "refund_line_items": [{"subtotal": str(action.amount)}],
                "transactions": [
                    {"amount": str(action.amount), "kind": "refund", "status": "success", "currency": "USD"}
                ],
            },
            webhook_id=f"demo-refund-{action.refund_id}",
        )

    # --- the storefront --------------------------------------------------------------------

    def claim(self, action: plot.Claim) -> None:
        code = self._link_of(action.referrer, action.client_ip)
        if code is None:
            return
        clicked = self.shop.storefront(f"/referrals/{code}/clicks", {}, action.client_ip)
        if clicked.status_code != 201:
            raise SeedRefused(f"click on {code}: {clicked.status_code} {clicked.text[:300]}")
        claimed = self.shop.storefront(f"/referrals/{code}/claims", {"email": action.email}, action.client_ip)
        if claimed.status_code == 201:
            self.claims[action.key] = claimed.json()
        else:
            self._skip(f"claim {action.key}", f"{claimed.status_code} {claimed.text[:200]}")

    def _link_of(self, referrer: plot.Customer, client_ip: str) -> str | None:
        if referrer.id not in self.links:
            made = self.shop.storefront("/referral-links", self.shop.signed(referrer.id), client_ip)
            if made.status_code != 201:
                self._skip(f"link of {referrer.id}", f"{made.status_code} {made.text[:200]}")
                return None
            self.links[referrer.id] = made.json()["code"]
        return self.links[referrer.id]

    def write_review(self, action: plot.WriteReview) -> None:
        body = {
            **self.shop.signed(action.customer.id),
            "product_id": str(action.product_id),
            "rating": action.rating,
            "title": action.title,
            "body": action.body,
            "media_urls": list(action.media_urls),
        }
        self._submitted(action.key, self.shop.storefront("/reviews", body, _shopper_ip(action.customer)))

    def submit_google_review(self, action: plot.SubmitGoogleReview) -> None:
        body = {**self.shop.signed(action.customer.id), "review_url": action.review_url}
        response = self.shop.storefront("/google-reviews", body, _shopper_ip(action.customer))
        self._submitted(action.key, response)

    def _submitted(self, key: str, response) -> None:
        if response.status_code == 201:
            self.reviews[key] = response.json()["id"]
        else:
            self._skip(f"review {key}", f"{response.status_code} {response.text[:200]}")

    # --- the merchant ---------------------------------------------------------------------

    def set_birthday(self, action: plot.SetBirthday) -> None:
        self._merchant(
            f"birthday of {action.customer.id}",
            "PATCH",
            f"/api/customers/{action.customer.id}",
            {"birthday": action.birthday.isoformat()},
        )

    def adjust(self, action: plot.Adjust) -> None:
        self._merchant(
            f"adjustment {action.key}",
            "POST",
            f"/api/customers/{action.customer.id}/points-adjustments",
            {"points": action.points, "reason": action.reason},
            idempotency_key=action.key,
        )

    def redeem(self, action: plot.Redeem) -> None:
        """The dearest reward the customer can afford today, if any."""
        profile = self.shop.admin("GET", f"/api/customers/{action.customer.id}")
        if profile.status_code != 200:
            self._skip(f"redemption {action.key}", f"customer {profile.status_code}")
            return
        available = profile.json()["customer"]["available_points"]
        affordable = [reward for reward in self.rewards if reward["points_cost"] <= available]
        if not affordable:
            self._skip(f"redemption {action.key}", f"{available} points is too few")
            return
        self._merchant(
            f"redemption {action.key}",
            "POST",
            f"/api/customers/{action.customer.id}/redemptions",
            {"reward_id": affordable[-1]["id"]},
            idempotency_key=action.key,
        )

    def exclude(self, action: plot.Exclude) -> None:
        self._merchant(
            f"exclusion of {action.customer.id}",
            "PUT",
            f"/api/customers/{action.customer.id}/exclusion",
            {"reason": action.reason},
        )

    def moderate(self, action: plot.Moderate) -> None:
        item = self.reviews.get(action.key)
        if item is None:
            return
        path = "reviews" if action.kind == "review" else "google-reviews"
        self._merchant(f"moderation {action.key}", "POST", f"/api/{path}/{item}/{action.decision}")

    def cancel_referral(self, action: plot.CancelReferral) -> None:
        claim = self.claims.get(action.key)
        if claim is not None:
            referral = claim["referral_id"]
            self._merchant(f"cancellation {action.key}", "POST", f"/api/referrals/{referral}/cancel")

    def _merchant(self, what: str, method: str, path: str, body=None, **kwargs) -> None:
        response = self.shop.admin(method, path, body, **kwargs)
        if response.status_code >= 500:
            raise SeedRefused(f"{method} {path}: {response.status_code} {response.text[:300]}")
        if response.status_code >= 300:
            self._skip(what, f"{response.status_code} {response.text[:200]}")


def _shopper_ip(person: plot.Customer) -> str:
    n = person.id - plot.FIRST_CUSTOMER_ID
    return f"203.0.{113 + n // 250}.{n % 250 + 1}"
