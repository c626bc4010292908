"""Serving the widget: ``embed.js``, the one script site owners include, and the chunks it
loads on demand from ``embed/`` (languages other than English, the account forms).

An installed wheel carries them as package data (``kommentar/static/``); a checkout serves
the repository's top-level copies that esbuild writes (``make build``).
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from .compress import Encoded
from .errors import NotFound

PACKAGED = Path(__file__).with_name("static")
CHECKOUT = Path(__file__).resolve().parents[2]
SCRIPT = "embed.js"
CHUNKS = "embed"
CHUNK_NAME = re.compile(r"[a-z0-9-]{1,40}\.js")


def _widget(relative: str) -> Path:
    """A file of the widget, from the wheel when installed, else from the checkout."""
    folder = PACKAGED if (PACKAGED / SCRIPT).is_file() else CHECKOUT
    return folder / relative


@lru_cache(maxsize=16)
def _read(path: Path, _modified: int) -> Encoded:
    """A file, gzipped and tagged once, and again only when it changes (a rebuild)."""
    return Encoded.of(path.read_bytes())


def _serve(path: Path):
    response = _read(path, path.stat().st_mtime_ns).response("text/javascript")
    # Site owners reference a fixed URL, so browsers revalidate after an hour; an upgrade
    # reaches readers within that time, and a revalidation costs a 304. The chunks' addresses
    # carry their version (?v=), so a new embed.js never meets an old chunk in a cache.
    response.cache_control.public = True
    response.cache_control.max_age = 3600
    # Any page may load the widget; chunks are ES modules, which browsers fetch with CORS.
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def init_app(app) -> None:
    """Add the ``/embed.js`` and ``/embed/<chunk>`` routes."""

    @app.get("/embed.js")
    def embed():
        return _serve(_widget(SCRIPT))

    @app.get("/embed/<name>")
    def embed_chunk(name: str):
        path = _widget(f"{CHUNKS}/{name}")
        if not CHUNK_NAME.fullmatch(name) or not path.is_file():
            raise NotFound(f"The widget has no chunk {name!r}.")
        return _serve(path)
