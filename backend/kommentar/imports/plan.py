"""The first pass of an import: read the whole file, write nothing, and decide.

Every record must parse (a malformed file fails here, naming where). Every thread with
comments must land on a configured origin, after ``--site`` makes paths absolute and
``--map`` rewrites prefixes; else the foreign origins are named and nothing is written. Each
comment's fate is settled: imported, or skipped for want of a thread; under which parent (a
reply whose parent the file lacks, or puts on another page, or that answers its own replies
in a circle, goes to the top level); whether a deleted comment stays as a placeholder because
replies hang under it. What earlier runs imported from the same source is looked up too, so
the figures are those the real run reports, and ``--dry-run`` can stop here.

The plan keeps a number per comment, never the comment: the map from source ids to numbers,
and the thread, parent, status and (once written) row of each in arrays, about 150 bytes a
comment however long its text.
"""

from __future__ import annotations

from array import array
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from .. import urls
from ..comments import Policy
from ..db import execute
from ..errors import KommentarError
from ..models import DELETED, PENDING, PUBLISHED, SPAM, Thread
from . import values
from .records import Malformed, Record, Skipped, Source, SourceComment, SourceThread
from .report import Report

STATUSES = (None, PUBLISHED, PENDING, SPAM, DELETED)  # by code; 0: only named as a parent
CODES = {status: code for code, status in enumerate(STATUSES) if status}
TOP = -1  # the parent of a top-level comment
ID_LENGTH = 200  # the import_id column's
_EARLIER = ('SELECT "import_id", "id", "root_id", "depth" FROM "comment" WHERE '
            '"import_source" = ? AND "import_id" > ? ORDER BY "import_id" LIMIT 10000')
_NAME_CUT, _TIME_MOVED = 1, 2  # what a comment's values needed, noted once it is kept


class Refused(Exception):
    """The import cannot go ahead (foreign origins, threads without a usable address)."""


@dataclass(frozen=True)
class Options:
    """How to place the file's threads: ``site`` makes paths absolute, ``maps`` rewrite URL
    prefixes (FROM, TO; see ``prefix``), ``thread_key`` is ``url`` or ``identifier``."""

    site: str | None = None
    maps: tuple[tuple[str, str], ...] = ()
    thread_key: str = "url"
    dry_run: bool = False


@dataclass(frozen=True)
class Place:
    """Where a thread of the file goes: its key, normalised URL, title and lock, and the
    rules of its site."""

    key: str
    url: str
    title: str
    locked: bool
    policy: Policy


@dataclass
class Plan:
    """What the second pass writes: comment ``n`` goes into thread ``places[thread[n]]``,
    under comment ``parent[n]`` (or ``TOP``), if ``kept[n]``; ``row``, ``root`` and
    ``depth`` are its row's once written (``row`` 0 before)."""

    scope: str
    places: dict[int, Place]
    ids: dict[str, int]
    thread: array
    parent: array
    status: bytearray
    kept: bytearray
    row: array
    root: array
    depth: array
    report: Report


def prefix(text: str) -> str:
    """A ``--map`` prefix as URLs are compared with it: normalised (``straße.de`` and its
    punycode agree), without the root's slash. Invalid (a KommentarError) if not a URL."""
    normalised = urls.normalise_url(text)
    return normalised[:-1] if normalised.endswith("/") else normalised


def mapped(url: str, maps: Iterable[tuple[str, str]]) -> str:
    """The normalised URL with the first matching prefix rewritten. A prefix matches whole
    path segments: ``http://blog.example`` is not a prefix of ``http://blog.example.org``."""
    for old, new in maps:
        if url == old or (url.startswith(old) and url[len(old)] in "/?"):
            return urls.normalise_url(new + url[len(old):])
    return url


def plan(records: Iterable[Record], policy: Policy, options: Options, now: datetime,
         progress: Callable[[int], None] | None = None) -> Plan:
    """Check the whole file and decide what each of its comments becomes."""
    planner = _Planner(policy, options, now)
    for count, record in enumerate(records, start=1):
        if isinstance(record, SourceComment):
            planner.comment(record)
        elif isinstance(record, SourceThread):
            planner.threads.setdefault(planner.thread_number(record.id), record)
        elif isinstance(record, Skipped):
            planner.report.skipped[record.reason] += 1
        elif isinstance(record, Source):
            planner.scope = planner.scope or record.scope
        if progress and count % 1000 == 0:
            progress(count)
    return planner.finish()


