"""What each event and RPC command does, inside the unit of work the service
opened: the domain rules applied to the repository, and the events that
follow published in the same transaction. The caller commits."""
from shared.db import UnitOfWork
from shared.events import (
    CustomerCreated, DiscountCodeVoided, GoogleReviewApproved, OrderPlaced, OrderRefunded,
    PointsAwarded, ReferralCancelled, ReferralCompleted, ReviewApproved,
)
from shared.errors import NotFound

from services.points import domain, repository
from services.points.models import discount_codes
from services.points.schemas import (
    Activity, ActivitiesQuery, CustomerDetail, DiscountCode, DiscountCodeCheck, MemberProfile,
)

RECENT_ACTIVITIES = 10


# --- earning ----------------------------------------------------------------------------

def _award(uow: UnitOfWork, member, points: int, action: str, reason: str, ref_kind: str,
           ref_id: str) -> int | None:
    """Credit `points` to a locked member once per (reason, id) and announce
    it; the activity id, or None when nothing was due (excluded member,
    nothing to give, already given)."""
    ledger_reference = domain.reference(ref_kind, ref_id)
    if (not domain.can_earn(member.status) or points <= 0
            or repository.activity_recorded(uow.session, member.shop_id, "earned", ledger_reference)):
        return None
    posting = domain.post(repository.totals_of(member), "earned", points)
    activity_id = repository.append_activity(
        uow.session, member, "earned", action, posting, ledger_reference, domain.SYSTEM_ACTOR,
        uow.clock.now())
    uow.publish(member.shop_id, PointsAwarded(
        customer_id=member.customer_id, activity_id=activity_id, points=posting.points,
        reason=reason, reference=ref_id, balance_after=posting.balance_after))
    return activity_id


def register_customer(uow: UnitOfWork, shop_id: str, customer: CustomerCreated) -> None:
    member = repository.ensure_member(
        uow.session, shop_id, customer.customer_id, uow.clock.now(), email=customer.email,
        first_name=customer.first_name, last_name=customer.last_name)
    settings = repository.program_settings_of(uow.session, shop_id)
    _award(uow, member, settings.signup_points, domain.SIGNUP_ACTION, "signup",
           "customer", customer.customer_id)


def award_points_for_order(uow: UnitOfWork, shop_id: str, order: OrderPlaced) -> None:
    """Member on first sight; points once per order when it is paid, at the
    rate of that moment (kept with the award for later refunds); the
    program's codes it used are marked used whether or not it is paid yet."""
    now = uow.clock.now()
    mark_codes_used(uow, shop_id, order)
    if not order.customer_id:
        return
    member = repository.ensure_member(uow.session, shop_id, order.customer_id, now, email=order.email)
    if (not order.is_paid or not domain.can_earn(member.status)
            or repository.order_award(uow.session, shop_id, order.order_id) is not None):
        return
    rate = repository.program_settings_of(uow.session, shop_id).points_per_currency_unit
    points = domain.points_for_order(order.subtotal, rate)
    label = domain.order_label(order.order_id, order.order_name)
    activity_id = _award(uow, member, points, domain.placed_order_action(label), "order",
                         "order", order.order_id)
    repository.record_order_award(
        uow.session, shop_id=shop_id, order_id=order.order_id, order_name=label,
        customer_id=member.customer_id, subtotal=order.subtotal, rate=rate, points=points,
        activity_id=activity_id, created_at=now)


def mark_codes_used(uow: UnitOfWork, shop_id: str, order: OrderPlaced) -> None:
    # Sorted, so two orders naming the same codes lock them in the same order.
    for code in sorted({domain.normalize_code(c) for c in order.discount_codes if c.strip()}):
        row = repository.discount_code(uow.session, shop_id, code, lock=True)
        if row is not None and row.status == domain.CODE_ACTIVE:
            repository.mark_code_used(uow.session, row, order.order_id, order.customer_id,
                                      uow.clock.now())


def take_back_points_for_refund(uow: UnitOfWork, shop_id: str, refund: OrderRefunded) -> None:
    """Points back in proportion to the refunded share of the order, at the
    order's own rate, never more than it earned, never below a zero balance
    (the shortfall is recorded as uncollected). Each refund counts once."""
    award = repository.order_award(uow.session, shop_id, refund.order_id)
    if award is None:
        return
    # Member first, then the award: the same lock order as earning.
    member = repository.member(uow.session, shop_id, award.customer_id, lock=True)
    award = repository.order_award(uow.session, shop_id, refund.order_id, lock=True)
    if repository.refund_recorded(uow.session, shop_id, refund.refund_id):
        return
    now = uow.clock.now()
    due = domain.points_to_take_back(award.points, award.subtotal, award.refunded_amount,
                                     award.refunded_points, refund.amount)
    activity_id = None
    if due > 0:
        posting = domain.post(repository.totals_of(member), "refunded", -due)
        activity_id = repository.append_activity(
            uow.session, member, "refunded", domain.refunded_order_action(award.order_name),
            posting, domain.reference("refund", refund.refund_id), domain.SYSTEM_ACTOR, now)
    repository.record_refund(uow.session, award, refund.refund_id, refund.amount, due, activity_id, now)


