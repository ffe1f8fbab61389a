"""The referrals service: referral links and their clicks, claims (with the
fraud checks of SPEC §6 and the referee's welcome code from points),
completion by the referee's paid order, cancellation, and the referrer's
reward as points reports it."""
import logging
import uuid
from pathlib import Path
from typing import NoReturn

from nameko.rpc import RpcProxy, rpc
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from services.referrals import domain, repository
from services.referrals.models import metadata
from services.referrals.schemas import (
    ActivityQuery, CancelRequest, Claim, ClaimRequest, ClickRequest, CustomerReferral, CustomerReferralsQuery,
    LinkClicks, LinkRequest, Referral, ReferralLink, ReferralRef,
)
from services.referrals.settings import max_claims_per_ip_per_week
from shared.db import UnitOfWork
from shared.entrypoints import Database, reliable_event_handler
from shared.errors import Conflict, NotFound, ServiceUnavailable
from shared.pagination import parse_query

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).parent / "migrations"

# A new link's random code may (very rarely) be taken, or a concurrent call
# may have made the member's link first: either way, look again.
LINK_ATTEMPTS = 3


def provided(**params) -> dict:
    """The arguments a caller actually gave: a None is "not given", so the
    schema's default applies or its "field required" names the field."""
    return {name: value for name, value in params.items() if value is not None}


