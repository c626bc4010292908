"""The "Mail and webhooks" page (``/admin/outbox``): the outbox's queued, sent and failed
messages with their attempts and errors, never their bodies, and the retry of failed ones
(one, or every failed message), written in the audit log."""

from __future__ import annotations

from flask import redirect, render_template, request, url_for

from .. import moderation, outbox
from ..db import database
from ..models import FAILED, QUEUED, SENT
from . import bp, session
from .filters import page_number
from .pages import PER_PAGE, Listing

STATES = {QUEUED: "Queued", SENT: "Sent", FAILED: "Failed"}


@bp.get("/outbox")
def messages():
    """One state's messages (queued ones in the order they go out, others newest first),
    with the count of each state."""
    state = request.args.get("state", QUEUED)
    if state not in STATES:
        state = QUEUED
    page = page_number(request.args)
    items, total = outbox.listing(state, page, PER_PAGE)
    return render_template("admin/outbox.html", state=state, states=STATES,
                           counts=outbox.counts(), listing=Listing(items, total, page))


@bp.post("/outbox/retry")
def retry():
    """Queue failed messages again: the one whose button was pressed, or all of them."""
    chosen = request.form.get("id", "")
    ids: list[int] | None
    if chosen == "all":
        ids, target = None, "all failed messages"
    elif chosen.isascii() and chosen.isdigit() and len(chosen) < 16:
        ids, target = [int(chosen)], f"message:{chosen}"
    else:
        ids, target = [], ""
    with database.atomic():
        retried = outbox.retry(ids)
        if retried:
            moderation.record(session.load(), "outbox_retry", target, f"retried: {retried}")
    if retried:
        session.notify("ok", f"Queued again: {retried} message{'' if retried == 1 else 's'}; "
                             "they go out within seconds.")
    else:
        session.notify("error", "No such failed message: it may have been retried already.")
    return redirect(url_for("admin.messages", state=FAILED))
