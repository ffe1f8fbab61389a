"""The discount codes the program issues (reward redemptions, referees'
welcome codes) and their status: active, used by an order, or voided."""

from services.points import domain, repository
from services.points.models import discount_codes
from services.points.schemas import DiscountCode, DiscountCodeCheck
from shared.db import UnitOfWork, must_exist
from shared.errors import Conflict, NotFound
from shared.events import DiscountCodeUsed, DiscountCodeVoided, OrderPlaced, ReferralCancelled
from shared.upserts import insert_unless_exists


def issue_code(uow: UnitOfWork, shop_id: str, prefix: str, **values) -> DiscountCode:
    """A new random code; a clash with an existing one (40 random bits:
    very rare) just draws again."""
    while True:
        code = domain.new_discount_code(prefix)
        if insert_unless_exists(
            uow.session,
            discount_codes,
            shop_id=shop_id,
            code=code,
            status=domain.CODE_ACTIVE,
            created_at=uow.clock.now(),
            **values,
        ):
            row = must_exist(
                repository.codes.discount_code(uow.session, shop_id, code), f"discount code {code}"
            )
            return DiscountCode.model_validate(row._asdict())


def mark_codes_used(uow: UnitOfWork, shop_id: str, order: OrderPlaced) -> None:
    """The program's active codes the order names become used, each
    announced once; a code already used or voided stays as it is."""
    # Sorted, so two orders naming the same codes lock them in the same order.
    for code in sorted({domain.normalize_code(c) for c in order.discount_codes if c.strip()}):
        row = repository.codes.discount_code(uow.session, shop_id, code, lock=True)
        if row is not None and row.status == domain.CODE_ACTIVE:
            # A code issued to a customer stays theirs; a welcome code
            # becomes the customer's who used it.
            customer_id = row.customer_id or order.customer_id
            repository.codes.mark_code_used(uow.session, row, order.order_id, customer_id, uow.clock.now())
            uow.publish(
                shop_id,
                DiscountCodeUsed(
                    code=row.code,
                    order_id=order.order_id,
                    customer_id=customer_id,
                    referral_id=row.referral_id,
                ),
            )


def void_redemption_code(uow: UnitOfWork, shop_id: str, activity_id: int) -> None:
    code = repository.codes.code_of_redemption(uow.session, shop_id, activity_id)
    if code is None or code.status == domain.CODE_VOIDED:
        return
    if code.status == domain.CODE_USED:
        raise Conflict(
            f"the reward's code {code.code} was already used on order {code.order_id}; "
            "the redemption cannot be undone",
            {"activity_id": activity_id},
        )
    repository.codes.mark_code_voided(uow.session, code, uow.clock.now())
    uow.publish(
        shop_id,
        DiscountCodeVoided(
            code=code.code, customer_email=code.customer_email, referral_id=None, reason="redemption_reversed"
        ),
    )


def void_referral_codes(uow: UnitOfWork, shop_id: str, referral: ReferralCancelled) -> None:
    _void_welcome_codes(uow, shop_id, referral.referral_id, "referral_cancelled")


def void_unclaimed_welcome_code(uow: UnitOfWork, shop_id: str, referral_id: str) -> None:
    """The code of a claim referrals refused after the code was issued (a
    concurrent claim of the same mailbox won): no referral owns it."""
    _void_welcome_codes(uow, shop_id, referral_id, "claim_refused")


def _void_welcome_codes(uow: UnitOfWork, shop_id: str, referral_id: str, reason: str) -> None:
    now = uow.clock.now()
    for row in repository.codes.active_welcome_codes_of_referral(uow.session, shop_id, referral_id):
        repository.codes.mark_code_voided(uow.session, row, now)
        uow.publish(
            shop_id,
            DiscountCodeVoided(
                code=row.code, customer_email=row.customer_email, referral_id=row.referral_id, reason=reason
            ),
        )


def issue_referral_welcome_code(
    uow: UnitOfWork, shop_id: str, referral_id: str, referee_email: str
) -> DiscountCode:
    """The referral's welcome code, made on the first call with the program's
    current coupon value; every later call returns the same code."""
    settings = repository.program.program_settings_of(uow.session, shop_id)
    existing = repository.codes.welcome_code_of_referral(uow.session, shop_id, referral_id)
    while existing is None:
        # A conflict is either a concurrent call for this referral (then its
        # code is returned) or, very rarely, a random code already taken.
        insert_unless_exists(
            uow.session,
            discount_codes,
            shop_id=shop_id,
            code=domain.new_discount_code(domain.WELCOME_CODE_PREFIX),
            kind=domain.REFERRAL_WELCOME,
            customer_email=referee_email,
            referral_id=referral_id,
            status=domain.CODE_ACTIVE,
            value_type=settings.referee_coupon.type,
            value=settings.referee_coupon.value,
            created_at=uow.clock.now(),
        )
        existing = repository.codes.welcome_code_of_referral(uow.session, shop_id, referral_id)
    return DiscountCode.model_validate(existing._asdict())


def get_discount_code(uow: UnitOfWork, shop_id: str, code: str) -> DiscountCode:
    row = repository.codes.discount_code(uow.session, shop_id, code)
    if row is None:
        raise NotFound(f"discount code {code} does not exist")
    return DiscountCode.model_validate(row._asdict())


def check_discount_code(uow: UnitOfWork, shop_id: str, code: str) -> DiscountCodeCheck:
    row = repository.codes.discount_code(uow.session, shop_id, code)
    valid, reason = domain.code_validity(None if row is None else row.status)
    return DiscountCodeCheck(
        code=domain.normalize_code(code),
        valid=valid,
        reason=reason,
        value_type=None if row is None else row.value_type,
        value=None if row is None else row.value,
    )
