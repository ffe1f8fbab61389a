"""The admin dashboard as the gateway serves it: the page Vite built
(dashboard/dist/index.html) at `/`, and its assets at
`/dashboard/assets/<name>`. The build is committed, so `make run` needs no
Node (docs/dashboard.md). An asset's name carries a hash of its content, so
it is cached for a year; the page is asked for again each time, so a new
build reaches the browser at once."""

from pathlib import Path

from werkzeug.wrappers import Response

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


def page() -> Response:
    response = Response((BUILD / "index.html").read_bytes(), mimetype="text/html")
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
