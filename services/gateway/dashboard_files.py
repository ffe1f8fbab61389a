"""The admin dashboard's files (dashboard/: one page, its stylesheet and its
script), as the gateway serves them at `/` and `/dashboard/<asset>`."""

from pathlib import Path

from werkzeug.wrappers import Response

from shared.errors import NotFound

DASHBOARD = Path(__file__).parent / "dashboard"
ASSETS = {"app.css": "text/css", "app.js": "text/javascript"}


def page() -> Response:
    return Response((DASHBOARD / "index.html").read_bytes(), mimetype="text/html")


def asset(name: str) -> Response:
    if name not in ASSETS:
        raise NotFound("no such file", {"file": name})
    return Response((DASHBOARD / name).read_bytes(), mimetype=ASSETS[name])
