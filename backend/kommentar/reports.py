"""Readers' reports: a reader tells the moderators that a comment is spam, abusive, off
topic or wrong in some other way, and withdraws that again. Plain functions over the models
that raise domain errors; the API calls them.

Reports are deduplicated as votes are (``comments.vote``): one per account or anonymous
voter token, and an anonymous reader without their token is found by their IP hash, so
dropping it buys no second report. When a comment has been reported by ``report_threshold``
distinct readers it is held at once (pending, with the reasons as its ``spam_reason``) in
the same transaction as the report that tipped it: it leaves its public thread, and the
moderators hear of it as of any held comment (``comment.pending``). Approving it clears its
reports (``moderation.act``), so the same reports do not hold it again.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from .comments import ANONYMOUS, Policy, site_of, visible
from .db import execute, insert, is_postgres
from .errors import Forbidden, Invalid, NotFound, Unauthorized
from .models import (
    DELETED,
    PENDING,
    PUBLISHED,
    REPORT_REASONS,
    AuditEntry,
    Comment,
    Report,
    Thread,
    User,
)
from .thread_writes import writing

OTHER = "other"
MAX_NOTE = 300
# The audit log's actor for an anonymous reader's report, and for what reports did together.
READER, READERS = "reader", "readers"

_LOCK = 'SELECT 1 FROM "comment" WHERE "id" = ? FOR UPDATE'
_COMMENT = 'SELECT "thread_id", "status", "author_id" FROM "comment" WHERE "id" = ?'
# The reporter's report on a comment: their own, else (for an anonymous reader) one from
# their address; as comments._VOTED_ON finds a vote.
_FOUND = ('SELECT "id" FROM "report" WHERE "comment_id" = ? AND ("reporter" = ? OR '
          '("reporter" LIKE ? AND "ip_hash" = ?)) ORDER BY "reporter" = ? DESC LIMIT 1')
_AMEND = 'UPDATE "report" SET "reason" = ?, "note" = ?, "reporter" = ? WHERE "id" = ?'
_WITHDRAW = 'DELETE FROM "report" WHERE "id" = ?'
_REASONS = 'SELECT "reason" FROM "report" WHERE "comment_id" = ?'
_HOLD = ('UPDATE "comment" SET "status" = ?, "spam_reason" = ? '
         'WHERE "id" = ? AND "status" = ?')


@dataclass(frozen=True)
class Reported:
    """What a report did: whether it is new (not a change of an earlier one's reason), and
    whether it held the comment."""

    created: bool
    held: bool


def _clean(reason: object, note: object) -> tuple[str, str | None]:
    if reason not in REPORT_REASONS:
        raise Invalid(f"The reason is one of {', '.join(REPORT_REASONS)}.",
                      code="invalid_reason")
    if note is not None and (not isinstance(note, str) or len(note) > MAX_NOTE):
        raise Invalid(f"The note must be text of at most {MAX_NOTE} characters.",
                      code="invalid_note")
    # Checked as the API document's pattern checks it, before the text is tidied.
    if reason == OTHER and not (note and re.search(r"\S", note)):
        raise Invalid('Say in a short note what is wrong when the reason is "other".',
                      code="note_required")
    cleaned = visible(note) if note else ""
    return str(reason), cleaned or None


def _find(comment_id: int, reporter: str | None, ip_hash: str | None) -> int | None:
    """The id of this reporter's report on the comment, matched as votes are."""
    anonymous = (reporter is None or reporter.startswith(ANONYMOUS)) and ip_hash
    row = execute(_FOUND, (comment_id, reporter, ANONYMOUS + "%" if anonymous else None,
                           ip_hash, reporter)).fetchone()
    return row[0] if row else None


def _comment(comment_id: int) -> tuple[int, str, int | None]:
    """(thread id, status, author id) of a comment, its row locked on PostgreSQL so that
    reports on it take turns (the count that holds it stays exact)."""
    if is_postgres():
        execute(_LOCK, (comment_id,))
    row = execute(_COMMENT, (comment_id,)).fetchone()
    if row is None:
        raise NotFound("No such comment.")
    return row


def hold_reason(reasons: list[str]) -> str:
    """A held comment's ``spam_reason``: "reported by 3 readers: abuse, spam" (the reasons
    most given first)."""
    ranked = [reason for reason, _ in sorted(Counter(reasons).items(),
                                             key=lambda item: (-item[1], item[0]))]
    return f"reported by {len(reasons)} readers: {', '.join(ranked)}"[:200]


def _audit(user: User | None, action: str, target: str, detail: str,
           name: str = READER) -> None:
    AuditEntry.create(actor=user, actor_name=user.username if user else name,
                      action=action, target=target, detail=detail)


def report(comment_id: int, reporter: str, reason: object, note: object, policy: Policy, *,
           ip_hash: str | None = None, user: User | None = None) -> Reported:
    """Report a published comment for ``reason`` (with ``note``, required for "other");
    reporting it again changes the reason. ``reporter`` is named as ``Vote.voter`` is.

    The report that brings the comment to ``report_threshold`` distinct reporters holds it
    for review, in the same transaction."""
    reason, note = _clean(reason, note)
    with writing() as changes:
        thread_id, status, author_id = _comment(comment_id)
        if status != PUBLISHED:
            raise NotFound("No such comment.")
        site = site_of(thread_id, policy)
        if site.report_threshold == 0:
            raise Forbidden("This site does not take reports of comments.",
                            code="reports_disabled")
        if user is None and site.voting == "accounts":
            raise Unauthorized("Log in to report a comment.", code="login_required")
        if user is not None and author_id == user.id:
            raise Forbidden("You cannot report your own comment.", code="own_comment")
        existing = _find(comment_id, reporter, ip_hash)
        if existing is None:
            insert(Report(comment=comment_id, reporter=reporter, reason=reason, note=note,
                          ip_hash=ip_hash))
        else:  # a report found by IP hash passes to the reporter who now holds that address
            execute(_AMEND, (reason, note, reporter, existing))
        _audit(user, "report", f"comment:{comment_id}",
               f"reason: {reason}" + ("; changed" if existing else ""))
        reasons = [row[0] for row in execute(_REASONS, (comment_id,)).fetchall()]
        held = len(reasons) >= site.report_threshold
        if held:
            execute(_HOLD, (PENDING, hold_reason(reasons), comment_id, PUBLISHED))
            changes.moved(comment_id, PUBLISHED, PENDING, news=True)
            changes.recount([thread_id])
            _audit(None, "hold", f"comment:{comment_id}", hold_reason(reasons), READERS)
        else:
            changes.touch([])  # a report shows in no thread document
    return Reported(created=existing is None, held=held)


def withdraw(comment_id: int, reporter: str | None, *, ip_hash: str | None = None,
             user: User | None = None) -> bool:
    """Withdraw this reporter's report of a comment, if there is one; say whether there was.
    A comment the report helped to hold stays held: it is the moderators' to decide now."""
    with writing() as changes:
        _, status, _ = _comment(comment_id)
        if status == DELETED:
            raise NotFound("No such comment.")
        existing = _find(comment_id, reporter, ip_hash)
        if existing is not None:
            execute(_WITHDRAW, (existing,))
            _audit(user, "report_withdrawn", f"comment:{comment_id}", "")
        changes.touch([])
    return existing is not None


def of_thread(key: str, reporter: str) -> list[int]:
    """The published comments of a thread this reporter has reported, by id."""
    return [comment for (comment,) in
            Report.select(Report.comment).join(Comment, on=(Report.comment == Comment.id))
            .join(Thread, on=(Comment.thread == Thread.id))
            .where((Thread.key == key) & (Report.reporter == reporter)
                   & (Comment.status == PUBLISHED)).order_by(Report.comment).tuples()]


def of_comments(comment_ids: list[int]) -> dict[int, list[Report]]:
    """The reports of these comments, oldest first: ``{comment id: [report, ...]}``."""
    found: dict[int, list[Report]] = {}
    if comment_ids:
        for item in Report.select().where(Report.comment.in_(comment_ids)).order_by(Report.id):
            found.setdefault(item.comment_id, []).append(item)
    return found

