"""The database: one peewee proxy filled at start-up, pooled connections, migrations.

SQLite runs in WAL mode with foreign keys on, a busy timeout and every
transaction opened ``BEGIN IMMEDIATE`` after its turn in a queue of writers
(``sqlite.py``), so concurrent writers from several processes take turns instead
of failing with "database is locked" half-way through. Any other peewee database
URL (``postgresql://...``) is used as given. SQLite and PostgreSQL connections are
pooled: a request borrows one and gives it back when it ends, so neither connecting
nor SQLite's pragmas are paid per request (together they cost more than a cached
thread read). The schema and its upgrades are ``migrations.py``'s: this module knows no
table, so the models and the migrations import it and it imports neither.

``execute`` and ``insert`` serve the hot write paths, whose small statements peewee took
longer to build than the database took to run: a statement written once as SQL, and a
model's INSERT built once (``insert_rows`` for many rows, as a restore writes them).
"""

from __future__ import annotations

import functools
import os
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager

from peewee import Database, DatabaseProxy, Field, Model, OperationalError, PostgresqlDatabase
from playhouse.db_url import connect as connect_url
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
    query (so /embed.js never touches the database) and gives it back when it ends.

    ``migrations.init_app`` runs next and closes every connection again, before servers fork."""
    disconnect()  # an earlier app's pool in this process (tests build many apps)
    database.initialize(open_database(app.config["DATABASE_URL"]))

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


@contextmanager
def snapshot() -> Iterator[None]:
    """A read-only transaction that sees the whole database as it was when it began, however
    many statements it takes (an export reads every table): REPEATABLE READ on PostgreSQL,
    and on SQLite a deferred transaction, which takes no writer's turn, so writers go on
    beside it (WAL keeps the reader's snapshot)."""
    with database.atomic("REPEATABLE READ" if is_postgres() else "DEFERRED"):
        if is_postgres():
            database.execute_sql("SET TRANSACTION READ ONLY")
        yield


def execute(sql: str, params: Sequence[object] = ()):
    """Send one statement written as SQL, its placeholders written ``?`` (as SQLite takes
    them; they become ``%s`` for PostgreSQL); return the cursor.

    For the hot write paths: peewee takes longer to build a small statement than the
    database takes to run it. Sent through ``execute_sql`` all the same, so it is counted
    and recorded like peewee's own statements."""
    return database.execute_sql(_for_postgres(sql) if is_postgres() else sql, params)


@functools.cache
def _for_postgres(sql: str) -> str:
    return sql.replace("?", "%s")  # our statements carry no "?" and no "%" of their own


CHUNK = 500  # ids per IN list: far below SQLite's and PostgreSQL's parameter limits


def batches(ids: Iterable[int]) -> list[list[int]]:
    """The distinct ids in order, ``CHUNK`` at a time (peewee's ``chunked`` pads every batch
    to ``CHUNK`` and trims it again, which costs more than a one-row write)."""
    ordered = sorted(set(ids))
    return [ordered[start:start + CHUNK] for start in range(0, len(ordered), CHUNK)]


def placeholders(count: int) -> str:
    """``?, ?, ...``: ``count`` placeholders, for an IN list in an ``execute`` statement."""
    return ", ".join(["?"] * count)


def insert(row: Model) -> None:
    """Write a new row (a model instance without its id yet) and give it its id: the INSERT
    peewee's ``save`` would send, built once per model and set of columns."""
    sql, fields = _inserting(type(row), tuple(row.__data__))
    cursor = execute(sql, [field.db_value(row.__data__[field.name]) for field in fields])
    setattr(row, row._meta.primary_key.name, cursor.fetchone()[0])


@functools.cache
def _inserting(model: type[Model], given: tuple[str, ...]) -> tuple[str, list[Field]]:
    key = model._meta.primary_key
    fields = [field for field in model._meta.sorted_fields
              if field.name in given and field is not key]
    columns = ", ".join(f'"{field.column_name}"' for field in fields)
    values = ", ".join(["?"] * len(fields))
    return (f'INSERT INTO "{model._meta.table_name}" ({columns}) VALUES ({values}) '  # noqa: S608
            f'RETURNING "{key.column_name}"', fields)


def insert_rows(model: type[Model], rows: Sequence[dict]) -> None:
    """Write rows of a model as they are, ids included (every column named in each, by field
    name), as one INSERT built once per model and number of rows: peewee's ``insert_many``
    builds it anew each time, which takes longer than the database takes to write them."""
    sql, fields = _inserting_rows(model, len(rows))
    execute(sql, [field.db_value(row[field.name]) for row in rows for field in fields])


def _inserting_rows(model: type[Model], count: int) -> tuple[str, list[Field]]:
    fields = model._meta.sorted_fields
    return rows_statement(model._meta.table_name,
                          tuple(field.column_name for field in fields), count), fields


@functools.lru_cache(maxsize=64)
def rows_statement(table: str, columns: tuple[str, ...], count: int, tail: str = "") -> str:
    """``INSERT INTO table (columns) VALUES (?, ...), ...`` for ``count`` rows, then ``tail``
    (``ON CONFLICT ...``, ``RETURNING ...``): built once per shape, for ``execute``."""
    values = "(" + ", ".join(["?"] * len(columns)) + ")"
    names = ", ".join(f'"{column}"' for column in columns)
    return (f'INSERT INTO "{table}" ({names}) VALUES '  # noqa: S608 - our names, ? for values
            + ", ".join([values] * count) + (f" {tail}" if tail else ""))


def connect_patiently(db: Database) -> None:
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
