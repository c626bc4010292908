"""Security headers on every response: no MIME sniffing, no full URLs in Referer, and a
Content-Security-Policy on JSON that lets nothing load if a browser ever renders it.

A header a view or another subsystem already set (the admin route's stricter ones) stays.
"""

from __future__ import annotations

ALWAYS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
}
JSON_POLICY = "default-src 'none'; frame-ancestors 'none'"


def _secure(response):
    for name, value in ALWAYS.items():
        response.headers.setdefault(name, value)
    if response.mimetype == "application/json":  # data, never a document: nothing may load
        response.headers.setdefault("Content-Security-Policy", JSON_POLICY)
    return response


def init_app(app) -> None:
    """Add the security headers after every request, errors included."""
    app.after_request(_secure)
