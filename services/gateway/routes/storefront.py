"""The storefront widget's calls: no admin key; customers prove who they are."""

from services.gateway import operations
from services.gateway.api_doc import storefront
from services.gateway.auth import require_signed_customer, storefront_route
from services.gateway.client_address import client_address
from services.gateway.domain import referral_url
from services.gateway.routes.base import Routes
from services.gateway.rpc import ask
from services.gateway.schemas import (
    CustomerTokenQuery,
    GoogleReviewRequest,
    ReferralClaimRequest,
    ReferralLinkView,
    ReviewRequest,
    SignedCustomer,
    StorefrontCustomerView,
)
from services.gateway.web import json_http, parse_body, query_params
from shared.pagination import parse_query
from shared.points_api import DiscountCodeCheck
from shared.referrals_api import Claim, LinkClicks
from shared.reviews_api import GoogleReview, Review


class StorefrontRoutes(Routes):
    @json_http(
        "POST",
        "/storefront/<shop>/referral-links",
        storefront(ReferralLinkView, status=201, body=SignedCustomer, errors=(401,)),
    )
    @storefront_route
    def create_referral_link(self, request, shop):
        signed = require_signed_customer(shop, parse_body(request, SignedCustomer), self.db.clock.now())
        link = ask(self.referrals.create_referral_link, shop_id=shop.id, customer_id=signed.customer_id)
        return 201, {"code": link["code"], "url": referral_url(shop.domain, link["code"])}

    @json_http(
        "GET",
        "/storefront/<shop>/customers/<customer_id>",
        storefront(StorefrontCustomerView, query=CustomerTokenQuery, errors=(401,)),
    )
    @storefront_route
    def storefront_customer(self, request, shop, customer_id):
        """Balance, tier, next expiry, link and rewards (SPEC §7), with
        `?customer_token=` proving who asks."""
        signed = parse_query(SignedCustomer, {**query_params(request), "customer_id": customer_id})
        require_signed_customer(shop, signed, self.db.clock.now())
        return operations.storefront_customer_view(self.points, self.referrals, shop, signed.customer_id)

    @json_http("POST", "/storefront/<shop>/referrals/<code>/clicks", storefront(LinkClicks, status=201))
    @storefront_route
    def record_referral_click(self, request, shop, code):
        return 201, ask(
            self.referrals.record_click, shop_id=shop.id, code=code, client_ip=client_address(request)
        )

    @json_http(
        "POST",
        "/storefront/<shop>/referrals/<code>/claims",
        storefront(Claim, status=201, body=ReferralClaimRequest, errors=(409,)),
    )
    @storefront_route
    def claim_referral(self, request, shop, code):
        claim = parse_body(request, ReferralClaimRequest)
        return 201, ask(
            self.referrals.claim_referral,
            shop_id=shop.id,
            code=code,
            email=claim.email,
            client_ip=client_address(request),
        )

    @json_http(
        "POST",
        "/storefront/<shop>/reviews",
        storefront(Review, status=201, body=ReviewRequest, errors=(401, 409)),
    )
    @storefront_route
    def submit_review(self, request, shop):
        review = require_signed_customer(shop, parse_body(request, ReviewRequest), self.db.clock.now())
        return 201, ask(
            self.reviews.submit_review,
            shop_id=shop.id,
            customer_id=review.customer_id,
            product_id=review.product_id,
            rating=review.rating,
            title=review.title,
            body=review.body,
            media_urls=review.media_urls,
        )

    @json_http(
        "POST",
        "/storefront/<shop>/google-reviews",
        storefront(GoogleReview, status=201, body=GoogleReviewRequest, errors=(401, 409)),
    )
    @storefront_route
    def submit_google_review(self, request, shop):
        submission = require_signed_customer(
            shop, parse_body(request, GoogleReviewRequest), self.db.clock.now()
        )
        return 201, ask(
            self.reviews.submit_google_review,
            shop_id=shop.id,
            customer_id=submission.customer_id,
            review_url=submission.review_url,
        )

    @json_http("GET", "/storefront/<shop>/discount-codes/<code>", storefront(DiscountCodeCheck))
    @storefront_route
    def check_discount_code(self, request, shop, code):
        return ask(self.points.check_discount_code, shop_id=shop.id, code=code)