class _Planner:
    def __init__(self, policy: Policy, options: Options, now: datetime):
        self.policy, self.options, self.now = policy, options, now
        self.report = Report(dry_run=options.dry_run)
        self.scope: str | None = None
        self.threads: dict[int, SourceThread] = {}
        self.thread_numbers: dict[str, int] = {}
        self.thread_names: list[str] = []  # thread number -> source id, for notes
        self.ids: dict[str, int] = {}
        self.names: list[str] = []  # number -> source id, for notes
        self.thread, self.parent = array("i"), array("i")
        self.status, self.flags = bytearray(), bytearray()
        self.length = array("i")  # of the text, before it is capped

    def thread_number(self, source_id: str) -> int:
        number = self.thread_numbers.setdefault(source_id, len(self.thread_numbers))
        if number == len(self.thread_names):
            self.thread_names.append(source_id)
        return number

    def number(self, source_id: str) -> int:
        number = self.ids.setdefault(source_id, len(self.ids))
        if number == len(self.names):
            self.names.append(source_id)
            self.thread.append(TOP)
            self.parent.append(TOP)
            self.status.append(0)
            self.flags.append(0)
            self.length.append(0)
        return number

    def comment(self, record: SourceComment) -> None:
        if record.status not in CODES:
            raise Malformed(f"unknown status {record.status!r}", record.where)
        if not 0 < len(record.id) <= ID_LENGTH or not record.id.isprintable():
            raise Malformed(f"the comment id {record.id[:40]!r} is not 1 to {ID_LENGTH} "
                            "printable characters", record.where)
        n = self.number(record.id)
        if self.status[n]:
            raise Malformed(f"comment {record.id!r} appears twice", record.where)
        self.status[n] = CODES[record.status]
        self.thread[n] = self.thread_number(record.thread)
        if record.parent is not None:
            self.parent[n] = self.number(record.parent)
        self.length[n] = min(len(values.source(record)), 2**31 - 1)
        cut = values.name(record.name)[1] and record.status != DELETED
        moved = values.moment(record.created, self.now)[1] or (
            record.edited is not None and values.moment(record.edited, self.now)[1])
        self.flags[n] = (_NAME_CUT if cut else 0) | (_TIME_MOVED if moved else 0)

    def finish(self) -> Plan:
        if self.scope is None:
            raise Malformed("the file names no source (an empty or foreign file?)")
        if len(self.scope) > ID_LENGTH:
            raise Malformed(f"the source's name is longer than {ID_LENGTH} characters")
        # Only threads with comments are placed: exports also list pages nobody commented on,
        # often from hosts the site never served (a development server, a translating proxy).
        commented = {self.thread[n] for n in range(len(self.names)) if self.status[n]}
        places = self._places([t for t in self.threads if t in commented])
        kept = self._keep(places)
        self._break_cycles(kept)
        self._note_mended(kept, places)
        size = len(self.names)
        done = Plan(self.scope, places, self.ids, self.thread, self.parent, self.status, kept,
                    array("q", bytes(8 * size)), array("q", bytes(8 * size)),
                    array("i", bytes(4 * size)), self.report)
        _look_up_earlier(done)
        _count(done)
        return done

    def _places(self, numbers: list[int]) -> dict[int, Place]:
        """Where each thread goes; Refused, naming them, when any would leave the sites."""
        places, foreign, unplaced = {}, set(), []
        for number in numbers:
            thread = self.threads[number]
            url = thread.url.strip()
            if url.startswith("/") and self.options.site:
                url = self.options.site + url
            try:
                normalised = mapped(urls.normalise_url(url), self.options.maps)
            except KommentarError:
                unplaced.append(thread.url)
                continue
            origin = urls.origin_of(normalised)
            if origin not in self.policy.origins:
                foreign.add(origin)
                continue
            explicit = thread.identifier if self.options.thread_key == "identifier" else None
            try:
                key = urls.thread_key(normalised, explicit or None)
            except KommentarError as error:  # no page could ask for it by that id either
                raise Refused(f"thread {thread.id}: its identifier {explicit[:40]!r} cannot "
                              f"key it. {error.message} Use --thread-key url.") from None
            title, cut = values.title(thread.title)
            if cut:
                self.report.note(f"thread {thread.id}: its title is cut to "
                                 f"{values.TITLE_LENGTH} characters")
            places[number] = Place(key, normalised, title, thread.locked,
                                   self.policy.site(origin))
        if unplaced:
            hint = " (paths need --site ORIGIN)" if any(u.startswith("/") for u in unplaced) \
                else ""
            raise Refused(f"{len(unplaced)} threads have no usable address{hint}: "
                          + ", ".join(sorted(unplaced)[:5]))
        if foreign:
            raise Refused("threads on sites this server is not configured for (add them to "
                          "origins, or use --map FROM=TO): " + ", ".join(sorted(foreign)))
        return places

    def _keep(self, places: dict[int, Place]) -> bytearray:
        """Which comments to import, their parents settled (``TOP`` where one cannot be).

        A deleted comment stays, as an empty placeholder, only while a reply that may be
        shown (published, or pending a moderator) hangs under it on the same page, directly
        or through other deleted ones; a reply whose parent is not imported there goes to
        the top level, and says so."""
        status, parent, thread, names = self.status, self.parent, self.thread, self.names
        size, deleted = len(names), CODES[DELETED]
        kept = bytearray(size)
        for n in range(size):
            if status[n] and thread[n] not in places:
                self.report.skipped["without a thread"] += 1
                self.report.note(f"comment {names[n]}: its thread "
                                 f"{self.thread_names[thread[n]]!r} is not in the file")
            elif status[n] and status[n] != deleted:
                kept[n] = 1
        shown = (CODES[PUBLISHED], CODES[PENDING])
        for n in range(size):
            if not kept[n] or status[n] not in shown:
                continue
            above, key = parent[n], places[thread[n]].key
            while (above != TOP and status[above] == deleted and not kept[above]
                   and thread[above] in places and places[thread[above]].key == key):
                kept[above] = 1
                above = parent[above]
        left = sum(1 for n in range(size) if status[n] == deleted and not kept[n]
                   and thread[n] in places)
        if left:
            self.report.skipped["deleted"] += left
        for n in range(size):
            above = parent[n]
            if not kept[n] or above == TOP:
                continue
            if not (kept[above] and places[thread[above]].key == places[thread[n]].key):
                parent[n] = TOP
                why = "is not in the file" if not status[above] else "is not imported here"
                self.report.note(f"comment {names[n]}: its parent {names[above]} {why}; it "
                                 "goes to the top level")
        return kept

    def _break_cycles(self, kept: bytearray) -> None:
        """A file where comments answer each other in a circle would leave them all waiting
        for a parent: the first one met again goes to the top level instead."""
        parent = self.parent
        state = bytearray(len(kept))  # 1: on the path walked now, 2: reaches the top
        for start in range(len(kept)):
            if not kept[start]:
                continue
            path, node = [], start
            while node != TOP and state[node] == 0:
                state[node] = 1
                path.append(node)
                node = parent[node]
            if node != TOP and state[node] == 1:
                self.report.note(f"comment {self.names[node]}: its replies lead back to it; "
                                 "it goes to the top level")
                parent[node] = TOP
            for node in path:
                state[node] = 2

    def _note_mended(self, kept: bytearray, places: dict[int, Place]) -> None:
        """Notes on kept comments whose text, name or time had to be cut or moved."""
        for n in range(len(kept)):
            if not kept[n]:
                continue
            name, limit = self.names[n], places[self.thread[n]].policy.max_length
            if self.length[n] > limit:
                self.report.note(f"comment {name}: {self.length[n]} characters, cut to the "
                                 f"site's max_length of {limit}")
            if self.flags[n] & _NAME_CUT:
                self.report.note(f"comment {name}: its author's name is cut to "
                                 f"{values.NAME_LENGTH} characters")
            if self.flags[n] & _TIME_MOVED:
                self.report.note(f"comment {name}: its time is not plausible (before 1970 or "
                                 "in the future); it is set to the nearest that is")


