"""The admin route (``/admin``): server-rendered pages where moderators sign in, filter
comments and act on them, one at a time or in bulk.

This module owns the blueprint and what every admin request goes through: the sign-in
gate (GET without a session goes to the sign-in page, anything else is 403), the CSRF
check on every POST, the security headers, and error pages in HTML (the API's JSON
error handlers answer everywhere else). The pages are in ``pages``, the form posts
in ``actions``, signing in and out in ``signin``, the backup download in ``download``, the
outbox's page in ``messages``; the domain work is ``moderation``'s and ``outbox``'s.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, current_app, redirect, render_template, request, url_for
from flask_limiter import RateLimitExceeded
from peewee import OperationalError
from werkzeug.exceptions import Forbidden, HTTPException, NotFound

from ..errors import KommentarError
from ..ratelimits import retry_after
from . import session

bp = Blueprint("admin", __name__, url_prefix="/admin", template_folder="templates",
               static_folder="static")

SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'self'; img-src 'self'; "
                               "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
}
OPEN = frozenset({"admin.login_page", "admin.login"})  # reachable without a session


def is_admin_path(path: str) -> bool:
    """Whether a request path belongs to the admin route."""
    return path == "/admin" or path.startswith("/admin/")


def here() -> str:
    """The current page's address, relative, for coming back after a sign-in or an action."""
    return request.full_path.rstrip("?")


def safe_next(value: object) -> str:
    """A relative admin address to go to next; anything else (another site, ``//host``,
    a path outside ``/admin``) becomes the overview."""
    if isinstance(value, str) and len(value) <= 2000 and is_admin_path(urlsplit(value).path) \
            and value.startswith("/admin") and "\\" not in value and ".." not in value \
            and value.isprintable():
        return value
    return url_for("admin.overview")


def cross_site() -> bool:
    """Whether the request comes from another site (or a page that hides its origin)."""
    # SameSite=Strict already keeps the cookie off cross-site posts; this also stops a
    # forged sign-in form, which needs no cookie.
    fetched_from = request.headers.get("Sec-Fetch-Site")
    if fetched_from is not None and fetched_from not in ("same-origin", "none"):
        return True
    origin = request.headers.get("Origin")
    return origin is not None and (origin == "null" or urlsplit(origin).netloc != request.host)


@bp.before_request
def _gate():
    if request.endpoint == "admin.static":
        return None
    user = session.load()
    if request.method not in ("GET", "HEAD") and cross_site():
        raise Forbidden("Admin forms only work from the admin pages themselves.")
    if request.endpoint in OPEN:
        return None
    if user is None:
        if request.method in ("GET", "HEAD"):
            reason = "expired" if session.had_cookie() else None
            return redirect(url_for("admin.login_page", next=here(), reason=reason))
        raise Forbidden("Sign in as an administrator first.")
    if request.method not in ("GET", "HEAD") and not session.csrf_ok():
        raise Forbidden("This form has expired or did not come from the admin pages. "
                        "Go back, reload the page and try again.")
    return None


bp.after_request(session.save)


@bp.context_processor
def _template_helpers():
    return {"csrf_token": session.csrf_token, "notices": session.notices, "here": here,
            "admin": session.load() if request.endpoint != "admin.static" else None}


def error_page(status: int, title: str, message: str, headers=None):
    """An HTML error page with the admin's look."""
    return render_template("admin/error.html", status=status, title=title,
                           message=message), status, headers or {}


@bp.errorhandler(KommentarError)
def _domain_error(error: KommentarError):
    return error_page(error.status, "That did not work", error.message)


@bp.errorhandler(RateLimitExceeded)
def _too_many(_error: RateLimitExceeded):
    wait = retry_after()
    return error_page(429, "Too many attempts",
                      f"Too many sign-in attempts from your address; try again in {wait} "
                      "seconds.", {"Retry-After": str(wait)})


@bp.errorhandler(HTTPException)
def _http_error(error: HTTPException):
    headers = {k: v for k, v in error.get_headers() if k.lower() == "allow"}
    return error_page(error.code or 500, error.name, error.description or error.name, headers)


@bp.errorhandler(OperationalError)
def _busy(error: OperationalError):
    current_app.logger.error("database error: %s", error)
    return error_page(503, "Busy", "The database is busy or unreachable; try again shortly.",
                      {"Retry-After": "2"})


@bp.errorhandler(Exception)
def _crash(_error: Exception):
    current_app.logger.exception("unhandled error in the admin route")
    return error_page(500, "Something went wrong",
                      "The comment server hit an error; the log has the details.")


@bp.route("/<path:rest>", methods=["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"])
def _unknown(rest: str):
    # Without this, an unknown /admin/... address would not belong to the blueprint and
    # would get the API's JSON 404.
    raise NotFound("There is no admin page at this address.")


def _secure_headers(response):
    if is_admin_path(request.path):
        response.headers.update(SECURITY_HEADERS)
    return response


def init_app(app) -> None:
    """Register the admin route and its security headers (before ``ratelimits.init_app``, which
    applies the sign-in limit to the views registered here)."""
    app.register_blueprint(bp)
    app.after_request(_secure_headers)


from . import actions, download, messages, pages, signin  # noqa: E402, F401 - their routes join bp
