"""Rate limits on every write and account route, through Flask-Limiter.

Views declare their limits with ``@limited("limit_post")``, naming a setting, so
the numbers live in configuration. Writers are counted by account when signed in,
else by the keyed hash of their address; log-in failures are also counted per
account name, which stops credential stuffing spread over many addresses.
Counters live in ``memory://`` (one process) or Redis (shared by every worker).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

from flask import current_app, request
from flask_limiter import Limiter, RateLimitExceeded
from limits.errors import ConfigurationError

from .config import ConfigError
from .errors import KommentarError, Unauthorized, reply

_LIMITS = "_kommentar_limits"


def by_writer() -> str:
    """The account when a valid session token came, else the client's address hash."""
    from .api.request import client_hash, session_user

    try:
        user = session_user()
    except KommentarError:
        user = None  # counted by address; the view itself will answer the bad token with 401
    return f"u:{user.id}" if user else f"ip:{client_hash()}"


def by_client() -> str:
    """The client's address hash."""
    from .api.request import client_hash

    return f"ip:{client_hash()}"


def by_account_name() -> str:
    """The account name a log-in is for (case-folded): guesses from any address add up."""
    from .accounts import username_key

    data = request.get_json(silent=True, cache=True)
    name = data.get("username") if isinstance(data, dict) else None
    return "name:" + (username_key(name.strip())[:100] if isinstance(name, str) else "")


def limited(setting: str, key: Callable[[], str] = by_writer,
            failed_only: bool = False) -> Callable:
    """Mark a view as limited by the rate in ``setting``; ``init_app`` applies the marks."""

    def mark(view: Callable) -> Callable:
        marks = getattr(view, _LIMITS, [])
        setattr(view, _LIMITS, [*marks, (setting, key, failed_only)])
        return view

    return mark


def retry_after() -> int:
    """Seconds until the limit that was just hit lets the client in again."""
    limit = current_app.extensions["kommentar.limiter"].current_limit
    if limit is None:
        return 60
    return max(1, math.ceil(limit.window.reset_time - time.time()))


def _failed(response) -> bool:
    return response.status_code in (Unauthorized.status, 400)


def init_app(app) -> None:
    """Build this app's limiter and apply every view's marked limits (after blueprints)."""
    try:
        limiter = Limiter(key_func=by_client, app=app, enabled=app.config["RATELIMIT"],
                          storage_uri=app.config["RATELIMIT_STORAGE"], strategy="moving-window",
                          key_prefix=app.config["RATELIMIT_KEY_PREFIX"], headers_enabled=False,
                          # Redis down: keep limiting, per process, rather than fail every write.
                          in_memory_fallback_enabled=True)
    except ConfigurationError as error:
        raise ConfigError(f"ratelimit_storage: {error}") from None
    app.extensions["kommentar.limiter"] = limiter
    for endpoint, view in list(app.view_functions.items()):
        for setting, key, failed_only in getattr(view, _LIMITS, []):
            rate = app.config[setting.upper()]
            # The scope is the setting, so routes sharing one (edit, delete) share one budget.
            view = limiter.limit(rate, key_func=key, scope=setting,
                                 deduct_when=_failed if failed_only else None)(view)
        app.view_functions[endpoint] = view

    @app.errorhandler(RateLimitExceeded)
    def _too_many(_error: RateLimitExceeded):
        wait = retry_after()
        return reply(429, "rate_limited", f"Too many requests; try again in {wait} seconds.",
                     {"Retry-After": str(wait)})
