"""Reading threads: a page of top-level comments in the asked order with every reply
nested under it, the counts for listing pages, and a reader's own votes.

A thread fetch is three queries whatever its size (the thread, one page of
top-level comments, all their replies), never one per comment; one when the worker has
the document cached (``cache``). Pagination is by
keyset, so a deep page costs the same as the first; the cursor is opaque to clients.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import NamedTuple

from peewee import JOIN, SQL, fn

from .db import database
from .errors import Invalid
from .models import MAX_ID, PENDING, PUBLISHED, SPAM, Comment, Thread, User, Vote

SORTS = ("oldest", "newest", "best")

# Columns a thread fetch reads, in this order (plain tuples are several times cheaper than models).
_COLUMNS = (Comment.id, Comment.parent, Comment.author, User.username, Comment.name,
            Comment.html, Comment.created, Comment.edited, Comment.up, Comment.down,
            Comment.status, Comment.score, Comment.pinned)


@dataclass
class Node:
    """One comment as the thread document shows it, with its replies."""

    id: int
    parent: int | None
    author_id: int | None
    author_name: str
    html: str
    created: object
    edited: object
    up: int
    down: int
    deleted: bool
    score: float
    pinned: bool = False
    replies: list[Node] = field(default_factory=list)


class Header(NamedTuple):
    """What a thread fetch reads of the thread's row."""

    id: int
    version: int
    url: str
    title: str
    count: int
    locked: bool


@dataclass
class Page:
    """A thread (None when nobody has commented yet) and one page of its comments."""

    thread: Header | None
    comments: list[Node]
    next: str | None


def _node(row) -> Node:
    (cid, parent, author_id, username, name, html, created, edited, up, down, status, score,
     pinned) = row
    if status != PUBLISHED:  # a placeholder that keeps the replies' place, and nothing else
        return Node(cid, parent, None, "", "", created, None, 0, 0, True, score, bool(pinned))
    return Node(cid, parent, author_id, username if author_id else name, html, created, edited,
                up, down, False, score, bool(pinned))


def _visible(thread_id: int):
    # A comment that is not published (deleted, or hidden by a moderator) is fetched as a
    # placeholder only when something still hangs under it, so published replies keep
    # their place and every counted comment is shown. The thread, given as a constant,
    # keeps PostgreSQL from hashing the parents of the whole table for this check.
    child = Comment.alias()
    has_reply = fn.EXISTS(child.select(SQL("1"))
                          .where((child.thread == thread_id) & (child.parent == Comment.id)))
    return (Comment.status == PUBLISHED) | has_reply


# A cursor names the last comment of a page: its sort, whether it was pinned ("p"), its
# score (for best) or its time (for oldest and newest, in microseconds since the year 1),
# and its id, e.g. "oldest:63868147628000000/123", "newest:p63868147628000000/45",
# "best:0.2065/77". Oldest and newest go by the time a comment was written, not by its id:
# an imported comment gets a new id but keeps its time.
_ID = r"([1-9][0-9]{0,15})"
_SCORE = r"[0-9](?:\.[0-9]+)?(?:e-[0-9]+)?"  # repr() of a float in [0, 1]
_TIME = r"[0-9]{1,17}"  # microseconds from datetime.min to any stored time
_CURSOR = re.compile(rf"(oldest|newest|best):(p?)(?:({_SCORE}|{_TIME})/)?{_ID}")
_MICROSECOND = timedelta(microseconds=1)


@dataclass(frozen=True)
class Position:
    """Where the previous page ended."""

    pinned: bool
    score: float
    id: int
    created: datetime | None = None  # for oldest and newest


def parse_cursor(sort: str, cursor: str | None) -> Position | None:
    """The place a cursor from an earlier page stands for, checked against the sort."""
    if cursor is None:
        return None
    match = _CURSOR.fullmatch(cursor)
    if (not match or match[1] != sort or match[3] is None or int(match[4]) > MAX_ID
            or not re.fullmatch(_SCORE if sort == "best" else _TIME, match[3])):
        raise Invalid("The cursor does not belong to this listing.", code="invalid_cursor")
    if sort == "best":
        return Position(match[2] == "p", float(match[3]), int(match[4]))
    try:
        created = datetime.min + int(match[3]) * _MICROSECOND
    except OverflowError:
        raise Invalid("The cursor does not belong to this listing.",
                      code="invalid_cursor") from None
    return Position(match[2] == "p", 0.0, int(match[4]), created)


def cursor(sort: str, last: Node | Position) -> str:
    """The cursor of a page that ends with ``last``: the next page starts right after it."""
    pinned = "p" if last.pinned else ""
    if sort == "best":  # repr() of a float round-trips exactly
        return f"{sort}:{pinned}{last.score!r}/{last.id}"
    return f"{sort}:{pinned}{(last.created - datetime.min) // _MICROSECOND}/{last.id}"


def listed(thread_id: int, *columns):
    """The query of a thread's top-level comments as its pages list them (``columns`` of
    each), in no order yet: see ``ordered``."""
    return Comment.select(*columns).where((Comment.thread == thread_id) & (Comment.depth == 0)
                                          & _visible(thread_id))


