"""Subscriptions to replies by mail: the address a comment's author gives (or their
account's verified one), the confirmation that gates it, and stopping mail for a thread or
for good. Which replies are mailed, and when, is ``notices``'.

An address is sent nothing but its confirmation letter until its owner has followed the
link in it: that is what keeps anyone from signing a stranger up for mail. The
confirmation letter is limited per address and per client (``limit_mail_address``,
``limit_mail_client``), quietly: the comment is posted either way, and the answer says the
same whether the address was new, confirmed or stopped, so it tells nobody which
addresses are known here.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from peewee import fn

from . import letters, links, ratelimits, tokens
from .db import database
from .errors import Invalid
from .mail import address as parse_address
from .models import Comment, MailAddress, Subscription, User, utcnow

CONFIRM_FOR = timedelta(days=7)  # how long a confirmation link works
UNSUBSCRIBE_FOR = timedelta(days=400)  # how long an unsubscribe link in a notification works
ON, REQUESTED = "on", "requested"  # what a post's answer says of its subscription


@dataclass(frozen=True)
class Wish:
    """A post's wish to be mailed replies: to this address, in this language; ``verified``
    when it is the author's account's verified address, which needs no confirmation."""

    address: str
    lang: str
    verified: bool

    @property
    def answer(self) -> str:
        """What the post's answer says: ``on``, or ``requested`` (mail starts once the
        address is confirmed, if it is not already)."""
        return ON if self.verified else REQUESTED


def key(address: str) -> str:
    """How an address is told apart from others: case does not count."""
    return address.lower()


def clean_address(value: object) -> str:
    """An address as a reader types it, checked: the bare ``user@example.org`` form."""
    if not isinstance(value, str) or not value.strip() or len(value.strip()) > 254:
        raise Invalid("Give the mail address replies should go to.", code="invalid_email")
    try:
        found = parse_address(value.strip())
    except ValueError:
        raise Invalid("This is not a mail address.", code="invalid_email") from None
    if found.display_name or len(found.addr_spec) > 254:
        raise Invalid("Give only the mail address, such as name@example.org.",
                      code="invalid_email")
    return found.addr_spec


def wish(user: User | None, notify: object, email: object, lang: object,
         mail_on: bool) -> Wish | None:
    """What a post's ``notify``, ``email`` and ``lang`` ask for, checked (Invalid if not):
    None unless ``notify`` is true, and None when the server sends no mail (the answer then
    says nothing of ``notify``, which tells the client). A signed-in author with a verified
    address is mailed there (``email`` is ignored); anyone else gives ``email``."""
    if notify is not None and not isinstance(notify, bool):
        raise Invalid("notify must be true or false.", code="invalid_notify")
    if lang is not None and (not isinstance(lang, str) or len(lang) > 35):
        raise Invalid("lang must be a language tag such as da-DK.", code="invalid_lang")
    address = None if email is None else clean_address(email)  # checked whenever given
    if not notify or not mail_on:
        return None
    if user is not None and user.email and user.email_verified:
        return Wish(user.email, letters.language(lang), verified=True)
    if address is None:
        raise Invalid("Give the mail address replies should go to.", code="email_required")
    return Wish(address, letters.language(lang), verified=False)


def subscribe(comment: Comment, wanted: Wish, client_key: str) -> None:
    """Record that ``comment``'s replies go to the wished address, in the post's
    transaction; an address not yet confirmed gets its confirmation letter (within the
    limits). A verified account address counts as confirmed, and starts its mail again
    if its owner had stopped it."""
    now = utcnow()
    row = _address_row(wanted.address)
    if wanted.verified and (row.confirmed is None or row.stopped is not None):
        MailAddress.update(confirmed=row.confirmed or now, stopped=None) \
            .where(MailAddress.id == row.id).execute()
        row.confirmed, row.stopped = row.confirmed or now, None
    Subscription.insert(comment=comment.id, address=row.id, lang=wanted.lang,
                        created=now).execute()
    if row.confirmed is None and row.stopped is None \
            and ratelimits.allow("limit_mail_address", row.key) \
            and ratelimits.allow("limit_mail_client", client_key):
        letters.send("confirm", wanted.lang, row.address, "reply.confirm",
                     link=links.url("confirm", tokens.CONFIRM, _payload(row, wanted.lang)))


def _address_row(address: str) -> MailAddress:
    """The address's row, made on its first use."""
    MailAddress.insert(address=address, key=key(address), created=utcnow()) \
        .on_conflict_ignore().execute()
    return MailAddress.get(MailAddress.key == key(address))


