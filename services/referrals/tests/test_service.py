"""The referrals service in a real nameko container, on real RabbitMQ and a
real database (SQLite, or PostgreSQL with LOYALTY_TEST_DB=postgresql). Only
the points service is stood in for: its RPC dependency is replaced with
canned answers that follow docs/architecture.md."""

import json
import uuid
from datetime import datetime, timedelta

import eventlet
import pytest
from nameko.standalone.rpc import ServiceRpcProxy
from nameko.testing.services import replace_dependencies
from sqlalchemy import select

from services.referrals.models import fraud_signals, link_clicks, metadata
from services.referrals.service import MIGRATIONS, ReferralsService
from shared.clock import FrozenClock, utcnow
from shared.database import Database
from shared.db import make_engine
from shared.errors import Conflict, NotFound, Unprocessable
from shared.events import DiscountCodeUsed, DiscountCodeVoided, OrderPlaced, PointsAwarded, make_event
from shared.outbox import events_exchange
from tests.support import EventTap, make_event_publisher, wait_for

SHOP = "shp_alpha"
OTHER_SHOP = "shp_beta"


class FakePoints:
    """Canned answers of the points RPC contract: members by shop, and one
    welcome code per referral id."""

    def __init__(self):
        self.members = {}
        self.codes = {}

    def add_member(self, shop_id, customer_id, email, status="active"):
        self.members[(shop_id, customer_id)] = {
            "customer_id": customer_id,
            "email": email,
            "first_name": None,
            "last_name": None,
            "name": None,
            "birthday": None,
            "vip_tier": None,
            "status": status,
            "balance": 0,
            "pending_points": 0,
            "lifetime_earned": 0,
            "lifetime_redeemed": 0,
            "member_since": "2026-01-01T00:00:00Z",
        }

    def get_customer(self, shop_id, customer_id):
        member = self.members.get((shop_id, customer_id))
        if member is None:
            raise NotFound(f"customer {customer_id} is not a member of this shop")
        return dict(member, recent_activities=[])

    def find_member_by_email(self, shop_id, email):
        return next(
            (
                m
                for (shop, _), m in self.members.items()
                if shop == shop_id and (m["email"] or "").lower() == email.lower()
            ),
            None,
        )

    def issue_referral_welcome_code(self, shop_id, referral_id, referee_email):
        key = (shop_id, referral_id)
        if key not in self.codes:
            self.codes[key] = {
                "code": f"WELCOME-{uuid.uuid4().hex[:8].upper()}",
                "kind": "referral_welcome",
                "customer_id": None,
                "customer_email": referee_email,
                "referral_id": referral_id,
                "status": "active",
                "value_type": "fixed",
                "value": "5",
                "created_at": "2026-01-01T00:00:00Z",
                "used_at": None,
                "voided_at": None,
            }
        return self.codes[key]

    def void_unclaimed_welcome_code(self, shop_id, referral_id):
        code = self.codes.get((shop_id, referral_id))
        if code is not None and code["status"] == "active":
            code["status"] = "voided"


@pytest.fixture
def clock():
    # An hour ago, so new referrals fall inside the feed's default last-30-days window.
    return FrozenClock(utcnow() - timedelta(hours=1))


@pytest.fixture
def database_url(database_url_factory):
    return database_url_factory("referrals")


@pytest.fixture
def points():
    fake = FakePoints()
    fake.add_member(SHOP, "1", "Kate.Smith@example.com")
    fake.add_member(SHOP, "2", "existing@example.com")
    fake.add_member(SHOP, "9", "gone@example.com", status="excluded")
    fake.add_member(OTHER_SHOP, "1", "someone.else@example.com")
    return fake


@pytest.fixture
def max_workers():
    # One worker: events are handled in the order they arrive, so a test
    # that sees a later event handled knows the earlier ones were too.
    return 1


