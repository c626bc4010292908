"""What an imported comment's values become: cleaned as a posted comment's are, but mended
or cut (the plan notes it) where a post would be refused, since one odd comment must not stop
a whole file. Nothing leaves here that the database would refuse: no NUL (PostgreSQL takes
none), no lone surrogate (not UTF-8), no count past a 32-bit integer.
"""

from __future__ import annotations

import functools
import html as entities
import ipaddress
import re
import unicodedata
from datetime import datetime, timedelta

from .. import render
from ..comments import visible
from ..models import DELETED
from .records import SourceComment

NAME_LENGTH = 60
TITLE_LENGTH = 300
ANONYMOUS_NAME = "Anonymous"
MOST_VOTES = 2**31 - 1
EARLIEST = datetime(1970, 1, 1)  # before it, a time is a mistake (a zero or negative stamp)
CLOCK_SLACK = timedelta(days=1)  # a source's clock may run a little ahead of ours

_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
_PARAGRAPHS = re.compile(r"\n\s*\n")


def mend(text: str) -> str:
    """Text the database can store: NUL and lone surrogates become U+FFFD, as a browser
    shows them."""
    return _UNSTORABLE.sub("\ufffd", text)


def _visible(text: str) -> str:
    """Entities decoded (sources escape names and titles), control and format characters
    (NUL, lone surrogates) gone, spaces collapsed: what the API accepts in a name or title."""
    return visible(unicodedata.normalize("NFC", entities.unescape(text)))


def name(raw: str) -> tuple[str, bool]:
    """The author's name as shown, and whether it had to be cut to ``NAME_LENGTH``."""
    shown = _visible(raw or "")
    return shown[:NAME_LENGTH] or ANONYMOUS_NAME, len(shown) > NAME_LENGTH


def title(raw: str) -> tuple[str, bool]:
    """A thread's title, and whether it had to be cut to ``TITLE_LENGTH``."""
    shown = _visible(raw or "")
    return shown[:TITLE_LENGTH], len(shown) > TITLE_LENGTH


def source(comment: SourceComment) -> str:
    """The text a comment is made from, before it is capped: its Markdown, or its HTML (with
    line breaks made tags where they are meant as shown). Empty for a deleted comment."""
    if comment.status == DELETED:
        return ""
    if comment.markdown is not None:
        return mend(comment.markdown.replace("\r\n", "\n").strip())
    text = mend(comment.html or "")
    return breaks_as_html(text) if comment.breaks else text


def body(comment: SourceComment, limit: int) -> tuple[str, str]:
    """(text kept for editing, HTML shown): Markdown rendered by the renderer new comments
    go through, HTML through its sanitiser; at most ``limit`` characters of it."""
    text = source(comment)[:limit]
    if not text:
        return "", ""
    if comment.markdown is not None:
        return text, render.render(text)
    html = render.sanitise(text).strip()
    if len(html) > limit:  # sanitising can lengthen it (entities, the rel of links)
        html = render.sanitise(html[:limit]).strip()
    return html, html


def breaks_as_html(text: str) -> str:
    """Text whose line breaks are meant as shown (WordPress's): blank lines part paragraphs,
    single ones break the line. Tags in it stay for the sanitiser to judge."""
    text = text.replace("\r\n", "\n").strip()
    return "".join(f"<p>{part.strip().replace(chr(10), '<br>')}</p>"
                   for part in _PARAGRAPHS.split(text) if part.strip())


def moment(when: datetime, now: datetime) -> tuple[datetime, bool]:
    """A time within reason (not before 1970, not after now), and whether it was moved."""
    if when < EARLIEST:
        return EARLIEST, True
    if when > now + CLOCK_SLACK:
        return now, True
    return when, False


def votes(count: int) -> int:
    """A vote count the database's integers hold."""
    return min(max(count, 0), MOST_VOTES)


@functools.lru_cache(maxsize=4096)  # readers comment again and again from one address
def address(raw: str | None) -> str | None:
    """A client address written as a socket gives it to the API (Isso writes IPv6 in full),
    so it hashes as the API would hash it; None for anything that is not an address."""
    try:
        return str(ipaddress.ip_address((raw or "").strip()))
    except ValueError:
        return None
