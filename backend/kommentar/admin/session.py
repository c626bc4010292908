"""The admin session: a signed first-party cookie, its timeouts, the CSRF token of every
form, and the notices a page shows after a redirect.

The cookie is stateless: an itsdangerous token (its own salt, so no API token is ever
accepted here) carrying the account id, the account's session version (log-out
everywhere ends admin sessions too), a random session id and the time of sign-in. It is
signed again on every request, so its timestamp measures idleness; the sign-in time
bounds the session absolutely. The role is read from the database on every request, so
demoting an admin ends their session at once.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Any

from flask import current_app, g, request
from itsdangerous import BadSignature, URLSafeTimedSerializer

from ..models import User
from ..tokens import serializer

COOKIE = "kommentar_admin"
SALT = "kommentar.admin"
PATH = "/admin"
MAX_NOTICES, MAX_NOTICE_LENGTH = 5, 300  # the cookie carries them: keep it small


def _serializer() -> URLSafeTimedSerializer:
    return serializer(current_app.config["SECRET_KEY"], SALT)


def _now() -> int:
    """The clock itsdangerous signs with, so the idle and absolute limits agree."""
    return _serializer().make_signer().get_timestamp()


def _valid_shape(payload: Any) -> bool:
    return isinstance(payload, dict) and all(
        type(payload.get(key)) is kind for key, kind in (("u", int), ("v", int), ("s", str),
                                                         ("t", int)))


def load() -> User | None:
    """Read the request's admin cookie once: the signed-in admin, or None.

    A cookie that is forged, idle too long, too old, for a demoted or missing account or
    from before a log-out everywhere counts as no cookie, and is cleared.
    """
    if "admin_checked" in g:
        return g.admin
    g.admin_checked, g.admin, g.admin_session, g.notices = True, None, None, []
    raw = request.cookies.get(COOKIE)
    if not raw:
        return None
    g.admin_clear = True  # unless it proves valid below
    try:
        payload = _serializer().loads(raw, max_age=current_app.config["ADMIN_IDLE_TIMEOUT"])
    except BadSignature:  # SignatureExpired is one too: idle for too long
        return None
    if not _valid_shape(payload) \
            or _now() - payload["t"] > current_app.config["ADMIN_ABSOLUTE_LIMIT"]:
        return None
    user = User.get_or_none(User.id == payload["u"])
    if user is None or user.role != "admin" or user.session_version != payload["v"]:
        return None
    notices = payload.pop("n", [])
    g.notices = [(kind, text) for kind, text in notices] if isinstance(notices, list) else []
    g.admin, g.admin_session, g.admin_clear = user, payload, False
    return user


def had_cookie() -> bool:
    """Whether the request brought an admin cookie that turned out not to be valid."""
    return bool(g.get("admin_clear"))


def start(user: User) -> None:
    """Sign an admin in: a fresh session id, so no earlier cookie value stays useful."""
    g.admin_checked, g.admin, g.notices = True, user, []
    g.admin_session = {"u": user.id, "v": user.session_version, "s": secrets.token_hex(16),
                       "t": _now()}


def end() -> None:
    """Sign out: the response clears the cookie."""
    g.admin, g.admin_session, g.admin_clear = None, None, True


def notify(kind: str, text: str) -> None:
    """Show a notice (``ok`` or ``error``) on this page, or on the next if this one redirects."""
    g.setdefault("notices", []).append((kind, text[:MAX_NOTICE_LENGTH]))


def notices() -> list[tuple[str, str]]:
    """The notices for the page being rendered."""
    return g.get("notices", [])


def _csrf_keys() -> list[bytes]:
    return [hashlib.sha256(("kommentar.admin.csrf:" + key).encode()).digest()
            for key in current_app.config["SECRET_KEY"]]


def _mac(key: bytes, session_id: str) -> str:
    return hmac.new(key, session_id.encode(), hashlib.sha256).hexdigest()


def csrf_token() -> str:
    """The token every form of this session carries: an HMAC of the session id."""
    session = g.get("admin_session")
    return _mac(_csrf_keys()[0], session["s"]) if session else ""


def csrf_ok() -> bool:
    """Whether the posted form carries this session's token (under any current key)."""
    session = g.get("admin_session")
    sent = request.form.get("csrf", "")
    if not session or not isinstance(sent, str) or not sent:
        return False
    return any(hmac.compare_digest(sent, _mac(key, session["s"])) for key in _csrf_keys())


def save(response):
    """Re-sign the cookie (restarting the idle clock) or clear it; carry notices over a
    redirect."""
    session = g.get("admin_session")
    if session:
        payload = dict(session)
        pending = notices()[-MAX_NOTICES:]
        if pending and 300 <= response.status_code < 400:
            payload["n"] = [list(notice) for notice in pending]
        response.set_cookie(COOKIE, _serializer().dumps(payload),
                            max_age=current_app.config["ADMIN_IDLE_TIMEOUT"], path=PATH,
                            secure=request.is_secure, httponly=True, samesite="Strict")
    elif g.get("admin_clear"):
        response.delete_cookie(COOKIE, path=PATH, secure=request.is_secure, httponly=True,
                               samesite="Strict")
    return response