@pytest.fixture
def points_rpc(amqp_uri, database_url, container_factory, clock, points, max_workers):
    """Start the service with the points RPC answered by `points`; returns the mock."""

    class ReferralsAtTestTime(ReferralsService):
        db = Database(metadata, MIGRATIONS, clock=clock)

    container = container_factory(
        ReferralsAtTestTime, {"AMQP_URI": amqp_uri, "DATABASE_URL": database_url, "max_workers": max_workers}
    )
    rpc = replace_dependencies(container, "points")
    rpc.get_customer.side_effect = points.get_customer
    rpc.find_member_by_email.side_effect = points.find_member_by_email
    rpc.issue_referral_welcome_code.side_effect = points.issue_referral_welcome_code
    rpc.void_unclaimed_welcome_code.side_effect = points.void_unclaimed_welcome_code
    container.start()
    return rpc


@pytest.fixture
def referrals(points_rpc, amqp_uri):
    with ServiceRpcProxy("referrals", {"AMQP_URI": amqp_uri}, timeout=15) as proxy:
        yield proxy


@pytest.fixture
def tap(amqp_uri):
    tap = EventTap(amqp_uri, "referrals")
    yield tap
    tap.close()


@pytest.fixture
def db(database_url):
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


def outbox_count(db, event_type, referral_id):
    outbox = metadata.tables["outbox"]
    with db.connect() as conn:
        bodies = conn.execute(select(outbox.c.body).where(outbox.c.event_type == event_type)).scalars()
        return sum(json.loads(body)["payload"]["referral_id"] == referral_id for body in bodies)


def handled(db, event_id, handler="complete_referral_for_order"):
    processed = metadata.tables["processed_events"]
    with db.connect() as conn:
        return (
            conn.execute(
                select(processed.c.event_id).where(
                    processed.c.event_id == event_id, processed.c.handler == f"referrals.{handler}"
                )
            ).first()
            is not None
        )


def signals(db, shop_id):
    with db.connect() as conn:
        return [
            row._asdict()
            for row in conn.execute(
                select(fraud_signals.c.kind, fraud_signals.c.email, fraud_signals.c.client_ip)
                .where(fraud_signals.c.shop_id == shop_id)
                .order_by(fraud_signals.c.id)
            )
        ]


@pytest.fixture
def publish(amqp_uri):
    """Publish an event the way a service's outbox relay does (confirmed and
    mandatory: it fails if no queue is bound). Returns the wire body, which
    can be published again to simulate a redelivery."""
    publisher = make_event_publisher(amqp_uri)

    def send(source, shop_id=None, payload=None, body=None):
        body = body or make_event(source, shop_id, payload).model_dump(mode="json")
        publisher.publish(
            body,
            exchange=events_exchange(source),
            routing_key=body["type"],
            message_id=body["event_id"],
            type=body["type"],
            declare=[events_exchange(source)],
        )
        return body

    return send


def at(iso: str) -> datetime:
    return datetime.fromisoformat(iso)


def paid_order(order_id, customer_id="50", email="bob@example.com", codes=(), financial_status="paid"):
    return OrderPlaced(
        order_id=order_id,
        customer_id=customer_id,
        email=email,
        subtotal="40.00",
        financial_status=financial_status,
        discount_codes=list(codes),
    )


def claim(referrals, email="bob@example.com", customer_id="1", shop_id=SHOP, client_ip=None):
    code = referrals.create_referral_link(shop_id, customer_id)["code"]
    return referrals.claim_referral(shop_id, code, email, client_ip=client_ip)


# --- links and clicks ----------------------------------------------------------------------


def test_health_answers_after_querying_the_database(referrals):
    assert referrals.health() == {"service": "referrals", "database": "ok"}


def test_a_member_has_one_link_however_often_they_ask(referrals, clock):
    link = referrals.create_referral_link(SHOP, "1")
    assert len(link["code"]) == 8
    assert link["customer_id"] == "1"
    assert link["clicks"] == 0
    assert referrals.create_referral_link(SHOP, 1) == link  # numeric ids are the same member
    assert referrals.create_referral_link(SHOP, "2")["code"] != link["code"]


