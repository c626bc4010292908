"""The pages of the links in reply notifications and their confirmation letters: confirming
an address (``/mail/confirm/TOKEN``) and unsubscribing from one thread or from all mail
(``/mail/unsubscribe/TOKEN``).

Unsubscribing also answers RFC 8058's one-click POST, which mail programs send without
showing a page: a body of ``List-Unsubscribe=One-Click`` acts at once and gets a plain 200.
"""

from __future__ import annotations

from flask import request

from .. import subscriptions, tokens
from ..models import Thread
from . import LinkRefused, bp, page, read

GONE = "address_gone"  # the address the link names is no longer stored


def _addressed(purpose: str, token: str) -> subscriptions.Addressed:
    max_age = subscriptions.CONFIRM_FOR if purpose == tokens.CONFIRM \
        else subscriptions.UNSUBSCRIBE_FOR
    found = subscriptions.addressed(read(purpose, token, max_age))
    if found.row is None:
        raise LinkRefused(GONE, found.lang)
    return found


@bp.route("/confirm/<token>", methods=["GET", "POST"])
def confirm(token: str):
    """Show the button that confirms an address for reply notifications; its POST does."""
    found = _addressed(tokens.CONFIRM, token)
    if request.method == "POST":
        subscriptions.confirm(found.row)
    return page("confirm", found.lang, address=found.row.address,
                done=request.method == "POST")


@bp.route("/unsubscribe/<token>", methods=["GET", "POST"])
def unsubscribe(token: str):
    """Show the button that stops replies from one thread (or all mail) to an address; its
    POST, or a mail program's one-click POST, does."""
    found = _addressed(tokens.UNSUBSCRIBE, token)
    if request.method == "POST":
        subscriptions.unsubscribe(found.row, found.thread)
        if request.form.get("List-Unsubscribe") == "One-Click":
            return "Unsubscribed.\n", 200, {"Content-Type": "text/plain; charset=utf-8",
                                            "Cache-Control": "no-store"}
    thread = Thread.get_or_none(Thread.id == found.thread) if found.thread else None
    return page("unsubscribe", found.lang, address=found.row.address,
                thread=thread and (thread.title or thread.url), all=found.thread is None,
                done=request.method == "POST")
