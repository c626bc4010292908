"""The JSON the API returns: explicit allow-lists of fields, never a model's raw data."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from .models import Comment, User
from .threads import Header, Node


def timestamp(moment: datetime | None) -> str | None:
    """An ISO 8601 UTC timestamp to the second, ``2026-11-25T16:47:08Z``."""
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ") if moment else None


def node(item: Node) -> dict[str, Any]:
    """A comment of a thread document, with its replies."""
    return {
        "id": item.id,
        "parent": item.parent,
        "author": {"name": item.author_name, "id": item.author_id},
        "html": item.html,
        "created": timestamp(item.created),
        "edited": timestamp(item.edited),
        "up": item.up,
        "down": item.down,
        "deleted": item.deleted,
        "pinned": item.pinned,
        "replies": [node(reply) for reply in item.replies],
    }


def comment(item: Comment) -> dict[str, Any]:
    """A single comment with its Markdown source (no replies), for its author's forms."""
    user = item.author
    return {
        "id": item.id,
        "parent": item.parent_id,
        "author": {"name": user.username if user else item.name, "id": user.id if user else None},
        "html": item.html,
        "created": timestamp(item.created),
        "edited": timestamp(item.edited),
        "up": item.up,
        "down": item.down,
        "deleted": False,
        "pinned": item.pinned,
        "replies": [],
        "status": item.status,
        "text": item.text,
    }


def held(item: Comment) -> dict[str, Any]:
    """A comment waiting for a moderator, as its author sees it: pending, whatever caught it."""
    return {**comment(item), "status": "pending"}


def thread(item: Header | None, url: str) -> dict[str, Any]:
    """A thread's header; a page nobody has commented on yet is an empty, open thread."""
    if item is None:
        return {"url": url, "title": "", "count": 0, "locked": False}
    return {"url": item.url, "title": item.title, "count": item.count, "locked": item.locked}


def user(item: User, private: bool = False) -> dict[str, Any]:
    """An account; ``private`` adds what only its owner may see."""
    data = {"id": item.id, "username": item.username, "created": timestamp(item.created)}
    if private:
        data.update(email=item.email, email_verified=timestamp(item.email_verified),
                    role=item.role)
    return data


def export(data) -> dict[str, Any]:
    """Everything stored about an account (a ``privacy.Export``), for its owner to download.

    The IP hashes of its own comments and votes are left out: they are a keyed hash the
    owner cannot use, kept only for the retention period to fight abuse."""
    return {
        "account": user(data.user, private=True),
        "sign_in_providers": [{"provider": item.provider, "subject": item.subject,
                               "linked": timestamp(item.created)} for item in data.identities],
        "comments": [{
            "id": item.id,
            "thread": item.thread.url,
            "parent": item.parent_id,
            "text": item.text,
            "html": item.html,
            "status": item.status,
            "created": timestamp(item.created),
            "edited": timestamp(item.edited),
            "up": item.up,
            "down": item.down,
        } for item in data.comments],
        "votes": [{"comment": item.comment_id, "value": item.value,
                   "created": timestamp(item.created)} for item in data.votes],
        "reports": [{"comment": item.comment_id, "reason": item.reason, "note": item.note,
                     "created": timestamp(item.created)} for item in data.reports],
        "subscriptions": [{**item, "created": timestamp(item["created"])}
                          for item in data.subscriptions],
    }