def test_a_members_link_is_read_without_making_one(referrals):
    assert referrals.get_referral_link(SHOP, "1") == {"link": None}
    link = referrals.create_referral_link(SHOP, "1")
    assert referrals.get_referral_link(SHOP, "1") == {"link": link}
    assert referrals.get_referral_link("another-shop", "1") == {"link": None}


def test_unknown_and_excluded_members_get_no_link(referrals):
    with pytest.raises(NotFound):
        referrals.create_referral_link(SHOP, "404")
    with pytest.raises(NotFound) as excluded:
        referrals.create_referral_link(SHOP, "9")
    assert "excluded" in excluded.value.message


def test_clicks_are_counted_per_link(referrals):
    code = referrals.create_referral_link(SHOP, "1")["code"]
    assert referrals.record_click(SHOP, code, client_ip="10.0.0.1") == {"code": code, "clicks": 1}
    assert referrals.record_click(SHOP, code.lower()) == {"code": code, "clicks": 2}
    assert referrals.create_referral_link(SHOP, "1")["clicks"] == 2
    with pytest.raises(NotFound):
        referrals.record_click(SHOP, "NOSUCHCO")


def test_clicks_roll_up_by_their_day_to_what_the_clicks_recorded_say(referrals, clock, db):
    code = referrals.create_referral_link(SHOP, "1")["code"]
    other_code = referrals.create_referral_link(OTHER_SHOP, "1")["code"]
    clock.set(at("2026-03-01T23:59:00+00:00"))
    for _ in range(3):
        referrals.record_click(SHOP, code)
    referrals.record_click(OTHER_SHOP, other_code)
    clock.set(at("2026-03-02T00:00:00+00:00"))
    referrals.record_click(SHOP, code)
    clock.set(at("2026-03-04T12:00:00+00:00"))
    referrals.record_click(SHOP, code)
    claim(referrals, "bob@example.com")

    def clicks_recorded(first: str, last: str) -> int:
        with db.connect() as conn:
            return sum(
                first <= occurred_at.date().isoformat() <= last
                for occurred_at in conn.execute(
                    select(link_clicks.c.occurred_at).where(link_clicks.c.shop_id == SHOP)
                ).scalars()
            )

    for first, last in [
        ("2026-03-01", "2026-03-01"),
        ("2026-03-02", "2026-03-03"),
        ("2026-03-01", "2026-03-04"),
        ("2026-03-05", "2026-03-31"),
    ]:
        totals = referrals.overview(SHOP, first, last)["totals"]
        assert totals["referral_link_clicks"] == clicks_recorded(first, last), (first, last)
    totals = referrals.overview(SHOP, "2026-03-01", "2026-03-04")["totals"]
    assert (totals["referral_link_clicks"], totals["referrals"]["pending"]) == (5, 1)
    assert referrals.overview(OTHER_SHOP, "2026-03-01", "2026-03-01")["totals"]["referral_link_clicks"] == 1


# --- claims ------------------------------------------------------------------------------


def test_a_claim_issues_the_welcome_code_and_records_every_step(referrals, points_rpc, clock, tap):
    code = referrals.create_referral_link(SHOP, "1")["code"]
    clicked_at = clock.now()
    referrals.record_click(SHOP, code)
    clock.advance(minutes=3)

    claimed = referrals.claim_referral(SHOP, code, "Bob@Example.com", client_ip="10.0.0.1")

    assert claimed["status"] == "pending"
    assert claimed["discount_code"].startswith("WELCOME-")
    points_rpc.issue_referral_welcome_code.assert_called_once_with(
        SHOP, claimed["referral_id"], "Bob@example.com"
    )
    referral = referrals.get_referral(SHOP, claimed["referral_id"])
    assert referral["referrer_customer_id"] == "1"
    assert referral["referrer_email"] == "Kate.Smith@example.com"
    assert referral["referee_email"] == "Bob@example.com"
    assert referral["discount_code"] == claimed["discount_code"]
    assert referral["code"] == code
    steps = referral["steps"]
    assert at(steps["link_clicked_at"]) == clicked_at
    assert at(steps["email_entered_at"]) == at(steps["coupon_issued_at"]) == clock.now()
    assert steps["order_placed_at"] is None
    assert referral["referrer_reward_points"] is None

    published = [
        e["body"] for e in tap.wait_for_event("referral_claimed", referral_id=claimed["referral_id"])
    ]
    assert len(published) == 1
    assert published[0]["payload"]["discount_code"] == claimed["discount_code"]


