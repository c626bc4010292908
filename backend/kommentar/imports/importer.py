"""Importing another system's comments: check the whole file, then write it in batches.

The file is read twice, streamed both times. The first pass checks it and plans the import
without writing anything: every record must parse (a malformed file fails here, naming
where), every thread must land on a configured origin (else the command names the foreign
ones and stops), and it decides what each comment becomes: which deleted comments stay as
placeholders because replies hang under them, which replies lose a parent the file lacks,
which posts have no thread. ``--dry-run`` stops after it. The second pass writes the plan:
a batch of comments per transaction, each reply under the comment it answers whatever order
the file lists them in (a reply that comes first waits for its parent), with thread counts
and versions brought up to date by ``writing()`` like any other write, so a running server
shows the import at once and keeps answering reads meanwhile.

Every imported comment records its source and its id there, so importing the same file
again, or a newer export of the same site, adds only what is not there yet, and an import
killed half-way completes when run again.
"""

from __future__ import annotations

import html as entities
import re
import sys
import time
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta

from .. import ranking, render, urls
from ..comments import Policy
from ..db import execute, is_postgres
from ..defences import fingerprint
from ..errors import KommentarError
from ..models import DELETED, PENDING, PUBLISHED, SPAM, Thread, utcnow
from ..thread_writes import open_thread, writing
from ..tokens import Signer
from .records import Malformed, Record, Skipped, Source, SourceComment, SourceThread

BATCH = 1000  # comments per transaction: short enough that posts on the site barely wait
NAME_LENGTH = 60
ANONYMOUS_NAME = "Anonymous"

_INSERT = ('INSERT INTO "comment" ("thread_id", "parent_id", "root_id", "depth", "name", '
           '"text", "html", "status", "created", "edited", "up", "down", "score", "ip_hash", '
           '"pinned", "spam_reason", "status_changed", "fingerprint", "imported_up", '
           '"imported_down", "import_source", "import_id") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, '
           '?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING "id"')
_IMPORTED = ('SELECT "import_id", "id", "root_id", "depth" FROM "comment" '
             'WHERE "import_source" = ?')
_FOUND = ('SELECT "id", "root_id", "depth" FROM "comment" '
          'WHERE "import_source" = ? AND "import_id" = ?')


class Refused(Exception):
    """The import cannot go ahead (foreign origins, threads without a usable address)."""


@dataclass(frozen=True)
class Options:
    """How to place the file's threads: ``site`` makes paths absolute, ``maps`` rewrite URL
    prefixes first (FROM, TO), ``thread_key`` is ``url`` or ``identifier``."""

    site: str | None = None
    maps: tuple[tuple[str, str], ...] = ()
    thread_key: str = "url"
    dry_run: bool = False


@dataclass
class Report:
    """What an import found and did, for the summary it ends with."""

    threads: int = 0
    new_threads: int = 0
    comments: Counter = field(default_factory=Counter)  # imported, by status
    already: int = 0  # imported by an earlier run
    skipped: Counter = field(default_factory=Counter)  # by reason
    notes: list[str] = field(default_factory=list)  # what the reader should know, with where
    dry_run: bool = False

    NOTES_SHOWN = 20

    def note(self, text: str) -> None:
        self.notes.append(text)

    def summary(self) -> str:
        verb = "would import" if self.dry_run else "imported"
        statuses = ", ".join(f"{self.comments[s]} {s}" for s in (PUBLISHED, PENDING, SPAM, DELETED)
                             if self.comments[s]) or "none"
        lines = [f"{verb} {sum(self.comments.values())} comments ({statuses}) in "
                 f"{self.threads} threads ({self.new_threads} new)"]
        if self.already:
            lines.append(f"already imported before: {self.already} comments")
        if self.skipped:
            lines.append("skipped: " + ", ".join(f"{count} {reason}" for reason, count
                                                 in sorted(self.skipped.items())))
        lines += [f"  {note}" for note in self.notes[:self.NOTES_SHOWN]]
        if len(self.notes) > self.NOTES_SHOWN:
            lines.append(f"  ... and {len(self.notes) - self.NOTES_SHOWN} more")
        return "\n".join(lines)


@dataclass(frozen=True)
class _Place:
    """Where a thread of the file goes: its key, normalised URL, title and lock."""

    key: str
    url: str
    title: str
    locked: bool


@dataclass
class _Plan:
    """The first pass's findings: what the second pass writes."""

    scope: str
    places: dict[str, _Place]  # source thread id -> where it goes
    parents: dict[str, str | None]  # kept comment id -> its kept parent (None: top level)
    report: Report


