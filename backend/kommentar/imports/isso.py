"""Isso's SQLite database (0.12 to 0.14), read in place and never written.

Isso keeps page paths (``/post/1/``), so threads need ``--site``. Its comments are
Markdown; ``mode`` 1 is published, 2 waits for a moderator, 4 is a deleted comment Isso
kept because replies hang under it. Times are Unix timestamps in UTC; ``remote_addr`` is
already cut to its network by Isso and is hashed again here like any address. Likes and
dislikes become the comment's votes. E-mail addresses and websites stay behind.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from ..models import DELETED, PENDING, PUBLISHED
from .records import Malformed, Record, Skipped, Source, SourceComment, SourceThread

MODES = {1: PUBLISHED, 2: PENDING, 4: DELETED}
_COMMENTS = ("SELECT id, tid, parent, created, modified, mode, remote_addr, text, author, "
             "likes, dislikes FROM comments ORDER BY id")


def _connect(path: Path) -> sqlite3.Connection:
    try:
        connection = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        tables = {name for (name,) in
                  connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    except sqlite3.DatabaseError as error:
        raise Malformed(f"not an Isso database: {error}") from None
    if not {"threads", "comments"} <= tables:
        connection.close()
        raise Malformed("not an Isso database: it has no threads and comments tables")
    return connection


def _time(value: object, where: str) -> datetime:
    if not isinstance(value, int | float):
        raise Malformed(f"the time {value!r} is not a Unix timestamp", where)
    try:
        return datetime.fromtimestamp(value, UTC).replace(tzinfo=None)
    except (OverflowError, OSError, ValueError):
        raise Malformed(f"the time {value!r} is out of range", where) from None


def read(path: Path, site: str | None) -> Iterator[Record]:
    connection = _connect(path)
    try:
        yield Source(f"isso:{site or 'isso'}")
        try:
            for tid, uri, title in connection.execute("SELECT id, uri, title FROM threads"):
                yield SourceThread(id=str(tid), url=uri or "", title=title or "")
            for row in connection.execute(_COMMENTS):
                yield _comment(row)
        except sqlite3.DatabaseError as error:
            raise Malformed(f"cannot read the Isso database: {error}") from None
    finally:
        connection.close()


def _comment(row: tuple) -> Record:
    cid, tid, parent, created, modified, mode, address, text, author, likes, dislikes = row
    where = f"comment {cid}"
    if mode not in MODES:
        return Skipped(f"with Isso mode {mode}", where)
    return SourceComment(
        id=str(cid), thread=str(tid), parent=None if parent is None else str(parent),
        created=_time(created, where),
        edited=None if modified is None else _time(modified, where),
        status=MODES[mode], name=author or "", markdown=text or "",
        up=likes if isinstance(likes, int) else 0,
        down=dislikes if isinstance(dislikes, int) else 0,
        ip=address or None, where=where)
