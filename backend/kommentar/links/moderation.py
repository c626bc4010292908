"""The page a moderator's link opens (``/mail/moderate/TOKEN``, from ``moderators``' letters).

Opening it shows the comment and one button, and changes nothing; the button posts the same
token and acts through ``moderation.act`` with the moderator as its actor, written in the
audit log as done by e-mail. The signed link is the moderator's authority, so it works from
a phone without signing in to ``/admin``: it names the account and its session version, and
works only while that account is an admin that has not logged out everywhere since, for
7 days, once.
"""

from __future__ import annotations

from typing import Any

from .. import moderation, tokens
from ..db import database
from ..models import DELETED, PENDING, PUBLISHED, SPAM, AuditEntry, Comment, Thread, User
from ..moderators import LINK_LIFETIME, held_because
from . import INVALID, USED, LinkRefused, bp, page, read, use_once, was_used

ACTIONS = ("approve", "delete", "spam")
GONE, NOT_MODERATOR = "comment_gone", "not_moderator"  # why a moderator's link does not work
# The statuses each action changes (``moderation.act`` decides; this words the page).
CHANGES = {"approve": (PENDING, SPAM), "delete": (PUBLISHED, PENDING, SPAM),
           "spam": (PUBLISHED, PENDING)}


def _payload(token: str) -> tuple[int, int, int, str]:
    """The moderator's id and session version, the comment's id and the action a token
    carries, or LinkRefused."""
    payload = read(tokens.MODERATE, token, LINK_LIFETIME)
    if not isinstance(payload, dict) or payload.get("a") not in ACTIONS \
            or not all(type(payload.get(key)) is int for key in ("m", "v", "c")):
        raise LinkRefused(INVALID)
    return payload["m"], payload["v"], payload["c"], payload["a"]


def _checked(token: str) -> tuple[User, Comment, str]:
    """The moderator (still an admin, not logged out everywhere since), the comment and the
    action of a link, or LinkRefused."""
    moderator_id, version, comment_id, action = _payload(token)
    moderator = User.get_or_none(User.id == moderator_id)
    if moderator is None or moderator.role != "admin" or moderator.session_version != version:
        raise LinkRefused(NOT_MODERATOR, status=403)
    comment = _comment(comment_id)
    if comment is None:  # removed for good (purged, or its account deleted)
        raise LinkRefused(GONE, status=410)
    return moderator, comment, action


def _comment(comment_id: int) -> Comment | None:
    return Comment.select(Comment, Thread).join(Thread).where(Comment.id == comment_id).first()


def _handled_by(comment: Comment) -> str | None:
    """Who last acted on this comment alone, from the audit log, if anyone did."""
    entry = (AuditEntry.select(AuditEntry.actor_name).where(
        AuditEntry.target == f"comment:{comment.id}").order_by(AuditEntry.id.desc()).first())
    return entry.actor_name if entry else None


def _shown(comment: Comment) -> dict[str, Any]:
    return {"id": comment.id, "text": comment.text, "status": comment.status,
            "author": comment.author.username if comment.author_id else comment.name,
            "reason": held_because(comment.spam_reason) if comment.status == PENDING else None,
            "thread": {"url": comment.thread.url,
                       "title": comment.thread.title or comment.thread.url}}


def _page(state: str, comment: Comment, action: str, status: int = 200):
    handled = state == "handled"
    return page("moderate", None, status, state=state, action=action, comment=_shown(comment),
                handled_by=_handled_by(comment) if handled else None)


@bp.get("/moderate/<token>")
def moderate_page(token: str):
    """Show the comment and the button that takes the link's action; change nothing."""
    _, comment, action = _checked(token)
    if was_used(token):
        raise LinkRefused(USED)
    if comment.status not in CHANGES[action]:
        return _page("handled", comment, action, 409)
    return _page("confirm", comment, action)


class _Unchanged(Exception):
    """The action changed nothing: undo the link's use and the audit entry with it."""


@bp.post("/moderate/<token>")
def take_action(token: str):
    """Take the link's action as its moderator, once, and say what happened."""
    try:
        with database.atomic():
            moderator, comment, action = _checked(token)
            use_once(token, LINK_LIFETIME)
            if not moderation.act(moderator, action, [comment.id], by="e-mail"):
                raise _Unchanged
    except _Unchanged:
        return _page("handled", _comment(comment.id) or comment, action, 409)
    comment.status = {"approve": PUBLISHED, "delete": DELETED, "spam": SPAM}[action]
    return _page("done", comment, action)
