"""The second pass of an import: write what the plan decided, a batch of comments per
transaction.

A batch is made ready before its transaction opens (Markdown rendered, HTML sanitised, names
cleaned, addresses hashed), so the write lock is held only while its rows go in: posts on the
site wait a few milliseconds a batch, and reads never wait. Rows go in as multi-row INSERTs,
parents before their replies (a reply's row names its parent's id, and a thread document
lists replies by id after their parents); thread counts and versions are brought up to date
by ``writing()`` in the same transaction, as for any write, so a running server shows each
batch as it commits. A batch is all or nothing: an import killed half-way leaves whole
batches, which the next run finds by source and id, and writes the rest.

A reply the file lists before its parent waits on disk (``_Waiting``) until its parent is
written, so memory stays flat however the file is ordered.
"""

from __future__ import annotations

import pickle
import sqlite3
from collections import Counter
from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta

from .. import ranking
from ..db import execute, rows_statement
from ..defences import fingerprint
from ..models import DELETED, PUBLISHED, SPAM, Thread
from ..thread_writes import open_thread, writing
from ..tokens import Signer
from . import values
from .plan import STATUSES, TOP, Plan
from .records import Malformed, SourceComment

BATCH = 1000  # comments per transaction: short enough that posts on the site barely wait
BATCH_TEXT = 4_000_000  # characters of text and HTML a batch holds at most, ready to go in
LARGEST_INSERT = 256  # rows per INSERT (22 parameters each); smaller ones by powers of two
_COLUMNS = ("thread_id", "parent_id", "root_id", "depth", "name", "text", "html", "status",
            "created", "edited", "up", "down", "score", "ip_hash", "pinned", "spam_reason",
            "status_changed", "fingerprint", "imported_up", "imported_down", "import_source",
            "import_id")
_STATUS = _COLUMNS.index("status")
_FOUND = ('SELECT "id", "root_id", "depth" FROM "comment" '
          'WHERE "import_source" = ? AND "import_id" = ?')


def _inserting(rows: int) -> str:
    return rows_statement("comment", _COLUMNS, rows,
                          'ON CONFLICT DO NOTHING RETURNING "id", "import_id"')


def _chunks(rows: list) -> Iterator[list]:
    """The rows in INSERTs of ``LARGEST_INSERT`` rows, the rest in powers of two: a few
    statements of a few sizes, each built once (``rows_statement``)."""
    start, size = 0, LARGEST_INSERT
    while start < len(rows):
        while size > len(rows) - start:
            size //= 2
        yield rows[start:start + size]
        start += size


