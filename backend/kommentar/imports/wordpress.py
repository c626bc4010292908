"""WordPress's export (WXR 1.0 to 1.2: ``<rss><channel>`` with ``wp:`` elements), streamed
one ``<item>`` (a post or page, with its ``<wp:comment>``s) at a time.

The source is the blog (``wordpress:<host/path of wp:base_blog_url>``). Comment ids are the
blog's, keyed within their post (``<post_id>:<comment_id>``). Times are
``wp:comment_date_gmt``; where WordPress left it ``0000-00-00 00:00:00`` the site-local
``wp:comment_date`` is brought to UTC by the offset between the post's own local and GMT
dates (or taken as UTC when the post has none). Bodies are HTML whose plain line breaks are
meant as shown. ``wp:comment_approved`` 1 is published, 0 pending, spam spam; trash,
pingbacks, trackbacks and other comment types (plugins keep private things as comments:
WooCommerce's order notes, Action Scheduler's logs) are skipped and counted, as are the
comments of posts that are not public (drafts, private or password-protected posts), whose
comments WordPress never showed. Items without comments (attachments, menu items) yield
nothing. E-mail addresses and websites stay behind.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit

from ..models import PENDING, PUBLISHED, SPAM
from .records import Malformed, Record, Skipped, Source, SourceComment, SourceThread
from .xmlfile import Element, fields, local, records, text

APPROVED = {"1": PUBLISHED, "0": PENDING, "spam": SPAM}
TRASHED = {"trash", "post-trashed"}  # post-trashed: the comment went with its post
COMMENT_TYPES = {"", "comment"}
HIDDEN_POSTS = {"draft", "pending", "private", "trash", "auto-draft"}
_NO_TIME = "0000-00-00 00:00:00"


def read(path: Path, site: str | None) -> Iterator[Record]:
    """The export's records (``site`` is not needed: WordPress links are absolute)."""
    channel: dict[str, str] = {}  # the channel's own fields met so far
    source = None
    for element, where in records(path, "rss", 2, "a WordPress export (WXR)"):
        name = local(element.tag)
        if name != "item":
            channel.setdefault(name, text(element))
            continue
        if source is None:
            source = _source(channel, where)
            yield source
        yield from _item(element, where)
    if source is None:
        yield _source(channel, "the end of the file")


def _source(channel: dict[str, str], where: str) -> Source:
    blog = channel.get("base_blog_url") or channel.get("base_site_url")
    if not blog:
        raise Malformed("not a WordPress export (WXR): its channel has no wp:base_blog_url "
                        "or wp:base_site_url", where)
    parts = urlsplit(blog)
    # Scheme left out: the same blog moved to https is still the same source.
    return Source(f"wordpress:{parts.netloc.lower()}{parts.path.rstrip('/')}")


def _item(item: Element, where: str) -> Iterator[Record]:
    comments = [child for child in item if local(child.tag) == "comment"]
    if not comments:
        return
    parts = fields(item)
    post = text(parts.get("post_id"))
    if not post:
        raise Malformed("a post with comments has no wp:post_id", where)
    status = text(parts.get("status"))
    hidden = (f"on a {status} post" if status in HIDDEN_POSTS else
              "on a password-protected post" if text(parts.get("post_password")) else None)
    if hidden:
        yield from (Skipped(hidden, where) for _ in comments)
        return
    yield SourceThread(id=post, url=text(parts.get("link")), title=text(parts.get("title")),
                       locked=text(parts.get("comment_status")) == "closed")
    for comment in comments:
        yield _comment(fields(comment), post, parts, where)


def _comment(parts: dict[str, Element], post: str, item: dict[str, Element],
             where: str) -> Record:
    kind, approved = text(parts.get("comment_type")), text(parts.get("comment_approved"))
    if kind not in COMMENT_TYPES:
        return Skipped(f"{kind}s" if kind in ("pingback", "trackback") else
                       f"of comment type {kind}", where)
    if approved in TRASHED:
        return Skipped("trash", where)
    if approved not in APPROVED:
        return Skipped(f"with wp:comment_approved {approved!r}", where)
    cid, parent = text(parts.get("comment_id")), text(parts.get("comment_parent"))
    if not cid:
        raise Malformed(f"a comment of post {post} has no wp:comment_id", where)
    where = f"{where} (post {post}, comment {cid})"
    return SourceComment(
        id=f"{post}:{cid}", thread=post,
        parent=f"{post}:{parent}" if parent not in ("", "0") else None,
        created=_created(parts, item, where), status=APPROVED[approved],
        name=text(parts.get("comment_author")), html=text(parts.get("comment_content")),
        breaks=True, ip=text(parts.get("comment_author_IP")) or None, where=where)


def _created(parts: dict[str, Element], item: dict[str, Element], where: str) -> datetime:
    """The comment's time in UTC: its GMT time, else its local time less the offset the
    post's own dates show (local minus GMT), else its local time as it is."""
    created = _time(text(parts.get("comment_date_gmt")), where)
    if created is not None:
        return created
    local_time = _time(text(parts.get("comment_date")), where)
    if local_time is None:
        raise Malformed("the comment has no date", where)
    post_local = _time(text(item.get("post_date")), where)
    post_gmt = _time(text(item.get("post_date_gmt")), where)
    return local_time - (post_local - post_gmt) if post_local and post_gmt else local_time


def _time(value: str, where: str) -> datetime | None:
    """A WordPress time (``2024-05-01 12:00:00``); None when it is missing or all zeros."""
    if not value or value == _NO_TIME:
        return None
    try:
        return datetime.strptime(value, "%Y-%m-%d %H:%M:%S")
    except ValueError:
        raise Malformed(f"the time {value!r} is not a WordPress time", where) from None
