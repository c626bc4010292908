"""Each worker's cache of encoded thread documents.

The public document of a thread is the same for every reader, so it is serialised,
gzipped and hashed once per change and then served from memory. An entry remembers the
thread's ``version`` (see ``models.Thread``), which every write to the thread raises in
the database inside its own transaction: a fetch reads the thread row anyway, and an
entry of another version is a miss. So all workers of all servers see a write at their
next read, with nothing to broadcast.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable

from .compress import Encoded


class DocumentCache:
    """At most ``budget`` bytes of documents, the least recently read going first."""

    def __init__(self, budget: int):
        self.budget = budget
        self.used = 0
        self._entries: OrderedDict[Hashable, tuple[int, Encoded]] = OrderedDict()
        self._lock = threading.Lock()  # gunicorn's threaded workers share one cache

    def get(self, key: Hashable, version: int) -> Encoded | None:
        """The document stored under ``key`` if it is of this version."""
        with self._lock:
            found = self._entries.get(key)
            if found is None or found[0] != version:
                return None
            self._entries.move_to_end(key)
            return found[1]

    def put(self, key: Hashable, version: int, document: Encoded) -> None:
        """Keep ``document``, unless a newer version is already kept or it could not fit."""
        if document.size > self.budget // 4:  # one huge thread must not flush all others
            return
        with self._lock:
            old = self._entries.get(key)
            if old is not None:
                if old[0] > version:  # a slower request read the thread before a write
                    return
                self.used -= old[1].size
            self._entries[key] = (version, document)
            self._entries.move_to_end(key)
            self.used += document.size
            while self.used > self.budget:
                _, (_, evicted) = self._entries.popitem(last=False)
                self.used -= evicted.size
