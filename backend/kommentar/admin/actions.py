"""What the admin forms post: comment actions (one, a selection, or a whole filter
result), bans and thread locks. Each calls ``moderation``, says what happened in a
notice and goes back to the page it came from; a domain error becomes the notice."""

from __future__ import annotations

from datetime import timedelta

from flask import redirect, request

from .. import moderation
from ..errors import KommentarError
from ..models import User, utcnow
from ..review import Filter
from . import bp, filters, safe_next, session
from .pages import undo_window

DONE = {"approve": "Approved", "delete": "Deleted", "undo_delete": "Restored",
        "spam": "Marked as spam", "pin": "Pinned", "unpin": "Unpinned"}
DURATIONS = {"1d": (timedelta(days=1), "for 1 day"), "7d": (timedelta(days=7), "for 7 days"),
             "30d": (timedelta(days=30), "for 30 days"), "forever": (None, "for good")}


def _back():
    return redirect(safe_next(request.form.get("next")))


def _plural(count: int, noun: str = "comment") -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _ids(values: list[str]) -> list[int]:
    return sorted({int(value) for value in values
                   if value.isascii() and value.isdigit() and len(value) < 16})


def _selection() -> list[int] | Filter | None:
    """What the posted form acts on: one row's button, the ticked rows (or the whole page),
    or everything the posted filter matches. None, with a notice, when that is nothing."""
    _, _, one = request.form.get("do", "").partition(":")
    if one:
        chosen = _ids([one])
        if not chosen:
            session.notify("error", "No such comment.")
        return chosen or None
    if request.form.get("scope") == "filter":
        query = filters.read(request.form)
        if query.filter is None or not query.active:
            session.notify("error", " ".join(query.problems)
                           or "Narrow the list with a filter before acting on all of it.")
            return None
        return query.filter
    picked = request.form.getlist("id")
    if request.form.get("all") == "1":
        picked += request.form.get("page_ids", "").split(",")
    selected = _ids(picked)
    if not selected:
        session.notify("error", "Tick at least one comment first.")
    return selected or None


@bp.post("/comments/act")
def act():
    """Approve, delete, undo a deletion, mark as spam, pin or unpin."""
    action = request.form.get("do", "").partition(":")[0]
    selection = _selection()
    if selection is None:
        return _back()
    try:
        changed = moderation.act(session.load(), action, selection,
                                 request.form.get("reason", ""), undo_window=undo_window())
    except KommentarError as error:
        session.notify("error", error.message)
        return _back()
    asked = len(selection) if isinstance(selection, list) else changed
    note = f"{DONE[action]}: {_plural(changed)}."
    unchanged = asked - changed
    if unchanged > 0:
        note += f" {_plural(unchanged)} left as {'it was' if unchanged == 1 else 'they were'}."
    session.notify("ok", note)
    return _back()


def _target_name(target: str) -> str:
    kind, _, value = target.partition(":")
    if kind == "u" and value.isdigit():
        account = User.get_or_none(User.id == int(value))
        return account.username if account else target
    return f"IP hash {value[:8]}…" if kind == "ip" else target


@bp.post("/bans")
def ban():
    """Ban an account or an IP hash for a while or for good."""
    target = request.form.get("target", "")
    duration = DURATIONS.get(request.form.get("duration", ""))
    if duration is None:
        session.notify("error", "Choose how long the ban lasts.")
        return _back()
    length, words = duration
    try:
        moderation.ban(session.load(), target, utcnow() + length if length else None,
                       request.form.get("reason", ""))
    except KommentarError as error:
        session.notify("error", error.message)
        return _back()
    session.notify("ok", f"Banned {_target_name(target)} {words}: their new comments wait "
                         "in the queue.")
    return _back()


@bp.post("/bans/lift")
def unban():
    """Lift the bans and spam holds on an account or an IP hash."""
    target = request.form.get("target", "")
    try:
        lifted = moderation.unban(session.load(), target)
    except KommentarError as error:
        session.notify("error", error.message)
        return _back()
    session.notify("ok", f"Lifted {_plural(lifted, 'ban or hold')} on {_target_name(target)}."
                   if lifted else f"{_target_name(target)} was not banned.")
    return _back()


@bp.post("/threads/<int:thread_id>/lock")
def lock(thread_id: int):
    """Close a thread to new comments, or open it again."""
    locked = request.form.get("locked") == "1"
    try:
        moderation.lock(session.load(), thread_id, locked)
    except KommentarError as error:
        session.notify("error", error.message)
        return _back()
    session.notify("ok", "Thread locked: no new comments." if locked else "Thread reopened.")
    return _back()
