"""Domain errors with stable codes, and the one place that turns any error into JSON.

Domain code raises these; it never builds HTTP responses. Each error carries a
stable machine-readable ``code`` (the widget picks its message by code, in the
reader's language) and an English ``message`` for people reading the API.
"""

from __future__ import annotations


class KommentarError(Exception):
    """Base of every error a client may see: a stable code, a message, an HTTP status."""

    status = 400
    code = "invalid_input"

    def __init__(self, message: str, code: str | None = None):
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code


class Invalid(KommentarError):
    """The request is malformed or a value is out of range (400)."""


class Unauthorized(KommentarError):
    """No credential, or one that is invalid or expired (401)."""

    status = 401
    code = "unauthorized"


class Forbidden(KommentarError):
    """The caller is known but may not do this (403)."""

    status = 403
    code = "forbidden"


class NotFound(KommentarError):
    """The thing named does not exist, or is not visible to the caller (404)."""

    status = 404
    code = "not_found"


class UnsupportedMediaType(KommentarError):
    """A write without a JSON body (415)."""

    status = 415
    code = "unsupported_media_type"


class Conflict(KommentarError):
    """The request clashes with what is stored, such as a taken username (409)."""

    status = 409
    code = "conflict"


def reply(status: int, code: str, message: str, headers=None):
    """The one error response: ``{"error": {"code", "message"}}`` with its status."""
    from flask import jsonify

    response = jsonify(error={"code": code, "message": message})
    response.status_code = status
    response.headers.extend(headers or {})
    return response


# The longest request target (path and query string, as sent) the server reads: what proxies
# commonly pass (nginx's 8 KiB header buffers) and gunicorn's own ceiling. Longer is a 414.
MAX_TARGET_BYTES = 8190


def _target_bytes(environ) -> int:
    return len(environ.get("PATH_INFO", "").encode("latin-1", "replace")) \
        + len(environ.get("QUERY_STRING", ""))


def init_app(app) -> None:
    """Answer every error, ours or the framework's, in the one JSON shape."""
    from flask import request
    from peewee import OperationalError
    from werkzeug.exceptions import HTTPException, RequestURITooLarge

    @app.before_request
    def _target_length() -> None:
        if _target_bytes(request.environ) > MAX_TARGET_BYTES:
            raise RequestURITooLarge(f"The URL is longer than {MAX_TARGET_BYTES} bytes.")

    @app.errorhandler(KommentarError)
    def _domain(error: KommentarError):
        return reply(error.status, error.code, error.message)

    @app.errorhandler(HTTPException)
    def _http(error: HTTPException):
        code = HTTP_CODES.get(error.code or 500, "http_error")
        headers = {k: v for k, v in error.get_headers() if k.lower() == "allow"}
        return reply(error.code or 500, code, error.description or code, headers)

    @app.errorhandler(OperationalError)
    def _busy(error: OperationalError):
        # The database was unreachable or stayed locked past the busy timeout: a retry may work.
        app.logger.error("database error: %s", error)
        return reply(503, "unavailable", "The comment server is busy; try again shortly.",
                     {"Retry-After": "2"})

    @app.errorhandler(Exception)
    def _crash(error: Exception):
        app.logger.exception("unhandled error")
        return reply(500, "internal_error", "Something went wrong on the comment server.")


HTTP_CODES = {
    400: "invalid_input",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "too_large",
    414: "too_long",
    415: "unsupported_media_type",
    429: "rate_limited",
}
