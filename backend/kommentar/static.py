"""Serving ``embed.js``, the one script site owners include.

An installed wheel carries it as package data (``kommentar/static/embed.js``); a
checkout serves the repository's top-level copy that esbuild writes.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from .compress import Encoded

PACKAGED = Path(__file__).with_name("static") / "embed.js"
CHECKOUT = Path(__file__).resolve().parents[2] / "embed.js"


def _script() -> Path:
    return PACKAGED if PACKAGED.is_file() else CHECKOUT


@lru_cache(maxsize=2)
def _read(path: Path, _modified: int) -> Encoded:
    """The script, gzipped and tagged once, and again only when the file changes (a rebuild)."""
    return Encoded.of(path.read_bytes())


def init_app(app) -> None:
    """Add the ``/embed.js`` route."""

    @app.get("/embed.js")
    def embed():
        path = _script()
        response = _read(path, path.stat().st_mtime_ns).response("text/javascript")
        # Site owners reference a fixed URL, so browsers revalidate after an hour; an upgrade
        # reaches readers within that time, and a revalidation costs a 304.
        response.cache_control.public = True
        response.cache_control.max_age = 3600
        response.headers["Access-Control-Allow-Origin"] = "*"
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response
