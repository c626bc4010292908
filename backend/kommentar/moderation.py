"""Moderation: approve, delete and undo, mark as spam, pin, ban, lock, purge, and the audit
entries they write (``review`` reads them back).

Plain functions over the models, shared by the admin route and the command line. An
action applies to explicit comment ids or to everything a ``Filter`` matches, in a
fixed number of set-based statements whatever the selection's size (one UPDATE with
RETURNING, one recount of the affected threads, one audit row), all in one
transaction, so a 1,000-comment spam wave clears in one call. ``actor`` None is the
command line, written to the audit log as "cli".
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from peewee import Cast, Value, fn

from .accounts import ACCOUNT
from .db import batches, database
from .errors import Invalid, NotFound
from .holds import ADDRESS, BAN, SPAM_HOLD
from .models import (
    DELETED,
    PENDING,
    PUBLISHED,
    SPAM,
    AuditEntry,
    Ban,
    Comment,
    Report,
    Thread,
    User,
    utcnow,
)
from .review import Filter, condition, describe, naive_utc
from .thread_writes import has_reply, remove_leaf_first, writing

ACTIONS = ("approve", "delete", "undo_delete", "spam", "pin", "unpin")
UNDO_WINDOW = timedelta(days=7)  # the default until a setting names another
SPAM_REASON = "marked by moderator"
TARGET = re.compile(r"u:[1-9][0-9]{0,17}|ip:[0-9a-f]{1,64}")


def record(actor: User | None, action: str, target: str, detail: str = "") -> AuditEntry:
    """Write one audit entry (``actor`` None is the command line)."""
    return AuditEntry.create(actor=actor, actor_name=actor.username if actor else "cli",
                             action=action, target=target[:200], detail=detail)


def _reason(reason: object) -> str:
    if not isinstance(reason, str) or len(reason) > 200:
        raise Invalid("A reason is text of at most 200 characters.", code="invalid_reason")
    return reason.strip()


def _selected(selection: list[int] | Filter, action: str):
    """The condition, audit target and audit detail for a selection; NotFound for unknown ids,
    Invalid for pinning a reply."""
    if isinstance(selection, Filter):
        if selection.is_empty():
            raise Invalid("A bulk action needs at least one filter.", code="empty_filter")
        where = condition(selection)
        if action == "pin" and Comment.select().where(where & Comment.parent.is_null(False)) \
                .exists():
            raise Invalid("Only top-level comments can be pinned.", code="pin_reply")
        return where, describe(selection), "filter: " + describe(selection, full=True)
    if not isinstance(selection, list | tuple) or not selection:
        raise Invalid("Select at least one comment.", code="empty_selection")
    if not all(type(i) is int for i in selection):
        raise Invalid("Comments are selected by their ids.", code="invalid_selection")
    ids = sorted(set(selection))
    found = dict(Comment.select(Comment.id, Comment.parent).where(Comment.id.in_(ids)).tuples())
    unknown = [i for i in ids if i not in found]
    if unknown:
        raise NotFound(f"No such comment: {', '.join(map(str, unknown[:20]))}.")
    if action == "pin" and any(found[i] is not None for i in ids):
        raise Invalid("Only top-level comments can be pinned.", code="pin_reply")
    target = f"comment:{ids[0]}" if len(ids) == 1 else f"{len(ids)} comments"
    return Comment.id.in_(ids), target, "ids: " + ", ".join(map(str, ids))


# What an action's comments were before it, for their events (``Changes.moved``), where the
# row no longer says: approve lifts pending and spam comments alike (comment.published
# either way), spam takes published and pending ones alike (comment.deleted either way).
# A deletion keeps the status it ended in status_before; an undo comes from DELETED.
_BEFORE = {"approve": PENDING, "spam": PUBLISHED, "undo_delete": DELETED}


def _change(action: str, reason: str, now: datetime, undo_window: timedelta):
    """The (SET values, extra condition) of an action: only comments it would change."""
    if action == "approve":
        return ({Comment.status: PUBLISHED, Comment.spam_reason: None},
                Comment.status.in_((PENDING, SPAM)))
    if action == "delete":
        return ({Comment.status_before: Comment.status, Comment.status: DELETED,
                 Comment.status_changed: now}, Comment.status != DELETED)
    if action == "undo_delete":  # only moderators' deletions: an author's own stays withdrawn
        return ({Comment.status: Comment.status_before, Comment.status_before: None,
                 Comment.status_changed: None},
                (Comment.status == DELETED) & Comment.status_before.is_null(False)
                & (Comment.status_changed >= now - undo_window))
    if action == "spam":
        return ({Comment.status: SPAM, Comment.spam_reason: reason or SPAM_REASON},
                Comment.status.in_((PUBLISHED, PENDING)))
    pinned = action == "pin"
    return {Comment.pinned: pinned}, Comment.pinned != pinned


def _hold(where, actor: User | None, reason: str, now: datetime) -> None:
    """Put a spam hold on every account and IP hash that wrote the selected comments: two
    INSERT ... SELECT DISTINCT statements; a hold already there stays as it is."""
    live = where & Comment.status.in_((PUBLISHED, PENDING, SPAM))
    fields = [Ban.target, Ban.kind, Ban.reason, Ban.created]
    values = [Value(SPAM_HOLD), Value(reason or SPAM_REASON), Value(now)]
    if actor is not None:  # an untyped NULL would not survive DISTINCT on PostgreSQL
        fields.append(Ban.created_by)
        values.append(Value(actor.id))
    # The targets built in SQL, shaped as accounts.account_key and holds.address_key shape them.
    for column, prefix in ((Comment.author, ACCOUNT), (Comment.ip_hash, ADDRESS)):
        targets = (Comment.select(Value(prefix).concat(Cast(column, "TEXT")), *values)
                   .where(live & column.is_null(False)).distinct())
        Ban.insert_from(targets, fields).on_conflict_ignore().execute()


def act(actor: User | None, action: str, selection: list[int] | Filter, reason: str = "", *,
        undo_window: timedelta = UNDO_WINDOW, by: str = "") -> int:
    """Apply a moderation action to comment ids or to a whole filter result; return how many
    comments it changed. One audit entry per call, whatever the count; ``by`` names how the
    actor acted when it was not the admin pages or the command line (``e-mail``).

    ``spam`` also holds the selection's accounts and IP hashes, so their next comments wait
    in the queue. ``approve`` clears readers' reports of what it approved. ``undo_delete``
    restores what a moderator deleted within ``undo_window``.
    """
    if action not in ACTIONS:
        raise Invalid(f"Unknown action {action!r}.", code="invalid_action")
    reason = _reason(reason)
    now = utcnow()
    with writing() as written:
        where, target, detail = _selected(selection, action)
        values, changes = _change(action, reason, now, undo_window)
        if action == "spam":
            _hold(where, actor, reason, now)
        changed = list(Comment.update(values).where(where & changes)
                       .returning(Comment.id, Comment.thread, Comment.status,
                                  Comment.status_before).tuples())
        threads = {thread for _, thread, _, _ in changed}
        if action == "approve":  # the reports were looked at: they must not hold it again
            for batch in batches(comment_id for comment_id, _, _, _ in changed):
                Report.delete().where(Report.comment.in_(batch)).execute()
        if action in ("pin", "unpin"):  # only the order changes
            written.touch(threads)
        else:
            written.recount(threads)
            for comment_id, _, status, status_before in changed:
                written.moved(comment_id, _BEFORE.get(action, status_before), status)
        if reason:
            detail += f"; reason: {reason}"
        detail += f"; changed: {len(changed)}"
        record(actor, action, target, f"{detail}; by {by}" if by else detail)
    return len(changed)


def _target(target: object) -> str:
    if not isinstance(target, str) or not TARGET.fullmatch(target):
        raise Invalid('A ban target is "u:<account id>" or "ip:<hash>".', code="invalid_target")
    return target


def ban(actor: User | None, target: str, until: datetime | None, reason: str = "") -> Ban:
    """Ban an account or an IP hash until a time, or for good (``until`` None): their new
    comments wait in the queue and they may not vote. Banning again replaces the terms."""
    target, reason, now = _target(target), _reason(reason), utcnow()
    until = naive_utc(until) if until is not None else None
    if until is not None and until <= now:
        raise Invalid("A ban must end in the future.", code="invalid_until")
    with database.atomic():
        if target.startswith(ACCOUNT) and not User.select().where(
                User.id == int(target[len(ACCOUNT):])).exists():
            raise NotFound("No such account.")
        terms = {Ban.until: until, Ban.reason: reason, Ban.created_by: actor, Ban.created: now}
        Ban.insert(target=target, kind=BAN, **{f.name: v for f, v in terms.items()}) \
            .on_conflict(conflict_target=[Ban.target, Ban.kind], update=terms).execute()
        ends = until.strftime("until %Y-%m-%d %H:%M") if until else "for good"
        record(actor, "ban", target, ends + (f"; reason: {reason}" if reason else ""))
        return Ban.get((Ban.target == target) & (Ban.kind == BAN))


def unban(actor: User | None, target: str) -> int:
    """Lift every ban and spam hold on an account or IP hash; return how many were lifted."""
    target = _target(target)
    with database.atomic():
        lifted = Ban.delete().where(Ban.target == target).execute()
        record(actor, "unban", target, f"lifted: {lifted}")
    return lifted


def lock(actor: User | None, thread_id: int, locked: bool) -> None:
    """Close a thread to new comments, or open it again."""
    with writing() as changes:
        if not Thread.update(locked=bool(locked)).where(Thread.id == thread_id).execute():
            raise NotFound("No such thread.")
        changes.touch([thread_id])
        record(actor, "lock" if locked else "unlock", f"thread:{thread_id}")


def purge(undo_window: timedelta = UNDO_WINDOW) -> int:
    """Remove for good the deleted comments whose undo window has passed; return how many.

    A comment with no replies left goes with its votes; one that still has replies stays as
    an empty placeholder (no text, name, author or IP hash) that keeps them in place. Run on a
    schedule, so it is not an audited moderator action.
    """
    cutoff = utcnow() - undo_window
    due = (Comment.status == DELETED) & (fn.COALESCE(Comment.status_changed, Comment.created)
                                         < cutoff)
    # What it removes or empties was shown (if at all) as an empty placeholder, which it
    # stays or was pruned as: no thread document changes, so no thread is re-versioned.
    with database.atomic():
        purged = remove_leaf_first(due)
        purged += (Comment.update(text="", html="", name="", ip_hash=None, author=None,
                                  spam_reason=None, status_before=None)
                   .where(due & has_reply() & ((Comment.text != "") | Comment.ip_hash.is_null(False)
                                             | Comment.author.is_null(False)))
                   .execute())
    return purged
