"""Commento's JSON export, version 1 (``{"version": 1, "comments": [...], "commenters":
[...]}``, usually gzipped), as Commento and Comentario 2 write it. Comentario 3's own export
(version 3) is not this format and is refused.

One document, so it is streamed with ijson, twice per read: once for the version and the
commenters' names (the list may come after the comments; the names are few), then comment by
comment. A comment's page is ``domain`` (Comentario: ``host``) and a path (Commento files it
under ``url``, Comentario under ``path``): the thread is ``https://DOMAIN/PATH``, or
``ORIGIN/PATH`` with ``--site ORIGIN`` (a site served over http, or moved). The scope is
``commento:DOMAIN``. ``markdown`` is the source our renderer makes HTML of; ``state``
approved is published, unapproved pending, flagged (Akismet's spam) spam. Commento marks a
deleted comment by rewriting it to ``[deleted]`` (its export leaves ``deleted`` false), so
that text, or none, is a deleted comment too. ``score`` (ups minus downs; the votes
themselves are not exported) becomes up votes, or down votes when negative. Left behind:
e-mail addresses, links and photos of commenters, moderator flags.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from dataclasses import field as default
from pathlib import Path

import ijson

from ..models import DELETED, PENDING, PUBLISHED, SPAM, Comment
from ..urls import MAX_URL_LENGTH
from .files import open_binary
from .json_records import field, json_events, json_fault, moment
from .records import Malformed, Record, Source, SourceComment, SourceThread

VERSION = 1
PREFIX = "commento:"
STATES = {"approved": PUBLISHED, "unapproved": PENDING, "flagged": SPAM}
ANONYMOUS = ("anonymous", "0" * 64)  # Commento's anonymous commenter, and Comentario's
ROOT = ("root", "")
ID_LENGTH = Comment.import_id.max_length
DOMAIN_LENGTH = Comment.import_source.max_length - len(PREFIX)
NAME_KEPT = 1000  # characters of a name worth holding on to (far past what is shown)


@dataclass
class _Header:
    """What the first pass over the document finds: its version, whether it has a comments
    list, the commenters' names and the domain of its first comment."""

    version: object = None
    listed: bool = False
    names: dict[str, str] = default(default_factory=dict)
    domain: str = ""


def read(path: Path, site: str | None) -> Iterator[Record]:
    """The export's threads and comments; ``site`` places the paths instead of the domain."""
    header = _header(path)
    yield Source(PREFIX + header.domain)
    threads: set[str] = set()
    for where, item in _comments(path):
        domain = (field(item, "domain", str, where, "") or field(item, "host", str, where, "")
                  ).strip()
        if domain != header.domain:
            raise Malformed(f"a comment on {domain!r} in an export of {header.domain!r}", where)
        page = (field(item, "path", str, where, "", limit=MAX_URL_LENGTH)
                or field(item, "url", str, where, "", limit=MAX_URL_LENGTH))
        url = _address(domain, page, site)
        if url not in threads:
            threads.add(url)
            yield SourceThread(id=url, url=url)
        yield _comment(item, url, header.names, where)


def _header(path: Path) -> _Header:
    """The first pass: checks the whole document is JSON of the right shape and version,
    naming the item it stopped in, and keeps what the comments need from elsewhere."""
    header = _Header()
    where = "the top level"
    counts = {"comments": -1, "commenters": -1}
    commenter: dict[str, object] = {}
    with open_binary(path) as stream:
        try:
            for prefix, event, value in json_events(stream):
                section, _, rest = prefix.partition(".")
                if prefix == "" and event not in ("start_map", "map_key", "end_map"):
                    raise Malformed("not a Commento export: the file is not a JSON object")
                if prefix in counts and event not in ("start_array", "end_array"):
                    raise Malformed(f"{prefix!r} should be a list")
                if rest == "item" and section in counts and event not in ("end_map",
                                                                          "end_array", "map_key"):
                    # an item of either list begins: what fails from here on fails in it
                    counts[section] += 1
                    where = f"{section}[{counts[section]}]"
                    commenter = {}
                if prefix == "version":
                    header.version = value
                elif prefix == "comments":
                    header.listed = True
                elif section == "comments" and rest in ("item.domain", "item.host"):
                    if not header.domain and isinstance(value, str):
                        header.domain = value.strip()
                elif section == "commenters" and rest in ("item.commenterHex", "item.name"):
                    if event not in ("string", "null"):
                        raise Malformed(f"{rest[5:]!r} should be text", where)
                    commenter[rest[5:]] = value
                elif prefix == "commenters.item" and event == "end_map":
                    if commenter.get("commenterHex") and commenter.get("name"):
                        header.names[commenter["commenterHex"]] = commenter["name"][:NAME_KEPT]
        except ijson.JSONError as error:
            raise Malformed(json_fault(error), where) from None
    if header.version is None:
        raise Malformed("not a Commento export: it has no version")
    if type(header.version) is not int or header.version != VERSION:
        raise Malformed(f"unsupported export version {header.version!r}: only version 1 "
                        "(Commento, Comentario 2) is read")
    if not header.listed:
        raise Malformed("not a Commento export: it has no comments list")
    if len(header.domain) > DOMAIN_LENGTH:
        raise Malformed(f"the domain is longer than {DOMAIN_LENGTH} characters")
    return header


def _comments(path: Path) -> Iterator[tuple[str, dict]]:
    """Each comment of the document with where it is ("comments[3]"). The first pass has
    checked the document's nesting, so ijson may parse it at full speed (its C parser keeps
    each event's prefix, which on a hostile nesting grows with the square of the depth)."""
    index = -1
    with open_binary(path) as stream:
        try:
            for index, item in enumerate(ijson.items(stream, "comments.item")):
                if not isinstance(item, dict):
                    raise Malformed("not a JSON object", f"comments[{index}]")
                yield f"comments[{index}]", item
        except ijson.JSONError as error:
            raise Malformed(json_fault(error), f"comments[{index + 1}]") from None


def _address(domain: str, page: str, site: str | None) -> str:
    """The page's URL, or its path alone when ``--site`` places it (or no domain can)."""
    if page.startswith(("http://", "https://")):
        return page
    path = "/" + page.lstrip("/")
    if site or not domain:
        return path
    return f"{domain if '://' in domain else 'https://' + domain}{path}"


def _comment(item: dict, thread: str, names: dict[str, str], where: str) -> SourceComment:
    markdown = field(item, "markdown", str, where, "")
    deleted = field(item, "deleted", bool, where, False) or markdown.strip() in ("", "[deleted]")
    state = field(item, "state", str, where, "approved")
    if state not in STATES:
        raise Malformed(f"unknown state {state!r}", where)
    parent = field(item, "parentHex", str, where, "root", limit=ID_LENGTH)
    commenter = field(item, "commenterHex", str, where, "anonymous")
    score = field(item, "score", int, where, 0)
    return SourceComment(
        id=field(item, "commentHex", str, where, limit=ID_LENGTH), thread=thread,
        parent=None if parent in ROOT else parent, created=moment(item, "creationDate", where),
        status=DELETED if deleted else STATES[state],
        name="" if commenter in ANONYMOUS else names.get(commenter, ""),
        markdown=markdown, up=max(score, 0), down=max(-score, 0), where=where)
