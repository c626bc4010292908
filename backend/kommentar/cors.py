"""Cross-origin rules: which sites may call the API from a browser, and the origin check
on writes.

Only the configured site origins, compared exactly on scheme, host and port, get
``Access-Control-Allow-Origin`` (never ``*``, never ``null``, never an unknown
origin reflected back). CORS only limits what a foreign page may *read*; a simple
cross-site POST would still reach us, so every write also checks ``Origin`` here,
and every body a view reads must be JSON (``api.request.body``), which no simple
form post can send.
"""

from __future__ import annotations

from flask import request

from .errors import Forbidden, KommentarError

WRITES = {"POST", "PUT", "PATCH", "DELETE"}


def site_origin(origin: str | None) -> str | None:
    """An Origin header's normalised form, or None when it is absent or malformed."""
    from .urls import normalise_origin

    try:
        return normalise_origin(origin) if origin else None
    except KommentarError:
        return None


def _allowed(origin: str, origins: frozenset[str]) -> bool:
    return site_origin(origin) in origins


def init_app(app) -> None:
    """Check writes' origins before the view and add CORS headers after it."""
    origins = frozenset(app.config["ORIGINS"])

    @app.before_request
    def _check_origin() -> None:
        if request.method not in WRITES or not request.path.startswith("/api/"):
            return
        if request.routing_exception is not None:
            return  # no such route or method: the view's 404 or 405 (with Allow) comes first
        origin = request.headers.get("Origin")  # scripts send none: no ambient credential rides
        if origin is not None and not _allowed(origin, origins) \
                and origin != request.host_url.rstrip("/"):  # host_url costs a write 5 %
            raise Forbidden("Requests from this site are not accepted.",
                            code="origin_not_allowed")

    @app.after_request
    def _cors(response):
        if not request.path.startswith("/api/"):
            return response
        response.vary.add("Origin")
        origin = request.headers.get("Origin")
        if origin is None or not _allowed(origin, origins):
            return response
        response.headers["Access-Control-Allow-Origin"] = origin
        if request.method == "OPTIONS":
            response.headers["Access-Control-Allow-Methods"] = "GET, POST, PATCH, DELETE"
            response.headers["Access-Control-Allow-Headers"] = \
                "Authorization, Content-Type, If-None-Match"
            response.headers["Access-Control-Max-Age"] = "86400"
        else:
            response.headers["Access-Control-Expose-Headers"] = "Retry-After, ETag"
        return response
