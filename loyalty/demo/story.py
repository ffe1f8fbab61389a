"""What happens in the demo shop, day by day: a plan made from a seeded
random generator, so every seed plays the same story. Plain data; the
seeder (seeder.py) plays it through the real services.

Day 0 is the day the program was set up (90 days ago by default), the last
day is today. Customers 1001, 1002, … are the shop's customers in the order
they signed up (the README's examples name 1001)."""

import random
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from loyalty.demo.catalog import ADJUSTMENTS, FIRST_NAMES, LAST_NAMES, PRODUCTS, REVIEW_TEXTS

FIRST_CUSTOMER_ID = 1001
FIRST_ORDER_NUMBER = 1001
ORDER_ID_BASE = 820_000_000
REFUND_ID_BASE = 910_000_000


@dataclass(frozen=True)
class Customer:
    id: int
    first_name: str
    last_name: str
    email: str
    joined: int


@dataclass(frozen=True)
class Line:
    product_id: int
    title: str
    price: Decimal
    quantity: int


@dataclass(frozen=True)
class Order:
    id: int
    number: int
    customer: Customer
    lines: tuple[Line, ...]
    welcome_code_of: str | None = None  # the referral whose welcome code it uses
    test: bool = False

    @property
    def subtotal(self) -> Decimal:
        return sum((line.price * line.quantity for line in self.lines), Decimal(0))


# --- the actions, each on a day ---------------------------------------------------------


@dataclass(frozen=True)
class Signup:
    customer: Customer


@dataclass(frozen=True)
class SetBirthday:
    customer: Customer
    birthday: date


@dataclass(frozen=True)
class PlaceOrder:
    order: Order


@dataclass(frozen=True)
class Refund:
    order: Order
    refund_id: int
    amount: Decimal


@dataclass(frozen=True)
class Adjust:
    customer: Customer
    points: int
    reason: str
    key: str


@dataclass(frozen=True)
class Redeem:
    customer: Customer
    key: str


@dataclass(frozen=True)
class Claim:
    """A visitor follows the referrer's link and claims it with an email."""

    key: str
    referrer: Customer
    email: str
    client_ip: str


@dataclass(frozen=True)
class CancelReferral:
    key: str


@dataclass(frozen=True)
class WriteReview:
    key: str
    customer: Customer
    product_id: int
    rating: int
    title: str
    body: str
    media_urls: tuple[str, ...]


@dataclass(frozen=True)
class SubmitGoogleReview:
    key: str
    customer: Customer
    review_url: str


@dataclass(frozen=True)
class Moderate:
    kind: str  # "review" or "google_review"
    key: str
    decision: str  # "approve" or "reject"


@dataclass(frozen=True)
class Exclude:
    customer: Customer
    reason: str


@dataclass
class Story:
    days: int
    customers: list[Customer]
    actions: dict[int, list[object]] = field(default_factory=dict)

    def on(self, day: int, action: object) -> None:
        self.actions.setdefault(day, []).append(action)

    def count(self, kind: type) -> int:
        return sum(isinstance(action, kind) for actions in self.actions.values() for action in actions)


def story(customers: int = 200, days: int = 90, seed: int = 2026) -> Story:
    """The demo shop's `days` days with `customers` customers."""
    rng = random.Random(seed)
    plot = Story(days, _customers(rng, customers, days))
    people = plot.customers
    staff = people[7] if len(people) > 8 else None
    referees = _referees(rng, people, staff)
    orders = _orders(rng, plot, referees, staff)
    _referrals(rng, plot, referees, staff)
    _refunds_and_reviews(rng, plot, orders)
    _merchant_actions(rng, plot, orders, staff)
    for actions in plot.actions.values():
        # Within a day: sign-ups first, then what they do, the merchant last.
        actions.sort(key=lambda action: ORDER_IN_DAY.index(type(action)))
    return plot


ORDER_IN_DAY = [
    Exclude,
    Claim,
    Signup,
    SetBirthday,
    PlaceOrder,
    Refund,
    WriteReview,
    SubmitGoogleReview,
    Adjust,
    Redeem,
    Moderate,
    CancelReferral,
]


