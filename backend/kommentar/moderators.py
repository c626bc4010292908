"""Moderators' mail: each comment that arrives waiting for a moderator (``notify_moderators =
pending``), or every comment that arrives (``all``), is mailed to every admin account with a
verified address: where, who, what, the IP hash and why it was held, with links to approve,
delete or mark it as spam, which open a page on this server (``links/moderation.py``).

An ``events`` listener queues one outbox message per moderator and comment in the transaction
of the post (a look-up of the moderators and one INSERT), so the mail goes out exactly when
the comment is committed and posting never waits for SMTP. The letter itself is written when
it is sent: rendering it inside the post's transaction would hold the writer's lock for
milliseconds per moderator. Only a comment's arrival, or its hold by readers' reports
(``reports``), is mailed: a moderator approving or restoring one is already in the know.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from contextlib import nullcontext
from datetime import timedelta
from typing import Any

from flask import Flask, current_app, has_app_context
from peewee import JOIN

from . import letters, links, mail, outbox, tokens
from .db import execute
from .events import COMMENT_PENDING, COMMENT_PUBLISHED, Events, arrivals, listeners, permalink
from .models import PENDING, Comment, Thread, User

KIND = "moderator-mail"  # the outbox's kind: a letter written as it is sent
LINK_LIFETIME = timedelta(days=7)
LETTER = "moderate"
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
    outbox.deliverers[KIND] = deliver
    if notify not in listeners:
        listeners.append(notify)


def _app() -> Flask | None:
    return current_app._get_current_object() if has_app_context() else _latest


def notify(events: Events) -> None:
    """Queue a letter to each moderator for each new comment the setting mails about, in the
    caller's transaction. No statement at all for a comment it does not mail about."""
    app = _app()
    if app is None or app.extensions.get("kommentar.mailer") is None:
        return
    mailed, new = MAILED[app.config["NOTIFY_MODERATORS"]], arrivals.get()
    wanted = [(event, comment_id) for event, comment_id in events
              if event in mailed and comment_id in new]
    if not wanted:
        return
    outbox.queue((KIND, event, address, {},
                  json.dumps({"moderator": moderator_id, "comment": comment_id}))
                 for moderator_id, address in recipients() for event, comment_id in wanted)


# Written out: with notify_moderators = "all" it runs in every post, and peewee takes longer
# to build it than the database takes to answer it.
_RECIPIENTS = ('SELECT "id", "email" FROM "user" WHERE "role" = ? AND "email_verified" IS NOT '
               'NULL AND "email" IS NOT NULL ORDER BY "id"')


def recipients() -> list[tuple[int, str]]:
    """The admins with a verified address: (account id, address), by id."""
    return execute(_RECIPIENTS, ("admin",)).fetchall()


def deliver(message: outbox.Message, config: Mapping[str, Any]) -> None:
    """Write a queued moderator's letter and send it (the outbox's deliverer for KIND): to an
    account that is still an admin with this verified address, about a comment still there."""
    payload = json.loads(message.payload)
    moderator = User.get_or_none((User.id == payload["moderator"]) & (User.role == "admin")
                                 & User.email_verified.is_null(False))
    if moderator is None or moderator.email != message.destination:
        raise outbox.DeliveryFailed("no longer an admin with this verified address",
                                    permanent=True)
    found = described([payload["comment"]])
    if not found:
        raise outbox.DeliveryFailed("the comment has been removed for good", permanent=True)
    app = _app()
    with nullcontext() if has_app_context() else app.app_context():
        letter = letters.letter(
            LETTER, LANGUAGE, moderator.email, HEADERS, comment=found[0],
            moderator=moderator.username, waiting=message.event == COMMENT_PENDING,
            actions=[(action, action_url(moderator, found[0]["id"], action))
                     for action in ACTIONS[message.event]])
    mail.send_for_outbox(letter, moderator.email, config)


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
