"""Health, readiness and the dashboard's files."""

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from werkzeug.wrappers import Response

from services.gateway import dashboard_files
from services.gateway.readiness import readiness
from services.gateway.routes.base import Routes
from services.gateway.web import json_http


class OpsRoutes(Routes):
    @json_http("GET", "/health")
    def health(self, request):
        return {"status": "ok"}

    @json_http("GET", "/ready")
    def ready(self, request):
        """Ready when the broker, our database and every service answer."""
        return readiness(
            self.config["AMQP_URI"],
            self.db,
            points=self.points,
            referrals=self.referrals,
            reviews=self.reviews,
        )

    @json_http("GET", "/metrics")
    def metrics(self, request):
        """This gateway process's Prometheus metrics (shared.metrics)."""
        return Response(generate_latest(), content_type=CONTENT_TYPE_LATEST)

    @json_http("GET", "/")
    def dashboard(self, request):
        return dashboard_files.page(embedded=request.args.get("embedded") == "1")

    @json_http("GET", "/dashboard/assets/<name>")
    def dashboard_asset(self, request, name):
        return dashboard_files.asset(name)
