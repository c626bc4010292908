"""Writing to threads: the one transaction every write that changes a thread document runs
in, and the set-based writes that keep derived figures (counts, tallies) true.

A thread's public document is cached per worker under the thread's ``version`` (see
``cache``), so a write that changes what a thread fetch returns must raise that version
inside its own transaction, and one that publishes or withdraws a comment must also
recount the thread. ``writing()`` does both on its way out, for the threads the write
names, and refuses to commit a write that named none: forgetting is an error at once,
not a stale thread later. A new published comment adds one to its thread's count
(``Changes.add``) instead of recounting the thread, so a post costs the same on a
thread of ten comments as on one of ten thousand.

A write that moves a comment's status says so too (``Changes.moved``): the events that
makes go to ``events.listeners`` on the same way out, so a committed write's webhooks and
mail are queued with it and a rolled-back one queues none.

Posts and votes are the hot writes: their statements here are written as SQL
(``db.execute``) rather than built by peewee on every call.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from peewee import SQL, Expression, fn

from . import ranking
from .db import batches, database, execute, is_postgres, placeholders
from .events import arrivals, event_of, listeners
from .models import PUBLISHED, Comment, Thread, utcnow

# The statements of every post and vote, written out: peewee takes longer to build them than
# the database takes to run them. Adding to a count is exact under concurrent writers: SQLite
# has one writer at a time, and PostgreSQL's UPDATE adds to the row's latest committed count.
_ADD = 'UPDATE "thread" SET "count" = "count" + ?, "version" = "version" + 1 WHERE "id" = ?'
_TOUCH = 'UPDATE "thread" SET "version" = "version" + 1 WHERE "id" IN ({ids})'
_FIND = 'SELECT "id", "locked" FROM "thread" WHERE "key" = ?'
_OPEN = ('INSERT INTO "thread" ("key", "url", "title", "count", "locked", "created", "version") '
         'VALUES (?, ?, ?, 0, ?, ?, 0) ON CONFLICT ("key") DO NOTHING RETURNING "id"')
# A comment's votes here, plus those it brought from the system it was imported from.
_TALLY = ('SELECT "comment"."id", "comment"."imported_up" + COUNT("vote"."id") FILTER '
          '(WHERE "vote"."value" = 1), "comment"."imported_down" + COUNT("vote"."id") FILTER '
          '(WHERE "vote"."value" = -1) FROM "comment" LEFT JOIN "vote" ON '
          '"vote"."comment_id" = "comment"."id" WHERE "comment"."id" IN ({ids}) '
          'GROUP BY "comment"."id"')
_SET_TALLY = 'UPDATE "comment" SET "up" = ?, "down" = ?, "score" = ? WHERE "id" = ?'


class Changes:
    """The threads one write changed (whose counts may have moved, and whose documents did),
    and the events of the comments whose status it moved."""

    def __init__(self) -> None:
        self.counted: set[int] = set()
        self.shown: set[int] = set()
        self.added: dict[int, int] = {}
        self.named = False
        self.events: list[tuple[str, int]] = []
        self.arrived: set[int] = set()

    def recount(self, thread_ids: Iterable[int]) -> None:
        """These threads gained or lost published comments (their documents changed too)."""
        self.counted.update(thread_ids)
        self.named = True

    def add(self, thread_id: int, count: int = 1) -> None:
        """This thread gained new published comments: counted on, without a recount."""
        self.added[thread_id] = self.added.get(thread_id, 0) + count
        self.named = True

    def touch(self, thread_ids: Iterable[int]) -> None:
        """These threads' documents changed (text, votes, pins, authors, title, lock)."""
        self.shown.update(thread_ids)
        self.named = True

    def moved(self, comment_id: int, before: str | None, after: str, news: bool = False) -> None:
        """This comment's status moved from ``before`` (None: the comment is new) to
        ``after``; the event that is, if any, is queued for whoever listens. ``news``: no
        moderator moved it (readers' reports held it), so they hear of it as of a new one."""
        event = event_of(before, after)
        if event is not None:
            self.events.append((event, comment_id))
            if before is None or news:
                self.arrived.add(comment_id)


class UnnamedChange(RuntimeError):
    """A write under ``writing()`` ended without saying which threads it changed."""