def test_an_invalid_email_is_a_422_naming_the_field(referrals, points_rpc, db):
    code = referrals.create_referral_link(SHOP, "1")["code"]
    with pytest.raises(Unprocessable) as invalid:
        referrals.claim_referral(SHOP, code, "not-an-email")
    assert [d["field"] for d in invalid.value.details] == ["email"]
    points_rpc.issue_referral_welcome_code.assert_not_called()


@pytest.mark.parametrize(
    ("email", "kind", "reason"),
    [
        ("kate.smith@example.com", "self_referral", "own referral"),
        ("katesmith+friend@EXAMPLE.com", "self_referral", "own referral"),
        ("existing@example.com", "existing_customer", "already belongs to a customer"),
    ],
)
def test_a_refused_claim_is_a_409_that_says_why_and_leaves_a_fraud_signal(
    referrals, points_rpc, db, email, kind, reason
):
    code = referrals.create_referral_link(SHOP, "1")["code"]
    with pytest.raises(Conflict) as refused:
        referrals.claim_referral(SHOP, code, email, client_ip="10.0.0.7")
    assert reason in refused.value.message
    assert refused.value.details == {"reason": kind}
    assert signals(db, SHOP) == [
        {"kind": kind, "email": email.strip().split("@")[0] + "@example.com", "client_ip": "10.0.0.7"}
    ]
    points_rpc.issue_referral_welcome_code.assert_not_called()


def test_an_email_already_referred_cannot_be_claimed_again_until_cancelled(referrals, db):
    first = claim(referrals, "bob.jones@example.com")
    with pytest.raises(Conflict) as again:
        claim(referrals, "Bob.Jones+2@example.com", customer_id="2")  # another referrer, same mailbox
    assert "already been referred" in again.value.message
    assert [s["kind"] for s in signals(db, SHOP)] == ["already_referred"]

    referrals.cancel_referral(SHOP, first["referral_id"], "admin")
    assert claim(referrals, "bobjones@example.com", customer_id="2")["status"] == "pending"


@pytest.mark.parametrize("max_workers", [10])
def test_concurrent_claims_of_one_mailbox_make_one_referral(referrals, amqp_uri, db, points):
    code = referrals.create_referral_link(SHOP, "1")["code"]

    def attempt(email):
        with ServiceRpcProxy("referrals", {"AMQP_URI": amqp_uri}, timeout=15) as proxy:
            try:
                return proxy.claim_referral(SHOP, code, email)
            except Conflict as refused:
                return refused

    results = list(
        eventlet.GreenPool().imap(
            attempt, ["zoe@example.com", "Zoe@example.com", "z.o.e@example.com", "zoe+1@example.com"]
        )
    )

    assert len([r for r in results if isinstance(r, dict)]) == 1
    assert [r.details for r in results if isinstance(r, Conflict)] == [{"reason": "already_referred"}] * 3
    assert len(referrals.list_activities(SHOP)["items"]) == 1
    assert [s["kind"] for s in signals(db, SHOP)] == ["already_referred"] * 3
    # A code issued to a claim that then lost the race does not stay valid.
    [winner] = [r for r in results if isinstance(r, dict)]
    assert [c["code"] for c in points.codes.values() if c["status"] == "active"] == [winner["discount_code"]]


