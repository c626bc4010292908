"""Provider identities and the accounts they open: signing in with one (creating the account
the first time), linking another to the signed-in account, unlinking one.

An identity is ``(provider, subject)``, never an e-mail address: a provider that reports the
address of an existing account opens a new account, not that one. An address the provider
says it verified becomes the new account's verified address only when no account holds it.
A new account's name is the provider's display name, cleaned to the username rules and made
unique ("Ada Lovelace 2"); its owner can change nothing else about how they sign in here.
"""

from __future__ import annotations

import re
import secrets
import unicodedata
from collections.abc import Mapping

from peewee import IntegrityError, fn

from .accounts import USERNAME, username_key
from .db import database
from .errors import Conflict, NotFound
from .models import Identity, User, utcnow
from .oauth import Profile
from .providers import Provider

NO_PASSWORD = ""  # the password_hash of an account that signs in only with providers
FALLBACK_NAME = "Reader"
NAME_ATTEMPTS = 20  # "Name 2" … "Name 20", then a random suffix


def sign_in(provider: Provider, profile: Profile, link_to: User | None = None) -> User:
    """The account this identity opens: its own, or a new one made from the profile. With
    ``link_to`` the identity is added to that account instead (Conflict identity_taken if it
    already opens another)."""
    for _ in range(3):  # a concurrent first sign-in of the same identity wins the race: retry
        try:
            with database.atomic():
                return _sign_in(provider, profile, link_to)
        except IntegrityError:
            continue
    raise Conflict("This sign-in is being used elsewhere at this moment; try again.",
                   code="sign_in_failed")


def _sign_in(provider: Provider, profile: Profile, link_to: User | None) -> User:
    identity = (Identity.select(Identity, User).join(User)
                .where((Identity.provider == provider.name)
                       & (Identity.subject == profile.subject)).first())
    if link_to is not None:
        if identity is not None and identity.user_id != link_to.id:
            raise _taken(provider)
        if identity is None:
            Identity.create(user=link_to, provider=provider.name, subject=profile.subject)
            if not link_to.email and profile.email and not _address_taken(profile.email):
                User.update(email=profile.email, email_verified=utcnow()) \
                    .where(User.id == link_to.id).execute()
        return User.get_by_id(link_to.id)
    if identity is not None:
        return identity.user
    email = profile.email if profile.email and not _address_taken(profile.email) else None
    user = _create(profile.name, email)
    Identity.create(user=user, provider=provider.name, subject=profile.subject)
    return user


def check_linkable(provider: Provider, subject: str, user: User) -> None:
    """Conflict identity_taken if this identity already opens another account than ``user``
    (said at once, before the account is asked to confirm the link)."""
    owner = Identity.select(Identity.user).where((Identity.provider == provider.name)
                                                 & (Identity.subject == subject)).scalar()
    if owner is not None and owner != user.id:
        raise _taken(provider)


def _taken(provider: Provider) -> Conflict:
    return Conflict(f"That {provider.label} account already signs in to another account here.",
                    code="identity_taken")


def _address_taken(email: str) -> bool:
    return User.select().where(fn.LOWER(User.email) == email.strip().lower()).exists()


def _create(name: str | None, email: str | None) -> User:
    """A new account without a password, under the first free form of ``name``."""
    base = display_name(name)
    candidates = [base, *(_numbered(base, str(n)) for n in range(2, NAME_ATTEMPTS + 1))]
    for candidate in candidates:
        if not User.select().where(User.username_key == username_key(candidate)).exists():
            break
    else:
        candidate = _numbered(base, secrets.token_hex(3))
    # A name taken meanwhile fails the insert, and ``sign_in`` tries the whole thing again.
    return User.create(username=candidate, username_key=username_key(candidate),
                       password_hash=NO_PASSWORD, email=email,
                       email_verified=utcnow() if email else None)


def display_name(name: str | None) -> str:
    """A provider's display name made a valid username: letters, digits, '.', '-', '_' and
    single spaces, at most 40 characters; "Reader" when nothing usable is left."""
    text = unicodedata.normalize("NFKC", name or "")
    text = re.sub(r"[^\w.\- ]+", " ", text)
    text = " ".join(text.split())[:40].strip()
    while text and len(username_key(text)) > 40:  # case-folding can lengthen it
        text = text[:-1].strip()
    return text if len(text) >= 2 and USERNAME.match(text) else FALLBACK_NAME


def _numbered(base: str, suffix: str) -> str:
    room = 40 - len(suffix) - 1
    stem = base[:room].strip()
    while len(username_key(f"{stem} {suffix}")) > 40:
        stem = stem[:-1].strip()
    return f"{stem} {suffix}"


def linked(user: User, configured: Mapping[str, Provider]) -> list[Provider]:
    """The configured providers this account signs in with, in configuration order."""
    if not configured:  # no query on a server without providers
        return []
    names = {name for (name,) in Identity.select(Identity.provider)
             .where(Identity.user == user.id).tuples()}
    return [provider for name, provider in configured.items() if name in names]


def unlink(user: User, provider: Provider, configured: Mapping[str, Provider]) -> None:
    """Stop this provider signing in to the account: NotFound not_linked if it does not;
    Conflict last_sign_in if it is the only way in left (no password, no other provider)."""
    with database.atomic():
        ways = linked(user, configured)
        others = [way for way in ways if way.name != provider.name]
        if len(others) == len(ways):
            raise NotFound(f"{provider.label} is not linked to this account.", code="not_linked")
        if not has_password(user) and not others:
            raise Conflict(f"{provider.label} is the only way into this account: set a password "
                           "or link another provider first.", code="last_sign_in")
        Identity.delete().where((Identity.user == user.id)
                                & (Identity.provider == provider.name)).execute()


def has_password(user: User) -> bool:
    """Whether the account can sign in with a password."""
    return user.password_hash != NO_PASSWORD
