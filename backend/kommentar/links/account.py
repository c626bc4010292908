"""The pages an account's mail links open: verifying its address (``/mail/verify/TOKEN``)
and setting a new password (``/mail/reset/TOKEN``).

Opening either only shows a page; its button posts the same token back and acts. A reset
link works once (``use_once``), and only while the account has the password it had when
the link was sent; setting a password there ends every session of the account.
"""

from __future__ import annotations

from flask import current_app, request

from .. import accounts, addresses, tokens
from ..db import database
from ..errors import Invalid
from . import EXPIRED, USED, LinkRefused, bp, page, read, use_once, was_used


def _lang(payload) -> str | None:
    lang = payload.get("l") if isinstance(payload, dict) else None
    return lang if isinstance(lang, str) else None


@bp.get("/verify/<token>")
def verify_page(token: str):
    """The page of a verification link: a button that verifies the address."""
    payload = read(tokens.VERIFY, token, addresses.VERIFY_FOR)
    return page("verify", _lang(payload))


@bp.post("/verify/<token>")
def verify(token: str):
    """Verify the address the link was sent to, if the account still has it."""
    payload = read(tokens.VERIFY, token, addresses.VERIFY_FOR)
    user = addresses.verify(payload)
    return page("verify", _lang(payload), 200 if user else 400, done=user is not None,
                stale=user is None)


def _reset_account(token: str):
    payload = read(tokens.RESET, token, addresses.RESET_FOR)
    lang = _lang(payload)
    user = addresses.reset_account(payload)
    if user is None:  # used, or void after a password change: to its holder it has run out
        if was_used(token):
            raise LinkRefused(USED, lang)
        raise LinkRefused(EXPIRED, lang)
    return user, lang


def _problem(password: str | None) -> str:
    """Which password rule ``password`` broke, for the page to tell in its language."""
    if password is None or len(password) < accounts.MIN_PASSWORD:
        return "short"
    return "long" if len(password) > accounts.MAX_PASSWORD else "username"


@bp.get("/reset/<token>")
def reset_page(token: str):
    """The page of a reset link: a form for the new password."""
    user, lang = _reset_account(token)
    return page("reset", lang, username=user.username)


@bp.post("/reset/<token>")
def reset(token: str):
    """Set the new password if it meets the rules; every session of the account ends."""
    user, lang = _reset_account(token)
    raw = request.form.get("password")
    try:
        password = accounts.validate_password(raw, user.username)
    except Invalid:
        return page("reset", lang, 400, username=user.username, problem=_problem(raw))
    password_hash = accounts.hasher(current_app.config).hash(password)
    with database.atomic():
        use_once(token, addresses.RESET_FOR, lang)
        if not addresses.set_password(user, password_hash):  # changed meanwhile
            raise LinkRefused(EXPIRED, lang)
    return page("reset", lang, username=user.username, done=True)
