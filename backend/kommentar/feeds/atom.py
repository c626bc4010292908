"""Atom documents (RFC 4287) of comments, with replies marked as RFC 4685 says, written by
``xml.etree``: readers' text only ever goes in as element text or attribute values, which
the serialiser escapes. No Flask here.

Identifiers are ``urn:uuid:`` names made (UUID version 5) from the site's origin and the
comment's id or the feed's key, so they stay the same however the server is reached, in
both feeds a comment is in, and across rebuilds; the comment's own permalink could change
with its page's address, and an entry's id must not.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import datetime
from html.parser import HTMLParser
from xml.etree import ElementTree

from ..comments import visible
from ..events import permalink
from ..serialize import timestamp
from .entries import Entry

ATOM = "http://www.w3.org/2005/Atom"
THREAD = "http://purl.org/syndication/thread/1.0"
TYPE = "application/atom+xml"
TITLE_LENGTH = 80  # characters of a comment that make its entry's title
# The time of a feed with no entries: Atom requires one, and nothing has happened yet.
NOTHING_YET = datetime(1970, 1, 1)  # naive UTC, as stored times are

# The prefixes the documents are written with (the registry is the module's, and these
# two names mean the same everywhere).
ElementTree.register_namespace("", ATOM)
ElementTree.register_namespace("thr", THREAD)

# What XML 1.0 cannot hold at all (C0 controls but tab and line breaks, lone surrogates,
# U+FFFE and U+FFFF): a comment may contain them, and one would make the whole feed unreadable.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


@dataclass(frozen=True)
class Feed:
    """What a feed says of itself."""

    key: str  # what it is a feed of, unique on its site: names its id
    origin: str  # the site's, normalised
    title: str
    self_url: str  # this feed's own address
    page_url: str  # the page (or site) its comments are on


def entry_id(origin: str, comment_id: int) -> str:
    """The Atom id of a comment's entry."""
    return _urn(origin, f"comment/{comment_id}")


def document(feed: Feed, entries: list[Entry]) -> bytes:
    """The Atom feed document of ``entries`` (newest first), as UTF-8 bytes."""
    root = ElementTree.Element(_atom("feed"))
    _text(root, "id", _urn(feed.origin, feed.key))
    _text(root, "title", feed.title)
    updated = max((entry.updated for entry in entries), default=NOTHING_YET)
    _text(root, "updated", timestamp(updated))
    _link(root, "self", feed.self_url, TYPE)
    _link(root, "alternate", feed.page_url, "text/html")
    for entry in entries:
        _entry(root, feed.origin, entry)
    return ElementTree.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"


def _entry(root: ElementTree.Element, origin: str, entry: Entry) -> None:
    element = ElementTree.SubElement(root, _atom("entry"))
    _text(element, "id", entry_id(origin, entry.id))
    _text(element, "title", _title(entry))
    author = ElementTree.SubElement(element, _atom("author"))
    _text(author, "name", entry.author)
    _text(element, "published", timestamp(entry.created))
    _text(element, "updated", timestamp(entry.updated))
    _link(element, "alternate", permalink(entry.page, entry.id), "text/html")
    if entry.parent is not None:
        ElementTree.SubElement(element, f"{{{THREAD}}}in-reply-to", {
            "ref": entry_id(origin, entry.parent),
            "href": _clean(permalink(entry.page, entry.parent)),
            "type": "text/html",
        })
    # The stored HTML is the sanitiser's output (render.py), shown as it is on the page.
    _text(element, "content", entry.html).set("type", "html")


def _title(entry: Entry) -> str:
    """The start of the comment's text as the page shows it, else its author's name."""
    words = visible(_plain(entry.html))
    if len(words) > TITLE_LENGTH:
        words = words[:TITLE_LENGTH - 1].rstrip() + "…"
    return words or entry.author


class _Text(HTMLParser):
    """The text of sanitised HTML, without its markup."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)

    def handle_starttag(self, tag: str, attrs) -> None:
        self.parts.append(" ")  # paragraphs and line breaks part words


def _plain(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    parser.close()
    return "".join(parser.parts)


def _urn(origin: str, name: str) -> str:
    return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, f'{origin}/#kommentar:{name}')}"


def _atom(tag: str) -> str:
    return f"{{{ATOM}}}{tag}"


def _clean(text: str) -> str:
    return _NOT_XML.sub("", text)


def _text(parent: ElementTree.Element, tag: str, text: str | None) -> ElementTree.Element:
    element = ElementTree.SubElement(parent, _atom(tag))
    element.text = _clean(text or "")
    return element


def _link(parent: ElementTree.Element, rel: str, href: str, kind: str) -> None:
    ElementTree.SubElement(parent, _atom("link"), {"rel": rel, "href": _clean(href),
                                                   "type": kind})
