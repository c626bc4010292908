"""The database: one peewee proxy filled at start-up, pooled connections, migrations.

SQLite runs in WAL mode with foreign keys on, a busy timeout and every
transaction opened ``BEGIN IMMEDIATE`` after its turn in a queue of writers
(``sqlite.py``), so concurrent writers from several processes take turns instead
of failing with "database is locked" half-way through. Any other peewee database
URL (``postgresql://...``) is used as given. SQLite and PostgreSQL connections are
pooled: a request borrows one and gives it back when it ends, so neither connecting
nor SQLite's pragmas are paid per request (together they cost more than a cached
thread read). The schema carries a version number; ``migrate`` brings any older
database up to date in order, one transaction per step, so upgrades keep data.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable

from peewee import (
    Database,
    DatabaseProxy,
    IntegerField,
    Model,
    OperationalError,
    PostgresqlDatabase,
    fn,
)
from playhouse.db_url import connect as connect_url
from playhouse.migrate import SchemaMigrator
from playhouse.migrate import migrate as run_migrations
from playhouse.pool import PooledSqliteDatabase

from .sqlite import QueuedSqliteDatabase

database = DatabaseProxy()

SQLITE_PRAGMAS = {
    "journal_mode": "wal",
    "foreign_keys": 1,
    "synchronous": "normal",  # durable across process crashes in WAL mode; fsync at checkpoints
    "busy_timeout": 10_000,
    "cache_size": -16_000,  # 16 MB page cache per connection
}

# A pooled connection is replaced after five minutes, so one the database side dropped (a
# restart, an idle timeout) does not linger; PostgreSQL's are also checked when borrowed.
# No cap on their number: each worker thread holds at most one.
POOL = {"max_connections": None, "stale_timeout": 300}


def open_database(url: str) -> Database:
    """Build (without connecting) the peewee database a URL names."""
    if url.startswith("sqlite:///"):
        path = url[len("sqlite:///"):]
        # No connect timeout: busy_timeout among the pragmas is SQLite's, and a pool's
        # "timeout" would be how long to wait for a free connection.
        options = dict(pragmas=SQLITE_PRAGMAS, lock_type="IMMEDIATE", check_same_thread=False,
                       **POOL)
        if not path or path == ":memory:":
            return PooledSqliteDatabase(path, **options)
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        # It holds password hashes: readable by the server's user only (SQLite gives its
        # -wal and -shm files the same mode).
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
        return QueuedSqliteDatabase(path, wait=SQLITE_PRAGMAS["busy_timeout"] / 1000, **options)
    scheme, _, rest = url.partition("://")
    if scheme in ("postgres", "postgresql"):
        return connect_url(f"{scheme}+pool://{rest}", autoconnect=True, **POOL)
    return connect_url(url, autoconnect=True)


def init_app(app) -> None:
    """Point the proxy at the configured database; a request borrows a connection at its first
    query (so /embed.js never touches the database) and gives it back when it ends."""
    disconnect()  # an earlier app's pool in this process (tests build many apps)
    database.initialize(open_database(app.config["DATABASE_URL"]))
    migrate()
    disconnect()  # servers fork their workers next, and a connection must not be shared

    @app.teardown_request
    def _close(_exc: BaseException | None) -> None:
        if not database.is_closed():
            database.close()


def disconnect() -> None:
    """Close every connection this process holds, the pool's idle ones too."""
    if database.obj is not None:
        getattr(database.obj, "close_all", database.obj.close)()


def is_postgres() -> bool:
    """Whether the configured database is PostgreSQL (row locks and advisory locks exist)."""
    return isinstance(database.obj, PostgresqlDatabase)


# --- migrations -----------------------------------------------------------------------------

class SchemaVersion(Model):
    """One row per migration applied."""

    version = IntegerField(primary_key=True)

    class Meta:
        database = database
        table_name = "kommentar_schema"


def _initial_schema(db: Database) -> None:
    """Version 1: the comment server's tables as first shipped (comments, votes, accounts).

    Only an empty database starts here, and it is built at once from today's models (see
    ``migrate``), so this step names no columns of its own."""