def _payload(row: MailAddress, lang: str, thread_id: int | None = None) -> dict[str, Any]:
    """A link's payload: the address's row and a digest of the address, so that a row id
    used again for another address (SQLite reuses them) does not match; the language its
    page is shown in; the thread it concerns, if one."""
    payload: dict[str, Any] = {"a": row.id, "h": _digest(row.key), "l": lang}
    if thread_id is not None:
        payload["t"] = thread_id
    return payload


def _digest(address_key: str) -> str:
    return hashlib.sha256(address_key.encode()).hexdigest()[:16]


def unsubscribe_url(row: MailAddress, lang: str, thread_id: int | None) -> str:
    """The link that stops replies from one thread to this address (or, for None, every
    mail to it), its page in ``lang``."""
    return links.url("unsubscribe", tokens.UNSUBSCRIBE, _payload(row, lang, thread_id))


@dataclass(frozen=True)
class Addressed:
    """What a link's payload names: an address row still stored, maybe a thread."""

    row: MailAddress | None
    lang: str | None
    thread: int | None


def addressed(payload: Any) -> Addressed:
    """The address row a link's payload names (None if it is gone), its page's language and
    its thread."""
    if not isinstance(payload, dict) or not isinstance(payload.get("a"), int):
        return Addressed(None, None, None)
    lang = payload.get("l") if isinstance(payload.get("l"), str) else None
    row = MailAddress.get_or_none(MailAddress.id == payload["a"])
    if row is not None and payload.get("h") != _digest(row.key):
        row = None
    thread = payload.get("t")
    return Addressed(row, lang, thread if isinstance(thread, int) else None)


def confirm(row: MailAddress) -> None:
    """Its owner followed the confirmation link: mail may go to the address from now on."""
    with database.atomic():
        MailAddress.update(confirmed=fn.COALESCE(MailAddress.confirmed, utcnow()), stopped=None) \
            .where(MailAddress.id == row.id).execute()


def unsubscribe(row: MailAddress, thread_id: int | None) -> None:
    """Stop replies from one thread to the address (its subscriptions there go), or, for
    None, every mail to it: all its subscriptions go and it is marked stopped."""
    with database.atomic():
        mine = Subscription.address == row.id
        if thread_id is not None:
            in_thread = Comment.select(Comment.id).where(Comment.thread == thread_id)
            Subscription.delete().where(mine & Subscription.comment.in_(in_thread)).execute()
            return
        Subscription.delete().where(mine).execute()
        MailAddress.update(stopped=utcnow()).where(MailAddress.id == row.id).execute()


# --- an account's own ----------------------------------------------------------------------

def of_account(user: User) -> list[dict[str, Any]]:
    """The subscriptions of an account's comments with their addresses, oldest first, for
    its owner's export."""
    rows = (Subscription.select(Subscription, MailAddress).join(MailAddress)
            .switch(Subscription).join(Comment)
            .where(Comment.author == user.id).order_by(Subscription.id))
    return [{"comment": row.comment_id, "email": row.address.address, "lang": row.lang,
             "confirmed": row.address.confirmed is not None,
             "stopped": row.address.stopped is not None, "created": row.created}
            for row in rows]


def forget_account(user: User) -> None:
    """Remove an account's subscriptions, and its verified address with everything
    subscribed to it, in the deletion's transaction."""
    mine = Comment.select(Comment.id).where(Comment.author == user.id)
    Subscription.delete().where(Subscription.comment.in_(mine)).execute()
    if user.email and user.email_verified:
        MailAddress.delete().where(MailAddress.key == key(user.email)).execute()
