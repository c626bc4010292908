"""Thread documents: one listing of a thread as the API answers it (a page of it, or its
latest comments), serialised to JSON and encoded once, then served from the worker's
``DocumentCache`` until the thread's version moves on (every write raises it: see
``thread_writes``).
"""

from __future__ import annotations

import json
from typing import Any

from . import latest as latest_comments
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


def latest(cache: DocumentCache, key: str, url: str) -> Encoded:
    """The encoded document of the thread ``key``'s latest published comments, flat and
    newest first (see ``latest``), which readers keeping the thread open poll: cached like
    ``thread``, so an unchanged thread costs a poll one query, the thread's row."""
    found = threads.find(key)
    # Named apart from the pages, whose names begin with the thread's id: a page's sort is
    # looked up in the cache before it is checked, so (id, "latest", 50, None) would hand
    # this document to GET /api/threads?sort=latest&limit=50.
    listing = ("latest", found.id if found else None, latest_comments.LIMIT)
    document = cache.get(listing, found.version) if found else None
    if document is None:
        document = Encoded.of(_json({
            "thread": serialize.thread(found, url),
            "comments": [serialize.node(node) for node in latest_comments.of_thread(found)],
        }))
        if found:
            cache.put(listing, found.version, document)
    return document


def _json(document: dict[str, Any]) -> bytes:
    # The bytes Flask's JSON answers have in this app (compact, keys in order, ASCII-only,
    # a final newline), so a cached document reads like any other answer.
    return (json.dumps(document, ensure_ascii=True, separators=(",", ":")) + "\n").encode()
