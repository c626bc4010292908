"""Signed tokens: one itsdangerous serializer per purpose, so a token minted for one
purpose (an edit token, say) is never accepted for another (a session).

Keys rotate through the ``secret_key`` list: the first signs, every key verifies,
so adding a new key in front and dropping the oldest later logs nobody out.
Client IP addresses are kept only as keyed hashes made here too.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from .errors import Unauthorized

SESSION = "kommentar.session"
EDIT = "kommentar.edit"
VOTER = "kommentar.voter"
FORM = "kommentar.form"

# A token starts with a letter naming its purpose, so one Authorization header can carry any
# of them and the server knows which check applies without trying each salt in turn.
_PREFIX = {SESSION: "s.", EDIT: "e.", VOTER: "v.", FORM: "f."}
_EXPIRED = {SESSION: "session_expired", EDIT: "edit_expired", VOTER: "token_expired",
            FORM: "form_expired"}


def _serializer(purpose: str) -> URLSafeTimedSerializer:
    keys = current_app.config["SECRET_KEY"]
    # itsdangerous signs with the last key of the list and verifies with all of them.
    return URLSafeTimedSerializer(list(reversed(keys)), salt=purpose)


def sign(purpose: str, payload: Any) -> str:
    """A token carrying ``payload`` for ``purpose``."""
    return _PREFIX[purpose] + _serializer(purpose).dumps(payload)


def is_for(purpose: str, token: str) -> bool:
    """Whether a token claims to be made for ``purpose`` (unverified: see ``unsign``)."""
    return token.startswith(_PREFIX[purpose])


def unsign(purpose: str, token: str, max_age: int | None) -> Any:
    """The payload of a token made for ``purpose``; Unauthorized if forged, foreign or expired."""
    if not is_for(purpose, token):
        raise Unauthorized("This token is not valid here.", code="unauthorized")
    try:
        return _serializer(purpose).loads(token[len(_PREFIX[purpose]):], max_age=max_age)
    except SignatureExpired:
        raise Unauthorized("This token has expired.", code=_EXPIRED[purpose]) from None
    except BadSignature:
        raise Unauthorized("This token is not valid.", code="unauthorized") from None


def hash_ip(address: str | None) -> str | None:
    """A keyed hash of a client address: comparable for limits and bans, not reversible
    without the server's key (a plain hash of an IPv4 address is broken in seconds)."""
    if not address:
        return None
    key = hashlib.sha256(("kommentar.ip-hash:" + current_app.config["SECRET_KEY"][0]).encode())
    return hmac.new(key.digest(), address.encode(), hashlib.sha256).hexdigest()[:32]
