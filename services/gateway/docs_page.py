"""The API reference a person reads at `/docs`: Swagger UI, vendored into
api_docs/swagger_ui (no CDN: the page works offline and its CSP allows
this origin only), rendering the gateway's own `/openapi.json`."""

from pathlib import Path

from werkzeug.wrappers import Response

from shared.errors import NotFound

FILES = Path(__file__).parent / "api_docs"
ASSETS = {
    "swagger-ui-bundle.js": (FILES / "swagger_ui" / "swagger-ui-bundle.js", "text/javascript"),
    "swagger-ui.css": (FILES / "swagger_ui" / "swagger-ui.css", "text/css"),
    "docs.js": (FILES / "docs.js", "text/javascript"),
}
MEDIA_TYPES = ("text/javascript", "text/css")
# The assets' names carry no hash: a browser asks again after an hour.
AN_HOUR = "public, max-age=3600"


def page() -> Response:
    response = Response((FILES / "index.html").read_text(), mimetype="text/html")
    response.headers["Cache-Control"] = "no-cache"
    return response


def asset(name: str) -> Response:
    if name not in ASSETS:
        raise NotFound("no such file", {"file": name})
    path, media_type = ASSETS[name]
    response = Response(path.read_bytes(), mimetype=media_type)
    response.headers["Cache-Control"] = AN_HOUR
    return response