def _look_up_earlier(plan: Plan) -> None:
    """Fill in the rows of comments an earlier run imported from this source, a page of the
    unique (source, id) index at a time."""
    last = ""
    while True:
        rows = execute(_EARLIER, (plan.scope, last)).fetchall()
        for import_id, row, root, depth in rows:
            n = plan.ids.get(import_id)
            if n is not None:
                plan.row[n], plan.root[n], plan.depth[n] = row, root or 0, depth
        if len(rows) < 10000:
            return
        last = rows[-1][0]


def _count(plan: Plan) -> None:
    """The figures the summary gives: comments by status, and threads."""
    report, keys = plan.report, set()
    for n in range(len(plan.kept)):
        if not plan.kept[n]:
            continue
        keys.add(plan.places[plan.thread[n]].key)
        if plan.row[n]:
            report.already += 1
        else:
            report.comments[STATUSES[plan.status[n]]] += 1
    report.threads = len(keys)
    report.new_threads = len(keys - _existing(keys))


def _existing(keys: set[str]) -> set[str]:
    """Which of many thread keys exist already, asked in batches."""
    found, ordered = set(), sorted(keys)
    for start in range(0, len(ordered), 10_000):
        found.update(key for (key,) in Thread.select(Thread.key)
                     .where(Thread.key.in_(ordered[start:start + 10_000])).tuples())
    return found