# --- the first pass: read everything, write nothing ------------------------------------------

def plan(records: Iterable[Record], policy: Policy, options: Options,
         progress: Callable[[int], None] | None = None) -> _Plan:
    """Check the whole file and decide what each of its comments becomes."""
    report = Report(dry_run=options.dry_run)
    scope = None
    threads: dict[str, SourceThread] = {}
    seen: dict[str, tuple[str, str | None, str]] = {}  # id -> (thread, parent, status)
    for count, record in enumerate(records, start=1):
        if isinstance(record, SourceComment):
            if record.status not in (PUBLISHED, PENDING, SPAM, DELETED):
                raise Malformed(f"unknown status {record.status!r}", record.where)
            if record.id in seen:
                raise Malformed(f"comment {record.id!r} appears twice", record.where)
            seen[record.id] = (record.thread, record.parent, record.status)
        elif isinstance(record, SourceThread):
            threads.setdefault(record.id, record)
        elif isinstance(record, Skipped):
            report.skipped[record.reason] += 1
        elif isinstance(record, Source):
            scope = scope or record.scope
        if progress and count % 1000 == 0:
            progress(count)
    if scope is None:
        raise Malformed("the file names no source (an empty or foreign file?)")
    # Only threads with comments are placed: exports also list pages nobody commented on,
    # often from hosts the site never served (a development server, a translating proxy).
    commented = {thread for thread, _, _ in seen.values()}
    places = _place({key: thread for key, thread in threads.items() if key in commented},
                    policy, options)
    parents = _keep(seen, places, report)
    keys = {places[seen[cid][0]].key for cid in parents}
    report.threads = len(keys)
    report.new_threads = len(keys - _existing_keys(keys))
    for cid in parents:
        report.comments[seen[cid][2]] += 1
    return _Plan(scope, places, parents, report)


def _existing_keys(keys: set[str]) -> set[str]:
    """Which of many thread keys exist already, asked in batches."""
    found, ordered = set(), sorted(keys)
    for start in range(0, len(ordered), 10_000):
        found.update(key for (key,) in Thread.select(Thread.key)
                     .where(Thread.key.in_(ordered[start:start + 10_000])).tuples())
    return found


def _place(threads: dict[str, SourceThread], policy: Policy,
           options: Options) -> dict[str, _Place]:
    """Where each thread goes; Refused, naming them, when any would leave the configured sites."""
    places, foreign, unplaced = {}, set(), []
    for thread in threads.values():
        url = thread.url.strip()
        if url.startswith("/") and options.site:
            url = options.site.rstrip("/") + url
        for old, new in options.maps:
            if url.startswith(old):
                url = new + url[len(old):]
                break
        try:
            normalised = urls.normalise_url(url)
        except KommentarError:
            unplaced.append(thread.url)
            continue
        origin = urls.origin_of(normalised)
        if origin not in policy.origins:
            foreign.add(origin)
            continue
        explicit = thread.identifier if options.thread_key == "identifier" else None
        try:
            key = urls.thread_key(normalised, explicit or None)
        except KommentarError as error:  # no page could ask for it by that id either
            raise Refused(f"thread {thread.id}: its identifier {explicit[:40]!r} cannot key it. "
                          f"{error.message} Use --thread-key url.") from None
        places[thread.id] = _Place(key, normalised, _title(thread.title), thread.locked)
    if unplaced:
        hint = " (paths need --site ORIGIN)" if any(u.startswith("/") for u in unplaced) else ""
        raise Refused(f"{len(unplaced)} threads have no usable address{hint}: "
                      + ", ".join(sorted(unplaced)[:5]))
    if foreign:
        raise Refused("threads on sites this server is not configured for (add them to "
                      "origins, or use --map FROM=TO): " + ", ".join(sorted(foreign)))
    return places


