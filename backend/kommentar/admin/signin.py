"""Signing in to the admin route and out of it. Only accounts with the admin role get in;
attempts are rate limited per client like the API's log-in."""

from __future__ import annotations

from flask import current_app, redirect, render_template, request, url_for

from .. import accounts
from ..api.request import client_key
from ..errors import KommentarError
from ..ratelimits import limited
from . import bp, safe_next, session

REASONS = {  # why the sign-in page is shown, by the code in its address (never free text)
    "expired": "Your admin session has ended; sign in again.",
    "signed_out": "You are signed out.",
}


def _form(status: int = 200, error: str | None = None, username: str = ""):
    reason = REASONS.get(request.args.get("reason", ""))
    return render_template("admin/login.html", error=error, reason=reason, username=username,
                           next=safe_next(request.values.get("next"))), status


@bp.get("/login")
def login_page():
    """The sign-in form (or straight on, when already signed in)."""
    if session.load() is not None:
        return redirect(safe_next(request.args.get("next")))
    return _form()


@bp.post("/login")
@limited("limit_login", key=client_key)
def login():
    """Check the credentials and start an admin session."""
    username = request.form.get("username", "")
    try:
        user = accounts.authenticate(username, request.form.get("password", ""),
                                     hasher=accounts.hasher(current_app.config))
    except KommentarError as error:
        return _form(error.status, error.message, username[:100])
    if user.role != "admin":
        return _form(403, "This account is not an administrator.", username[:100])
    session.start(user)
    return redirect(safe_next(request.form.get("next")))


@bp.post("/logout")
def logout():
    """End this admin session (the browser forgets the cookie)."""
    session.end()
    return redirect(url_for("admin.login_page", reason="signed_out"))
