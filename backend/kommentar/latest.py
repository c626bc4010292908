"""A thread's latest published comments, flat and newest first: what a reader who keeps a
thread open asks for every half minute, to learn what was written since the page loaded.

Each comment is as the thread document shows it (``threads.Node``), without its replies
and with its ``parent`` named, so the reader's page can place it. Held, spam and deleted
comments are never among them: a placeholder only keeps a published reply's place in the
tree, and this list has no tree. One query whatever the thread's size; the document built
from it is cached per thread version like a thread page (``documents.latest``).
"""

from __future__ import annotations

from .db import execute
from .models import PUBLISHED, Comment
from .threads import Header, Node

LIMIT = 50  # comments in the document: more than a busy thread gets in one poll's interval

# The comments are found off one of the thread's listing indexes (thread_id first) and only
# the kept ones get their author's name, by primary key in a subquery (as the feeds do): no
# planner then sets out from the accounts. Ordered by posting time, as the thread's "newest"
# order is (an imported comment has a later id than its time).
_LATEST = ('SELECT "latest"."id", "latest"."parent_id", "latest"."author_id", '
           'COALESCE((SELECT "user"."username" FROM "user" '
           'WHERE "user"."id" = "latest"."author_id"), "latest"."name"), "latest"."html", '
           '"latest"."created", "latest"."edited", "latest"."up", "latest"."down", '
           '"latest"."score", "latest"."pinned" FROM '
           '(SELECT "comment"."id", "comment"."parent_id", "comment"."author_id", '
           '"comment"."name", "comment"."html", "comment"."created", "comment"."edited", '
           '"comment"."up", "comment"."down", "comment"."score", "comment"."pinned" '
           'FROM "comment" WHERE "comment"."thread_id" = ? AND "comment"."status" = ? '
           'ORDER BY "comment"."created" DESC, "comment"."id" DESC LIMIT ?) AS "latest" '
           'ORDER BY "latest"."created" DESC, "latest"."id" DESC')


def of_thread(thread: Header | None, limit: int = LIMIT) -> list[Node]:
    """The thread's latest ``limit`` published comments, newest first by (created, id); none
    for a page nobody has commented on (``thread`` None)."""
    if thread is None:
        return []
    # Raw rows carry the database's own form of a time (text on SQLite): read as the model does.
    as_time = Comment.created.python_value
    return [Node(cid, parent, author_id, name, html, as_time(created),
                 as_time(edited) if edited else None, up, down, False, score, bool(pinned))
            for cid, parent, author_id, name, html, created, edited, up, down, score, pinned
            in execute(_LATEST, (thread.id, PUBLISHED, limit)).fetchall()]