class ReferralsService:
    name = "referrals"
    db = Database(metadata, MIGRATIONS)
    points = RpcProxy("points")

    # --- links and clicks -------------------------------------------------------------

    @rpc
    def create_referral_link(self, shop_id, customer_id=None):
        request = parse_query(LinkRequest, provided(shop_id=shop_id, customer_id=customer_id))
        referrer = domain.ensure_active_referrer(
            self._member(request.shop_id, request.customer_id), request.customer_id)
        for _ in range(LINK_ATTEMPTS):
            with self.db.unit_of_work() as uow:
                link = repository.link_of_customer(uow.session, request.shop_id, request.customer_id)
                if link is not None:
                    break
                try:
                    link = repository.add_link(uow.session, request.shop_id, domain.new_link_code(),
                                               request.customer_id, referrer.get("email"), uow.clock.now())
                    uow.commit()
                    break
                except IntegrityError:
                    continue
        else:
            raise ServiceUnavailable("could not create a referral link; try again")
        return ReferralLink.model_validate(link).model_dump(mode="json")

    @rpc
    def record_click(self, shop_id, code=None, client_ip=None):
        click = parse_query(ClickRequest, provided(shop_id=shop_id, code=code, client_ip=client_ip))
        with self.db.unit_of_work() as uow:
            link = repository.record_click(uow.session, click.shop_id, click.code, click.client_ip,
                                           uow.clock.now())
            if link is None:
                raise _no_such_link(click.code)
            uow.commit()
        return LinkClicks.model_validate(link).model_dump(mode="json")

    # --- claims ---------------------------------------------------------------------------

    @rpc
    def claim_referral(self, shop_id, code=None, email=None, client_ip=None):
        """The referee's claim: judged first (a refusal is a fraud signal and a
        409), then the welcome code is issued by points, then the referral is
        recorded. No RPC happens while a unit of work is open."""
        claim = parse_query(ClaimRequest, provided(shop_id=shop_id, code=code, email=email,
                                                   client_ip=client_ip))
        with self.db.unit_of_work() as uow:
            link = repository.link_by_code(uow.session, claim.shop_id, claim.code)
        if link is None:
            raise _no_such_link(claim.code)
        referrer = domain.ensure_active_referrer(self._member(claim.shop_id, link.customer_id),
                                                 link.customer_id)
        is_existing_customer = self.points.find_member_by_email(claim.shop_id, claim.email) is not None

        with self.db.unit_of_work() as uow:
            refusal = _claim_refusal(uow, claim, referrer, is_existing_customer)
        if refusal is not None:
            self._refuse(claim, refusal)

        referral_id = str(uuid.uuid4())
        welcome = self.points.issue_referral_welcome_code(claim.shop_id, referral_id, claim.email)

        with self.db.unit_of_work() as uow:
            # Judged again: a concurrent claim of this email may have won meanwhile.
            refusal = _claim_refusal(uow, claim, referrer, is_existing_customer)
            if refusal is None:
                now = uow.clock.now()
                referral = domain.new_referral(
                    referral_id=referral_id, shop_id=claim.shop_id, code=link.code, referrer=referrer,
                    referee_email=claim.email, discount_code=welcome["code"],
                    link_clicked_at=repository.latest_click_at(uow.session, claim.shop_id, link.code),
                    client_ip=claim.client_ip, now=now)
                try:
                    repository.add_referral(uow.session, referral)
                except IntegrityError:
                    # PostgreSQL: the one-open-referral-per-mailbox index caught the race.
                    refusal = domain.refusal(domain.ALREADY_REFERRED)
                else:
                    uow.publish(claim.shop_id, domain.referral_claimed(referral))
                    uow.commit()
                    return Claim(referral_id=referral_id, discount_code=referral["discount_code"],
                                 status=referral["status"]).model_dump(mode="json")
        # Lost to a concurrent claim after the code was issued: no referral
        # will own it, so it must not stay valid at checkout.
        self.points.void_unclaimed_welcome_code(claim.shop_id, referral_id)
        self._refuse(claim, refusal)

    # --- referrals ------------------------------------------------------------------------

    @rpc
    def get_referral(self, shop_id, referral_id=None):
        ref = parse_query(ReferralRef, provided(shop_id=shop_id, referral_id=referral_id))
        with self.db.unit_of_work() as uow:
            referral = _existing_referral(uow, ref.shop_id, ref.referral_id)
        return Referral.of(referral).model_dump(mode="json")

    @rpc
    def cancel_referral(self, shop_id, referral_id=None, actor=None):
        request = parse_query(CancelRequest, provided(shop_id=shop_id, referral_id=referral_id, actor=actor))
        with self.db.unit_of_work() as uow:
            referral = _existing_referral(uow, request.shop_id, request.referral_id, for_update=True)
            cancellation = domain.cancel(referral.status, request.actor, uow.clock.now())
            referral = repository.record_cancellation(uow.session, request.shop_id, referral.id, cancellation)
            uow.publish(request.shop_id, domain.referral_cancelled(referral, cancellation.previous_status))
            uow.commit()
        return Referral.of(referral).model_dump(mode="json")

    @rpc
    def list_activities(self, shop_id, status=None, from_=None, to=None, cursor=None, limit=None):
        query = parse_query(ActivityQuery, provided(
            shop_id=shop_id, status=status, from_=from_, to=to, cursor=cursor, limit=limit))
        with self.db.unit_of_work() as uow:
            found = repository.referrals_page(uow.session, query)
        return {"items": [Referral.of(row).model_dump(mode="json") for row in found["items"]],
                "next_cursor": found["next_cursor"]}

    @rpc
    def list_customer_referrals(self, shop_id, customer_id=None, limit=None):
        query = parse_query(CustomerReferralsQuery, provided(
            shop_id=shop_id, customer_id=customer_id, limit=limit))
        with self.db.unit_of_work() as uow:
            found = repository.referrals_of_customer(uow.session, query)
        return {"items": [CustomerReferral.of(dict(row._asdict(), role=role)).model_dump(mode="json")
                          for role, row in found]}

    @rpc
    def health(self):
        with self.db.unit_of_work() as uow:
            uow.session.execute(text("SELECT 1"))
        return {"service": self.name, "database": "ok"}

    # --- events ---------------------------------------------------------------------------

    @reliable_event_handler("gateway", "order_placed", when=domain.may_concern_referrals)
    def complete_referral_for_order(self, uow, event):
        order = event.payload
        code_keys = domain.order_code_keys(order)
        if code_keys:
            repository.mark_codes_used(uow.session, event.shop_id, code_keys)
        if domain.may_complete_referrals(order):
            candidates = repository.completion_candidates(
                uow.session, event.shop_id, code_keys, domain.email_key(order.email))
            referral = domain.referral_completed_by(order, candidates)
            if referral is not None:
                done = domain.completion(order, event.occurred_at, uow.clock.now())
                completed = repository.record_completion(uow.session, event.shop_id, referral.id, done)
                uow.publish(event.shop_id, domain.referral_completed(completed, done))

    @reliable_event_handler("points", "discount_code_voided",
                            when=lambda voided: voided.referral_id is not None)
    def record_voided_code(self, uow, event):
        repository.mark_code_voided(uow.session, event.shop_id, event.payload.referral_id,
                                    event.payload.code)

    # Most awards (orders, signups, reviews) are not ours: nothing to record.
    @reliable_event_handler("points", "points_awarded", when=domain.rewarded_referral)
    def record_referrer_reward(self, uow, event):
        referral_id = domain.rewarded_referral(event.payload)
        if not repository.record_reward(uow.session, event.shop_id, referral_id, event.payload.points):
            log.warning("points_awarded %s names unknown referral %s of shop %s",
                        event.event_id, referral_id, event.shop_id)

    # --- glue -----------------------------------------------------------------------------

    def _member(self, shop_id: str, customer_id: str) -> dict | None:
        try:
            return self.points.get_customer(shop_id, customer_id)
        except NotFound:
            return None

    def _refuse(self, claim: ClaimRequest, refusal: domain.Refusal) -> NoReturn:
        """Record the refusal as a fraud signal (committed on its own), then say why."""
        with self.db.unit_of_work() as uow:
            repository.add_fraud_signal(uow.session, claim.shop_id, refusal.kind, claim.code, claim.email,
                                        claim.client_ip, uow.clock.now())
            uow.commit()
        raise Conflict(refusal.message, {"reason": refusal.kind})


def _claim_refusal(uow: UnitOfWork, claim: ClaimRequest, referrer: dict,
                   is_existing_customer: bool) -> domain.Refusal | None:
    referee_key = domain.email_key(claim.email)
    facts = domain.ClaimFacts(
        referee_email_key=referee_key,
        referrer_email_key=domain.email_key(referrer.get("email")),
        is_existing_customer=is_existing_customer,
        is_already_referred=repository.has_open_referral(uow.session, claim.shop_id, referee_key),
        recent_claims_from_ip=repository.claims_from_ip_since(
            uow.session, claim.shop_id, claim.client_ip, domain.claim_window_start(uow.clock.now())))
    return domain.claim_refusal(facts, max_claims_per_ip_per_week())


def _no_such_link(code: str) -> NotFound:
    return NotFound("no such referral link", {"code": code})


def _existing_referral(uow: UnitOfWork, shop_id: str, referral_id: str, for_update: bool = False):
    referral = repository.referral(uow.session, shop_id, referral_id, for_update=for_update)
    if referral is None:
        raise NotFound("no such referral", {"id": referral_id})
    return referral
