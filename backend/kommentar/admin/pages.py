"""The admin pages a moderator reads: the overview, the comment list with its filter, a
thread, an account, and the audit log. Each reads through ``review`` and renders."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app, redirect, render_template, request, url_for

from .. import identities, outbox, reports, review
from ..accounts import account_key
from ..errors import NotFound
from ..holds import active_hold, address_key
from ..models import DELETED, STATUSES, Comment, Thread, User, utcnow
from . import bp, filters, session

PER_PAGE = 50


@dataclass
class Listing:
    """One page of a longer list, with what the pager needs (and for comments, readers'
    reports of them)."""

    items: list
    total: int
    page: int
    per_page: int = PER_PAGE
    reports: dict = field(default_factory=dict)

    @property
    def pages(self) -> int:
        """How many pages there are (at least one)."""
        return max(1, math.ceil(self.total / self.per_page))

    @property
    def first(self) -> int:
        """The position of this page's first item in the whole list (0 when empty)."""
        return (self.page - 1) * self.per_page + 1 if self.items else 0

    @property
    def last(self) -> int:
        """The position of this page's last item (0 when empty)."""
        return self.first + len(self.items) - 1 if self.items else 0

    def url(self, page: int) -> str:
        """This page's address with another page number."""
        args = {k: v for k, v in request.args.items() if k != "page" and v}
        return url_for(request.endpoint, **(request.view_args or {}), **args,
                       **({"page": page} if page > 1 else {}))


def undo_window() -> timedelta:
    """How long a moderator's deletion can be undone (the ``undo_window`` setting)."""
    return timedelta(seconds=current_app.config["UNDO_WINDOW"])


def undoable(comment: Comment) -> bool:
    """Whether "undo delete" would restore this comment (a moderator deleted it lately)."""
    return comment.status == DELETED and comment.status_before is not None \
        and comment.status_changed is not None \
        and comment.status_changed >= utcnow() - undo_window()


def when(moment: datetime | None) -> str:
    """A stored UTC time as moderators read it."""
    return moment.strftime("%Y-%m-%d %H:%M") if moment else ""


def thread_label(thread: Thread) -> str:
    """How a thread is named in lists: its title, else its address without the scheme."""
    return thread.title or thread.url.split("://", 1)[-1]


def target_url(target: str) -> str | None:
    """Where an audit entry's target can be seen, if it names one thing."""
    kind, _, value = target.partition(":")
    number = value.isascii() and value.isdigit() and len(value) < 16
    if kind == "thread" and number:
        return url_for("admin.thread", thread_id=int(value))
    if kind in ("u", "user") and number:
        return url_for("admin.user", user_id=int(value))
    if kind == "ip" and filters.IP_HASH.fullmatch(value):
        return url_for("admin.comments", ip=value)
    return None


@bp.context_processor
def _page_helpers():
    return {"when": when, "undoable": undoable, "target_url": target_url,
            "thread_label": thread_label, "statuses": STATUSES}


def _page_of(selection: review.Filter | None) -> Listing:
    page = filters.page_number(request.args)
    if selection is None:
        return Listing([], 0, page)
    items, total = review.comments(selection, page=page, per_page=PER_PAGE)
    return Listing(items, total, page,
                   reports=reports.of_comments([comment.id for comment in items]))


@bp.get("")
def overview():
    """Comments today, the queue, the spam, and the busiest threads."""
    return render_template("admin/overview.html", stats=review.overview(),
                           outbox=outbox.counts())


@bp.get("/")
def overview_slash():
    """``/admin/`` is the overview too."""
    return redirect(url_for("admin.overview"))


@bp.get("/comments")
def comments():
    """Every thread's comments, newest first, filtered and paginated."""
    query = filters.read(request.args)
    for problem in query.problems:
        session.notify("error", problem)
    selection = query.filter
    ip_hash = selection.ip_hash if selection else None
    return render_template(
        "admin/comments.html", query=query, listing=_page_of(selection),
        description=review.describe(selection) if selection else "",
        ip_hash=ip_hash, hold=active_hold(None, ip_hash) if ip_hash else None,
        ban_target=address_key(ip_hash) if ip_hash else None)


def _found(model, row_id: int, missing: str):
    """The row of ``model`` with this id, or the admin route's 404 saying ``missing``."""
    row = model.get_or_none(model.id == row_id)
    if row is None:
        raise NotFound(missing)
    return row


@bp.get("/threads/<int:thread_id>")
def thread(thread_id: int):
    """One thread's comments, and its lock."""
    return render_template("admin/thread.html", thread=_found(Thread, thread_id, "No such thread."),
                           listing=_page_of(review.Filter(thread=thread_id)))


@bp.get("/users/<int:user_id>")
def user(user_id: int):
    """One account's comments and ban state, and how it signs in."""
    account = _found(User, user_id, "No such account.")
    configured = current_app.config["AUTH_PROVIDERS"]
    return render_template("admin/user.html", account=account,
                           providers=identities.linked(account, configured),
                           password=identities.has_password(account),
                           hold=active_hold(user_id, None), ban_target=account_key(user_id),
                           listing=_page_of(review.Filter(author=user_id)))


@bp.get("/audit")
def audit():
    """Who did what, newest first."""
    page = filters.page_number(request.args)
    entries, total = review.audit_log(page=page, per_page=PER_PAGE)
    return render_template("admin/audit.html", listing=Listing(entries, total, page))
