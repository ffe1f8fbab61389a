"""The admin API's customers: list, detail, and the merchant's actions on one."""

from services.gateway import operations, timeline
from services.gateway.api_doc import admin
from services.gateway.auth import admin_route
from services.gateway.routes.base import Routes
from services.gateway.rpc import ask
from services.gateway.schemas import CustomerOverview, CustomerQuery, IdempotencyHeader, TimelineFilter
from services.gateway.web import (
    activity_id_from_path,
    idempotency_key,
    json_http,
    optional_body,
    parse_body,
    query_params,
)
from shared.pagination import Page, parse_query
from shared.points_api import (
    Activity,
    AdjustmentResult,
    MemberProfile,
    PointsAdjustment,
    ProfileChanges,
    ReasonBody,
    RedemptionResult,
    RewardRedemption,
)
from shared.timeline import Timeline


class CustomerRoutes(Routes):
    @json_http("GET", "/api/customers", admin(Page[MemberProfile], query=CustomerQuery))
    @admin_route
    def customers(self, request, caller):
        query = parse_query(CustomerQuery, query_params(request))
        return ask(
            self.points.list_customers,
            shop_id=caller.shop_id,
            q=query.q,
            cursor=query.cursor,
            limit=query.limit,
        )

    @json_http("GET", "/api/customers/<customer_id>", admin(CustomerOverview))
    @admin_route
    def customer(self, request, caller, customer_id):
        """The profile, with referrals and reviews when their services answer
        (operations.customer_detail)."""
        return operations.customer_detail(
            self.points, self.referrals, self.reviews, caller.shop_id, customer_id
        )

    @json_http("PATCH", "/api/customers/<customer_id>", admin(MemberProfile, body=ProfileChanges))
    @admin_route
    def update_customer(self, request, caller, customer_id):
        update = parse_body(request, ProfileChanges)
        return ask(
            self.points.update_customer,
            shop_id=caller.shop_id,
            customer_id=customer_id,
            changes=update.changes(),
            actor=caller.actor,
        )

    @json_http("GET", "/api/customers/<customer_id>/activities", admin(Timeline, query=TimelineFilter))
    @admin_route
    def customer_activities(self, request, caller, customer_id):
        """The customer's merged timeline (services/gateway/timeline.py)."""
        query = parse_query(TimelineFilter, query_params(request))
        return timeline.timeline(self.services(), caller.shop_id, query, customer_id=customer_id)

    @json_http(
        "POST",
        "/api/customers/<customer_id>/points-adjustments",
        admin(AdjustmentResult, status=201, body=PointsAdjustment, headers=IdempotencyHeader, errors=(409,)),
    )
    @admin_route
    def adjust_points(self, request, caller, customer_id):
        key = idempotency_key(request)
        adjustment = parse_body(request, PointsAdjustment)
        return 201, ask(
            self.points.adjust_points,
            shop_id=caller.shop_id,
            customer_id=customer_id,
            points=adjustment.points,
            reason=adjustment.reason,
            actor=caller.actor,
            idempotency_key=key,
        )

    @json_http(
        "POST",
        "/api/customers/<customer_id>/redemptions",
        admin(RedemptionResult, status=201, body=RewardRedemption, headers=IdempotencyHeader, errors=(409,)),
    )
    @admin_route
    def redeem_reward(self, request, caller, customer_id):
        key = idempotency_key(request)
        redemption = parse_body(request, RewardRedemption)
        return 201, ask(
            self.points.redeem_reward,
            shop_id=caller.shop_id,
            customer_id=customer_id,
            reward_id=redemption.reward_id,
            actor=caller.actor,
            idempotency_key=key,
        )

    @json_http(
        "PUT",
        "/api/customers/<customer_id>/exclusion",
        admin(MemberProfile, body=ReasonBody, body_optional=True),
    )
    @admin_route
    def exclude_customer(self, request, caller, customer_id):
        body = optional_body(request, ReasonBody)
        return ask(
            self.points.exclude_customer,
            shop_id=caller.shop_id,
            customer_id=customer_id,
            actor=caller.actor,
            reason=body.reason,
        )

    @json_http(
        "DELETE",
        "/api/customers/<customer_id>/exclusion",
        admin(MemberProfile, body=ReasonBody, body_optional=True),
    )
    @admin_route
    def include_customer(self, request, caller, customer_id):
        body = optional_body(request, ReasonBody)
        return ask(
            self.points.include_customer,
            shop_id=caller.shop_id,
            customer_id=customer_id,
            actor=caller.actor,
            reason=body.reason,
        )

    @json_http(
        "POST",
        "/api/point-activities/<activity_id>/reversal",
        admin(Activity, status=201, body=ReasonBody, body_optional=True, errors=(409,)),
    )
    @admin_route
    def reverse_activity(self, request, caller, activity_id):
        body = optional_body(request, ReasonBody)
        return 201, ask(
            self.points.reverse_activity,
            shop_id=caller.shop_id,
            activity_id=activity_id_from_path(activity_id),
            actor=caller.actor,
            reason=body.reason,
        )