def test_unknown_code_and_a_referrer_excluded_since_are_404(referrals, points):
    with pytest.raises(NotFound):
        referrals.claim_referral(SHOP, "NOSUCHCO", "bob@example.com")
    code = referrals.create_referral_link(SHOP, "1")["code"]
    points.members[(SHOP, "1")]["status"] = "excluded"
    with pytest.raises(NotFound) as excluded:
        referrals.claim_referral(SHOP, code, "bob@example.com")
    assert "excluded" in excluded.value.message


def test_claims_from_one_address_are_limited_per_week(referrals, db, clock, monkeypatch):
    monkeypatch.setenv("REFERRAL_MAX_CLAIMS_PER_IP_PER_WEEK", "2")
    code = referrals.create_referral_link(SHOP, "1")["code"]
    referrals.claim_referral(SHOP, code, "one@example.com", client_ip="10.0.0.9")
    referrals.claim_referral(SHOP, code, "two@example.com", client_ip="10.0.0.9")

    with pytest.raises(Conflict) as limited:
        referrals.claim_referral(SHOP, code, "three@example.com", client_ip="10.0.0.9")
    assert "too many referral claims" in limited.value.message
    assert signals(db, SHOP) == [
        {"kind": "too_many_claims", "email": "three@example.com", "client_ip": "10.0.0.9"}
    ]
    # Another address is not limited, nor is this one a week later.
    assert referrals.claim_referral(SHOP, code, "three@example.com", client_ip="10.0.0.10")
    clock.advance(days=7, seconds=1)
    assert referrals.claim_referral(SHOP, code, "four@example.com", client_ip="10.0.0.9")


# --- completion by the referee's order --------------------------------------------------------


def test_a_paid_order_with_the_code_completes_the_referral_exactly_once(referrals, publish, db, tap, clock):
    claimed = claim(referrals, "bob@example.com")
    welcome = claimed["discount_code"]

    first = publish("gateway", SHOP, paid_order("5001", codes=[welcome.lower()]))
    publish("gateway", body=first)  # the same event, redelivered
    second = publish("gateway", SHOP, paid_order("5002", codes=[welcome]))  # a later order, same code
    assert wait_for(lambda: handled(db, second["event_id"]))
    used = publish(
        "points",
        SHOP,
        DiscountCodeUsed(code=welcome, order_id="5001", customer_id="50", referral_id=claimed["referral_id"]),
    )
    assert wait_for(lambda: handled(db, used["event_id"], "record_used_code"))

    referral = referrals.get_referral(SHOP, claimed["referral_id"])
    assert referral["status"] == "completed"
    assert referral["order_id"] == "5001"
    assert referral["discount_code_status"] == "used"
    assert referral["referee_customer_id"] == "50"
    assert at(referral["completed_at"]) == clock.now()
    assert at(referral["steps"]["order_placed_at"]) == at(first["occurred_at"])
    assert outbox_count(db, "referral_completed", claimed["referral_id"]) == 1
    published = [
        e["body"] for e in tap.wait_for_event("referral_completed", referral_id=claimed["referral_id"])
    ]
    assert [e["payload"]["order_id"] for e in published] == ["5001"]


def test_only_a_paid_order_from_the_claimed_email_completes_without_the_code(referrals, publish, db):
    claimed = claim(referrals, "dave@example.com")

    unpaid = publish(
        "gateway", SHOP, paid_order("6001", email="Dave@Example.com", financial_status="pending")
    )
    paid = publish("gateway", SHOP, paid_order("6002", email="Dave@Example.com"))
    assert wait_for(lambda: handled(db, paid["event_id"]))

    referral = referrals.get_referral(SHOP, claimed["referral_id"])
    assert (referral["status"], referral["order_id"]) == ("completed", "6002")
    assert not handled(db, unpaid["event_id"])  # ignored outright: nothing to record


