"""Where a comment is shown, so a permalink lands: its thread, its top-level ancestor (the
root), the cursor of the page of top-level comments that holds the root in a sort and page
size (exactly the ``next`` of the page before, see ``threads.page``), and its ancestors
from the root down, so a reader can be shown a collapsed reply chain opened.

Three queries at most whatever the thread's size, none per comment: the comment with its
ancestors and thread (walked up by primary key), a count of the top-level comments before
the root in the sort's listing index, and, past the first page, the one row that ends the
page before.
"""

from __future__ import annotations

from dataclasses import dataclass

from peewee import fn

from .db import database
from .errors import Invalid, NotFound
from .models import DELETED, PUBLISHED, Comment
from .threads import SORTS, Position, cursor, listed, ordered

# The comment and its ancestors, nearest first, with its thread's page and key (read once,
# with the comment, and carried up): a walk up ``parent_id`` by primary key, at most
# max_depth steps.
_CHAIN = ('WITH RECURSIVE "chain" ("id", "parent_id", "status", "pinned", "score", "created", '
          '"thread_id", "url", "key") AS (SELECT "comment"."id", "comment"."parent_id", '
          '"comment"."status", "comment"."pinned", "comment"."score", "comment"."created", '
          '"comment"."thread_id", "thread"."url", "thread"."key" FROM "comment" '
          'JOIN "thread" ON "thread"."id" = "comment"."thread_id" WHERE "comment"."id" = {param} '
          'UNION ALL SELECT "above"."id", "above"."parent_id", "above"."status", '
          '"above"."pinned", "above"."score", "above"."created", "above"."thread_id", '
          '"chain"."url", "chain"."key" '
          'FROM "comment" AS "above" JOIN "chain" ON "above"."id" = "chain"."parent_id") '
          'SELECT "id", "status", "pinned", "score", "created", "thread_id", "url", "key" '
          'FROM "chain"')

ID_KEY = "id:"  # the prefix of a thread keyed by the site's own name for it (urls.thread_key)


@dataclass(frozen=True)
class Place:
    """Where comment ``id`` is shown: in the thread at ``url`` (named ``thread_id`` by its
    site, or None when keyed by its URL), under top-level ``root`` on the page that starts
    after ``after`` (None: the first), below ``ancestors`` (root first; [] at top level)."""

    id: int
    url: str
    thread_id: str | None
    root: int
    after: str | None
    ancestors: list[int]


def place(comment_id: int, sort: str, limit: int | None) -> Place:
    """Where a published comment is shown in ``sort`` order, ``limit`` top-level comments a
    page. NotFound when there is none to show: ``comment_deleted`` when it was deleted,
    ``comment_held`` while it waits for a moderator or is held as spam, else ``not_found``."""
    if sort not in SORTS:
        raise Invalid("sort must be oldest, newest or best.", code="invalid_sort")
    chain = database.execute_sql(_CHAIN.format(param=database.param), (comment_id,)).fetchall()
    if not chain:
        raise NotFound("No such comment.")
    chain.sort(key=lambda row: row[0], reverse=True)  # a parent's id is below its replies'
    _, status, *_, thread_id, url, key = chain[0]
    if status == DELETED:
        raise NotFound("This comment was deleted.", code="comment_deleted")
    if status != PUBLISHED:
        raise NotFound("This comment is waiting for a moderator.", code="comment_held")
    root_id, _, pinned, score, created, *_ = chain[-1]
    # SQLite's booleans are 0 and 1, and its times text.
    root = Position(bool(pinned), score, root_id, Comment.created.python_value(created))
    after = None if limit is None else _page_before(thread_id, root, sort, limit)
    return Place(comment_id, url, key[len(ID_KEY):] if key.startswith(ID_KEY) else None,
                 root_id, after, [row[0] for row in reversed(chain[1:])])


def _page_before(thread_id: int, root: Position, sort: str, limit: int) -> str | None:
    """The cursor that ends the page before the one holding ``root``; None for the first."""
    listing = listed(thread_id, Comment.id, Comment.pinned, Comment.score, Comment.created)
    for _ in range(3):
        before = listed(thread_id, fn.COUNT(Comment.id)).where(_ahead_of(root, sort)).scalar()
        if before < limit:
            return None
        rows = ordered(listing, sort, None).limit(1).offset(before // limit * limit - 1).tuples()
        for last_id, pinned, score, created in rows:
            return cursor(sort, Position(bool(pinned), score, last_id, created))
        # Comments ahead were withdrawn between the two reads: count again.
    return None  # the thread keeps shrinking under us: the widget walks from the first page


def _ahead_of(root: Position, sort: str):
    """The top-level comments listed before ``root`` in ``sort``: pinned ones first."""
    if sort == "oldest":
        ahead = (Comment.created < root.created) | ((Comment.created == root.created)
                                                    & (Comment.id < root.id))
    elif sort == "newest":
        ahead = (Comment.created > root.created) | ((Comment.created == root.created)
                                                    & (Comment.id > root.id))
    else:
        ahead = (Comment.score > root.score) | ((Comment.score == root.score)
                                                & (Comment.id < root.id))
    # "pinned = true/false", not "[NOT] pinned": SQLite seeks into the index only with those.
    pinned = Comment.pinned == True  # noqa: E712
    if root.pinned:
        return pinned & ahead
    return pinned | ((Comment.pinned == False) & ahead)  # noqa: E712
