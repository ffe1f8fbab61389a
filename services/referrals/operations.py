"""The work of each referrals command, event and query: domain rules applied
to repository queries, events published in the same unit of work.

Links and claims ask the points service (the referrer's membership, the
referee's welcome code) between short units of work of their own, so they
receive the worker's `db` and the points RPC proxy; never is a unit of work
open across an RPC. Everything else runs inside the one unit of work it is
given (the service commits it)."""

import logging
import os
import uuid
from typing import NoReturn

from sqlalchemy.exc import IntegrityError

from services.referrals import domain, repository
from services.referrals.schemas import (
    ActivityQuery,
    CancelRequest,
    Claim,
    ClaimRequest,
    ClickRequest,
    CustomerReferral,
    CustomerReferralsQuery,
    LinkClicks,
    LinkRequest,
    OverviewQuery,
    Referral,
    ReferralLink,
    ReferralRef,
    ReferralsOverview,
    ReferralTotals,
    StatusCounts,
)
from shared.db import UnitOfWork, must_exist
from shared.errors import Conflict, NotFound, ServiceUnavailable
from shared.events import CustomerCreated, DiscountCodeUsed, DiscountCodeVoided, OrderPlaced, PointsAwarded
from shared.pagination import Page

log = logging.getLogger(__name__)

# A new link's random code may (very rarely) be taken, or a concurrent call
# may have made the member's link first: either way, look again.
LINK_ATTEMPTS = 3

# The overview's newest rows.
RECENT_ROWS = 5


def max_claims_per_ip_per_week() -> int:
    """Claims one client address may make per shop in 7 days; more are
    refused. Read at each claim, so a changed setting applies at once."""
    return int(
        os.environ.get("REFERRAL_MAX_CLAIMS_PER_IP_PER_WEEK", domain.DEFAULT_MAX_CLAIMS_PER_IP_PER_WEEK)
    )


# --- links and clicks -------------------------------------------------------------------


def create_referral_link(db, points, request: LinkRequest) -> ReferralLink:
    """The member's one link, made on first request."""
    referrer = domain.ensure_active_referrer(
        _member(points, request.shop_id, request.customer_id), request.customer_id
    )
    for _ in range(LINK_ATTEMPTS):
        with db.unit_of_work() as uow:
            link = repository.link_of_customer(uow.session, request.shop_id, request.customer_id)
            if link is not None:
                break
            _remember_referrer(uow, request.shop_id, referrer)
            try:
                link = repository.add_link(
                    uow.session,
                    request.shop_id,
                    domain.new_link_code(),
                    request.customer_id,
                    referrer.get("email"),
                    uow.clock.now(),
                )
                uow.commit()
                break
            except IntegrityError:
                continue
    else:
        raise ServiceUnavailable("could not create a referral link; try again")
    return ReferralLink.model_validate(link)


def get_referral_link(uow: UnitOfWork, request: LinkRequest) -> ReferralLink | None:
    """The member's link, if they have asked for one."""
    link = repository.link_of_customer(uow.session, request.shop_id, request.customer_id)
    return None if link is None else ReferralLink.model_validate(link)


def record_click(uow: UnitOfWork, click: ClickRequest) -> LinkClicks:
    link = repository.record_click(uow.session, click.shop_id, click.code, click.client_ip, uow.clock.now())
    if link is None:
        raise _no_such_link(click.code)
    return LinkClicks.model_validate(link)


# --- claims -----------------------------------------------------------------------------


