"""Cheap spam defences: what catches a new comment before anyone looks at it.

A comment caught by a defence is kept as ``spam`` with the reason, never dropped, so a
moderator can rescue a false positive. One that passes them may still wait in the
queue (``pending``): see ``holds.verdict``. The checks, in order:
a honeypot field a person never fills in; a signed form timestamp that gives away
posts made faster than a person types; a cap on links; the same text posted again
within a short window; blocked words and link domains.
"""

from __future__ import annotations

import hashlib
import re
import time
import unicodedata
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlsplit

from . import tokens
from .db import execute
from .errors import KommentarError
from .models import utcnow

FORM_MAX_AGE = 7 * 24 * 3600  # a form left open for a week is stale
MIN_DUPLICATE_LENGTH = 30  # "Thanks!" from two readers is not a spam wave
_HREF = re.compile(r'<a href="([^"]*)"')
# Every post long enough asks this, so it is written out rather than built by peewee each time.
_SEEN = ('SELECT EXISTS (SELECT 1 FROM "comment" WHERE "fingerprint" = ? AND "created" > ?)')


@dataclass(frozen=True)
class Defences:
    """The defence settings, from configuration, and the signer that checks form tokens
    (without one, no form token is valid)."""

    min_seconds: int = 3
    max_links: int = 5
    duplicate_window: int = 600
    blocked_words: tuple[str, ...] = ()
    blocked_domains: tuple[str, ...] = ()
    signer: tokens.Signer | None = None

    @classmethod
    def from_config(cls, config, signer: tokens.Signer) -> Defences:
        """The defences a configuration asks for, checking form tokens with ``signer``."""
        return cls(min_seconds=config["SPAM_MIN_SECONDS"], max_links=config["SPAM_MAX_LINKS"],
                   duplicate_window=config["SPAM_DUPLICATE_WINDOW"],
                   blocked_words=tuple(" ".join(w.casefold().split())
                                       for w in config["BLOCKED_WORDS"]),
                   blocked_domains=tuple(d.lower().lstrip(".")
                                         for d in config["BLOCKED_DOMAINS"]),
                   signer=signer)


@dataclass(frozen=True)
class Submission:
    """What the form said besides the comment: the honeypot and the form's timestamp token."""

    honeypot: object = None
    form_token: object = None


def form_token(signer: tokens.Signer) -> str:
    """A signed timestamp for a comment form, handed out when the widget starts."""
    return signer.sign(tokens.FORM, int(time.time()))


def fingerprint(text: str) -> str:
    """The text with case, spacing and compatibility forms folded, hashed: equal texts match."""
    folded = " ".join(unicodedata.normalize("NFKC", text).casefold().split())
    return hashlib.blake2b(folded.encode(), digest_size=16).hexdigest()


def spam_reason(defences: Defences, submission: Submission | None, *, text: str, html: str,
                name: str) -> str | None:
    """Why this comment looks like spam (checks that need no database), or None.

    ``submission`` is what came with a web form; None for a trusted caller (an import, the
    demo data), which has no honeypot or form timestamp to check."""
    if submission is not None and submission.honeypot not in (None, ""):
        return "honeypot field filled in"
    if submission is not None and defences.min_seconds > 0:
        age = _form_age(defences.signer, submission.form_token)
        if age is None:
            return "no valid form token"
        if age < defences.min_seconds:
            return f"posted {age:.0f} s after the form opened"
    links = _HREF.findall(html)
    if len(links) > defences.max_links:
        return f"{len(links)} links (the limit is {defences.max_links})"
    if defences.blocked_words:
        folded = " ".join(re.findall(r"\w+", f"{text} {name}".casefold()))
        words = set(folded.split())
        for word in defences.blocked_words:  # a phrase matches across spacing and punctuation
            if word in words or (" " in word and f" {word} " in f" {folded} "):
                return f"blocked word: {word}"
    for link in links:
        host = (urlsplit(link).hostname or "").lower()
        for domain in defences.blocked_domains:
            if host == domain or host.endswith("." + domain):
                return f"blocked link domain: {domain}"
    return None


def _form_age(signer: tokens.Signer | None, token: object) -> float | None:
    if signer is None or not isinstance(token, str):
        return None
    try:
        issued = signer.unsign(tokens.FORM, token, FORM_MAX_AGE)
    except KommentarError:
        return None
    return time.time() - issued if isinstance(issued, int) else None


def duplicate(defences: Defences, text: str, print_: str) -> bool:
    """Whether the same (long enough) text was posted anywhere within the window."""
    if len(text) < MIN_DUPLICATE_LENGTH or defences.duplicate_window <= 0:
        return False
    since = utcnow() - timedelta(seconds=defences.duplicate_window)
    return bool(execute(_SEEN, (print_, since)).fetchone()[0])
