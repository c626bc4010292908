"""Restoring an export into an empty database: every row back as it was, ids included, so each
thread document is the same to the byte and every ``#kommentar-123`` permalink still finds
its comment; accounts keep their password hashes and votes their voters, so signing in and
"one vote per voter" carry on as before (with the same ``secret_key``, which keyed the IP
hashes and signed the voter tokens).

The whole file goes in as one transaction (``writing()``, as every write to threads does),
each line checked as it is read (``reader``): a malformed line, a row the database refuses,
or a thread on a site this server is not configured for rolls all of it back. Thread counts
are recounted on the way out, and on PostgreSQL each table's id sequence is set past the
restored ids inside the same transaction, so the next comment gets an id of its own.
A database that holds anything already is merged into instead, like any import
(``imports/kommentar``).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from peewee import DataError, IntegrityError

from .. import urls
from ..comments import Policy
from ..db import database, insert_rows, is_postgres
from ..errors import KommentarError
from ..imports.importer import Progress, Refused
from ..imports.records import Malformed
from ..thread_writes import writing
from . import KINDS, counted
from .reader import Header, Row, read

BATCH = 500  # rows per INSERT: a comment's 25 columns stay far under SQLite's 32,766 parameters
# Past the highest id restored (the next one handed out is the value set).
_SEQUENCE = ("SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), "
             "COALESCE(MAX(\"id\"), 0) + 1, false) FROM \"{table}\"")


def is_empty() -> bool:
    """Whether the database holds none of what a restore brings back (accounts, threads,
    comments, votes, bans, audit entries): only then are the file's ids free to take."""
    return not any(model.select().exists() for model in KINDS.values())


@dataclass
class Restored:
    """What a restore wrote (or, on a dry run, would have), by table."""

    counts: Counter = field(default_factory=Counter)
    dry_run: bool = False

    def summary(self) -> str:
        verb = "would restore" if self.dry_run else "restored"
        return f"{verb} {counted(self.counts)}, each with the id it had"


class _DryRun(Exception):
    """Raised once a dry run has written everything, so its transaction rolls back."""


@dataclass
class _Restoring:
    policy: Policy
    progress: Progress
    restored: Restored
    threads: list[int] = field(default_factory=list)
    foreign: set[str] = field(default_factory=set)
    pending: list[Row] = field(default_factory=list)

    def add(self, row: Row) -> None:
        if self.foreign and row.kind != "thread":  # the threads are all read: stop here
            self.refuse_foreign()
        if self.pending and (self.pending[0].kind != row.kind or len(self.pending) >= BATCH):
            self.flush()
        if row.kind == "thread":
            self.threads.append(row.values["id"])
            origin = _origin(row)
            if origin not in self.policy.origins:
                self.foreign.add(origin)
        self.pending.append(row)
        self.restored.counts[row.kind] += 1
        written = sum(self.restored.counts.values())
        if written % 1000 == 0:
            self.progress.restoring(written)

    def flush(self) -> None:
        """Insert the rows waiting; Malformed, naming their lines, if the database refuses."""
        if not self.pending:
            return
        rows, self.pending = self.pending, []
        model = KINDS[rows[0].kind]
        try:
            insert_rows(model, [row.values for row in rows])
        except (IntegrityError, DataError) as error:
            where = rows[0].where if len(rows) == 1 else f"{rows[0].where} to {rows[-1].where}"
            raise Malformed("the database refuses a row: " + " ".join(str(error).split()),
                            where) from None

    def refuse_foreign(self) -> None:
        if self.foreign:
            raise Refused("threads on sites this server is not configured for (add them to "
                          "origins): " + ", ".join(sorted(self.foreign)))


def _origin(row: Row) -> str:
    try:
        return urls.origin_of(row.values["url"])
    except KommentarError as error:
        raise Malformed(f"the thread's url: {error.message}", row.where) from None


def restore(path: Path, policy: Policy, dry_run: bool = False,
            progress: Progress | None = None) -> Restored:
    """Restore the export at ``path`` into this empty database (see ``is_empty``); Malformed
    or Refused, with nothing written, when it cannot be. A dry run writes it all and rolls
    it back, so it proves everything a restore would."""
    restoring = _Restoring(policy, progress or Progress(None), Restored(dry_run=dry_run))
    try:
        with writing() as changes:
            for item in read(path):
                if not isinstance(item, Header):
                    restoring.add(item)
            restoring.refuse_foreign()
            restoring.flush()
            if is_postgres():
                _catch_up()
            changes.recount(restoring.threads)
            if dry_run:
                raise _DryRun
    except _DryRun:
        pass
    restoring.progress.done()
    return restoring.restored


def _catch_up() -> None:
    """On PostgreSQL: each id sequence past the ids restored, and the planner's figures for
    the tables just filled (without them the recount scans every comment once per thread)."""
    tables = [model._meta.table_name for model in KINDS.values()]
    for table in tables:
        database.execute_sql(_SEQUENCE.format(table=table))
    database.execute_sql("ANALYZE " + ", ".join(f'"{table}"' for table in tables))