def claim_referral(db, points, claim: ClaimRequest) -> Claim:
    """The referee's claim: judged first (a refusal is a fraud signal and a
    409), then the welcome code is issued by points, then the referral is
    recorded."""
    with db.unit_of_work() as uow:
        link = repository.link_by_code(uow.session, claim.shop_id, claim.code)
    if link is None:
        raise _no_such_link(claim.code)
    referrer = domain.ensure_active_referrer(
        _member(points, claim.shop_id, link.customer_id), link.customer_id
    )
    is_existing_customer = points.find_member_by_email(claim.shop_id, claim.email) is not None

    with db.unit_of_work() as uow:
        refusal = _claim_refusal(uow, claim, referrer, is_existing_customer)
    if refusal is not None:
        _refuse(db, claim, refusal)

    referral_id = str(uuid.uuid4())
    welcome = points.issue_referral_welcome_code(claim.shop_id, referral_id, claim.email)

    with db.unit_of_work() as uow:
        # Judged again: a concurrent claim of this email may have won meanwhile.
        refusal = _claim_refusal(uow, claim, referrer, is_existing_customer)
        if refusal is None:
            now = uow.clock.now()
            referral = domain.new_referral(
                referral_id=referral_id,
                shop_id=claim.shop_id,
                code=link.code,
                referrer=referrer,
                referee_email=claim.email,
                discount_code=welcome["code"],
                link_clicked_at=repository.latest_click_at(uow.session, claim.shop_id, link.code),
                client_ip=claim.client_ip,
                now=now,
            )
            try:
                repository.add_referral(uow.session, referral)
                _remember_referrer(uow, claim.shop_id, referrer)
            except IntegrityError:
                # PostgreSQL: the one-open-referral-per-mailbox index caught the race.
                refusal = domain.refusal(domain.ALREADY_REFERRED)
            else:
                uow.publish(claim.shop_id, domain.referral_claimed(referral))
                uow.commit()
                return Claim(
                    referral_id=referral_id,
                    discount_code=referral["discount_code"],
                    status=referral["status"],
                )
    # Lost to a concurrent claim after the code was issued: no referral
    # will own it, so it must not stay valid at checkout.
    points.void_unclaimed_welcome_code(claim.shop_id, referral_id)
    _refuse(db, claim, refusal)


def _remember_referrer(uow: UnitOfWork, shop_id: str, referrer: domain.MemberProfile) -> None:
    """The referrer's profile as points just gave it, for the rows that name them."""
    repository.remember_customer(
        uow.session,
        shop_id,
        referrer["customer_id"],
        referrer.get("email"),
        referrer.get("first_name"),
        referrer.get("last_name"),
    )


def _member(points, shop_id: str, customer_id: str) -> domain.MemberProfile | None:
    try:
        return points.get_customer(shop_id, customer_id)
    except NotFound:
        return None


def _claim_refusal(
    uow: UnitOfWork, claim: ClaimRequest, referrer: domain.MemberProfile, is_existing_customer: bool
) -> domain.Refusal | None:
    referee_key = domain.email_key(claim.email)
    if referee_key is None:
        # ClaimRequest let only a valid address through, and each has a key.
        raise ValueError(f"the claimed email {claim.email!r} has no mailbox key")
    facts = domain.ClaimFacts(
        referee_email_key=referee_key,
        referrer_email_key=domain.email_key(referrer.get("email")),
        is_existing_customer=is_existing_customer,
        is_already_referred=repository.has_open_referral(uow.session, claim.shop_id, referee_key),
        recent_claims_from_ip=repository.claims_from_ip_since(
            uow.session, claim.shop_id, claim.client_ip, domain.claim_window_start(uow.clock.now())
        ),
    )
    return domain.claim_refusal(facts, max_claims_per_ip_per_week())


def _refuse(db, claim: ClaimRequest, refusal: domain.Refusal) -> NoReturn:
    """Record the refusal as a fraud signal (committed on its own), then say why."""
    with db.unit_of_work() as uow:
        repository.add_fraud_signal(
            uow.session,
            claim.shop_id,
            refusal.kind,
            claim.code,
            claim.email,
            claim.client_ip,
            uow.clock.now(),
        )
        uow.commit()
    raise Conflict(refusal.message, {"reason": refusal.kind})


def _no_such_link(code: str) -> NotFound:
    return NotFound("no such referral link", {"code": code})


# --- referrals --------------------------------------------------------------------------


def get_referral(uow: UnitOfWork, ref: ReferralRef) -> Referral:
    _existing_referral(uow, ref.shop_id, ref.referral_id)
    return _named(uow, ref.shop_id, ref.referral_id)


def cancel_referral(uow: UnitOfWork, request: CancelRequest) -> Referral:
    """Cancelled under the referral's row lock; points hears of it (and voids
    the referee's unused code) from the event."""
    referral = _existing_referral(uow, request.shop_id, request.referral_id, for_update=True)
    cancellation = domain.cancel(referral.status, request.actor, uow.clock.now())
    referral = repository.record_cancellation(uow.session, request.shop_id, referral.id, cancellation)
    uow.publish(request.shop_id, domain.referral_cancelled(referral, cancellation.previous_status))
    return _named(uow, request.shop_id, referral.id)


def _named(uow: UnitOfWork, shop_id: str, referral_id: str) -> Referral:
    row = repository.named_referral(uow.session, shop_id, referral_id)
    return Referral.of(must_exist(row, f"referral {referral_id}"))


