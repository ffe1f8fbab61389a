"""The admin dashboard as the gateway serves it: the page Vite built
(dashboard/dist/index.html) at `/`, and its assets at
`/dashboard/assets/<name>`. The build is committed, so `make run` needs no
Node (docs/dashboard.md). An asset's name carries a hash of its content, so
it is cached for a year; the page is asked for again each time, so a new
build reaches the browser at once."""

from html import escape
from pathlib import Path

from werkzeug.wrappers import Response

from shared import config
from shared.errors import NotFound

BUILD = Path(__file__).parent / "dashboard" / "dist"
ASSET_TYPES = {
    ".js": "text/javascript",
    ".css": "text/css",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".woff2": "font/woff2",
}
FOREVER = "public, max-age=31536000, immutable"
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
    html = (BUILD / "index.html").read_text()
    if embedded:
        app_bridge = APP_BRIDGE.format(client_id=escape(config.app_client_id()))
        html = html.replace("<!-- app-bridge -->", app_bridge)
    response = Response(html, mimetype="text/html")
    response.headers["Cache-Control"] = "no-cache"
    return response


def asset(name: str) -> Response:
    # Only a file the build wrote, by its exact name: nothing else under the
    # gateway's directory can be reached this way.
    built = {path.name: path for path in (BUILD / "assets").iterdir()}
    if name not in built or Path(name).suffix not in ASSET_TYPES:
        raise NotFound("no such file", {"file": name})
    response = Response(built[name].read_bytes(), mimetype=ASSET_TYPES[Path(name).suffix])
    response.headers["Cache-Control"] = FOREVER
    return response
