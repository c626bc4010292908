"""What moderators review: the filtered comment list, the overview figures and the audit log.

The same ``Filter`` that lists comments also selects them for a bulk action (see
``moderation.act``), so what a moderator sees is exactly what the action touches.
"""

from __future__ import annotations

import operator
from dataclasses import dataclass, fields
from datetime import UTC, datetime, timedelta
from functools import reduce

from peewee import JOIN, SQL, Expression, fn

from .errors import Invalid
from .models import (
    DELETED,
    PENDING,
    PUBLISHED,
    SPAM,
    STATUSES,
    AuditEntry,
    Comment,
    Report,
    Thread,
    User,
    utcnow,
)

MAX_PER_PAGE = 500


@dataclass(frozen=True)
class Filter:
    """Which comments: every field is optional, and all the given ones must match."""

    status: str | None = None  # published | pending | spam | deleted
    thread: int | None = None  # Thread.id
    author: int | None = None  # User.id
    ip_hash: str | None = None
    text: str | None = None  # case-insensitive substring of the comment's text
    older_than: datetime | None = None  # created before
    reported: bool | None = None  # True: only comments readers have reported

    def is_empty(self) -> bool:
        """Whether no field is given (it would match every comment)."""
        return all(getattr(self, f.name) in (None, "", False) for f in fields(self))


def _check_id(value: object, name: str) -> None:
    if value is not None and (type(value) is not int or value < 1):
        raise Invalid(f"The {name} filter must be an id.", code="invalid_filter")


def condition(filter: Filter) -> Expression:
    """The SQL condition on ``Comment`` a filter stands for (always true when it is empty)."""
    if filter.status is not None and filter.status not in STATUSES:
        raise Invalid(f"status must be one of {', '.join(STATUSES)}.", code="invalid_filter")
    _check_id(filter.thread, "thread")
    _check_id(filter.author, "author")
    clauses = []
    if filter.status is not None:
        clauses.append(Comment.status == filter.status)
    if filter.thread is not None:
        clauses.append(Comment.thread == filter.thread)
    if filter.author is not None:
        clauses.append(Comment.author == filter.author)
    if filter.ip_hash:
        clauses.append(Comment.ip_hash == filter.ip_hash)
    if filter.text:
        # peewee escapes % and _ (ESCAPE '\\'); ILIKE on PostgreSQL, LIKE on SQLite, which
        # folds ASCII letters only.
        clauses.append(Comment.text.contains(filter.text))
    if filter.older_than is not None:
        clauses.append(Comment.created < naive_utc(filter.older_than))
    if filter.reported:
        clauses.append(fn.EXISTS(Report.select(SQL("1")).where(Report.comment == Comment.id)))
    return reduce(operator.and_, clauses) if clauses else SQL("1 = 1")


def naive_utc(moment: datetime) -> datetime:
    """A time as stored: UTC without tzinfo (an aware time is converted, a naive one kept)."""
    if moment.tzinfo is None:
        return moment
    return moment.astimezone(UTC).replace(tzinfo=None)


def _short(text: str, length: int) -> str:
    return text if len(text) <= length else text[:length] + "…"


def describe(filter: Filter, full: bool = False) -> str:
    """A filter in words, for the audit log and the admin pages: ``status=spam, ip_hash=ab12…``.

    Long values are shortened unless ``full`` is given (the audit detail keeps them whole).
    """
    parts = []
    for name, value in ((f.name, getattr(filter, f.name)) for f in fields(filter)):
        if value is None or value == "" or value is False:
            continue
        if name == "reported":
            parts.append("reported")
            continue
        if name == "ip_hash" and not full:
            value = _short(value, 8)
        elif name == "text":
            value = '"' + (value if full else _short(value, 40)) + '"'
        elif name == "older_than":
            value = value.strftime("%Y-%m-%d %H:%M")
        parts.append(f"{name}={value}")
    return ", ".join(parts) or "all comments"


def _page(page: int, per_page: int) -> None:
    if type(page) is not int or page < 1:
        raise Invalid("page must be 1 or more.", code="invalid_page")
    if type(per_page) is not int or not 1 <= per_page <= MAX_PER_PAGE:
        raise Invalid(f"per_page must be 1 to {MAX_PER_PAGE}.", code="invalid_page")


def comments(filter: Filter, page: int = 1, per_page: int = 50) -> tuple[list[Comment], int]:
    """One page of the comments a filter matches, newest first, and how many match in all.

    Each comment comes with its ``thread`` and ``author`` (None for an anonymous one)
    loaded by the same query, so a listing costs two queries whatever its length.
    """
    _page(page, per_page)
    where = condition(filter)
    rows = (Comment.select(Comment, Thread, User)
            .join_from(Comment, Thread, on=(Comment.thread == Thread.id))
            .join_from(Comment, User, JOIN.LEFT_OUTER, on=(Comment.author == User.id))
            .where(where).order_by(Comment.id.desc()).paginate(page, per_page))
    total = Comment.select(fn.COUNT(Comment.id)).where(where).scalar()
    return list(rows), total


def overview(now: datetime | None = None) -> dict:
    """The dashboard figures: comments since UTC midnight, waiting, held as spam, reported
    by readers (and not yet approved, spam or deleted), and the five threads with the most
    comments (deleted ones aside) in the last seven days."""
    now = now or utcnow()
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    today, pending, spam = Comment.select(
        fn.COUNT(Comment.id).filter(Comment.created >= midnight),
        fn.COUNT(Comment.id).filter(Comment.status == PENDING),
        fn.COUNT(Comment.id).filter(Comment.status == SPAM),
    ).tuples().get()
    recent = fn.COUNT(Comment.id)
    busiest = (Thread.select(Thread, recent.alias("recent"))
               .join(Comment, on=(Comment.thread == Thread.id))
               .where((Comment.created >= now - timedelta(days=7)) & (Comment.status != DELETED))
               .group_by(Thread.id).order_by(recent.desc(), Thread.id).limit(5))
    reported = (Report.select(fn.COUNT(fn.DISTINCT(Report.comment)))
                .join(Comment, on=(Report.comment == Comment.id))
                .where(Comment.status.in_((PUBLISHED, PENDING))).scalar())
    return {"today": today, "pending": pending, "spam": spam, "reported": reported,
            "busiest": [(thread, thread.recent) for thread in busiest]}


def audit_log(page: int = 1, per_page: int = 50) -> tuple[list[AuditEntry], int]:
    """One page of the audit log, newest first, and how many entries there are."""
    _page(page, per_page)
    entries = AuditEntry.select().order_by(AuditEntry.id.desc()).paginate(page, per_page)
    return list(entries), AuditEntry.select().count()
