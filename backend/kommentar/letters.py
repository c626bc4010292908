"""Letters: the mails Kommentar writes to people (confirmations, reply notifications, password
resets, moderators' notices), in the language of the page they concern.

Each letter is a pair of templates per language, ``templates/mail/LANG/NAME.txt`` and
``NAME.html`` (which extends ``mail/base.html``). The plain-text one's first line is the
subject; the rest is the body. Both get the same context, and the subject as ``subject``.
Letters are queued in the caller's transaction (``mail.queue``), so one goes out exactly when
the write that caused it commits.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from email.message import EmailMessage
from typing import Any

from flask import render_template

from . import mail

LANGUAGES = ("en", "da")  # English first: the language of anything else


def language(tags: str | Iterable[str | None] | None) -> str:
    """The supported language closest to a page's language tag, or the first of several
    that has one (``da-DK`` is Danish; ``nb`` is English): English when none fits."""
    for tag in [tags] if isinstance(tags, str) or tags is None else tags:
        primary = (tag or "").strip().replace("_", "-").split("-", 1)[0].lower()
        if primary in LANGUAGES:
            return primary
    return LANGUAGES[0]


def letter(name: str, lang: str, to: str, headers: Mapping[str, str] | None = None,
           **context: Any) -> EmailMessage:
    """The letter ``name`` in ``lang`` (one of ``LANGUAGES``) to address ``to``, with further
    ``headers`` (List-Unsubscribe, say). Mail must be on."""
    mailer = mail.mailer()
    if mailer is None:
        raise RuntimeError("mail is off (smtp_host is not set): check mail.mailer() first")
    lang = language(lang)
    subject, _, text = render_template(f"mail/{lang}/{name}.txt", lang=lang,
                                       **context).partition("\n")
    html = render_template(f"mail/{lang}/{name}.html", lang=lang, subject=subject.strip(),
                           **context)
    return mailer.message(to, subject.strip(), text.lstrip("\n"), html, headers)


def send(name: str, lang: str, to: str, event: str,
         headers: Mapping[str, str] | None = None, **context: Any) -> None:
    """Queue the letter ``name`` to ``to`` in the caller's transaction; ``event`` names what
    caused it on the admin pages (``account.reset``, ``reply.notify``, ...)."""
    mail.queue(letter(name, lang, to, headers, **context), event)