def test_the_referrers_own_order_never_completes_their_referral(referrals, publish, db):
    claimed = claim(referrals, "frank@example.com")
    welcome = claimed["discount_code"]

    own = publish(
        "gateway", SHOP, paid_order("7001", customer_id="1", email="kate@work.example", codes=[welcome])
    )
    disguised = publish(
        "gateway",
        SHOP,
        paid_order("7002", customer_id=None, email="KateSmith+x@example.com", codes=[welcome]),
    )
    assert wait_for(lambda: handled(db, own["event_id"]) and handled(db, disguised["event_id"]))

    assert referrals.get_referral(SHOP, claimed["referral_id"])["status"] == "pending"
    assert outbox_count(db, "referral_completed", claimed["referral_id"]) == 0


def test_an_order_in_another_shop_does_not_complete_the_referral(referrals, publish, db):
    claimed = claim(referrals, "gail@example.com")
    theirs = publish(
        "gateway", OTHER_SHOP, paid_order("8001", email="gail@example.com", codes=[claimed["discount_code"]])
    )
    assert wait_for(lambda: handled(db, theirs["event_id"]))
    assert referrals.get_referral(SHOP, claimed["referral_id"])["status"] == "pending"


def test_the_referrers_reward_is_recorded_from_points(referrals, publish, db):
    claimed = claim(referrals, "hank@example.com")

    def award(reason, points):
        return publish(
            "points",
            SHOP,
            PointsAwarded(
                customer_id="1",
                activity_id=3,
                points=points,
                reason=reason,
                reference=claimed["referral_id"],
                balance_after=points,
            ),
        )

    other = award("order", 40)
    reward = award("referral", 500)
    assert wait_for(lambda: handled(db, reward["event_id"], "record_referrer_reward"))
    assert not handled(db, other["event_id"], "record_referrer_reward")
    assert referrals.get_referral(SHOP, claimed["referral_id"])["referrer_reward_points"] == 500


def test_the_referees_code_shows_voided_when_points_voids_it(referrals, publish, db):
    voided = claim(referrals, "vera@example.com")
    untouched = claim(referrals, "walt@example.com")
    assert voided["discount_code"] != untouched["discount_code"]

    event = publish(
        "points",
        SHOP,
        DiscountCodeVoided(
            code=voided["discount_code"],
            customer_email="vera@example.com",
            referral_id=voided["referral_id"],
            reason="referral_cancelled",
        ),
    )
    assert wait_for(lambda: handled(db, event["event_id"], "record_voided_code"))

    assert referrals.get_referral(SHOP, voided["referral_id"])["discount_code_status"] == "voided"
    assert referrals.get_referral(SHOP, untouched["referral_id"])["discount_code_status"] == "active"


def test_the_referees_code_shows_used_when_points_says_so_not_when_the_order_does(referrals, publish, db):
    used = claim(referrals, "uma@example.com")
    untouched = claim(referrals, "umar@example.com")

    order = publish(
        "gateway", SHOP, paid_order("9301", email="uma@example.com", codes=[used["discount_code"]])
    )
    assert wait_for(lambda: handled(db, order["event_id"]))
    completed = referrals.get_referral(SHOP, used["referral_id"])
    assert (completed["status"], completed["discount_code_status"]) == ("completed", "active")

    not_welcome = publish(
        "points", SHOP, DiscountCodeUsed(code="REWARD-AAAA", order_id="9302", customer_id="50")
    )
    event = publish(
        "points",
        SHOP,
        DiscountCodeUsed(
            code=used["discount_code"], order_id="9301", customer_id="50", referral_id=used["referral_id"]
        ),
    )
    assert wait_for(lambda: handled(db, event["event_id"], "record_used_code"))
    assert not handled(db, not_welcome["event_id"], "record_used_code")

    assert referrals.get_referral(SHOP, used["referral_id"])["discount_code_status"] == "used"
    assert referrals.get_referral(SHOP, untouched["referral_id"])["discount_code_status"] == "active"


# --- cancellation -------------------------------------------------------------------------


