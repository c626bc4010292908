"""What every format's reader hands the importer: the source, its threads and its comments,
in whatever order the file holds them, and what it skipped and why.

A reader is a generator over one file (``read(path, site)``) that yields these records as
it streams through the file, never holding it whole, and raises ``Malformed`` at the first
thing it cannot read, naming where. The importer reads a file twice (once to check it, once
to write), so a reader must yield the same records each time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from ..models import DELETED, PENDING, PUBLISHED, SPAM

STATUSES = (PUBLISHED, PENDING, SPAM, DELETED)


def utc_time(text: str) -> datetime:
    """An ISO 8601 time (``2011-08-31T15:16:29Z``) in UTC without tzinfo, as stored; one
    without an offset is taken as UTC. ValueError if it is not a time."""
    try:
        moment = datetime.fromisoformat(text)
        return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment
    except OverflowError:  # a time at the edge of the calendar, moved past it
        raise ValueError(f"{text!r} is out of range") from None


class Malformed(Exception):
    """The file cannot be read; ``where`` is "line L, column C" or "record N"."""

    def __init__(self, message: str, where: str | None = None):
        super().__init__(f"{where}: {message}" if where else message)
        self.message, self.where = message, where


@dataclass(frozen=True)
class Source:
    """Where the file's comments come from: ``scope`` is the format and the source's own site
    or forum ("disqus:myblog"). Yielded once, before the first comment."""

    scope: str


@dataclass(frozen=True)
class SourceThread:
    """A page with comments. ``url`` is absolute, or a path for formats that keep only paths
    (made absolute with ``--site``); ``identifier`` is a site's own thread id (Disqus's
    ``disqus_identifier``), used with ``--thread-key identifier``."""

    id: str
    url: str
    title: str = ""
    locked: bool = False
    identifier: str | None = None


@dataclass(frozen=True)
class SourceComment:
    """One comment. ``created`` is UTC without tzinfo. Its text is ``markdown`` (a source the
    renderer makes HTML of, kept for editing) or ``html`` (sanitised, then shown and edited
    as it is; with ``breaks`` its line breaks are meant as shown, as WordPress's are); a
    deleted comment needs neither."""

    id: str
    thread: str
    parent: str | None
    created: datetime
    status: str
    name: str = ""
    markdown: str | None = None
    html: str | None = None
    breaks: bool = False
    up: int = 0
    down: int = 0
    ip: str | None = None
    edited: datetime | None = None
    where: str | None = None  # in the file, for reports: "line 12" or "record 3"


@dataclass(frozen=True)
class Skipped:
    """Something the file holds that is not imported on purpose (trash, pingbacks), by reason."""

    reason: str
    where: str | None = None


Record = Source | SourceThread | SourceComment | Skipped
