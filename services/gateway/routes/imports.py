"""The admin API's imports of balances from another app: the file streams
through to the points service (services/gateway/point_imports.py), which
applies it in the background; the merchant watches it by its id."""

from services.gateway.api_doc import admin
from services.gateway.auth import admin_route
from services.gateway.point_imports import upload_points_file
from services.gateway.routes.base import Routes
from services.gateway.rpc import ask
from services.gateway.schemas import ImportUpload
from services.gateway.web import json_http, query_params
from shared.errors import UnsupportedMediaType
from shared.imports_api import ImportStarted, PointsImport, PointsImportList
from shared.pagination import parse_query

# A browser form's encodings: the file would arrive wrapped, its first line a boundary.
FORMS = ("multipart/form-data", "application/x-www-form-urlencoded")


class ImportRoutes(Routes):
    @json_http(
        "POST", "/api/imports/points", admin(ImportStarted, status=202, query=ImportUpload, upload="text/csv")
    )
    @admin_route
    def import_points(self, request, caller):
        """The body is the CSV file itself: a header row naming
        `customer_id,email,points` and any of `first_name,last_name,
        birthday,vip_tier`, then a row per customer. 202 once the whole file
        has arrived; its rows apply in the background (watch
        `GET /api/imports/{id}`). The same file again answers the same id
        and applies nothing twice. 422 when the file cannot be an import
        (no header, an unknown or missing column, not UTF-8, no rows); 400
        when the body ends before its Content-Length; 415 for a form."""
        upload = parse_query(ImportUpload, query_params(request))
        if request.mimetype in FORMS:
            raise UnsupportedMediaType(
                "send the CSV file itself as the body (Content-Type: text/csv), not a form",
                {"header": "Content-Type"},
            )
        # The upload checks the size itself (announced or not), in its own words.
        request.max_content_length = None
        import_id = upload_points_file(
            lambda method, **arguments: ask(getattr(self.points, method), **arguments),
            caller.shop_id,
            caller.actor,
            request.stream,
            upload.file_name,
            size=request.content_length,
        )
        return 202, {"id": import_id}

    @json_http("GET", "/api/imports", admin(PointsImportList))
    @admin_route
    def points_imports(self, request, caller):
        """The shop's latest imports, newest first."""
        return ask(self.points.list_imports, shop_id=caller.shop_id)

    @json_http("GET", "/api/imports/<import_id>", admin(PointsImport))
    @admin_route
    def points_import(self, request, caller, import_id):
        """Progress and the bad rows (the first 1,000, by line; `rows_failed` counts all)."""
        return ask(self.points.get_import, shop_id=caller.shop_id, import_id=import_id)