def test_cancelling_a_pending_referral_publishes_it_and_is_final(referrals, publish, db, tap, clock):
    claimed = claim(referrals, "ivan@example.com")

    cancelled = referrals.cancel_referral(SHOP, claimed["referral_id"], "admin@shop")

    assert cancelled["status"] == "cancelled"
    assert cancelled["cancelled_by"] == "admin@shop"
    assert at(cancelled["cancelled_at"]) == clock.now()
    assert referrals.get_referral(SHOP, claimed["referral_id"])["status"] == "cancelled"
    published = [
        e["body"] for e in tap.wait_for_event("referral_cancelled", referral_id=claimed["referral_id"])
    ]
    assert len(published) == 1
    assert published[0]["payload"]["previous_status"] == "pending"
    assert published[0]["payload"]["referee_email"] == "ivan@example.com"

    with pytest.raises(Conflict):
        referrals.cancel_referral(SHOP, claimed["referral_id"], "admin@shop")
    assert outbox_count(db, "referral_cancelled", claimed["referral_id"]) == 1

    # The referee orders with the voided code anyway: the referral stays cancelled.
    order = publish(
        "gateway", SHOP, paid_order("9001", email="ivan@example.com", codes=[claimed["discount_code"]])
    )
    assert wait_for(lambda: handled(db, order["event_id"]))
    assert referrals.get_referral(SHOP, claimed["referral_id"])["status"] == "cancelled"


def test_cancelling_a_completed_referral_says_it_was_completed(referrals, publish, db, tap):
    claimed = claim(referrals, "jack@example.com")
    order = publish("gateway", SHOP, paid_order("9101", email="jack@example.com"))
    assert wait_for(lambda: handled(db, order["event_id"]))

    assert referrals.cancel_referral(SHOP, claimed["referral_id"], "admin")["status"] == "cancelled"
    published = [
        e["body"] for e in tap.wait_for_event("referral_cancelled", referral_id=claimed["referral_id"])
    ]
    assert published[0]["payload"]["previous_status"] == "completed"


# --- shops are apart -------------------------------------------------------------------------


def test_another_shop_can_neither_see_nor_touch_a_referral(referrals):
    claimed = claim(referrals, "kim@example.com")
    code = referrals.get_referral(SHOP, claimed["referral_id"])["code"]

    with pytest.raises(NotFound):
        referrals.get_referral(OTHER_SHOP, claimed["referral_id"])
    with pytest.raises(NotFound):
        referrals.cancel_referral(OTHER_SHOP, claimed["referral_id"], "intruder")
    with pytest.raises(NotFound):
        referrals.record_click(OTHER_SHOP, code)
    with pytest.raises(NotFound):
        referrals.claim_referral(OTHER_SHOP, code, "lee@example.com")
    assert referrals.list_activities(OTHER_SHOP)["items"] == []
    assert referrals.get_referral(SHOP, claimed["referral_id"])["status"] == "pending"


# --- the activity feed ---------------------------------------------------------------------


def test_keyset_pages_return_every_referral_once_newest_first(referrals, clock):
    code = referrals.create_referral_link(SHOP, "1")["code"]
    made = []
    for i in range(7):
        if i % 2 == 0:  # pairs share a timestamp, so the id breaks the tie
            clock.advance(seconds=1)
        made.append(referrals.claim_referral(SHOP, code, f"friend{i}@example.com")["referral_id"])
    referrals.cancel_referral(SHOP, made[0], "admin")

    seen, cursor = [], None
    while True:
        found = referrals.list_activities(SHOP, cursor=cursor, limit=3)
        assert len(found["items"]) <= 3
        seen += found["items"]
        cursor = found["next_cursor"]
        if cursor is None:
            break

    assert sorted(item["id"] for item in seen) == sorted(made)
    keys = [(item["occurred_at"], item["id"]) for item in seen]
    assert keys == sorted(keys, reverse=True)
    assert set(seen[0]) >= {
        "id",
        "referrer_customer_id",
        "referrer_email",
        "referee_email",
        "status",
        "steps",
        "discount_code",
        "referrer_reward_points",
        "occurred_at",
        "completed_at",
        "cancelled_at",
    }
    cancelled = referrals.list_activities(SHOP, status="cancelled")["items"]
    assert [item["id"] for item in cancelled] == [made[0]]
    oldest = referrals.list_activities(SHOP, to=seen[-1]["occurred_at"])["items"]
    assert {item["id"] for item in oldest} == {made[0], made[1]}