def _moderation(db: Database) -> None:
    """Version 2: pinning, spam reasons, undoable deletion, bans and the audit log."""
    from .models import AuditEntry, Ban, Comment

    migrator = SchemaMigrator.from_database(db)
    # Not through the migrator: on SQLite it adds a NOT NULL column by rebuilding the table,
    # and dropping the old one fires ON DELETE CASCADE on every reply. Plain SQL keeps them.
    db.execute_sql('ALTER TABLE "comment" ADD COLUMN "pinned" BOOLEAN NOT NULL DEFAULT FALSE')
    run_migrations(
        migrator.add_column("comment", "spam_reason", Comment.spam_reason),
        migrator.add_column("comment", "status_before", Comment.status_before),
        migrator.add_column("comment", "status_changed", Comment.status_changed),
        migrator.add_column("comment", "fingerprint", Comment.fingerprint),
        migrator.add_index("comment", ("status", "id")),
        migrator.add_index("comment", ("ip_hash", "id")),
        migrator.add_index("comment", ("fingerprint", "created")),
    )
    db.create_tables([Ban, AuditEntry])


def _listing_indexes(db: Database) -> None:
    """Version 3: a version number per thread, which the workers' document caches check,
    and indexes that hand out a page of top-level comments already in order."""
    db.execute_sql('ALTER TABLE "thread" ADD COLUMN "version" INTEGER NOT NULL DEFAULT 0')
    for statement in (
        'DROP INDEX "comment_thread_id_parent_id_id"',
        'DROP INDEX "comment_thread_id_parent_id_score_id"',
        'CREATE INDEX "comment_listing_oldest" ON "comment" '
        '("thread_id", "depth", "pinned" DESC, "id")',
        'CREATE INDEX "comment_listing_newest" ON "comment" ("thread_id", "depth", "pinned", "id")',
        'CREATE INDEX "comment_listing_best" ON "comment" '
        '("thread_id", "depth", "pinned" DESC, "score" DESC, "id")',
    ):
        db.execute_sql(statement)


MIGRATIONS: list[Callable[[Database], None]] = [
    _initial_schema,
    _moderation,
    _listing_indexes,
    # Append new steps here; never edit a step that has shipped. Use playhouse.migrate's
    # schema migrator for nullable columns and indexes; anything that would make it rebuild
    # a SQLite table (NOT NULL, renames, type changes) loses rows through ON DELETE CASCADE.
]

SCHEMA_VERSION = len(MIGRATIONS)
_MIGRATION_LOCK = 7345012  # PostgreSQL advisory lock id: one migrating worker at a time


def schema_version() -> int:
    """The version the connected database is at (0 for an empty database)."""
    if not SchemaVersion.table_exists():
        return 0
    return SchemaVersion.select(fn.MAX(SchemaVersion.version)).scalar() or 0


def _connect_patiently(db: Database) -> None:
    """Connect, retrying while another process turns a fresh SQLite file to WAL: that switch
    needs a lock SQLite's busy timeout does not wait for, so starters could collide."""
    deadline = time.monotonic() + SQLITE_PRAGMAS["busy_timeout"] / 1000
    while True:
        try:
            db.connect(reuse_if_open=True)
            return
        except OperationalError as error:
            if is_postgres() or "locked" not in str(error) or time.monotonic() > deadline:
                raise
            time.sleep(0.02)


def migrate() -> int:
    """Apply every migration the database lacks, in order; return the resulting version."""
    db = database.obj
    _connect_patiently(db)
    with db.connection_context():
        with db.atomic():
            if is_postgres():
                db.execute_sql("SELECT pg_advisory_xact_lock(%s)", (_MIGRATION_LOCK,))
            SchemaVersion.create_table(safe=True)
            if schema_version() == 0:  # an empty database is built as it is today, in one go
                from .models import MODELS

                db.create_tables(MODELS)
                SchemaVersion.insert_many([(v,) for v in range(1, SCHEMA_VERSION + 1)],
                                          fields=[SchemaVersion.version]).execute()
        for version, step in enumerate(MIGRATIONS, start=1):
            with db.atomic():  # BEGIN IMMEDIATE on SQLite: concurrent starters queue here
                if is_postgres():
                    db.execute_sql("SELECT pg_advisory_xact_lock(%s)", (_MIGRATION_LOCK,))
                SchemaVersion.create_table(safe=True)
                if schema_version() >= version:
                    continue
                step(db)
                SchemaVersion.create(version=version)
        return schema_version()