def _customers(rng: random.Random, count: int, days: int) -> list[Customer]:
    joined = sorted(
        rng.randint(0, 2) if rng.random() < 0.2 else rng.randint(1, max(1, days - 1)) for _ in range(count)
    )
    people = []
    for n, day in enumerate(joined):
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        if n == 0:
            first, last, day = "Olivia", "Martin", 0  # the README's customer 1001
        ascii_last = last.replace("ü", "ue").lower()
        email = f"{first.lower()}.{ascii_last}{n + 1}@example.com"
        people.append(Customer(FIRST_CUSTOMER_ID + n, first, last, email, day))
    return people


def _referees(rng: random.Random, people: list[Customer], staff: Customer | None) -> dict[int, Customer]:
    """{referee id: referrer}: about one customer in eight came through a
    friend's link (claimed on the day they signed up)."""
    referees: dict[int, Customer] = {}
    for person in people[1:]:
        earlier = [p for p in people if p.joined <= person.joined - 2 and p != staff]
        if person != staff and earlier and rng.random() < 0.13:
            referees[person.id] = people[0] if len(referees) == 0 else rng.choice(earlier)
    return referees


def _orders(
    rng: random.Random, plot: Story, referees: dict[int, Customer], staff: Customer | None
) -> list[tuple[int, Order]]:
    orders: list[tuple[int, Order]] = []
    for person in plot.customers:
        plot.on(person.joined, Signup(person))
        if rng.random() < 0.25:
            birthday = date(rng.randint(1965, 2003), rng.randint(1, 12), rng.randint(1, 28))
            plot.on(min(person.joined + 1, plot.days), SetBirthday(person, birthday))
        count = rng.choices([0, 1, 2, 3, 4, 5], [12, 34, 25, 15, 9, 5])[0]
        if person.id == FIRST_CUSTOMER_ID:
            count = 6
        days = sorted(rng.randint(person.joined, plot.days) for _ in range(count))
        if person.id in referees:
            days = [person.joined, *days]
        for n, day in enumerate(days):
            order = _order(rng, person, len(orders), welcome=person.id in referees and n == 0)
            orders.append((day, order))
    if orders:
        day, some = orders[len(orders) // 5]
        orders.append((day, _order(rng, some.customer, len(orders), test=True)))
    for day, order in orders:
        plot.on(day, PlaceOrder(order))
    return orders


def _order(
    rng: random.Random, person: Customer, seq: int, welcome: bool = False, test: bool = False
) -> Order:
    picked = rng.sample(PRODUCTS, rng.choices([1, 2, 3], [55, 30, 15])[0])
    lines = tuple(Line(pid, title, price, rng.choices([1, 2], [80, 20])[0]) for pid, title, price in picked)
    return Order(
        ORDER_ID_BASE + seq,
        FIRST_ORDER_NUMBER + seq,
        person,
        lines,
        welcome_code_of=f"referee-{person.id}" if welcome else None,
        test=test,
    )


def _referrals(
    rng: random.Random, plot: Story, referees: dict[int, Customer], staff: Customer | None
) -> None:
    """Completed ones (the referee's first order uses the welcome code),
    some cancelled later; claims that stay pending; claims cancelled before
    any order."""
    ips = (f"198.51.{100 + n // 250}.{n % 250 + 1}" for n in range(10_000))
    by_id = {person.id: person for person in plot.customers}
    completed = []
    for referee_id, referrer in referees.items():
        referee = by_id[referee_id]
        key = f"referee-{referee_id}"
        plot.on(referee.joined, Claim(key, referrer, referee.email, next(ips)))
        completed.append((referee.joined, key))
    active = [p for p in plot.customers if p.joined < plot.days - 3 and p != staff]
    prospects = max(4, len(plot.customers) // 20)
    for n in range(prospects):
        referrer = rng.choice(active)
        day = rng.randint(referrer.joined + 1, plot.days)
        key = f"prospect-{n}"
        email = f"friend{n}.of.{referrer.id}@example.net"
        plot.on(day, Claim(key, referrer, email, next(ips)))
        if n % 3 == 0 and day + 2 <= plot.days:
            plot.on(rng.randint(day + 2, min(day + 6, plot.days)), CancelReferral(key))
    late = [(day, key) for day, key in completed if day + 2 <= plot.days]
    for day, key in rng.sample(late, min(len(late), max(2, len(late) // 8))):
        plot.on(rng.randint(day + 2, min(day + 5, plot.days)), CancelReferral(key))


def _refunds_and_reviews(rng: random.Random, plot: Story, orders: list[tuple[int, Order]]) -> None:
    olivia_reviewed, reviews = False, 0
    for seq, (day, order) in enumerate(orders):
        if order.test:
            continue
        if rng.random() < 0.07 and day + 2 <= plot.days:
            line = order.lines[0]
            plot.on(
                rng.randint(day + 2, min(day + 10, plot.days)),
                Refund(order, REFUND_ID_BASE + seq, line.price * line.quantity),
            )
        showcase = order.customer.id == FIRST_CUSTOMER_ID and not olivia_reviewed
        if showcase or rng.random() < 0.2:
            review_day = min(plot.days, day + rng.randint(2, 12))
            rating = rng.choices([5, 4, 3, 2, 1], [45, 30, 12, 8, 5])[0]
            title, body = rng.choice(REVIEW_TEXTS[rating])
            photos = rng.random() < 0.3 or showcase
            key = f"review-{seq}"
            media = (f"https://cdn.example.com/demo-shop/reviews/{seq}-1.jpg",) if photos else ()
            plot.on(
                review_day,
                WriteReview(key, order.customer, order.lines[0].product_id, rating, title, body, media),
            )
            _moderation(rng, plot, "review", key, review_day, REVIEW_DECISIONS[reviews % 7])
            reviews += 1
            olivia_reviewed = olivia_reviewed or showcase
    first_orders = list({order.customer.id: (day, order) for day, order in reversed(orders)}.values())
    writers = rng.sample(first_orders, min(len(first_orders), max(6, len(plot.customers) // 10)))
    for n, (day, order) in enumerate(writers):
        # Early enough for the merchant to decide on most of them.
        submit_day = max(day, min(plot.days - 5, day + rng.randint(1, 15)))
        key = f"google-{n}"
        url = f"https://www.google.com/maps/reviews/demo-coffee-roasters/{order.customer.id}-{n}"
        plot.on(submit_day, SubmitGoogleReview(key, order.customer, url))
        _moderation(rng, plot, "google_review", key, submit_day, GOOGLE_DECISIONS[n % 5])


# What the merchant decides, in turn; None leaves it pending.
REVIEW_DECISIONS = ["approve", "approve", "reject", "approve", "approve", None, "approve"]
GOOGLE_DECISIONS = ["approve", "reject", "approve", None, "approve"]


def _moderation(rng: random.Random, plot: Story, kind: str, key: str, day: int, decision: str | None) -> None:
    """The merchant decides a day or few later, by today at the latest;
    what came in yesterday or today waits still."""
    decision_day = min(day + rng.randint(1, 4), plot.days)
    if decision is not None and day < plot.days - 1:
        plot.on(decision_day, Moderate(kind, key, decision))


def _merchant_actions(
    rng: random.Random, plot: Story, orders: list[tuple[int, Order]], staff: Customer | None
) -> None:
    people = plot.customers
    for n in range(max(3, len(people) // 10)):
        person = rng.choice(people[: max(1, len(people) // 2)])
        points, reason = ADJUSTMENTS[n % len(ADJUSTMENTS)]
        day = rng.randint(person.joined + 1, plot.days) if person.joined < plot.days else plot.days
        plot.on(day, Adjust(person, points, reason, f"demo-adjustment-{n}"))
    # Redemptions once points are out of the return window (14 days).
    buyers = [(day, order.customer) for day, order in orders if not order.test and day + 16 <= plot.days]
    for n, (day, person) in enumerate(rng.sample(buyers, min(len(buyers), max(3, len(people) // 5)))):
        plot.on(rng.randint(day + 16, min(day + 45, plot.days)), Redeem(person, f"demo-redemption-{n}"))
    if staff is not None:
        plot.on(min(staff.joined + 1, plot.days), Exclude(staff, "Staff account"))
