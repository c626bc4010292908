"""Rate limits on every write and account route, through Flask-Limiter.

Views declare their limits with ``@limited("limit_post", key)``, naming a setting, so
the numbers live in configuration, and the function that says whom a request counts
against (the request layer's ``writer_key``, ``client_key``, ``account_name_key``).
Counters live in ``memory://`` (one process) or Redis (shared by every worker).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

from flask import current_app
from flask_limiter import Limiter, RateLimitExceeded
from limits import parse_many
from limits.errors import ConfigurationError

from .config import ConfigError
from .errors import Unauthorized, reply

_LIMITS = "_kommentar_limits"


def limited(setting: str, key: Callable[[], str], failed_only: bool = False) -> Callable:
    """Mark a view as limited by the rate in ``setting``, counted per ``key()``; ``init_app``
    applies the marks."""

    def mark(view: Callable) -> Callable:
        marks = getattr(view, _LIMITS, [])
        setattr(view, _LIMITS, [*marks, (setting, key, failed_only)])
        return view

    return mark


def allow(setting: str, key: str) -> bool:
    """Count one use of the rate in ``setting`` against ``key`` and say whether it was within
    the limit: for limits that must not show in the answer (a password reset answers the same
    whether its mail went or not), so the caller quietly does less instead."""
    app = current_app
    if not app.config["RATELIMIT"]:
        return True
    limiter = app.extensions["kommentar.limiter"]
    rates = parse_many(app.config[setting.upper()])
    names = (app.config["RATELIMIT_KEY_PREFIX"], setting, key)
    # Every rate is checked before any is counted: a refused use must not use up another one.
    if not all(limiter.limiter.test(rate, *names) for rate in rates):
        return False
    return all([limiter.limiter.hit(rate, *names) for rate in rates])


def retry_after() -> int:
    """Seconds until the limit that was just hit lets the client in again."""
    limit = current_app.extensions["kommentar.limiter"].current_limit
    if limit is None:
        return 60
    return max(1, math.ceil(limit.window.reset_time - time.time()))


def _failed(response) -> bool:
    return response.status_code in (Unauthorized.status, 400)


def init_app(app, default_key: Callable[[], str]) -> None:
    """Build this app's limiter and apply every view's marked limits (after blueprints);
    ``default_key`` counts what no view names a key for."""
    try:
        limiter = Limiter(key_func=default_key, app=app, enabled=app.config["RATELIMIT"],
                          storage_uri=app.config["RATELIMIT_STORAGE"], strategy="moving-window",
                          key_prefix=app.config["RATELIMIT_KEY_PREFIX"], headers_enabled=False,
                          # Redis down: keep limiting, per process, rather than fail every write.
                          in_memory_fallback_enabled=True)
    except ConfigurationError as error:
        raise ConfigError(f"ratelimit_storage: {error}") from None
    app.extensions["kommentar.limiter"] = limiter

    @app.errorhandler(RateLimitExceeded)
    def _too_many(_error: RateLimitExceeded):
        wait = retry_after()
        return reply(429, "rate_limited", f"Too many requests; try again in {wait} seconds.",
                     {"Retry-After": str(wait)})

    if not app.config["RATELIMIT"]:
        return  # a disabled limiter's wrapper would still cost every write a twentieth of it
    for endpoint, view in list(app.view_functions.items()):
        for setting, key, failed_only in getattr(view, _LIMITS, []):
            rate = app.config[setting.upper()]
            # The scope is the setting, so routes sharing one (edit, delete) share one budget.
            view = limiter.limit(rate, key_func=key, scope=setting,
                                 deduct_when=_failed if failed_only else None)(view)
        app.view_functions[endpoint] = view
