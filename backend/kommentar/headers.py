"""Security headers on every response: no MIME sniffing, no full URLs in Referer, and a
Content-Security-Policy on JSON that lets nothing load if a browser ever renders it.

A header a view or another subsystem already set (the admin route's stricter ones) stays.
"""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path

ALWAYS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
}
JSON_POLICY = "default-src 'none'; frame-ancestors 'none'"


def page_policy(style: Path, form_action: str = "'none'", script: Path | None = None) -> str:
    """The Content-Security-Policy of a server-rendered page: nothing may load, only its own
    inline style (the file ``style``, included in the page) applies and only its own inline
    ``script`` (if it has one) runs, each allowed by its hash, and its forms post only to
    ``form_action``."""
    scripts = f"script-src '{_included(script)}'; " if script else ""
    return (f"default-src 'none'; {scripts}style-src '{_included(style)}'; base-uri 'none'; "
            f"form-action {form_action}; frame-ancestors 'none'")


def _included(path: Path) -> str:
    # Jinja drops an included file's last newline; the hash is of what the page really holds.
    return "sha256-" + base64.b64encode(hashlib.sha256(
        path.read_text("utf-8").removesuffix("\n").encode()).digest()).decode()


def _secure(response):
    for name, value in ALWAYS.items():
        response.headers.setdefault(name, value)
    if response.mimetype == "application/json":  # data, never a document: nothing may load
        response.headers.setdefault("Content-Security-Policy", JSON_POLICY)
    return response


def init_app(app) -> None:
    """Add the security headers after every request, errors included."""
    app.after_request(_secure)
