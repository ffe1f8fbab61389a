"""The admin API's program: rules, rewards, the audit trail."""

from services.gateway.api_doc import admin
from services.gateway.auth import admin_route
from services.gateway.routes.base import Routes
from services.gateway.rpc import ask, feed_window
from services.gateway.schemas import AuditLogQuery, RewardCatalog
from services.gateway.web import json_http, parse_body, query_params
from shared.pagination import Page, parse_query
from shared.points_api import AuditEntry, NewReward, ProgramRules, Reward


class ProgramRoutes(Routes):
    @json_http("GET", "/api/rewards", admin(RewardCatalog))
    @admin_route
    def rewards(self, request, caller):
        return ask(self.points.list_rewards, shop_id=caller.shop_id)

    @json_http("POST", "/api/rewards", admin(Reward, status=201, body=NewReward))
    @admin_route
    def create_reward(self, request, caller):
        reward = parse_body(request, NewReward)
        return 201, ask(
            self.points.create_reward,
            shop_id=caller.shop_id,
            reward=reward.model_dump(mode="json"),
            actor=caller.actor,
        )

    @json_http("GET", "/api/program", admin(ProgramRules))
    @admin_route
    def program(self, request, caller):
        return ask(self.points.get_program, shop_id=caller.shop_id)

    @json_http("PUT", "/api/program", admin(ProgramRules, body=ProgramRules))
    @admin_route
    def update_program(self, request, caller):
        program = parse_body(request, ProgramRules)
        return ask(
            self.points.update_program,
            shop_id=caller.shop_id,
            settings=program.model_dump(mode="json"),
            actor=caller.actor,
        )

    @json_http("GET", "/api/audit-log", admin(Page[AuditEntry], query=AuditLogQuery))
    @admin_route
    def audit_log(self, request, caller):
        query = parse_query(AuditLogQuery, query_params(request))
        return ask(
            self.points.list_audit_log,
            shop_id=caller.shop_id,
            customer_id=query.customer_id,
            **feed_window(query),
        )