class Writer:
    """Writes the comments of a file as its plan says, batch by batch."""

    def __init__(self, plan: Plan, signer: Signer, retention: timedelta | None,
                 now: datetime):
        self.plan, self.signer, self.retention, self.now = plan, signer, retention, now
        self.threads: dict[int, int] = {}  # the file's thread number -> its row
        self.batch: list[tuple[int, list]] = []  # (comment number, row without its place)
        self.queued: set[int] = set()
        self.held = 0  # characters of text and HTML in the batch
        self.waiting = _Waiting()

    def write(self, comments: Iterable[SourceComment]) -> None:
        plan = self.plan
        try:
            for comment in comments:
                n = plan.ids.get(comment.id)
                if n is None or not plan.kept[n] or plan.row[n]:
                    continue
                above = plan.parent[n]
                if above != TOP and not plan.row[above] and above not in self.queued:
                    self.waiting.add(above, comment)
                    continue
                self._queue(comment, n)
                if len(self.batch) >= BATCH or self.held >= BATCH_TEXT:
                    self._flush()
            self._flush()
            if self.waiting.count:  # by the plan every parent comes: unless the file changed
                raise Malformed("the file changed while it was imported")
        finally:
            self.waiting.close()

    def _queue(self, comment: SourceComment, n: int) -> None:
        """Make the comment ready for the batch, and the replies that waited for it."""
        ready = [(comment, n)]
        while ready:
            comment, n = ready.pop()
            row = self._row(comment, n)
            self.batch.append((n, row))
            self.held += len(row[1]) + len(row[2])
            self.queued.add(n)
            ready += [(reply, self.plan.ids[reply.id]) for reply in self.waiting.take(n)]

    def _row(self, comment: SourceComment, n: int) -> list:
        """The comment's columns but its place (thread, parent, root, depth)."""
        place = self.plan.places[self.plan.thread[n]]
        text, html = values.body(comment, place.policy.max_length)
        placeholder = comment.status == DELETED
        created = values.moment(comment.created, self.now)[0]
        edited = comment.edited and values.moment(comment.edited, self.now)[0]
        up, down = values.votes(comment.up), values.votes(comment.down)
        return [
            "" if placeholder else values.name(comment.name)[0], text, html, comment.status,
            created, edited, up, down, ranking.wilson_lower_bound(up, down),
            None if placeholder else self._ip_hash(comment.ip, created), False,
            "imported as spam" if comment.status == SPAM else None,
            created if placeholder else None, fingerprint(text) if text else None, up, down,
            self.plan.scope, comment.id]

    def _ip_hash(self, ip: str | None, created: datetime) -> str | None:
        """The keyed hash of the address, unless older than the retention allows."""
        address = values.address(ip)
        if address is None or (self.retention and created < self.now - self.retention):
            return None
        return self.signer.hash_ip(address)

    def _flush(self) -> None:
        """Write the batch in one transaction: comments whose parents have rows first."""
        if not self.batch:
            return
        plan, rows = self.plan, self.batch
        with writing() as changes:
            published, touched = Counter(), set()
            while rows:
                wave = [(n, row) for n, row in rows
                        if plan.parent[n] == TOP or plan.row[plan.parent[n]]]
                rows = [(n, row) for n, row in rows
                        if not (plan.parent[n] == TOP or plan.row[plan.parent[n]])]
                if not wave:  # every parent is written or in the batch: _queue sees to it
                    raise RuntimeError("replies in a batch without their parents")
                for thread_id, status in self._insert(wave):
                    if status == PUBLISHED:
                        published[thread_id] += 1
                    else:
                        touched.add(thread_id)
            for thread_id, count in published.items():
                changes.add(thread_id, count)
            changes.touch(touched)
        self.batch, self.queued, self.held = [], set(), 0

    def _insert(self, wave: list[tuple[int, list]]) -> list[tuple[int, str]]:
        """Insert rows whose parents have rows; (thread, status) of each new one."""
        plan = self.plan
        placed, added = [], []
        for n, row in wave:
            above = plan.parent[n]
            if above == TOP:
                place = (self._thread(plan.thread[n]), None, None, 0)
            else:
                parent = plan.row[above]
                place = (self._thread(plan.thread[n]), parent, plan.root[above] or parent,
                         plan.depth[above] + 1)
            placed.append((n, [*place, *row]))
        for chunk in _chunks(placed):
            parameters = [value for _, row in chunk for value in row]
            returned = {import_id: row_id for row_id, import_id
                        in execute(_inserting(len(chunk)), parameters).fetchall()}
            for n, row in chunk:
                row_id = returned.get(row[-1])
                if row_id is None:  # another run imported it meanwhile: its row is found
                    plan.row[n], root, plan.depth[n] = execute(
                        _FOUND, (plan.scope, row[-1])).fetchone()
                    plan.root[n] = root or 0
                    plan.report.already += 1
                    plan.report.comments[STATUSES[plan.status[n]]] -= 1
                    continue
                plan.row[n], plan.root[n], plan.depth[n] = row_id, row[2] or 0, row[3]
                added.append((row[0], row[_STATUS]))
        return added

    def _thread(self, number: int) -> int:
        """The row of a thread of the file, opened (and given its title and lock) the first
        time a comment goes in."""
        row = self.threads.get(number)
        if row is None:
            place = self.plan.places[number]
            row, locked = open_thread(place.key, place.url, place.title)
            if place.locked and not locked:
                Thread.update(locked=True).where(Thread.id == row).execute()
            if place.title:
                Thread.update(title=place.title).where(
                    (Thread.id == row) & (Thread.title == "")).execute()
            self.threads[number] = row
        return row


class _Waiting:
    """Replies that came before their parents, set aside in a private temporary SQLite
    database (on disk, gone when closed) until their parent is written."""

    def __init__(self) -> None:
        self.store: sqlite3.Connection | None = None
        self.parents: set[int] = set()
        self.count = 0

    def add(self, parent: int, comment: SourceComment) -> None:
        if self.store is None:
            self.store = sqlite3.connect("")  # "": a temporary file SQLite deletes itself
            self.store.execute("CREATE TABLE waiting (parent INTEGER, comment BLOB)")
            self.store.execute("CREATE INDEX waiting_parent ON waiting (parent)")
        self.store.execute("INSERT INTO waiting VALUES (?, ?)", (parent, pickle.dumps(comment)))
        self.parents.add(parent)
        self.count += 1

    def take(self, parent: int) -> list[SourceComment]:
        """The replies that waited for ``parent``, no longer waiting."""
        if parent not in self.parents:
            return []
        self.parents.discard(parent)
        rows = self.store.execute("SELECT comment FROM waiting WHERE parent = ?",
                                  (parent,)).fetchall()
        self.store.execute("DELETE FROM waiting WHERE parent = ?", (parent,))
        self.count -= len(rows)
        return [pickle.loads(blob) for (blob,) in rows]  # noqa: S301 - written just above

    def close(self) -> None:
        if self.store is not None:
            self.store.close()