def list_activities(uow: UnitOfWork, query: ActivityQuery) -> Page[Referral]:
    found = repository.referrals_page(uow.session, query)
    return {"items": [Referral.of(row) for row in found["items"]], "next_cursor": found["next_cursor"]}


def referrals_overview(uow: UnitOfWork, query: OverviewQuery) -> ReferralsOverview:
    """The range's totals from the daily roll-ups, and its newest referrals."""
    totals = repository.totals_between(uow.session, query.shop_id, query.first, query.last)
    from_, to = query.window()
    newest = ActivityQuery.model_validate(
        {"shop_id": query.shop_id, "from": from_, "to": to, "limit": RECENT_ROWS}
    )
    return ReferralsOverview(
        totals=ReferralTotals(
            referrals=StatusCounts(
                pending=totals.pending, completed=totals.completed, cancelled=totals.cancelled
            ),
            referral_points_rewarded=totals.reward_points,
            referral_link_clicks=totals.link_clicks,
        ),
        recent=[Referral.of(row) for row in repository.referrals_page(uow.session, newest)["items"]],
    )


def list_customer_referrals(uow: UnitOfWork, query: CustomerReferralsQuery) -> list[CustomerReferral]:
    return [
        CustomerReferral.of(dict(row._asdict(), role=role))
        for role, row in repository.referrals_of_customer(uow.session, query)
    ]


def _existing_referral(uow: UnitOfWork, shop_id: str, referral_id: str, for_update: bool = False):
    referral = repository.referral(uow.session, shop_id, referral_id, for_update=for_update)
    if referral is None:
        raise NotFound("no such referral", {"id": referral_id})
    return referral


# --- events -----------------------------------------------------------------------------


def complete_referral_for_order(uow: UnitOfWork, shop_id: str, order: OrderPlaced, order_event_at) -> None:
    """The referral this paid order completes, if any: the one whose welcome
    code it used, else the open one claimed with its email."""
    if not domain.may_complete_referrals(order):
        return
    candidates = repository.completion_candidates(
        uow.session, shop_id, domain.order_code_keys(order), domain.email_key(order.email)
    )
    referral = domain.referral_completed_by(order, candidates)
    if referral is not None:
        done = domain.completion(order, order_event_at, uow.clock.now())
        completed = repository.record_completion(uow.session, shop_id, referral.id, done)
        uow.publish(shop_id, domain.referral_completed(completed, done))


# Points owns the referee's welcome code; the referral keeps a copy of its
# status for the dashboard's rows, learnt from points' events only, so the
# two never disagree.


def record_used_code(uow: UnitOfWork, shop_id: str, used: DiscountCodeUsed) -> None:
    repository.set_code_status(
        uow.session, shop_id, _welcome_code_referral(used), used.code, domain.CODE_USED
    )


def record_voided_code(uow: UnitOfWork, shop_id: str, voided: DiscountCodeVoided) -> None:
    repository.set_code_status(
        uow.session, shop_id, _welcome_code_referral(voided), voided.code, domain.CODE_VOIDED
    )


def _welcome_code_referral(change: DiscountCodeUsed | DiscountCodeVoided) -> str:
    # The handlers hear only of welcome codes (domain.is_welcome_code is their filter).
    if change.referral_id is None:
        raise ValueError(f"discount code {change.code} is no referee's welcome code")
    return change.referral_id


def record_referrer_reward(uow: UnitOfWork, shop_id: str, award: PointsAwarded) -> None:
    referral_id = domain.rewarded_referral(award)
    if referral_id is None:
        # The handler hears only of referral rewards (domain.rewarded_referral is its filter).
        raise ValueError(f"points_awarded (activity {award.activity_id}) is no referrer's reward")
    if not repository.record_reward(uow.session, shop_id, referral_id, award.points):
        log.warning(
            "points_awarded (activity %s) names unknown referral %s of shop %s",
            award.activity_id,
            referral_id,
            shop_id,
        )


# The shop's customers, as its events tell them, name the referrers on the
# dashboard's rows.


def remember_customer(uow: UnitOfWork, shop_id: str, customer: CustomerCreated) -> None:
    repository.remember_customer(
        uow.session, shop_id, customer.customer_id, customer.email, customer.first_name, customer.last_name
    )


def remember_order_customer(uow: UnitOfWork, shop_id: str, order: OrderPlaced) -> None:
    if order.customer_id is None:
        # The handler hears only of orders with a customer (domain.names_a_customer).
        raise ValueError(f"order {order.order_id} names no customer")
    repository.remember_customer(
        uow.session, shop_id, order.customer_id, order.email, order.first_name, order.last_name
    )
