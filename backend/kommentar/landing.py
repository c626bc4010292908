"""The server's own address (``GET /``): a short page for the site owner who opens it.

It says the server runs and which version, gives the exact snippet to paste (with this
server's ``embed.js`` address, from the address the page was asked for, so it is right
behind a proxy that forwards the host), lists the configured site origins and links to
``/admin``. Nothing private: no secrets, no database address, no counts of anything.
No script at all, and a Content-Security-Policy that allows only its own inline style.
"""

from __future__ import annotations

from importlib import metadata
from pathlib import Path

from flask import current_app, render_template, request

from .headers import page_policy

STYLE = Path(__file__).with_name("templates") / "landing.css"  # included inline by the page


def policy() -> str:
    """The page's Content-Security-Policy: nothing may load, and only its own inline style
    applies."""
    return page_policy(STYLE)


def version() -> str:
    """The installed package's version."""
    try:
        return metadata.version("kommentar")
    except metadata.PackageNotFoundError:  # run from a source tree that was never installed
        return "unknown"


def init_app(app) -> None:
    """Add the ``GET /`` page."""
    headers = {"Content-Type": "text/html; charset=utf-8", "Content-Security-Policy": policy(),
               "X-Frame-Options": "DENY",
               "Cache-Control": "no-store"}  # the snippet follows the address asked for

    @app.get("/")
    def landing():
        script = f"{request.url_root}embed.js"
        snippet = f'<script src="{script}" async></script>\n<div data-kommentar></div>'
        html = render_template("landing.html", version=version(),
                               snippet=snippet, origins=current_app.config["ORIGINS"])
        return html, 200, headers
