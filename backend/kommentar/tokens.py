"""Signed tokens: one itsdangerous serializer per purpose, so a token minted for one
purpose (an edit token, say) is never accepted for another (a session).

Keys rotate through the ``secret_key`` list: the first signs, every key verifies,
so adding a new key in front and dropping the oldest later logs nobody out.
Client IP addresses are kept only as keyed hashes made here too. A ``Signer`` is built
from the keys once, by the app or by a script, and handed to whoever signs or checks.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence
from typing import Any

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from .errors import Unauthorized

SESSION = "kommentar.session"
EDIT = "kommentar.edit"
VOTER = "kommentar.voter"
FORM = "kommentar.form"
PROVIDER_LINK = "kommentar.provider-link"  # starts linking a provider to the signed-in account
PROVIDER_PROOF = "kommentar.provider-proof"  # what the provider said, for that account to link
# Links in mail (see ``links``): each purpose its own, so one link never works as another.
RESET = "kommentar.reset"  # set a new password
VERIFY = "kommentar.verify"  # verify an account's address
CONFIRM = "kommentar.confirm"  # confirm an address for reply notifications
UNSUBSCRIBE = "kommentar.unsubscribe"  # stop reply notifications
MODERATE = "kommentar.moderate"  # a moderator's action on one comment
LINKS = (RESET, VERIFY, CONFIRM, UNSUBSCRIBE, MODERATE)

# A token starts with a letter naming its purpose, so one Authorization header can carry any
# of them and the server knows which check applies without trying each salt in turn.
_PREFIX = {SESSION: "s.", EDIT: "e.", VOTER: "v.", FORM: "f.", PROVIDER_LINK: "l.",
           PROVIDER_PROOF: "p.", RESET: "r.", VERIFY: "a.", CONFIRM: "c.", UNSUBSCRIBE: "u.",
           MODERATE: "m."}
_EXPIRED = {SESSION: "session_expired", EDIT: "edit_expired", VOTER: "token_expired",
            FORM: "form_expired", PROVIDER_LINK: "sign_in_expired",
            PROVIDER_PROOF: "sign_in_expired",
            **dict.fromkeys(LINKS, "link_expired")}


def serializer(keys: Sequence[str], salt: str) -> URLSafeTimedSerializer:
    """An itsdangerous serializer for one purpose (``salt``) over the rotating keys."""
    # itsdangerous signs with the last key of the list and verifies with all of them.
    return URLSafeTimedSerializer(list(reversed(keys)), salt=salt)


def is_for(purpose: str, token: str) -> bool:
    """Whether a token claims to be made for ``purpose`` (unverified: see ``Signer.unsign``)."""
    return token.startswith(_PREFIX[purpose])


class Signer:
    """Signs and checks the API's tokens, and hashes client addresses, with the server's keys."""

    def __init__(self, keys: Sequence[str]):
        self._serializers = {purpose: serializer(keys, purpose) for purpose in _PREFIX}
        self._ip_key = hashlib.sha256(("kommentar.ip-hash:" + keys[0]).encode()).digest()

    def sign(self, purpose: str, payload: Any) -> str:
        """A token carrying ``payload`` for ``purpose``."""
        return _PREFIX[purpose] + self._serializers[purpose].dumps(payload)

    def unsign(self, purpose: str, token: str, max_age: int | None) -> Any:
        """The payload of a token made for ``purpose``; Unauthorized if forged, foreign or
        expired."""
        if not is_for(purpose, token):
            raise Unauthorized("This token is not valid here.", code="unauthorized")
        try:
            return self._serializers[purpose].loads(token[len(_PREFIX[purpose]):],
                                                    max_age=max_age)
        except SignatureExpired:
            raise Unauthorized("This token has expired.", code=_EXPIRED[purpose]) from None
        except BadSignature:
            raise Unauthorized("This token is not valid.", code="unauthorized") from None

    def fingerprint(self, text: str) -> str:
        """A keyed hash of ``text`` for a link to carry (an account's address, its password
        hash): it shows whether the thing is still the same, not what it is, to whoever
        reads the link (a token's payload is signed, not hidden)."""
        return hmac.new(self._ip_key, b"fingerprint:" + text.encode(),
                        hashlib.sha256).hexdigest()[:32]

    def hash_ip(self, address: str | None) -> str | None:
        """A keyed hash of a client address: comparable for limits and bans, not reversible
        without the server's key (a plain hash of an IPv4 address is broken in seconds)."""
        if not address:
            return None
        return hmac.new(self._ip_key, address.encode(), hashlib.sha256).hexdigest()[:32]