def test_a_bad_feed_query_is_a_422(referrals):
    with pytest.raises(Unprocessable) as bad:
        referrals.list_activities(SHOP, status="lost", limit=500)
    assert {d["field"] for d in bad.value.details} == {"status", "limit"}


# --- one customer's referrals ------------------------------------------------------------------


def test_a_customers_referrals_list_both_roles_newest_first(referrals, publish, db, clock):
    referred_bob = claim(referrals, "bob@example.com", customer_id="1")
    clock.advance(minutes=1)
    # Kate is referred in turn by member 2, and her order completes it.
    referred_kate = claim(referrals, "kate.new@elsewhere.example", customer_id="2")
    order = publish(
        "gateway",
        SHOP,
        paid_order(
            "9201",
            customer_id="1",
            email="kate.new@elsewhere.example",
            codes=[referred_kate["discount_code"]],
        ),
    )
    assert wait_for(lambda: handled(db, order["event_id"]))
    used = publish(
        "points",
        SHOP,
        DiscountCodeUsed(
            code=referred_kate["discount_code"],
            order_id="9201",
            customer_id="1",
            referral_id=referred_kate["referral_id"],
        ),
    )
    assert wait_for(lambda: handled(db, used["event_id"], "record_used_code"))
    clock.advance(minutes=1)
    referred_carol = claim(referrals, "carol@example.com", customer_id="1")

    kates = referrals.list_customer_referrals(SHOP, "1")["items"]

    assert [(item["id"], item["role"]) for item in kates] == [
        (referred_carol["referral_id"], "referrer"),
        (referred_kate["referral_id"], "referee"),
        (referred_bob["referral_id"], "referrer"),
    ]
    as_referee = kates[1]
    assert (as_referee["referrer_customer_id"], as_referee["referrer_email"]) == ("2", "existing@example.com")
    assert (as_referee["status"], as_referee["discount_code_status"], as_referee["order_id"]) == (
        "completed",
        "used",
        "9201",
    )
    assert kates[0]["referee_email"] == "carol@example.com"
    assert kates[0]["steps"]["order_placed_at"] is None
    assert [(item["id"], item["role"]) for item in referrals.list_customer_referrals(SHOP, "2")["items"]] == [
        (referred_kate["referral_id"], "referrer")
    ]
    newest_two = referrals.list_customer_referrals(SHOP, "1", limit=2)["items"]
    assert [item["id"] for item in newest_two] == [
        referred_carol["referral_id"],
        referred_kate["referral_id"],
    ]
    # A referee who has not ordered yet is no member of the referral.
    assert referrals.list_customer_referrals(SHOP, "50")["items"] == []


def test_a_customers_referrals_stay_in_their_shop(referrals):
    ours = claim(referrals, "bob@example.com", customer_id="1")
    theirs = claim(referrals, "dora@example.com", customer_id="1", shop_id=OTHER_SHOP)

    assert [item["id"] for item in referrals.list_customer_referrals(SHOP, "1")["items"]] == [
        ours["referral_id"]
    ]
    assert [item["id"] for item in referrals.list_customer_referrals(OTHER_SHOP, "1")["items"]] == [
        theirs["referral_id"]
    ]
    assert referrals.list_customer_referrals("shp_gamma", "1")["items"] == []


def test_a_bad_customer_referrals_query_is_a_422(referrals):
    with pytest.raises(Unprocessable) as bad:
        referrals.list_customer_referrals(SHOP, " ", limit=0)
    assert {d["field"] for d in bad.value.details} == {"customer_id", "limit"}