def award_review_points(uow: UnitOfWork, shop_id: str, review: ReviewApproved) -> None:
    member = repository.ensure_member(uow.session, shop_id, review.customer_id, uow.clock.now())
    settings = repository.program_settings_of(uow.session, shop_id)
    _award(uow, member, settings.review_points, domain.REVIEW_ACTION, "review",
           "review", review.review_id)


def award_google_review_points(uow: UnitOfWork, shop_id: str, submission: GoogleReviewApproved) -> None:
    member = repository.ensure_member(uow.session, shop_id, submission.customer_id, uow.clock.now())
    settings = repository.program_settings_of(uow.session, shop_id)
    _award(uow, member, settings.google_review_points, domain.GOOGLE_REVIEW_ACTION,
           "google_review", "google_review", submission.submission_id)


def award_referrer(uow: UnitOfWork, shop_id: str, referral: ReferralCompleted) -> None:
    member = repository.ensure_member(uow.session, shop_id, referral.referrer_customer_id,
                                      uow.clock.now())
    settings = repository.program_settings_of(uow.session, shop_id)
    _award(uow, member, settings.referrer_reward_points, domain.REFERRAL_ACTION, "referral",
           "referral", referral.referral_id)


# --- discount codes -----------------------------------------------------------------------

def void_referral_codes(uow: UnitOfWork, shop_id: str, referral: ReferralCancelled) -> None:
    now = uow.clock.now()
    for row in repository.active_welcome_codes_of_referral(uow.session, shop_id, referral.referral_id):
        repository.mark_code_voided(uow.session, row, now)
        uow.publish(shop_id, DiscountCodeVoided(
            code=row.code, customer_email=row.customer_email, referral_id=row.referral_id,
            reason="referral_cancelled"))


def issue_referral_welcome_code(uow: UnitOfWork, shop_id: str, referral_id: str,
                                referee_email: str) -> DiscountCode:
    """The referral's welcome code, made on the first call with the program's
    current coupon value; every later call returns the same code."""
    settings = repository.program_settings_of(uow.session, shop_id)
    existing = repository.welcome_code_of_referral(uow.session, shop_id, referral_id)
    while existing is None:
        # A conflict is either a concurrent call for this referral (then its
        # code is returned) or, very rarely, a random code already taken.
        repository.insert_unless_exists(
            uow.session, discount_codes, shop_id=shop_id,
            code=domain.new_discount_code(domain.WELCOME_CODE_PREFIX),
            kind=domain.REFERRAL_WELCOME, customer_email=referee_email, referral_id=referral_id,
            status=domain.CODE_ACTIVE, value_type=settings.referee_coupon_type,
            value=settings.referee_coupon_value, created_at=uow.clock.now())
        existing = repository.welcome_code_of_referral(uow.session, shop_id, referral_id)
    return DiscountCode.model_validate(existing._asdict())


# --- queries ----------------------------------------------------------------------------------

def list_activities(uow: UnitOfWork, query: ActivitiesQuery) -> dict:
    result = repository.activities_page(uow.session, query)
    result["items"] = [Activity.model_validate(row._asdict()) for row in result["items"]]
    return result


def _profile(member) -> dict:
    return dict(member._asdict(), name=domain.display_name(member.first_name, member.last_name),
                member_since=member.created_at,
                # No return window in the program yet: every point is spendable at once.
                pending_points=0)


def get_customer(uow: UnitOfWork, shop_id: str, customer_id: str) -> CustomerDetail:
    member = repository.member(uow.session, shop_id, customer_id)
    if member is None:
        raise NotFound(f"customer {customer_id} is not a member of this shop")
    recent = repository.recent_activities(uow.session, shop_id, customer_id, RECENT_ACTIVITIES)
    return CustomerDetail.model_validate(dict(
        _profile(member), recent_activities=[row._asdict() for row in recent]))


def find_member_by_email(uow: UnitOfWork, shop_id: str, email: str) -> MemberProfile | None:
    member = repository.member_by_email(uow.session, shop_id, email)
    return None if member is None else MemberProfile.model_validate(_profile(member))


def get_discount_code(uow: UnitOfWork, shop_id: str, code: str) -> DiscountCode:
    row = repository.discount_code(uow.session, shop_id, code)
    if row is None:
        raise NotFound(f"discount code {code} does not exist")
    return DiscountCode.model_validate(row._asdict())


def check_discount_code(uow: UnitOfWork, shop_id: str, code: str) -> DiscountCodeCheck:
    row = repository.discount_code(uow.session, shop_id, code)
    valid, reason = domain.code_validity(None if row is None else row.status)
    return DiscountCodeCheck(
        code=domain.normalize_code(code), valid=valid, reason=reason,
        value_type=None if row is None else row.value_type, value=None if row is None else row.value)