def ordered(query, sort: str, position: Position | None):
    """Pinned comments first, then the sort; after ``position`` when one is given."""
    if sort == "oldest":
        query = query.order_by(Comment.pinned.desc(), Comment.created, Comment.id)
        after = position and ((Comment.created > position.created) |
                              ((Comment.created == position.created) &
                               (Comment.id > position.id)))
    elif sort == "newest":
        query = query.order_by(Comment.pinned.desc(), Comment.created.desc(), Comment.id.desc())
        after = position and ((Comment.created < position.created) |
                              ((Comment.created == position.created) &
                               (Comment.id < position.id)))
    else:
        query = query.order_by(Comment.pinned.desc(), Comment.score.desc(), Comment.id)
        after = position and ((Comment.score < position.score) |
                              ((Comment.score == position.score) & (Comment.id > position.id)))
    if position is None:
        return query
    # "pinned = false", not "NOT pinned": SQLite seeks into the index only with an equality.
    unpinned = Comment.pinned == False  # noqa: E712
    if position.pinned:  # the rest of the pinned ones, then every unpinned one
        return query.where((Comment.pinned & after) | unpinned)
    return query.where(unpinned & after)


# The hot reads written out: peewee takes longer to build these than the database takes to
# answer them. _FIND is all a cached thread read asks the database.
_FIND = ('SELECT "id", "version", "url", "title", "count", "locked" FROM "thread" '
         'WHERE "key" = {param}')
_COUNTS = 'SELECT "key", "count" FROM "thread" WHERE "key" IN ({params})'


def find(key: str) -> Header | None:
    """The thread of a page, or None while nobody has commented on it."""
    row = database.execute_sql(_FIND.format(param=database.param), (key,)).fetchone()
    return row and Header(*row[:-1], bool(row[-1]))  # SQLite's booleans are 0 and 1


def page(thread: Header | None, sort: str, limit: int | None, after: str | None) -> Page:
    """Top-level comments of ``thread`` in ``sort`` order, ``limit`` at a time."""
    if sort not in SORTS:
        raise Invalid("sort must be oldest, newest or best.", code="invalid_sort")
    position = parse_cursor(sort, after)
    if thread is None:
        return Page(None, [], None)

    top = listed(thread.id, *_COLUMNS).join(User, JOIN.LEFT_OUTER,
                                            on=(Comment.author == User.id))
    top = ordered(top, sort, position)
    if limit is not None:
        top = top.limit(limit + 1)
    nodes = [_node(row) for row in top.tuples()]
    more = limit is not None and len(nodes) > limit
    nodes = nodes[:limit] if more else nodes

    if nodes:
        replies = (Comment.select(*_COLUMNS)
                   .join(User, JOIN.LEFT_OUTER, on=(Comment.author == User.id))
                   .where(_visible(thread.id)).order_by(Comment.id))
        if position is None and not more:  # the whole thread: no long IN list needed
            replies = replies.where((Comment.thread == thread.id) & (Comment.depth > 0))
        else:
            replies = replies.where(Comment.root.in_([node.id for node in nodes]))
        _nest(nodes, (_node(row) for row in replies.tuples()))
    following = cursor(sort, nodes[-1]) if more else None  # before pruning: the page's true end
    return Page(thread, [node for node in nodes if not _prunable(node)], following)


def _nest(top: list[Node], replies) -> None:
    by_id = {node.id: node for node in top}
    answered = []
    for reply in replies:  # ordered by id, so a parent always comes before its replies
        above = by_id.get(reply.parent)
        if above is not None:  # a reply under a hidden comment stays hidden with it
            if not above.replies:
                answered.append(above)
            above.replies.append(reply)
            by_id[reply.id] = reply
    for node in answered:  # oldest first, by the time they were written (imports keep it)
        node.replies.sort(key=lambda reply: (reply.created, reply.id))


def _prunable(node: Node) -> bool:
    node.replies = [reply for reply in node.replies if not _prunable(reply)]
    return node.deleted and not node.replies


def counts(keys: dict[str, str]) -> dict[str, int]:
    """Published comment counts for many pages in one query: ``{as asked: count}``."""
    wanted = list(set(keys.values()))
    params = ", ".join([database.param] * len(wanted))
    found = dict(database.execute_sql(_COUNTS.format(params=params), wanted).fetchall())
    return {asked: found.get(key, 0) for asked, key in keys.items()}


def held_of(key: str, user_id: int) -> list[Comment]:
    """An account's comments in a thread that wait for a moderator (or were caught as spam:
    to their author both look the same), oldest first."""
    return list(Comment.select(Comment, User).join(User)
                .switch(Comment).join(Thread, on=(Comment.thread == Thread.id))
                .where((Thread.key == key) & (Comment.author == user_id)
                       & Comment.status.in_((PENDING, SPAM)))
                .order_by(Comment.id))


def votes_of(key: str, voter: str) -> dict[int, int]:
    """The votes one voter has cast in a thread: ``{comment id: 1 or -1}``."""
    return dict(Vote.select(Vote.comment, Vote.value)
                .join(Comment, on=(Vote.comment == Comment.id))
                .join(Thread, on=(Comment.thread == Thread.id))
                .where((Thread.key == key) & (Vote.voter == voter)
                       & (Comment.status == PUBLISHED)).tuples())
