"""The storefront widget through Shopify's app proxy (proxy_signature.py):
Shopify signs each request and names the signed-in customer, who may see
their points and link, write reviews and spend their own points. A visitor
who is not signed in may only follow and claim referral links."""

import functools

from services.gateway import operations, rate_limits
from services.gateway.api_doc import proxy
from services.gateway.auth import find_shop_by_domain
from services.gateway.client_address import client_address
from services.gateway.domain import referral_url
from services.gateway.proxy_signature import ProxyCaller, verify_proxy_request
from services.gateway.routes.base import Routes
from services.gateway.rpc import ask
from services.gateway.schemas import (
    GoogleReviewFields,
    IdempotencyHeader,
    ProxyQuery,
    ReferralClaimRequest,
    ReferralLinkView,
    ReviewFields,
    StorefrontCustomerView,
)
from services.gateway.web import idempotency_key, json_http, parse_body
from shared.errors import Unauthorized
from shared.points_api import RedemptionResult, RewardRedemption
from shared.referrals_api import Claim, LinkClicks
from shared.reviews_api import GoogleReview, Review


def proxy_route(route):
    """A /proxy route: the shop named by the query, this client's rate
    limit there, then Shopify's signature; passed on as `caller`."""

    @functools.wraps(route)
    def verified(self, request, **path):
        with self.db.unit_of_work() as uow:
            shop = find_shop_by_domain(uow.session, request.args.get("shop"))
        # An unknown shop and a bad signature look the same from outside.
        if shop is None:
            raise Unauthorized("the app proxy signature is missing or not valid")
        rate_limits.admit(client_address(request), shop.id)
        caller = verify_proxy_request(shop, request.args.to_dict(flat=False), self.db.clock.now())
        return route(self, request, caller, **path)

    return verified


class ProxyRoutes(Routes):
    # --- a signed-in customer (caller.customer(): 401 for a visitor) ----------------------

    @json_http("GET", "/proxy/customer", proxy(StorefrontCustomerView, query=ProxyQuery))
    @proxy_route
    def proxy_customer(self, request, caller: ProxyCaller):
        customer = caller.customer()
        return operations.storefront_customer_view(self.points, self.referrals, caller.shop, customer)

    @json_http(
        "POST",
        "/proxy/referral-link",
        proxy(ReferralLinkView, status=201, query=ProxyQuery, errors=(404,)),  # 404: excluded
    )
    @proxy_route
    def proxy_referral_link(self, request, caller: ProxyCaller):
        customer = caller.customer()
        link = ask(self.referrals.create_referral_link, shop_id=caller.shop.id, customer_id=customer)
        return 201, {"code": link["code"], "url": referral_url(caller.shop.domain, link["code"])}

    @json_http(
        "POST",
        "/proxy/reviews",
        proxy(Review, status=201, query=ProxyQuery, body=ReviewFields, errors=(409,)),
    )
    @proxy_route
    def proxy_review(self, request, caller: ProxyCaller):
        customer = caller.customer()
        review = parse_body(request, ReviewFields)
        return 201, ask(
            self.reviews.submit_review, shop_id=caller.shop.id, customer_id=customer, **review.model_dump()
        )

    @json_http(
        "POST",
        "/proxy/google-reviews",
        proxy(GoogleReview, status=201, query=ProxyQuery, body=GoogleReviewFields, errors=(409,)),
    )
    @proxy_route
    def proxy_google_review(self, request, caller: ProxyCaller):
        customer = caller.customer()
        submission = parse_body(request, GoogleReviewFields)
        return 201, ask(
            self.reviews.submit_google_review,
            shop_id=caller.shop.id,
            customer_id=customer,
            review_url=submission.review_url,
        )

    @json_http(
        "POST",
        "/proxy/redemptions",
        proxy(
            RedemptionResult,
            status=201,
            query=ProxyQuery,
            headers=IdempotencyHeader,
            body=RewardRedemption,
            errors=(404, 409),
        ),
    )
    @proxy_route
    def proxy_redemption(self, request, caller: ProxyCaller):
        """The customer spends their own points (the audit trail names them)."""
        customer = caller.customer()
        key = idempotency_key(request)
        redemption = parse_body(request, RewardRedemption)
        return 201, ask(
            self.points.redeem_reward,
            shop_id=caller.shop.id,
            customer_id=customer,
            reward_id=redemption.reward_id,
            actor=f"customer:{customer}",
            idempotency_key=key,
        )

    # --- anyone on the shop's pages ------------------------------------------------------

    @json_http("POST", "/proxy/referrals/<code>/clicks", proxy(LinkClicks, status=201, query=ProxyQuery))
    @proxy_route
    def proxy_referral_click(self, request, caller: ProxyCaller, code):
        return 201, ask(
            self.referrals.record_click, shop_id=caller.shop.id, code=code, client_ip=client_address(request)
        )

    @json_http(
        "POST",
        "/proxy/referrals/<code>/claims",
        proxy(Claim, status=201, query=ProxyQuery, body=ReferralClaimRequest, errors=(409,)),
    )
    @proxy_route
    def proxy_referral_claim(self, request, caller: ProxyCaller, code):
        claim = parse_body(request, ReferralClaimRequest)
        return 201, ask(
            self.referrals.claim_referral,
            shop_id=caller.shop.id,
            code=code,
            email=claim.email,
            client_ip=client_address(request),
        )
