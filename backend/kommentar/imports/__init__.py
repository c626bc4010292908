"""Comments from other systems, and this one's own backups: one reader per format, all
feeding the same importer (``importer``), which checks a whole file before writing any of it.

Each format's module has ``read(path, site) -> Iterator[Record]`` (see ``records``); the
format names are what ``kommentar import FORMAT FILE`` takes.
"""

from __future__ import annotations

import importlib
from types import ModuleType

FORMATS = {
    "disqus": "Disqus XML export",
    "wordpress": "WordPress WXR 1.0-1.2",
    "isso": "Isso 0.12-0.14 SQLite database",
    "remark42": "Remark42 backup (gzipped JSON lines)",
    "commento": "Commento or Comentario JSON export, version 1",
    "kommentar": "this server's own export",
}


def reader(name: str) -> ModuleType:
    """The module that reads format ``name``."""
    if name not in FORMATS:
        raise KeyError(name)
    return importlib.import_module(f".{name}", __name__)
