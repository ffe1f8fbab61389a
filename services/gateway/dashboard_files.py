"""The admin dashboard's files (dashboard/: one page, its stylesheet and its
script), as the gateway serves them at `/` and `/dashboard/<asset>`."""

from html import escape
from pathlib import Path

from werkzeug.wrappers import Response

from shared import config
from shared.errors import NotFound

DASHBOARD = Path(__file__).parent / "dashboard"
ASSETS = {"app.css": "text/css", "app.js": "text/javascript"}
# Shopify's App Bridge, for the page embedded in the Shopify admin: it must
# be the page's first script, loaded as is from Shopify, and it reads the
# app's client id from the meta tag. It gives the page `shopify.idToken()`.
APP_BRIDGE = (
    '<meta name="shopify-api-key" content="{client_id}">\n'
    '<script src="https://cdn.shopify.com/shopifycloud/app-bridge.js"></script>'
)


def page(embedded: bool) -> Response:
    """The page; with App Bridge when the Shopify admin opens it embedded
    (it adds ?embedded=1 to the app's URL)."""
    html = (DASHBOARD / "index.html").read_text()
    if embedded:
        app_bridge = APP_BRIDGE.format(client_id=escape(config.app_client_id()))
        html = html.replace("<!-- app-bridge -->", app_bridge)
    return Response(html, mimetype="text/html")


def asset(name: str) -> Response:
    if name not in ASSETS:
        raise NotFound("no such file", {"file": name})
    return Response((DASHBOARD / name).read_bytes(), mimetype=ASSETS[name])
