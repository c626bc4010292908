"""Thread documents: one listing of a thread as the API answers it, serialised to JSON and
encoded once, then served from the worker's ``DocumentCache`` until the thread's version
moves on (every write raises it: see ``thread_writes``).
"""

from __future__ import annotations

import json
from typing import Any

from . import serialize, threads
from .cache import DocumentCache
from .compress import Encoded


def thread(cache: DocumentCache, key: str, url: str, sort: str, limit: int | None,
           after: str | None) -> Encoded:
    """The encoded document of one listing of the thread ``key`` (the page at ``url``):
    from the cache when it holds this version, else built and kept. A cached read costs
    one query, the thread's row."""
    found = threads.find(key)
    listing = (found.id if found else None, sort, limit, after)
    document = cache.get(listing, found.version) if found else None
    if document is None:
        page = threads.page(found, sort, limit, after)
        document = Encoded.of(_json({
            "thread": serialize.thread(page.thread, url),
            "comments": [serialize.node(node) for node in page.comments],
            "next": page.next,
        }))
        if found:
            cache.put(listing, found.version, document)
    return document


def _json(document: dict[str, Any]) -> bytes:
    # The bytes Flask's JSON answers have in this app (compact, keys in order, ASCII-only,
    # a final newline), so a cached document reads like any other answer.
    return (json.dumps(document, ensure_ascii=True, separators=(",", ":")) + "\n").encode()