@contextmanager
def writing() -> Iterator[Changes]:
    """The transaction of a write to comments, votes or threads (``BEGIN IMMEDIATE`` on
    SQLite). The write says which threads it changed on the ``Changes`` it is given; on the
    way out their counts are brought up to date (recounted, or added to for new comments)
    and their versions raised, and its events queued, inside the same transaction."""
    with database.atomic():
        changes = Changes()
        yield changes
        if not changes.named:
            raise UnnamedChange("a write must name the threads it changed, even none")
        _recount(changes.counted)
        for thread_id, added in changes.added.items():
            if thread_id not in changes.counted:
                execute(_ADD, (added, thread_id))
        _touch(changes.shown - changes.counted - changes.added.keys())
        if changes.events:
            arrived = arrivals.set(frozenset(changes.arrived))
            try:
                for listener in listeners:
                    listener(changes.events)
            finally:
                arrivals.reset(arrived)


def _recount(thread_ids: set[int]) -> None:
    """Set threads' published counts from their comments and raise their versions.

    On PostgreSQL the thread rows are locked first, so the count is read by a statement that
    starts after every concurrent writer to the same thread has committed; without the lock
    two writers can each count without the other's comment (READ COMMITTED keeps the
    snapshot an UPDATE started with, even after it waited for a row)."""
    if not thread_ids:
        return  # before building the count, which costs a vote more than its statements
    published = (Comment.select(fn.COUNT(Comment.id))
                 .where((Comment.thread == Thread.id) & (Comment.status == PUBLISHED)))
    for batch in batches(thread_ids):
        if is_postgres():
            list(Thread.select(Thread.id).where(Thread.id.in_(batch)).order_by(Thread.id)
                 .for_update("FOR NO KEY UPDATE"))  # compatible with the FK's KEY SHARE
        Thread.update(count=published, version=Thread.version + 1) \
            .where(Thread.id.in_(batch)).execute()


def _touch(thread_ids: set[int]) -> None:
    for batch in batches(thread_ids):
        execute(_TOUCH.format(ids=placeholders(len(batch))), batch)


def open_thread(key: str, url: str, title: str) -> tuple[int, bool]:
    """The thread a page's comments go to, created on the first one: (its id, locked).
    Called inside ``writing()``, like every write to threads."""
    row = execute(_FIND, (key,)).fetchone()
    if row is None:  # on PostgreSQL another writer may create it first: then it is found
        row = execute(_OPEN, (key, url, title, False, utcnow())).fetchone()
        row = (row[0], False) if row else execute(_FIND, (key,)).fetchone()
    return row[0], bool(row[1])  # SQLite's booleans are 0 and 1


def tally(comment_ids: Iterable[int]) -> dict[int, tuple[int, int]]:
    """Set up, down and score of these comments from their votes (and those they were
    imported with); ``{id: (up, down)}``.

    The caller holds the comments' row locks on PostgreSQL, so the tally stays exact."""
    tallies: dict[int, tuple[int, int]] = {}
    for batch in batches(comment_ids):
        found = {comment: (up, down) for comment, up, down in
                 execute(_TALLY.format(ids=placeholders(len(batch))), batch).fetchall()}
        for comment_id in batch:
            tallies[comment_id] = found.get(comment_id, (0, 0))
            store_tally(comment_id, *tallies[comment_id])
    return tallies


def store_tally(comment_id: int, up: int, down: int) -> None:
    """Set a comment's up and down votes, and the score they give it."""
    execute(_SET_TALLY, (up, down, ranking.wilson_lower_bound(up, down), comment_id))


def has_reply() -> Expression:
    """Whether anything (of any status) replies to the comment."""
    child = Comment.alias()
    return fn.EXISTS(child.select(SQL("1")).where(child.parent == Comment.id))


def remove_leaf_first(where: Expression) -> int:
    """Hard-delete the comments ``where`` matches that no reply hangs from, one level per
    statement, so a chain of them goes whole while one holding another's reply stays; their
    votes go with them (the foreign key cascades). Return how many went."""
    removed = 0
    while gone := Comment.delete().where(where & ~has_reply()).execute():
        removed += gone
    return removed
