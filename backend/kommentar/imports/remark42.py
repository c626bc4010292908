"""Remark42's backup: what ``remark42 backup`` and its daily automatic backups write, one JSON
object per line (usually gzipped).

The first line is the site's metadata (``version``, ``users``, ``posts``); of it only the
posts marked ``read_only`` matter here: their threads are locked. Every other line is one
comment with its page's absolute URL (``locator.url``) and Remark42's site id
(``locator.site``, the import's scope). ``orig`` is the Markdown the commenter wrote, which
our renderer makes HTML of; Remark42 stores it HTML-escaped (``&gt;`` for ``>``), so it is
unescaped first. A comment without ``orig`` (one Remark42 itself imported) keeps its HTML
``text``, sanitised. ``delete`` marks a deleted comment. Remark42 has no moderation queue,
so everything else is published. Times are RFC 3339 with an offset, stored in UTC.

Votes: Remark42's ``score`` is ups minus downs and the voter map (``votes``) is left out of
backups, but ``controversy``, (ups + downs) ** (fewer / more), is kept, and together they give
both counts back. Left behind: user ids, avatars, e-mail details, pins, and the IP address,
which Remark42 has already replaced by an HMAC under its own secret: hashing that again
would match nobody who visits this site, so it would serve no ban or limit, only keep data.
"""

from __future__ import annotations

import html as entities
import math
from collections.abc import Iterator
from pathlib import Path

from ..models import DELETED, PUBLISHED, Comment
from ..urls import MAX_URL_LENGTH
from .json_records import field, json_lines, moment
from .records import Malformed, Record, Source, SourceComment, SourceThread

VERSIONS = (0, 1)  # what Remark42's own restore accepts
PREFIX = "remark42:"
ID_LENGTH = Comment.import_id.max_length
SITE_LENGTH = Comment.import_source.max_length - len(PREFIX)
MAX_VOTES = 10**9


def read(path: Path, site: str | None) -> Iterator[Record]:
    """The backup's comments, then its threads (a thread's title and lock are known only
    once its comments and the metadata are read). ``site`` is not needed: URLs are whole."""
    locked: set[str] | None = None  # read-only URLs, once the metadata line is read
    titles: dict[str, str] = {}  # each thread's URL -> its title, once one comment names it
    scope = None
    for number, record in json_lines(path):
        where = f"line {number}"
        if not isinstance(record, dict):
            raise Malformed("not a JSON object", where)
        if number == 1 and "locator" not in record:
            if not {"users", "posts"} & record.keys():
                raise Malformed("not a Remark42 backup: the first line is neither its metadata "
                                "nor a comment", where)
            locked = _read_only(record, where)
            continue
        site_id = field(record, "locator.site", str, where, "", limit=SITE_LENGTH)
        if scope is None:
            scope = site_id
            yield Source(PREFIX + scope)
        elif site_id != scope:
            raise Malformed(f"a comment of site {site_id!r} in a backup of {scope!r}", where)
        comment = _comment(record, where)
        title = field(record, "title", str, where, "")
        if not titles.get(comment.thread):
            titles[comment.thread] = title
        yield comment
    if scope is None and locked is not None:
        yield Source(PREFIX)  # a backup without comments: nothing to import, and no error
    for url, title in titles.items():
        yield SourceThread(id=url, url=url, title=title, locked=url in (locked or ()))


def _read_only(meta: dict, where: str) -> set[str]:
    """The metadata line's read-only posts (their URLs); its version checked."""
    version = field(meta, "version", int, where, 0)
    if version not in VERSIONS:
        raise Malformed(f"unsupported Remark42 backup version {version}", where)
    posts = field(meta, "posts", list, where, [])
    return {field(post, "url", str, f"{where}, posts[{index}]")
            for index, post in enumerate(posts)
            if field(post, "read_only", bool, f"{where}, posts[{index}]", False)}


def _comment(record: dict, where: str) -> SourceComment:
    deleted = field(record, "delete", bool, where, False)
    orig = field(record, "orig", str, where, "")
    up, down = _votes(record, where)
    return SourceComment(
        id=field(record, "id", str, where, limit=ID_LENGTH),
        thread=field(record, "locator.url", str, where, limit=MAX_URL_LENGTH),
        parent=field(record, "pid", str, where, "", limit=ID_LENGTH) or None,
        created=moment(record, "time", where), edited=moment(record, "edit.time", where, None),
        status=DELETED if deleted else PUBLISHED, name=field(record, "user.name", str, where, ""),
        markdown=entities.unescape(orig) if orig else None,
        html=None if orig else field(record, "text", str, where, ""),
        up=up, down=down, where=where)


def _votes(record: dict, where: str) -> tuple[int, int]:
    """(up, down): counted from the voter map where an old backup has it, else split from
    the score by the controversy."""
    voters = field(record, "votes", dict, where, {})
    if voters:
        if not all(isinstance(value, bool) for value in voters.values()):
            raise Malformed("'votes' should map voters to true (up) or false (down)", where)
        ups = sum(voters.values())
        return ups, len(voters) - ups
    score = field(record, "score", int, where, 0)
    fewer = _fewer(abs(score), field(record, "controversy", float, where, 0))
    more = fewer + abs(score)
    return (more, fewer) if score >= 0 else (fewer, more)


def _fewer(margin: int, controversy: float) -> int:
    """The smaller of the up and down counts whose controversy, (2 * fewer + margin) **
    (fewer / (fewer + margin)), is the one given; 0 when none is (Remark42 writes 0 for a
    comment voted one way only). It grows with ``fewer``, so a bisection finds it."""
    if not controversy > 0:
        return 0

    def of(fewer: int) -> float:
        return (2 * fewer + margin) ** (fewer / (fewer + margin))

    low, high = 1, MAX_VOTES
    while low < high:
        middle = (low + high) // 2
        if of(middle) < controversy:
            low = middle + 1
        else:
            high = middle
    return low if math.isclose(of(low), controversy, rel_tol=1e-9) else 0