def _keep(seen: dict[str, tuple[str, str | None, str]], places: dict[str, _Place],
          report: Report) -> dict[str, str | None]:
    """The comments to import, each with the parent it goes under (None: top level).

    A deleted comment stays, as an empty placeholder, only while a reply that may be shown
    (published, or pending a moderator) hangs under it, directly or through other deleted
    ones; a reply whose parent is not imported goes to the top level, and says so."""
    kept: dict[str, str | None] = {}
    for cid, (thread, _, status) in seen.items():
        if thread not in places:
            report.skipped["without a thread"] += 1
            report.note(f"comment {cid}: its thread {thread!r} is not in the file")
        elif status != DELETED:
            kept[cid] = None
    holding: set[str] = set()
    for cid in kept:
        if seen[cid][2] not in (PUBLISHED, PENDING):
            continue
        parent = seen[cid][1]
        while parent in seen and seen[parent][2] == DELETED and parent not in holding:
            holding.add(parent)
            parent = seen[parent][1]
    for cid in holding:
        if seen[cid][0] in places:
            kept[cid] = None
    report.skipped["deleted"] += sum(1 for s in seen.values() if s[2] == DELETED) - len(
        [c for c in kept if seen[c][2] == DELETED])
    if not report.skipped["deleted"]:
        del report.skipped["deleted"]
    for cid in kept:
        parent = seen[cid][1]
        if parent is None:
            continue
        if parent in kept and seen[parent][0] == seen[cid][0]:
            kept[cid] = parent
        else:
            why = "is not in the file" if parent not in seen else "is not imported"
            report.note(f"comment {cid}: its parent {parent} {why}; it goes to the top level")
    _break_cycles(kept, report)
    return kept


def _break_cycles(kept: dict[str, str | None], report: Report) -> None:
    """A file where comments answer each other in a circle would leave them all waiting for
    a parent: the first one met goes to the top level instead."""
    reaches_top: set[str] = set()
    for cid in kept:
        path: list[str] = []
        on_path: set[str] = set()
        node: str | None = cid
        while node is not None and node not in reaches_top:
            if node in on_path:
                report.note(f"comment {node}: its replies lead back to it; it goes to the "
                            "top level")
                kept[node] = None
                break
            path.append(node)
            on_path.add(node)
            node = kept[node]
        reaches_top.update(path)


def _title(title: str) -> str:
    title = " ".join(entities.unescape(title or "").split())
    return "".join(ch for ch in title if unicodedata.category(ch)[0] != "C")[:300]


# --- the second pass: write what the plan says ------------------------------------------------

