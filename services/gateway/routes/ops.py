"""Health, readiness, metrics, the API's description and the dashboard's files."""

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from werkzeug.wrappers import Response

from services.gateway import dashboard_files, docs_page, openapi
from services.gateway.api_doc import public
from services.gateway.readiness import readiness
from services.gateway.routes.base import Routes
from services.gateway.schemas import Health, Readiness
from services.gateway.web import json_http


class OpsRoutes(Routes):
    @json_http("GET", "/health", public(Health))
    def health(self, request):
        return {"status": "ok"}

    @json_http("GET", "/ready", public(Readiness, errors=(503,)))
    def ready(self, request):
        """Ready when the broker, our database and every service answer."""
        return readiness(
            self.config["AMQP_URI"],
            self.db,
            points=self.points,
            referrals=self.referrals,
            reviews=self.reviews,
            webhooks=self.webhooks,
        )

    @json_http("GET", "/metrics", public(media_types=(CONTENT_TYPE_LATEST,)))
    def metrics(self, request):
        """This gateway process's Prometheus metrics (shared.metrics)."""
        return Response(generate_latest(), content_type=CONTENT_TYPE_LATEST)

    @json_http("GET", "/openapi.json", public(dict[str, object]))
    def openapi_document(self, request):
        """This OpenAPI 3.1 document, built from the routes (openapi.py)."""
        return openapi.document(type(self))

    @json_http("GET", "/docs", public(media_types=("text/html",)))
    def api_docs(self, request):
        """The API reference to read in a browser (Swagger UI, served from here)."""
        return docs_page.page()

    @json_http("GET", "/docs/assets/<name>", public(media_types=docs_page.MEDIA_TYPES))
    def api_docs_asset(self, request, name):
        return docs_page.asset(name)

    @json_http("GET", "/", public(media_types=("text/html",)))
    def dashboard(self, request):
        return dashboard_files.page(embedded=request.args.get("embedded") == "1")

    @json_http(
        "GET", "/dashboard/assets/<name>", public(media_types=tuple(dashboard_files.ASSET_TYPES.values()))
    )
    def dashboard_asset(self, request, name):
        return dashboard_files.asset(name)
