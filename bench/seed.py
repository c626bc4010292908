"""Bulk-load a plan (``corpus.py``) into an empty Kommentar database, SQLite or PostgreSQL.

The rows are what ``comments.post`` would have written, without going through it: the
HTML rendered by ``kommentar.render`` (once per distinct text), ``root``, ``depth``,
``fingerprint`` and the Wilson score set as the server sets them, and each thread's
``count`` exact. Fast enough for a 1,000,000-comment database: ids are assigned up
front (so no reads are needed while loading), the comment indexes are dropped during
the load and rebuilt once after it, everything runs in one transaction, and rows go
through one prepared INSERT (SQLite) or ``COPY`` (PostgreSQL) rather than peewee's
query builder. Column defaults come from the models,
so a column added to them later is filled as the server would fill it.

    .venv/bin/python bench/seed.py sqlite:////tmp/k.db [--comments N --threads N]
"""

from __future__ import annotations

import argparse
import io
import sys
import time
from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime

import corpus
from peewee import Model, chunked

from kommentar import ranking, render, urls
from kommentar.accounts import username_key
from kommentar.db import database, is_postgres, open_database
from kommentar.defences import fingerprint
from kommentar.migrations import migrate
from kommentar.models import PUBLISHED, Comment, Thread, User

UNUSABLE_HASH = "!"  # no password opens these accounts
BATCH = 10_000  # rows handed to the driver at a time


def _moment(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC).replace(tzinfo=None)


def _ip_hash(author: int) -> str:
    return f"{author + 1:032x}"  # shaped like tokens.hash_ip's, one per commenter


def _tuples(model: type[Model], rows: Iterable[dict]) -> Iterator[tuple]:
    """Rows as the driver's values in the model's column order, missing columns at their
    defaults (what an insert through the model would send)."""
    fields = model._meta.sorted_fields
    defaults = {f.name: f.default() if callable(f.default) else f.default for f in fields}
    for row in rows:
        yield tuple(f.db_value(row[f.name] if f.name in row else defaults[f.name])
                    for f in fields)


def _comments(plan: corpus.Plan) -> Iterator[dict]:
    html = {n: render.render(text) for n, text in enumerate(plan.texts)}
    prints = {n: fingerprint(text) for n, text in enumerate(plan.texts)}
    score = ranking.wilson_lower_bound(0, 0)
    for position, comment in enumerate(plan.comments):
        account = comment.author < corpus.ACCOUNTS
        yield {
            "id": position + 1, "thread": comment.thread + 1,
            "parent": None if comment.parent is None else comment.parent + 1,
            "root": None if comment.root is None else comment.root + 1,
            "depth": comment.depth, "author": comment.author + 1 if account else None,
            "name": "" if account else plan.authors[comment.author],
            "text": plan.texts[comment.text], "html": html[comment.text],
            "status": PUBLISHED, "created": _moment(comment.created), "up": 0, "down": 0,
            "score": score, "ip_hash": _ip_hash(comment.author),
            "fingerprint": prints[comment.text],
        }


def _threads(plan: corpus.Plan) -> Iterator[dict]:
    sizes = plan.sizes()
    first = [corpus.START] * len(plan.pages)
    for comment in reversed(plan.comments):
        first[comment.thread] = comment.created
    for n, page in enumerate(plan.pages):
        url = urls.normalise_url(plan.url(page))
        yield {"id": n + 1, "key": urls.thread_key(url, None), "url": url,
               "title": f"Page {page.rsplit('/', 1)[1]}", "count": sizes[n],
               "created": _moment(first[n] - 60)}


def _insert(model: type[Model], rows: Iterable[dict]) -> None:
    """One prepared INSERT (built by peewee once) run over every row: building it per
    batch takes peewee some 20 times longer than SQLite takes to store the rows."""
    fields = model._meta.sorted_fields
    sql, _ = model.insert_many([(None,) * len(fields)], fields=fields).sql()
    cursor = database.cursor()
    for batch in chunked(_tuples(model, rows), BATCH):
        cursor.executemany(sql, batch)


class _CopyStream(io.TextIOBase):
    """Rows as PostgreSQL COPY text, read by psycopg2 a chunk at a time."""

    def __init__(self, rows: Iterator[tuple]):
        self.rows, self.buffer = rows, ""

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> str:
        while size < 0 or len(self.buffer) < size:
            row = next(self.rows, None)
            if row is None:
                break
            self.buffer += "\t".join(map(_copy_value, row)) + "\n"
        chunk, self.buffer = (self.buffer, "") if size < 0 else \
            (self.buffer[:size], self.buffer[size:])
        return chunk


def _copy_value(value: object) -> str:
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, datetime | date):
        return value.isoformat(" ")
    text = str(value)
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n") \
        .replace("\r", "\\r")


def _copy(model: type[Model], rows: Iterable[dict]) -> None:
    table = model._meta.table_name
    columns = ", ".join(f'"{f.column_name}"' for f in model._meta.sorted_fields)
    with database.cursor() as cursor:
        cursor.copy_expert(f'COPY "{table}" ({columns}) FROM STDIN',
                           _CopyStream(_tuples(model, rows)), size=1 << 20)


def _load(model: type[Model], rows: Iterable[dict]) -> None:
    (_copy if is_postgres() else _insert)(model, rows)


def seed(url: str, plan: corpus.Plan) -> float:
    """Fill the empty database at ``url`` with ``plan``; the seconds it took."""
    started = time.perf_counter()
    database.initialize(open_database(url))
    migrate()
    with database.connection_context():
        with database.atomic():
            _load(User, ({"id": n + 1, "username": name, "username_key": username_key(name),
                            "password_hash": UNUSABLE_HASH}
                           for n, name in enumerate(plan.authors[:corpus.ACCOUNTS])))
            _load(Thread, _threads(plan))
            Comment._schema.drop_indexes()
            _load(Comment, _comments(plan))
            Comment._schema.create_indexes()
            if is_postgres():  # the next post must not reuse an id given here
                for model, last in ((User, corpus.ACCOUNTS), (Thread, len(plan.pages)),
                                    (Comment, len(plan.comments))):
                    database.execute_sql("SELECT setval(pg_get_serial_sequence(%s, 'id'), %s)",
                                         (f'"{model._meta.table_name}"', last))
        # What autovacuum (PostgreSQL) or a long-running site would have by now.
        database.execute_sql("VACUUM ANALYZE" if is_postgres() else "ANALYZE")
        if not is_postgres():
            database.execute_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    database.close()
    return time.perf_counter() - started


def main() -> int:
    """Seed one database from the command line (to look at it, or time the seeding)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url", help="peewee URL of an empty database")
    parser.add_argument("--comments", type=int, help="a scale database of this many comments")
    parser.add_argument("--threads", type=int, default=100_000, help="... in this many threads")
    args = parser.parse_args()
    sizes = corpus.scale_sizes(args.comments, args.threads) if args.comments \
        else corpus.small_sizes()
    plan = corpus.build(sizes)
    seconds = seed(args.url, plan)
    print(f"seeded {len(plan.comments)} comments in {len(plan.pages)} threads: {seconds:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