@dataclass
class _Writer:
    plan: _Plan
    policy: Policy
    signer: Signer
    retention: timedelta | None
    threads: dict[str, int] = field(default_factory=dict)  # thread key -> id
    done: dict[str, tuple[int, int | None, int]] = field(default_factory=dict)
    waiting: dict[str, list[SourceComment]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # What earlier runs imported from this source: found, not imported again.
        self.done = {iid: (cid, root, depth) for iid, cid, root, depth
                     in execute(_IMPORTED, (self.plan.scope,)).fetchall()}

    def write(self, comments: Iterator[SourceComment]) -> None:
        report = self.plan.report
        batch: list[SourceComment] = []
        for comment in comments:
            if comment.id not in self.plan.parents:
                continue
            if comment.id in self.done:
                report.already += 1
                report.comments[comment.status] -= 1
                continue
            batch.append(comment)
            if len(batch) >= BATCH:
                self._transaction(batch)
                batch = []
        self._transaction(batch)
        # Whatever still waits has a parent that never came: by the plan that cannot happen,
        # short of a file changed between the passes.
        if self.waiting:
            raise Malformed("the file changed while it was imported")

    def _transaction(self, batch: list[SourceComment]) -> None:
        if not batch:
            return
        with writing() as changes:
            touched: set[int] = set()
            for comment in batch:
                self._write_with_replies(comment, touched)
            changes.recount(touched)

    def _write_with_replies(self, comment: SourceComment, touched: set[int]) -> None:
        pending = [comment]
        while pending:
            comment = pending.pop()
            parent = self.plan.parents[comment.id]
            if parent is not None and parent not in self.done:
                self.waiting.setdefault(parent, []).append(comment)
                continue
            self._insert(comment, self.done.get(parent) if parent else None, touched)
            pending += self.waiting.pop(comment.id, [])

    def _thread(self, source_thread: str) -> int:
        place = self.plan.places[source_thread]
        thread_id = self.threads.get(place.key)
        if thread_id is None:
            thread_id, locked = open_thread(place.key, place.url, place.title)
            if place.locked and not locked:
                Thread.update(locked=True).where(Thread.id == thread_id).execute()
            if place.title:
                Thread.update(title=place.title).where(
                    (Thread.id == thread_id) & (Thread.title == "")).execute()
            self.threads[place.key] = thread_id
        return thread_id

    def _insert(self, comment: SourceComment, parent: tuple[int, int | None, int] | None,
                touched: set[int]) -> None:
        thread_id = self._thread(comment.thread)
        parent_id, root, depth = (None, None, 0) if parent is None else (
            parent[0], parent[1] or parent[0], parent[2] + 1)
        text, html = self._body(comment)
        placeholder = comment.status == DELETED
        up, down = max(comment.up, 0), max(comment.down, 0)
        row = execute(_INSERT, (
            thread_id, parent_id, root, depth, "" if placeholder else _name(comment.name),
            text, html, comment.status, comment.created, comment.edited, up, down,
            ranking.wilson_lower_bound(up, down), self._ip_hash(comment),
            False, "imported as spam" if comment.status == SPAM else None,
            comment.created if placeholder else None,
            fingerprint(text) if text else None, up, down, self.plan.scope, comment.id,
        )).fetchone()
        if row is None:  # another run imported it meanwhile
            row = execute(_FOUND, (self.plan.scope, comment.id)).fetchone()
            self.done[comment.id] = (row[0], row[1], row[2])
            return
        self.done[comment.id] = (row[0], root, depth)
        touched.add(thread_id)

    def _body(self, comment: SourceComment) -> tuple[str, str]:
        """(text kept for editing, HTML shown), capped at the site's length with a note."""
        if comment.status == DELETED:
            return "", ""
        limit = self.policy.max_length
        if comment.markdown is not None:
            text = comment.markdown.replace("\r\n", "\n").strip()
            if len(text) > limit:
                text = self._capped(comment, text, limit)
            return text, render.render(text)
        html = comment.html or ""
        if comment.breaks:
            html = breaks_as_html(html)
        html = render.sanitise(html).strip()
        if len(html) > limit:
            html = render.sanitise(self._capped(comment, html, limit)).strip()
        return html, html

    def _capped(self, comment: SourceComment, text: str, limit: int) -> str:
        self.plan.report.note(f"comment {comment.id}: {len(text)} characters, cut to the "
                              f"site's max_length of {limit}")
        return text[:limit]

    def _ip_hash(self, comment: SourceComment) -> str | None:
        """The keyed hash of the comment's address, unless older than the retention allows."""
        if not comment.ip:
            return None
        if self.retention and comment.created < utcnow() - self.retention:
            return None
        return self.signer.hash_ip(comment.ip.strip())


_PARAGRAPHS = re.compile(r"\n\s*\n")


def breaks_as_html(text: str) -> str:
    """Text whose line breaks are meant as shown (WordPress's): blank lines part paragraphs,
    single ones break the line. Tags in it stay for the sanitiser to judge."""
    text = text.replace("\r\n", "\n").strip()
    return "".join(f"<p>{part.strip().replace(chr(10), '<br>')}</p>"
                   for part in _PARAGRAPHS.split(text) if part.strip())


def _name(name: str) -> str:
    name = " ".join(unicodedata.normalize("NFC", entities.unescape(name or "")).split())
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")[:NAME_LENGTH]
    return name or ANONYMOUS_NAME


# --- the whole import ---------------------------------------------------------------------------

def run(read: Callable[[], Iterator[Record]], policy: Policy, signer: Signer,
        options: Options, retention: timedelta | None = None, progress: Progress | None = None
        ) -> Report:
    """Import what ``read()`` yields (it is called once per pass). Raises Malformed or Refused
    before writing anything when the file cannot be imported."""
    progress = progress or Progress(None)
    checked = plan(read(), policy, options, progress.checking)
    if options.dry_run:
        return checked.report
    total = len(checked.parents)
    writer = _Writer(checked, policy, signer, retention)
    writer.write(progress.writing(
        (record for record in read() if isinstance(record, SourceComment)), total))
    progress.done()
    if is_postgres():
        execute("ANALYZE \"comment\"")
    return checked.report


class Progress:
    """A progress line on a terminal (items, rate, time left); silent elsewhere."""

    def __init__(self, stream):
        self.stream = stream if stream is not None and stream.isatty() else None
        self.started = time.monotonic()

    def checking(self, count: int) -> None:
        self._show(f"checking: {count} records read")

    def restoring(self, count: int) -> None:
        self._show(f"restoring: {count} rows read")

    def writing(self, comments: Iterator[SourceComment], total: int) -> Iterator[SourceComment]:
        self.started = time.monotonic()
        for count, comment in enumerate(comments, start=1):
            if count % 1000 == 0:
                rate = count / max(time.monotonic() - self.started, 1e-6)
                left = max(total - count, 0) / rate
                self._show(f"importing: {count}/{total} comments, {rate:.0f}/s, "
                           f"{left:.0f} s left")
            yield comment

    def _show(self, line: str) -> None:
        if self.stream:
            self.stream.write(f"\r\x1b[K{line}")
            self.stream.flush()

    def done(self) -> None:
        if self.stream:
            self.stream.write("\r\x1b[K")
            self.stream.flush()


def terminal_progress() -> Progress:
    return Progress(sys.stderr)
