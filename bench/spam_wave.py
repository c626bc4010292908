"""Benchmark: clear a 1,000-comment spam wave from one IP hash in one bulk action.

Seeds a throw-away database with 1,000 spam comments from one hashed address spread over
20 threads, among 5,000 ordinary comments from 500 other readers on 200 threads, then times
``moderation.act(moderator, "spam", Filter(ip_hash=...))``: the median of several runs, each
on a fresh seed. Runs on SQLite, and on PostgreSQL when one is reachable (in a database of
its own, dropped afterwards). Not a test: timings depend on the machine.

    .venv/bin/python bench/spam_wave.py [--runs 5] [--postgres URL]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

from peewee import chunked, fn

from kommentar import moderation, review
from kommentar.db import database, is_postgres, open_database
from kommentar.migrations import migrate
from kommentar.models import PUBLISHED, Comment, Thread, User, utcnow

SPAM_HASH = "5bad" * 8
SPAM, NORMAL, SPAM_THREADS, THREADS, READERS = 1_000, 5_000, 20, 200, 500
DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/postgres"
UNUSABLE_HASH = "!"  # no password opens these accounts


def seed() -> User:
    """Fill an empty, migrated database with the wave and the ordinary comments around it."""
    now = utcnow()
    moderator = User.create(username="mod", username_key="mod", password_hash=UNUSABLE_HASH,
                            role="admin")
    writers = [User.create(username=f"reader{n}", username_key=f"reader{n}",
                           password_hash=UNUSABLE_HASH) for n in range(20)]
    pages = [f"https://blog.example/post-{n}" for n in range(THREADS)]
    Thread.insert_many([{"key": page, "url": page} for page in pages]).execute()
    threads = [t.id for t in Thread.select(Thread.id).order_by(Thread.id)]
    rows = [{"thread": threads[n % THREADS], "text": f"An ordinary comment, number {n}.",
             "html": f"<p>An ordinary comment, number {n}.</p>", "name": "Reader",
             "author": writers[n % 20].id if n % 5 == 0 else None,
             "ip_hash": f"{n % READERS:032x}", "created": now - timedelta(minutes=n)}
            for n in range(NORMAL)]
    rows += [{"thread": threads[n % SPAM_THREADS], "text": f"Cheap pills {n} https://spam.example",
              "html": "<p>Cheap pills</p>", "name": "Best Deals", "ip_hash": SPAM_HASH,
              "created": now - timedelta(seconds=n)} for n in range(SPAM)]
    with database.atomic():
        for batch in chunked(rows, 500):
            Comment.insert_many(batch).execute()
        published = (Comment.select(fn.COUNT(Comment.id))
                     .where((Comment.thread == Thread.id) & (Comment.status == PUBLISHED)))
        Thread.update(count=published).execute()
    database.execute_sql("ANALYZE")  # what autovacuum or a long-running site would have
    return moderator


@contextmanager
def counting() -> Iterator[list[str]]:
    """Collect the SQL statements peewee sends while active."""
    statements: list[str] = []
    db = database.obj
    original = db.execute_sql

    def execute_sql(sql, params=None, *args, **kwargs):
        statements.append(sql)
        return original(sql, params, *args, **kwargs)

    db.execute_sql = execute_sql
    try:
        yield statements
    finally:
        del db.execute_sql


def one_run(url: str, reset: Callable[[], None]) -> tuple[int, float, int]:
    """Seed afresh, then clear the wave: (comments changed, milliseconds, queries)."""
    reset()
    database.initialize(open_database(url))
    migrate()
    with database.connection_context():
        moderator = seed()
        with counting() as statements:
            started = time.perf_counter()
            changed = moderation.act(moderator, "spam", review.Filter(ip_hash=SPAM_HASH))
            elapsed = (time.perf_counter() - started) * 1000
        left = Comment.select().where((Comment.ip_hash == SPAM_HASH)
                                      & (Comment.status == PUBLISHED)).count()
        assert changed == SPAM and left == 0, (changed, left)
        assert is_postgres() == url.startswith("postgres")
    database.close()
    return changed, elapsed, len(statements)


def bench(name: str, url: str, reset: Callable[[], None], runs: int) -> tuple:
    results = [one_run(url, reset) for _ in range(runs)]
    times = [ms for _, ms, _ in results]
    return (name, results[0][0], statistics.median(times), times, results[0][2])


def sqlite(runs: int) -> tuple:
    with tempfile.TemporaryDirectory(prefix="kommentar-bench-") as folder:
        path = Path(folder) / "bench.db"

        def reset() -> None:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)

        return bench("sqlite", f"sqlite:///{path}", reset, runs)


def postgres(runs: int, admin_url: str) -> tuple | str:
    try:
        import psycopg2
    except ImportError:
        return "psycopg2 is not installed"
    try:
        admin = psycopg2.connect(admin_url, connect_timeout=3)
    except psycopg2.OperationalError as error:
        return f"not reachable at {admin_url}: {str(error).strip()}"
    admin.autocommit = True
    name = f"kommentar_bench_{uuid.uuid4().hex[:10]}"
    url = f"{admin_url.rsplit('/', 1)[0]}/{name}"

    def reset() -> None:
        if database.obj is not None and not database.is_closed():
            database.close()
        with admin.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            cursor.execute(f'CREATE DATABASE "{name}"')

    try:
        return bench("postgresql", url, reset, runs)
    finally:
        if database.obj is not None and not database.is_closed():
            database.close()
        with admin.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="fresh seeds to time (median)")
    parser.add_argument("--postgres", default=DEFAULT_POSTGRES,
                        help="an admin URL of a PostgreSQL server to create a database on")
    args = parser.parse_args()
    print(f"spam wave: {SPAM} comments from one IP hash on {SPAM_THREADS} threads, among "
          f"{NORMAL} others; moderation.act(..., 'spam', Filter(ip_hash=...)), "
          f"median of {args.runs}")
    print(f"{'backend':<12}{'changed':>9}{'median ms':>11}{'queries':>9}   runs (ms)")
    for row in (sqlite(args.runs), postgres(args.runs, args.postgres)):
        if isinstance(row, str):
            print(f"{'postgresql':<12}skipped: {row}")
            continue
        name, changed, median, times, queries = row
        runs = " ".join(f"{ms:.1f}" for ms in times)
        print(f"{name:<12}{changed:>9}{median:>11.1f}{queries:>9}   {runs}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
