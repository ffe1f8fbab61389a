"""The admin API's overview: totals, a daily series and the newest rows of
every kind for a range of days (services/gateway/overview.py)."""

from services.gateway import overview
from services.gateway.auth import admin_route
from services.gateway.routes.base import Routes
from services.gateway.web import json_http, query_params
from shared.day_range import DayRange
from shared.pagination import parse_query


class OverviewRoutes(Routes):
    @json_http("GET", "/api/dashboard")
    @admin_route
    def overview_dashboard(self, request, caller):
        days = parse_query(DayRange, query_params(request))
        return overview.dashboard(self.points, self.referrals, self.reviews, caller.shop_id, days)
