"""Another Kommentar's export (``kommentar export``), merged into a database that already has
comments: its threads and comments go in like any other import's, with new ids. (Into an
empty database the same file is restored exactly instead: ``backup.restore``.)

A comment written by an account keeps its author's name, not the account: accounts, votes,
bans and the audit log belong to the other server and stay behind, counted in the summary.
Votes come along as each comment's up and down counts. A comment whose text is its HTML
(one imported as HTML only) stays HTML; any other comment's text is Markdown and is
rendered again. Threads that the page names with ``data-id`` keep that id. The comments'
source is the exporting server, named by its origins, so a newer export from it adds only
what is new.

A comment that is here already, at its id, in its thread, written at the same moment, and
not by this merge, is the same comment: this database was restored from the export (and the
restore is being run again) or wrote it. It is left as it is, so neither adds a copy.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from ..backup import NAMES
from ..backup.reader import Header, Row
from ..backup.reader import read as read_export
from ..models import Comment
from .records import Record, Skipped, Source, SourceComment, SourceThread

SCOPE_LENGTH = 200  # the import_source column's
BATCH = 1000  # comments looked up at once
EXPLICIT = "id:"  # how urls.thread_key marks a thread named by data-id


def scope(header: Header) -> str:
    """Where the file's comments come from: its server, by the origins it served."""
    return f"kommentar:{' '.join(sorted(header.origins)) or 'unnamed'}"[:SCOPE_LENGTH]


def read(path: Path, site: str | None) -> Iterator[Record]:
    names: dict[int, str] = {}  # account id -> username, to sign their comments
    comments: list[Row] = []
    source = ""
    for item in read_export(path):
        if isinstance(item, Header):
            source = scope(item)
            yield Source(source)
        elif item.kind == "comment":
            comments.append(item)
            if len(comments) >= BATCH:
                yield from _comments(comments, source, names)
                comments = []
        else:
            yield from _comments(comments, source, names)
            comments = []
            if item.kind == "thread":
                yield _thread(item.values)
            else:
                if item.kind == "user":
                    names[item.values["id"]] = item.values["username"]
                yield Skipped(NAMES[item.kind], item.where)
    yield from _comments(comments, source, names)


def _comments(rows: list[Row], source: str, names: dict[int, str]) -> Iterable[Record]:
    """The comments to import, and those here already (see above) as skipped. (What this
    merge wrote is not "here already": the importer reads the file a second time to write
    it, and must find the same comments to import as it planned the first time.)"""
    if not rows:
        return
    here = set(Comment.select(Comment.id, Comment.created, Comment.thread)
               .where(Comment.id.in_([row.values["id"] for row in rows])
                      & (Comment.import_source.is_null() | (Comment.import_source != source)))
               .tuples())
    for row in rows:
        values = row.values
        if (values["id"], values["created"], values["thread"]) in here:
            yield Skipped("comments here already (restored from this export)", row.where)
        else:
            yield _comment(row, names)


def _thread(values: dict[str, Any]) -> SourceThread:
    key = values["key"]
    return SourceThread(id=str(values["id"]), url=values["url"], title=values["title"],
                        locked=values["locked"],
                        identifier=key[len(EXPLICIT):] if key.startswith(EXPLICIT) else None)


def _comment(row: Row, names: dict[int, str]) -> SourceComment:
    values = row.values
    text, html = values["text"], values["html"]
    # Markdown always renders to something other than itself (a paragraph at least), so a
    # text equal to its HTML is HTML: an import that had no Markdown keeps it that way.
    body = {"html": html} if text == html else {"markdown": text}
    parent = values["parent"]
    return SourceComment(
        id=str(values["id"]), thread=str(values["thread"]),
        parent=None if parent is None else str(parent), created=values["created"],
        edited=values["edited"], status=values["status"],
        name=names[values["author"]] if values["author"] else values["name"],
        up=values["up"], down=values["down"], where=row.where, **body)
