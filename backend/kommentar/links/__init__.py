"""Links in mail, and the pages they open on this server.

A link carries a token signed for one purpose (``tokens.LINKS``): its payload says what and
whom it concerns, and its age is checked against the purpose's lifetime. Opening a link
(GET) only shows a page; what the link does is done by the button on that page (a POST of
the same token), so a mail scanner that follows every link changes nothing. A link that
works once records its use (``use_once``) in the transaction of what it does.

The pages are plain HTML in the language the link names (else the browser's), without
script, under a Content-Security-Policy that lets only their own style apply and their
forms post only here, and they send no Referer: the token in their address goes nowhere.
Each purpose's routes live in a module of this package, on ``bp``; ``links.pages`` serves
them.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import Blueprint, current_app, render_template, request
from peewee import IntegrityError

from .. import letters
from ..db import database
from ..errors import Unauthorized
from ..headers import page_policy
from ..models import UsedLink, utcnow

bp = Blueprint("links", __name__, url_prefix="/mail")
STYLE = Path(__file__).parent.parent / "templates" / "links" / "page.css"

INVALID, EXPIRED, USED = "invalid", "expired", "used"  # why a link does not work


class LinkRefused(Exception):
    """A link that does not work (any more): ``reason`` is INVALID, EXPIRED or USED, or a
    purpose's own (the comment it concerns is gone), which its ``refused`` page words, with
    its own ``status`` (else 400 for INVALID, 410 for the rest: what it names is gone)."""

    def __init__(self, reason: str, lang: str | None = None, status: int | None = None):
        super().__init__(reason)
        self.reason = reason
        self.lang = lang
        self.status = status


def url(action: str, purpose: str, payload: Any) -> str:
    """The address of a link to ``/mail/ACTION/TOKEN`` on this server as readers reach it
    (``public_url``), with a token for ``purpose`` carrying ``payload``."""
    token = current_app.extensions["kommentar.signer"].sign(purpose, payload)
    return f"{current_app.config['PUBLIC_URL']}{bp.url_prefix}/{action}/{token}"


def read(purpose: str, token: str, max_age: timedelta) -> Any:
    """The payload of a link's token made for ``purpose`` at most ``max_age`` ago, or
    LinkRefused (INVALID or EXPIRED)."""
    try:
        return current_app.extensions["kommentar.signer"].unsign(
            purpose, token, int(max_age.total_seconds()))
    except Unauthorized as error:
        raise LinkRefused(EXPIRED if error.code == "link_expired" else INVALID) from None


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def use_once(token: str, max_age: timedelta, lang: str | None = None) -> None:
    """Record that this link has worked, in the caller's transaction, or LinkRefused (USED)
    if it has before. The record is kept as long as the link could still be used."""
    digest = _digest(token)
    try:
        with database.atomic():  # a savepoint: the caller's transaction goes on
            UsedLink.insert(digest=digest, expires=utcnow() + max_age).execute()
    except IntegrityError:
        raise LinkRefused(USED, lang) from None


def was_used(token: str) -> bool:
    """Whether this link has worked already (``use_once``): to say so rather than why else
    it no longer works."""
    return UsedLink.select().where(UsedLink.digest == _digest(token)).exists()


def forget_used(now) -> int:
    """Forget used links that could no longer be used anyway; how many went."""
    with database.atomic():
        return UsedLink.delete().where(UsedLink.expires < now).execute()


def page(name: str, lang: str | None, status: int = 200, **context: Any):
    """The page ``templates/links/LANG/NAME.html`` (extending ``links/base.html``) as a
    response, in ``lang`` or, without one, the language the browser prefers."""
    lang = letters.language(lang or request.accept_languages.best_match(letters.LANGUAGES))
    html = render_template(f"links/{lang}/{name}.html", lang=lang, **context)
    return html, status, {
        "Content-Type": "text/html; charset=utf-8",
        "Content-Security-Policy": page_policy(STYLE, "'self'"),
        "Referrer-Policy": "no-referrer",
        "X-Frame-Options": "DENY",
        "Cache-Control": "no-store",
    }


@bp.errorhandler(LinkRefused)
def _refused(error: LinkRefused):
    status = error.status or (400 if error.reason == INVALID else 410)
    return page("refused", error.lang, status, reason=error.reason)
