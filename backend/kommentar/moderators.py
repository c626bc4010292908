"""Moderators' mail: each comment that arrives waiting for a moderator (``notify_moderators =
pending``), or every comment that arrives (``all``), is mailed to every admin account with a
verified address: where, who, what, the IP hash and why it was held, with links to approve,
delete or mark it as spam, which open a page on this server (``links/moderation.py``).

An ``events`` listener writes the letters into the outbox in the transaction of the post, so
they go out exactly when the comment is committed, and posting never waits for SMTP. Only a
comment's arrival is mailed: a moderator approving or restoring one is already in the know.
"""

from __future__ import annotations

from contextlib import nullcontext
from datetime import timedelta
from typing import Any

from flask import Flask, current_app, has_app_context
from peewee import JOIN

from . import letters, links, tokens
from .events import COMMENT_PENDING, COMMENT_PUBLISHED, Events, arrivals, listeners, permalink
from .models import PENDING, Comment, Thread, User

LINK_LIFETIME = timedelta(days=7)
LETTER = "moderate"
EVENT = "moderation.notify"  # what the outbox's admin page says caused the mail
LANGUAGE = "en"  # the language of /admin, which moderators use already
# The events each setting mails about, when the comment is new.
MAILED = {"none": (), "pending": (COMMENT_PENDING,), "all": (COMMENT_PENDING, COMMENT_PUBLISHED)}
# What the links in a letter offer: a published comment is not approved again.
ACTIONS = {COMMENT_PENDING: ("approve", "delete", "spam"),
           COMMENT_PUBLISHED: ("delete", "spam")}
HEADERS = {"Auto-Submitted": "auto-generated"}  # RFC 3834: no vacation replies to it

_latest: Flask | None = None  # the app whose mail is written outside a request (a command)


def init_app(app: Flask) -> None:
    """Mail moderators about new comments, as ``notify_moderators`` says."""
    global _latest
    _latest = app
    if notify not in listeners:
        listeners.append(notify)


def _app() -> Flask | None:
    return current_app._get_current_object() if has_app_context() else _latest


def notify(events: Events) -> None:
    """Queue one letter per moderator for each new comment the setting mails about, in the
    caller's transaction. No statement at all for a comment it does not mail about."""
    app = _app()
    if app is None or app.extensions.get("kommentar.mailer") is None:
        return
    mailed, new = MAILED[app.config["NOTIFY_MODERATORS"]], arrivals.get()
    wanted = {comment_id: event for event, comment_id in events
              if event in mailed and comment_id in new}
    if not wanted:
        return
    moderators = list(User.select(User.id, User.username, User.email, User.session_version)
                      .where((User.role == "admin") & User.email_verified.is_null(False)
                             & User.email.is_null(False)).order_by(User.id))
    if not moderators:
        return
    # A command (or a test) writes outside any app context: the templates and signer are the
    # latest app's then.
    with nullcontext() if has_app_context() else app.app_context():
        for comment in described(wanted):
            event = wanted[comment["id"]]
            for moderator in moderators:
                letters.send(LETTER, LANGUAGE, moderator.email, EVENT, HEADERS,
                             comment=comment, moderator=moderator.username,
                             waiting=event == COMMENT_PENDING,
                             actions=[(action, action_url(moderator, comment["id"], action))
                                      for action in ACTIONS[event]])


def action_url(moderator: User, comment_id: int, action: str) -> str:
    """The link that lets ``moderator`` take ``action`` on a comment, until it expires or the
    account logs out everywhere (its session version is in the token)."""
    return links.url("moderate", tokens.MODERATE, {
        "m": moderator.id, "v": moderator.session_version, "c": comment_id, "a": action})


def described(comment_ids) -> list[dict[str, Any]]:
    """What a letter says about these comments: one query."""
    rows = (Comment.select(Comment.id, Comment.name, Comment.text, Comment.ip_hash,
                           Comment.spam_reason, Comment.status, Comment.created,
                           Thread.url, Thread.title, User.username)
            .join_from(Comment, Thread)
            .join_from(Comment, User, JOIN.LEFT_OUTER)
            .where(Comment.id.in_(list(comment_ids))).order_by(Comment.id).dicts())
    return [{"id": row["id"], "author": row["username"] or row["name"],
             "account": row["username"] is not None, "text": row["text"],
             "ip_hash": row["ip_hash"], "reason": held_because(row["spam_reason"]),
             "waiting": row["status"] == PENDING, "created": row["created"],
             "thread": {"url": row["url"], "title": row["title"] or row["url"]},
             "permalink": permalink(row["url"], row["id"])}
            for row in rows]


def held_because(reason: str | None) -> str | None:
    """Why a comment waits, in words: its ``spam_reason`` without the ``held:`` mark."""
    return reason.removeprefix("held:").strip() if reason else None
