"""Accounts: registration, log-in, log-out and the password rules.

Passwords are hashed with argon2id at the cost the settings name (by default
OWASP's: 19 MiB, 2 passes, one lane) and rehashed on log-in when that cost
changes. Log-in does the same work whether or not the account exists, so
response times do not reveal names.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Callable, Mapping
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from argon2.low_level import Type, verify_secret
from peewee import IntegrityError

from .db import database
from .errors import Conflict, Invalid, Unauthorized
from .models import Comment, User
from .thread_writes import writing

MIN_PASSWORD, MAX_PASSWORD = 8, 1024  # the upper bound stops hash flooding with huge inputs
USERNAME = re.compile(r"^[\w.-]+(?: [\w.-]+)*$")


def hasher(settings: Mapping[str, Any]) -> PasswordHasher:
    """The argon2id hasher at the cost these settings (``config.load``'s keys) name."""
    return _hasher(settings["ARGON2_TIME_COST"], settings["ARGON2_MEMORY_COST"],
                   settings["ARGON2_PARALLELISM"])


@functools.cache  # one per cost, so each cost's dummy hash below is made once
def _hasher(time_cost: int, memory_cost: int, parallelism: int) -> PasswordHasher:
    return PasswordHasher(time_cost=time_cost, memory_cost=memory_cost, parallelism=parallelism)


@functools.cache
def _dummy_hash(hasher: PasswordHasher) -> str:
    # What an unknown account name is checked against: the same work as a real account's.
    return hasher.hash("not a real password")


def password_matches(password_hash: str, password: str) -> bool:
    """Whether the password opens this argon2id hash. The cost is read from the hash itself,
    so hashes made before the cost settings changed keep working."""
    try:
        return verify_secret(password_hash.encode("ascii"), password[:MAX_PASSWORD].encode(),
                             Type.ID)
    except (VerificationError, InvalidHashError, UnicodeEncodeError):
        return False


def username_key(username: str) -> str:
    """The form a username is unique in: NFKC and case-folded, so 'Åse' and 'åse' collide."""
    return unicodedata.normalize("NFKC", username).casefold()


ACCOUNT = "u:"  # the prefix of account_key, for queries that build the key in SQL


def account_key(user_id: int) -> str:
    """How votes, bans and rate limits name an account: ``u:<account id>``."""
    return f"{ACCOUNT}{user_id}"


def validate_username(raw: object) -> str:
    """A clean username, or Invalid with the reason."""
    if not isinstance(raw, str):
        raise Invalid("Username must be text.", code="invalid_username")
    username = unicodedata.normalize("NFKC", raw).strip()
    # Case-folding can lengthen a name ('ß' -> 'ss'), and the key column holds 40 characters.
    if not 2 <= len(username) <= 40 or len(username_key(username)) > 40 \
            or not USERNAME.match(username):
        raise Invalid("Username must be 2 to 40 letters, digits, spaces, '.', '-' or '_'.",
                      code="invalid_username")
    return username


def validate_password(raw: object, username: str) -> str:
    """The password if it meets the rules, else Invalid code weak_password."""
    if not isinstance(raw, str):
        raise Invalid("Password must be text.", code="weak_password")
    if len(raw) > MAX_PASSWORD:
        raise Invalid(f"Password must be at most {MAX_PASSWORD} characters.", code="weak_password")
    if len(raw) < MIN_PASSWORD:
        raise Invalid(f"Password must be at least {MIN_PASSWORD} characters.",
                      code="weak_password")
    if username_key(raw) == username_key(username):
        raise Invalid("Password must not be the username.", code="weak_password")
    return raw


# The shape the API document gives too. Its character class is spelled out because ``\s``
# differs between Python (which counts \x1c-\x1f and \x85 as space) and the ECMA-262
# patterns of JSON Schema (which count \ufeff): with the controls, \x85 and \ufeff excluded
# explicitly, both read the same set.
EMAIL = re.compile(r"[^@\s\x00-\x1f\x7f-\x9f\ufeff]+@[^@\s\x00-\x1f\x7f-\x9f\ufeff]+"
                   r"\.[^@\s\x00-\x1f\x7f-\x9f\ufeff]+")


def validate_email(raw: object) -> str | None:
    """An optional e-mail address: a light shape check only (mail to it proves it: see
    ``addresses``)."""
    if raw is None or raw == "":
        return None
    if not isinstance(raw, str) or len(raw) > 254 or not EMAIL.fullmatch(raw.strip()):
        raise Invalid("That e-mail address does not look right.", code="invalid_email")
    return raw.strip()


def register(username: object, password: object, email: object = None, *,
             hasher: PasswordHasher, welcome: Callable[[User], None] | None = None) -> User:
    """Create an account, its password hashed by ``hasher`` (see ``hasher(settings)``);
    Conflict code username_taken if the name is in use. ``welcome`` is called with the new
    account in the transaction that creates it (to queue its verification letter)."""
    name = validate_username(username)
    secret = validate_password(password, name)
    address = validate_email(email)
    password_hash = hasher.hash(secret)
    try:
        with database.atomic():
            user = User.create(username=name, username_key=username_key(name),
                               password_hash=password_hash, email=address)
            if welcome is not None and address is not None:
                welcome(user)
            return user
    except IntegrityError:
        raise Conflict("That username is taken.", code="username_taken") from None


def authenticate(username: object, password: object, *, hasher: PasswordHasher) -> User:
    """The account these credentials open, or Unauthorized code invalid_credentials. A hash
    made at another cost than ``hasher``'s is replaced by one at ``hasher``'s."""
    if not isinstance(username, str) or not isinstance(password, str):
        raise Invalid("Username and password are required.", code="invalid_input")
    user = None
    if len(password) <= MAX_PASSWORD and len(username) <= 100:
        user = User.get_or_none(User.username_key == username_key(username.strip()))
    # An account without a password (providers only) costs the same work, and never opens.
    stored = user.password_hash if user and user.password_hash else _dummy_hash(hasher)
    if not password_matches(stored, password) or (user and not user.password_hash):
        user = None
    if user is None or len(password) > MAX_PASSWORD:
        raise Unauthorized("Wrong username or password.", code="invalid_credentials")
    if hasher.check_needs_rehash(user.password_hash):
        with database.atomic():
            User.update(password_hash=hasher.hash(password)).where(User.id == user.id).execute()
    return user


def rename(user: User, username: object) -> User:
    """Give the account another name (Conflict username_taken if another account has it);
    the threads showing its comments change with it."""
    name = validate_username(username)
    try:
        with writing() as changes:
            changes.touch({thread for (thread,) in Comment.select(Comment.thread).distinct()
                           .where(Comment.author == user.id).tuples()})
            User.update(username=name, username_key=username_key(name)) \
                .where(User.id == user.id).execute()
    except IntegrityError:
        raise Conflict("That username is taken.", code="username_taken") from None
    return User.get_by_id(user.id)


def log_out_everywhere(user: User) -> None:
    """Void every token issued to this account by moving its session version on."""
    with database.atomic():
        User.update(session_version=User.session_version + 1).where(User.id == user.id).execute()
