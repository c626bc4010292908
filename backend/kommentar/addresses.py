"""An account's mail address: verifying it, and setting a new password through a link sent
to it when the old one is forgotten.

An address is only ever sent its verification link until its owner has followed that link;
a password reset goes only to a verified address. Both links are signed tokens (``tokens``)
that carry a keyed fingerprint, never the address itself: a verification link works only
while the account still has the address it was sent to, a reset link only while the account
still has the password it had, so any password change (that reset among them) voids it.

Asking for a reset answers the same whatever is found, after the same work: the look-up,
writing the letter, counting the mail limits. Only a letter to a verified address within
``limit_mail_address`` and ``limit_mail_client`` is queued. Mail is off when no SMTP server
is set: addresses are kept, unverified, and nothing is sent.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from flask import current_app
from peewee import fn

from . import letters, links, mail, ratelimits, tokens
from .accounts import username_key, validate_email
from .db import database
from .errors import Invalid
from .models import User, utcnow

VERIFY_FOR = timedelta(days=2)  # how long a verification link works
RESET_FOR = timedelta(hours=1)  # how long a password reset link works
MAX_LOGIN = 254  # the longest username or address a reset is asked for with
MAX_ACCOUNTS = 5  # accounts one address may have reset links sent for at once
STAND_IN = "nobody@example.invalid"  # whom the letter is written to when nobody gets it


def _signer() -> tokens.Signer:
    return current_app.extensions["kommentar.signer"]


def same_address(address: str) -> str:
    """The form addresses are compared in: case-folded, as people type them either way."""
    return address.strip().lower()


def address_fingerprint(address: str) -> str:
    """What a verification link carries of the address it was sent to."""
    return _signer().fingerprint("address:" + same_address(address))


def password_fingerprint(user: User) -> str:
    """What a reset link carries of the password hash the account had when it was sent."""
    return _signer().fingerprint("password:" + user.password_hash)


def language(raw: object) -> str:
    """The language of a letter and its pages from a request's optional ``lang`` tag."""
    if raw is None:
        return letters.LANGUAGES[0]
    if not isinstance(raw, str) or len(raw) > 35:
        raise Invalid("lang must be a language tag such as da or en-GB.", code="invalid_lang")
    return letters.language(raw)


def _within_limits(letter: str, address: str, client: str) -> bool:
    """Count one ``letter`` (verify, reset) to ``address`` asked for by ``client`` against
    both quiet limits: per address each letter has its own count, per client they share
    one. Both are always counted, so a refusal takes as long as a mail. The counter is
    named by a keyed fingerprint: the limiter's storage (Redis) never holds the address."""
    by_address = ratelimits.allow("limit_mail_address", _signer().fingerprint(
        f"limit:{letter}:{same_address(address)}"))
    by_client = ratelimits.allow("limit_mail_client", client)
    return by_address and by_client


def _verification(user: User, lang: str, client: str) -> None:
    """Queue the verification letter for the account's address (in the caller's transaction)
    when mail is on and the limits allow."""
    if mail.mailer() is None or not user.email or not _within_limits("verify", user.email, client):
        return
    payload = {"u": user.id, "e": address_fingerprint(user.email), "l": lang}
    letters.send("verify", lang, user.email, "account.verify", username=user.username,
                 url=links.url("verify", tokens.VERIFY, payload), days=VERIFY_FOR.days)


def welcome(lang: str, client: str) -> Callable[[User], None]:
    """What registration does, in its transaction, with an account that gave an address."""
    return lambda user: _verification(user, lang, client)


def set_address(user: User, raw: object, lang: str, client: str) -> User:
    """Give the account the address ``raw`` (None or "" removes it), unverified, and send it
    the verification link. The address it has already is left as it is, verified or not;
    an unverified one is sent its link again."""
    address = validate_email(raw)
    with database.atomic():
        current = User.get_by_id(user.id)
        unchanged = address is not None and current.email is not None \
            and same_address(current.email) == same_address(address)
        if not unchanged:
            User.update(email=address, email_verified=None).where(User.id == user.id).execute()
            current.email, current.email_verified = address, None
        if current.email_verified is None:
            _verification(current, lang, client)
    return current


def verify(payload: Any) -> User | None:
    """Mark the account's address verified if it is still the one the link was sent to;
    the account, or None when the link no longer concerns it (it is gone, or its address
    changed)."""
    with database.atomic():
        user = _account(payload)
        if user is None or not user.email \
                or address_fingerprint(user.email) != payload.get("e"):
            return None
        if user.email_verified is None:
            user.email_verified = utcnow()
            User.update(email_verified=user.email_verified) \
                .where((User.id == user.id) & (User.email == user.email)).execute()
    return user


def _account(payload: Any) -> User | None:
    account_id = payload.get("u") if isinstance(payload, dict) else None
    if isinstance(account_id, bool) or not isinstance(account_id, int):
        return None
    return User.get_or_none(User.id == account_id)


def _accounts_for(login: str) -> list[User]:
    """The accounts a reset asked for by ``login`` concerns: one by name, or those with it
    as their address (usernames have no @)."""
    if "@" in login:
        query = User.select().where(fn.LOWER(User.email) == same_address(login))
    else:
        query = User.select().where(User.username_key == username_key(login))
    return list(query.order_by(User.id).limit(MAX_ACCOUNTS))


def request_reset(login: object, raw_lang: object, client: str) -> None:
    """Send a reset link to the verified address of the account ``login`` names (a username
    or an address), within the mail limits; quietly nothing otherwise, after the same work."""
    if not isinstance(login, str) or not login:
        raise Invalid("Give the username or the address of the account.", code="invalid_login")
    lang = language(raw_lang)
    login = login.strip()[:MAX_LOGIN]
    found = [user for user in _accounts_for(login)
             if user.email and user.email_verified is not None]
    if mail.mailer() is None:
        return
    with database.atomic():
        for user in found or [None]:
            address = user.email if user else STAND_IN
            payload = {"u": user.id if user else 0,
                       "p": password_fingerprint(user) if user else "", "l": lang}
            letter = letters.letter("reset", lang, address, username=user.username if user
                                    else login, url=links.url("reset", tokens.RESET, payload),
                                    minutes=int(RESET_FOR.total_seconds() // 60))
            if _within_limits("reset", address if user else login, client) and user:
                mail.queue(letter, "account.reset")


def reset_account(payload: Any) -> User | None:
    """The account a reset link is for while it still has the password it had when the
    link was sent; None once it is gone or its password changed."""
    user = _account(payload)
    if user is None or password_fingerprint(user) != payload.get("p"):
        return None
    return user


def set_password(user: User, password_hash: str) -> bool:
    """Replace the account's password hash if it is still ``user``'s, ending every session,
    in the caller's transaction; whether it was."""
    return User.update(password_hash=password_hash,
                       session_version=User.session_version + 1) \
        .where((User.id == user.id) & (User.password_hash == user.password_hash)) \
        .execute() == 1
