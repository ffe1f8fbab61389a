"""The admin API's discount codes, referrals and review moderation."""

from services.gateway.api_doc import admin
from services.gateway.auth import admin_route
from services.gateway.routes.base import Routes
from services.gateway.rpc import ask
from services.gateway.web import json_http
from shared.points_api import DiscountCode
from shared.referrals_api import Referral
from shared.reviews_api import GoogleReview, Review


class ModerationRoutes(Routes):
    @json_http("GET", "/api/discount-codes/<code>", admin(DiscountCode))
    @admin_route
    def discount_code(self, request, caller, code):
        return ask(self.points.get_discount_code, shop_id=caller.shop_id, code=code)

    @json_http("GET", "/api/referrals/<referral_id>", admin(Referral))
    @admin_route
    def referral(self, request, caller, referral_id):
        return ask(self.referrals.get_referral, shop_id=caller.shop_id, referral_id=referral_id)

    @json_http("POST", "/api/referrals/<referral_id>/cancel", admin(Referral, errors=(409,)))
    @admin_route
    def cancel_referral(self, request, caller, referral_id):
        return ask(
            self.referrals.cancel_referral,
            shop_id=caller.shop_id,
            referral_id=referral_id,
            actor=caller.actor,
        )

    @json_http(
        "POST", "/api/reviews/<review_id>/<any(approve, reject):decision>", admin(Review, errors=(409,))
    )
    @admin_route
    def moderate_review(self, request, caller, review_id, decision):
        return ask(
            getattr(self.reviews, f"{decision}_review"),
            shop_id=caller.shop_id,
            review_id=review_id,
            actor=caller.actor,
        )

    @json_http(
        "POST",
        "/api/google-reviews/<submission_id>/<any(approve, reject):decision>",
        admin(GoogleReview, errors=(409,)),
    )
    @admin_route
    def moderate_google_review(self, request, caller, submission_id, decision):
        return ask(
            getattr(self.reviews, f"{decision}_google_review"),
            shop_id=caller.shop_id,
            submission_id=submission_id,
            actor=caller.actor,
        )
