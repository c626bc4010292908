"""What the feeds show, read from the database: a thread's latest published comments, and
the latest across one site's threads. No Flask here.

A thread feed is built from the thread's row (which ``threads.find`` reads anyway, and
whose ``version`` names the feed's cached copy) and one query for its comments. A site feed
has no row of its own, so ``recent`` first reads what names its copy: the ids of the site's
latest published comments with their threads' versions; only when no copy of that is kept,
``described`` reads those comments' text. Never one query per comment.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from ..db import execute, placeholders
from ..models import PUBLISHED, Comment
from ..threads import Header

THREAD_LIMIT = 100  # entries of a thread feed, newest first
SITE_LIMIT = 50  # entries of a site's feed

# Each statement first finds the comments it keeps, then looks up for each of them its
# author's name (as the thread document gives it: the account's, else the one chosen) and,
# for the site's feed, its thread, by primary key in subqueries: no planner then sets out
# from the accounts or the site's threads, reading every one of them.
#
# A thread's comments come off one of its listing indexes (thread_id first) and are sorted by
# posting time (an imported comment has a later id than its time): a thread feed is rebuilt
# only when its thread changes, and then costs what rebuilding the thread's document costs,
# which reads the whole thread too.
_THREAD = ('SELECT "latest"."id", "latest"."parent_id", COALESCE((SELECT "user"."username" '
           'FROM "user" WHERE "user"."id" = "latest"."author_id"), "latest"."name"), '
           '"latest"."text", "latest"."html", "latest"."created", "latest"."edited" FROM '
           '(SELECT "comment"."id", "comment"."parent_id", "comment"."author_id", '
           '"comment"."name", "comment"."text", "comment"."html", "comment"."created", '
           '"comment"."edited" FROM "comment" '
           'WHERE "comment"."thread_id" = ? AND "comment"."status" = ? '
           'ORDER BY "comment"."created" DESC, "comment"."id" DESC LIMIT ?) AS "latest" '
           'ORDER BY "latest"."created" DESC, "latest"."id" DESC')
# Walks the (status, id) index from the newest published comment back, keeping those whose
# thread is on the site, until it has enough. With one site (or a few of similar size) that
# reads little more than the rows it keeps; a small site sharing the server with a busy one
# walks past the busy one's comments since its own last one.
_RECENT = ('SELECT "comment"."id", (SELECT "thread"."version" FROM "thread" '
           'WHERE "thread"."id" = "comment"."thread_id") FROM "comment" '
           'WHERE "comment"."status" = ? AND (SELECT SUBSTR("thread"."url", 1, ?) FROM "thread" '
           'WHERE "thread"."id" = "comment"."thread_id") = ? '
           'ORDER BY "comment"."id" DESC LIMIT ?')
_DESCRIBED = ('SELECT "comment"."id", "comment"."parent_id", COALESCE((SELECT "user"."username" '
              'FROM "user" WHERE "user"."id" = "comment"."author_id"), "comment"."name"), '
              '"comment"."text", "comment"."html", "comment"."created", "comment"."edited", '
              '(SELECT "thread"."url" FROM "thread" WHERE "thread"."id" = "comment"."thread_id"), '
              '(SELECT "thread"."title" FROM "thread" '
              'WHERE "thread"."id" = "comment"."thread_id") FROM "comment" '
              'WHERE "comment"."id" IN ({ids}) AND "comment"."status" = ? '
              'ORDER BY "comment"."id" DESC')


@dataclass(frozen=True)
class Entry:
    """One published comment as a feed shows it."""

    id: int
    parent: int | None
    author: str
    text: str
    html: str
    created: datetime
    edited: datetime | None
    page: str  # the thread's page URL
    page_title: str

    @property
    def updated(self) -> datetime:
        """When it last changed: its edit, else its posting."""
        return self.edited or self.created


@dataclass(frozen=True)
class Recent:
    """The site's latest published comments, named but not yet read, and a digest that
    changes whenever what a feed of them shows may have changed."""

    ids: list[int]
    digest: str


def of_thread(thread: Header) -> list[Entry]:
    """The latest ``THREAD_LIMIT`` published comments of a thread, newest first."""
    rows = execute(_THREAD, (thread.id, PUBLISHED, THREAD_LIMIT)).fetchall()
    return _entries(row + (thread.url, thread.title) for row in rows)


def recent(origin: str) -> Recent:
    """The latest ``SITE_LIMIT`` published comments on the site at ``origin`` (normalised).

    The digest is of their ids with their threads' versions. Every write that changes what a
    thread shows raises its version in the same transaction (``thread_writes``), and an entry
    shows only what its thread shows (text, author, times, the page's URL and title), so: a
    new comment changes the ids; a deleted or held one leaves them (and raises a version); an
    edit, a renamed author or a retitled page raises its thread's version. Versions only
    rise, so a digest never comes back to stand for other contents."""
    prefix = origin + "/"  # normalised page URLs all start so, the path at least "/"
    rows = execute(_RECENT, (PUBLISHED, len(prefix), prefix, SITE_LIMIT)).fetchall()
    named = ",".join(f"{comment}:{version}" for comment, version in rows)
    return Recent([comment for comment, _ in rows],
                  hashlib.blake2b(named.encode(), digest_size=16).hexdigest())


def described(ids: list[int]) -> list[Entry]:
    """Those comments that are still published, newest first (ids come from ``recent``:
    at most ``SITE_LIMIT``, within one IN list)."""
    if not ids:
        return []
    return _entries(execute(_DESCRIBED.format(ids=placeholders(len(ids))),
                            (*ids, PUBLISHED)).fetchall())


def _entries(rows) -> list[Entry]:
    # Raw rows carry the database's own form of a time (text on SQLite): read as the model does.
    as_time = Comment.created.python_value
    return [Entry(comment, parent, author or "", text, html, as_time(created),
                  as_time(edited) if edited else None, url, title)
            for comment, parent, author, text, html, created, edited, url, title in rows]
