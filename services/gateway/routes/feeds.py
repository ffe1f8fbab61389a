"""The admin API's activity feeds and the CSV export."""

from services.gateway import timeline
from services.gateway.api_doc import admin
from services.gateway.auth import admin_route
from services.gateway.csv_export import point_activities_csv
from services.gateway.point_pages import activity_items
from services.gateway.routes.base import Routes
from services.gateway.rpc import ask, feed_window
from services.gateway.schemas import (
    PointActivityQuery,
    PointFilters,
    ReferralActivityQuery,
    ReviewActivityQuery,
    TimelineFilter,
)
from services.gateway.web import json_http, query_params
from shared.pagination import Page, parse_query
from shared.points_api import Activity
from shared.referrals_api import Referral
from shared.reviews_api import GoogleReview, Review
from shared.timeline import Timeline


class FeedRoutes(Routes):
    @json_http("GET", "/api/activities", admin(Timeline, query=TimelineFilter))
    @admin_route
    def merged_activities(self, request, caller):
        """Every kind in one timeline (services/gateway/timeline.py)."""
        query = parse_query(TimelineFilter, query_params(request))
        return timeline.timeline(self.services(), caller.shop_id, query)

    @json_http("GET", "/api/activities/points", admin(Page[Activity], query=PointActivityQuery))
    @admin_route
    def point_activities(self, request, caller):
        query = parse_query(PointActivityQuery, query_params(request))
        page = ask(
            self.points.list_activities,
            shop_id=caller.shop_id,
            type=query.type,
            q=query.q,
            **feed_window(query),
        )
        return {"items": activity_items(page), "next_cursor": page["next_cursor"]}

    @json_http("GET", "/api/activities/points.csv", admin(query=PointFilters, media_types=("text/csv",)))
    @admin_route
    def export_point_activities(self, request, caller):
        """The point feed's rows for the same filters, every page of them,
        as a CSV download (see csv_export)."""
        query = parse_query(PointFilters, query_params(request))
        return point_activities_csv(self.points.export_activities, caller.shop_id, query)

    @json_http("GET", "/api/activities/referrals", admin(Page[Referral], query=ReferralActivityQuery))
    @admin_route
    def referral_activities(self, request, caller):
        query = parse_query(ReferralActivityQuery, query_params(request))
        return ask(
            self.referrals.list_activities, shop_id=caller.shop_id, status=query.status, **feed_window(query)
        )

    @json_http("GET", "/api/activities/reviews", admin(Page[Review], query=ReviewActivityQuery))
    @admin_route
    def review_activities(self, request, caller):
        query = parse_query(ReviewActivityQuery, query_params(request))
        return ask(
            self.reviews.list_activities, shop_id=caller.shop_id, status=query.status, **feed_window(query)
        )

    @json_http("GET", "/api/activities/google-reviews", admin(Page[GoogleReview], query=ReviewActivityQuery))
    @admin_route
    def google_review_activities(self, request, caller):
        query = parse_query(ReviewActivityQuery, query_params(request))
        return ask(
            self.reviews.list_google_review_activities,
            shop_id=caller.shop_id,
            status=query.status,
            **feed_window(query),
        )
