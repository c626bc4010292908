"""What happens to comments that the world outside may want to hear of: the events, which
moves of a comment's status are which, and what an event says about its comment.

A write that moves a comment's status tells the ``Changes`` of its transaction
(``thread_writes.writing``), which keeps the events; on the way out of that same transaction
each of the ``listeners`` gets them and writes what it makes of them (webhook calls, mail)
to the outbox. A write that rolls back so leaves no event behind, and one that commits cannot
lose its events.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from contextvars import ContextVar
from typing import Any

from .db import batches, execute, placeholders
from .models import DELETED, PENDING, PUBLISHED, SPAM, Comment
from .serialize import timestamp

COMMENT_PUBLISHED = "comment.published"  # a comment became visible on its page
COMMENT_PENDING = "comment.pending"  # a comment waits for a moderator
COMMENT_DELETED = "comment.deleted"  # a visible or waiting comment was deleted or is spam
EVENTS = (COMMENT_PUBLISHED, COMMENT_PENDING, COMMENT_DELETED)

Events = list[tuple[str, int]]  # (event, comment id), in the order they happened
# Called with a committing write's events, inside its transaction; each subsystem adds its
# own in init_app. A listener runs wherever comments change (a request, a command), so it
# reads its settings as it was configured, not from a request.
listeners: list[Callable[[Events], None]] = []
# While the listeners run: the comments that are new in the write (a post), or that readers'
# reports held, so that a listener can tell news to moderators from a moderator publishing or
# restoring a comment, which has the same event.
arrivals: ContextVar[frozenset[int]] = ContextVar("kommentar.arrivals", default=frozenset())

# A comment with its thread and author, for what an event says about it.
_DESCRIBE = ('SELECT "comment"."id", "comment"."parent_id", "comment"."status", '
             '"comment"."name", "user"."username", "comment"."text", "comment"."html", '
             '"comment"."created", "thread"."url", "thread"."title" FROM "comment" '
             'JOIN "thread" ON "thread"."id" = "comment"."thread_id" '
             'LEFT JOIN "user" ON "user"."id" = "comment"."author_id" '
             'WHERE "comment"."id" IN ({ids})')


def event_of(before: str | None, after: str) -> str | None:
    """The event a comment's move from status ``before`` (None: it is new) to ``after`` is,
    if any: spam caught on arrival, or deleting what was spam, concerns nobody."""
    if after == before:
        return None
    if after == PUBLISHED:
        return COMMENT_PUBLISHED
    if after == PENDING:
        return COMMENT_PENDING
    if after in (DELETED, SPAM) and before in (PUBLISHED, PENDING):
        return COMMENT_DELETED
    return None


def permalink(page_url: str, comment_id: int) -> str:
    """The address of a comment on its page: the widget scrolls to ``#kommentar-ID`` (and to
    the ``#comment-ID`` of its own permalinks; the other name keeps clear of a page's own
    ids)."""
    return f"{page_url.split('#', 1)[0]}#kommentar-{comment_id}"


def described(comment_ids: Iterable[int]) -> dict[int, dict[str, Any]]:
    """What events say about these comments, as they stand in the current transaction:
    ``{id: data}``, one query per ``CHUNK`` comments."""
    found: dict[int, dict[str, Any]] = {}
    for batch in batches(comment_ids):
        rows = execute(_DESCRIBE.format(ids=placeholders(len(batch))), batch).fetchall()
        for (comment_id, parent, status, name, username, text, html, created, url,
             title) in rows:
            found[comment_id] = {
                "id": comment_id,
                "parent": parent,
                "thread": {"url": url, "title": title},
                "author": {"name": username or name},
                "text": text,
                "html": html,
                "status": status,
                "created": timestamp(Comment.created.python_value(created)),
                "permalink": permalink(url, comment_id),
            }
    return found
