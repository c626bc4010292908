"""Sign-in with a provider, started from the widget on a site's page, where third-party
cookies are blocked: the reader's browser goes to the provider and back on this server's own
pages (``signin.pages``), in a popup or, where popups are blocked, the whole tab.

An attempt is a row made when the reader starts (``begin``) and deleted when the provider
sends them back (``finish``), so each state works once, on any worker. It holds the PKCE
verifier, the nonce, the page origin the session token may be given to (checked against the
configured origins at the start) and, for a redirect, the page to return to. The state in
the provider's address is stored only as a SHA-256, and the attempt is bound to the browser
that started it by a secret in a first-party cookie of this server, so a state carried to
another browser (a login CSRF) is refused.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit, urlunsplit

from ..cors import site_origin
from ..db import database
from ..errors import KommentarError
from ..models import SignInAttempt, User, utcnow
from ..providers import Provider

LIFETIME = timedelta(minutes=10)  # from the click to the provider sending the reader back
POPUP, REDIRECT = "popup", "redirect"
MAX_RETURN = 2000


class SignInRefused(KommentarError):
    """A sign-in that cannot go on; ``code`` is what the widget is told, when ``attempt``
    says whom to tell (else the page says it)."""

    status = 400
    attempt: Attempt | None = None


@dataclass(frozen=True)
class Attempt:
    """A finished attempt's facts: whom to tell, how, and whom to link to."""

    provider: str
    verifier: str
    nonce: str
    origin: str
    mode: str
    return_url: str | None
    link_user: int | None


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def checked_origin(raw: object, origins: list[str]) -> str:
    """The page's origin if it is a configured site; SignInRefused origin_not_allowed if not."""
    origin = site_origin(raw) if isinstance(raw, str) and raw else None
    if origin is None or origin not in origins:
        raise SignInRefused("This page's site may not sign readers in here.",
                            code="origin_not_allowed")
    return origin


def checked_return(raw: object, origin: str, required: bool) -> str | None:
    """The page to come back to: an http(s) address on ``origin``, its fragment dropped."""
    if raw is None or raw == "":
        if required:
            raise SignInRefused("Say which page to return to.", code="invalid_input")
        return None
    parts = urlsplit(raw) if isinstance(raw, str) and len(raw) <= MAX_RETURN else None
    if parts is None or parts.scheme not in ("http", "https") \
            or site_origin(f"{parts.scheme}://{parts.netloc}") != origin:
        raise SignInRefused("The page to return to is not on the site that started.",
                            code="origin_not_allowed")
    return urlunsplit((parts.scheme, parts.netloc, parts.path or "/", parts.query, ""))


def begin(provider: Provider, *, origin: str, mode: str, return_url: str | None,
          link_user: User | None, browser: str | None) -> tuple[dict[str, str], str]:
    """Record a new attempt: its state, PKCE verifier and nonce (for ``oauth.authorize_url``)
    and the browser secret to keep in the cookie (the one the browser has, if it sent one)."""
    if mode not in (POPUP, REDIRECT):
        raise SignInRefused("mode must be popup or redirect.", code="invalid_input")
    browser = browser if browser and 32 <= len(browser) <= 64 else secrets.token_urlsafe(32)
    secret = {"state": secrets.token_urlsafe(32), "verifier": secrets.token_urlsafe(64),
              "nonce": secrets.token_urlsafe(24)}
    with database.atomic():
        SignInAttempt.create(state=_digest(secret["state"]), browser=_digest(browser),
                             provider=provider.name, verifier=secret["verifier"],
                             nonce=secret["nonce"], origin=origin, mode=mode,
                             return_url=return_url,
                             link_user=link_user.id if link_user else None)
    return secret, browser


def finish(provider: Provider, state: object, browser: str | None) -> Attempt:
    """Take the attempt this state names, once: SignInRefused sign_in_expired if it is
    unknown, used, too old, for another provider or from another browser."""
    expired = SignInRefused("This sign-in has expired or was already used; start again.",
                            code="sign_in_expired")
    if not isinstance(state, str) or not 20 <= len(state) <= 200:
        raise expired
    with database.atomic():
        row = SignInAttempt.get_or_none(SignInAttempt.state == _digest(state))
        # Deleting first makes the state single-use even when two callbacks race.
        if row is None or not SignInAttempt.delete().where(
                SignInAttempt.state == row.state).execute():
            raise expired
    attempt = Attempt(provider=row.provider, verifier=row.verifier, nonce=row.nonce,
                      origin=row.origin, mode=row.mode, return_url=row.return_url,
                      link_user=row.link_user_id)
    if row.created < utcnow() - LIFETIME or row.provider != provider.name \
            or not browser or not hmac.compare_digest(row.browser, _digest(browser)):
        expired.attempt = attempt
        raise expired
    return attempt


def forget_attempts(now: datetime) -> int:
    """Delete attempts nobody finished in time; how many went."""
    with database.atomic():
        return SignInAttempt.delete().where(SignInAttempt.created < now - LIFETIME).execute()
