"""Disqus's XML export (``<disqus xmlns="http://disqus.com">``), streamed.

The file lists ``<category>``s, then ``<thread dsq:id>``s (a page: ``<link>``, ``<title>``,
``<id>`` the site's ``disqus_identifier``, ``<isClosed>``, ``<isDeleted>``), then
``<post dsq:id>``s (a comment: ``<message>`` HTML, ``<createdAt>`` in UTC, ``<isDeleted>``,
``<isSpam>``, ``<author><name>``, ``<ipAddress>``, ``<thread dsq:id>``, ``<parent dsq:id>``),
replies often before their parents and some posts on threads the file lacks. The source is
the forum (``disqus:<forum>``). Spam stays spam; a deleted post is left out unless replies
hang under it. A deleted thread's posts are skipped and counted: Disqus no longer shows
them anywhere, and an import should not bring back what the site's owner removed. E-mail
addresses and user names stay behind.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

from ..models import DELETED, PUBLISHED, SPAM
from .records import (
    Malformed,
    Record,
    Skipped,
    Source,
    SourceComment,
    SourceThread,
    utc_time,
)
from .xmlfile import Element, attribute, fields, local, records, text


def read(path: Path, site: str | None) -> Iterator[Record]:
    """The export's records (``site`` is not needed: Disqus links are absolute)."""
    source = None
    deleted: set[str] = set()  # threads Disqus deleted: their posts are skipped
    for element, where in records(path, "disqus", 1, "a Disqus export"):
        kind, parts = local(element.tag), fields(element)
        if source is None and text(parts.get("forum")):
            source = Source(f"disqus:{text(parts['forum'])}")
            yield source
        if kind == "thread":
            thread = _thread(element, parts)
            if _true(parts, "isDeleted"):
                deleted.add(thread.id)
            else:
                yield thread
        elif kind == "post":
            if source is None:
                raise Malformed("a post comes before any thread or category names its forum",
                                where)
            yield _post(element, parts, deleted, where)


def _true(parts: dict[str, Element], name: str) -> bool:
    return text(parts.get(name)).lower() == "true"


def _thread(element: Element, parts: dict[str, Element]) -> SourceThread:
    return SourceThread(id=attribute(element, "id"), url=text(parts.get("link")),
                        title=text(parts.get("title")), locked=_true(parts, "isClosed"),
                        identifier=text(parts.get("id")) or None)


def _post(element: Element, parts: dict[str, Element], deleted: set[str],
          where: str) -> Record:
    # A few old exports lack dsq:id on a post; its own <id> is as stable.
    post_id = attribute(element, "id") or text(parts.get("id"))
    thread = attribute(parts.get("thread"), "id")
    if not post_id:
        return Skipped("without an id", where)
    if thread in deleted:
        return Skipped("on a deleted thread", where)
    status = (DELETED if _true(parts, "isDeleted") else SPAM if _true(parts, "isSpam")
              else PUBLISHED)
    author = fields(parts["author"]) if "author" in parts else {}
    return SourceComment(
        id=post_id, thread=thread, parent=attribute(parts.get("parent"), "id") or None,
        created=_time(text(parts.get("createdAt")), where), status=status,
        name=text(author.get("name")), html=text(parts.get("message")),
        ip=text(parts.get("ipAddress")) or None, where=where)


def _time(value: str, where: str) -> datetime:
    """A Disqus time (``2011-08-31T15:16:29Z``) as UTC without tzinfo."""
    try:
        return utc_time(value)
    except ValueError:
        raise Malformed(f"the time {value!r} is not an ISO 8601 time", where) from None
