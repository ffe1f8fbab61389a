"""The admin API's orders: what one earned, or why it earned nothing."""

from services.gateway.api_doc import admin
from services.gateway.auth import admin_route
from services.gateway.routes.base import Routes
from services.gateway.rpc import ask
from services.gateway.web import json_http
from shared.points_api import OrderAward


class OrderRoutes(Routes):
    @json_http("GET", "/api/orders/<order_id>", admin(OrderAward))
    @admin_route
    def order(self, request, caller, order_id):
        return ask(self.points.get_order, shop_id=caller.shop_id, order_id=order_id)
