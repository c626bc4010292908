"""Import speed and memory on Isso databases: ``kommentar import isso`` on generated
databases of 20,000 and 80,000 comments (by default), each in its own process into a fresh
database, reporting the rate and the peak resident memory: memory should grow by little
more than the per-comment id map the import's plan needs, not with the texts.

The database has the schema a real Isso 0.14 wrote (``tests/data/isso-0.14.db``), and rows
as Isso writes them: Markdown texts (``corpus``), one level of replies (Isso files a reply to
a reply under its top-level comment), a few held for moderation or deleted with replies,
anonymised addresses, e-mail addresses, likes and dislikes.

    .venv/bin/python bench/import_isso.py                          # 20,000 and 80,000
    .venv/bin/python bench/import_isso.py --sizes 50000 --database postgresql://postgres@127.0.0.1/postgres
    .venv/bin/python bench/import_isso.py --sizes 50000 --profile  # where the time goes
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import sys
import tempfile
from contextlib import ExitStack
from pathlib import Path

import corpus
import servers

from imports import ORIGIN, Run, imported, kommentar_import

REAL = servers.BENCH.parent / "tests" / "data" / "isso-0.14.db"
PER_THREAD = 40
REPLY_SHARE = 0.35


def isso_schema() -> list[str]:
    """The CREATE statements of a database real Isso 0.14 wrote."""
    with sqlite3.connect(f"{REAL.as_uri()}?mode=ro", uri=True) as real:
        statements = [sql for (sql,) in real.execute(
            "SELECT sql FROM sqlite_master WHERE type = 'table' AND sql IS NOT NULL")]
    real.close()
    return statements


def isso_database(path: Path, comments: int, seed: int = 14) -> None:
    """Write an Isso database of ``comments`` comments in ``comments / 40`` threads."""
    rng = random.Random(seed)  # noqa: S311  reproducible data, not secrets
    texts, authors = corpus.texts(), corpus.authors()
    threads = max(1, comments // PER_THREAD)
    tops: list[list[int]] = [[] for _ in range(threads)]
    start = 1_500_000_000.0
    rows = []
    for n in range(1, comments + 1):
        thread = rng.randrange(threads)
        parent = rng.choice(tops[thread]) if tops[thread] and rng.random() < REPLY_SHARE \
            else None
        if parent is None:
            tops[thread].append(n)
        mode = 2 if n % 101 == 0 else 1
        text, author = texts[rng.randrange(len(texts))], authors[rng.randrange(len(authors))]
        rows.append((thread + 1, n, parent, start + n * 60, None, mode,
                     f"198.51.{n % 256}.0", text, author, f"reader{n % 3000}@example.org",
                     None, rng.choice((0, 0, 0, 1, 2, 5)), rng.choice((0, 0, 0, 0, 1))))
    deleted = {tops[t][0] for t in range(0, threads, 7) if tops[t]}  # placeholders with replies
    rows = [(*row[:5], 4, row[6], "", None, *row[9:]) if row[1] in deleted else row
            for row in rows]
    with sqlite3.connect(path) as connection:
        for statement in isso_schema():
            connection.execute(statement)
        connection.executemany("INSERT INTO threads (id, uri, title) VALUES (?, ?, ?)",
                               [(t + 1, f"/{2015 + t % 10}/post-{t}/", f"Post number {t}")
                                for t in range(threads)])
        connection.executemany(
            "INSERT INTO comments (tid, id, parent, created, modified, mode, remote_addr, text,"
            " author, email, website, likes, dislikes, voters, notification)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, x'00', 0)", rows)
    connection.close()


def import_isso_database(source: Path, database_url: str, profile: Path | None = None) -> Run:
    """Kommentar importing the Isso database at ``source``, under cProfile with ``profile``."""
    python = (sys.executable, "-m", "cProfile", "-o", str(profile)) if profile \
        else (sys.executable,)
    return kommentar_import("isso", source, database_url, "--site", ORIGIN, python=python)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[20_000, 80_000])
    parser.add_argument("--database", default="sqlite",
                        help="sqlite (a fresh file), or a PostgreSQL admin URL to make "
                             "fresh databases with")
    parser.add_argument("--profile", action="store_true",
                        help="run under cProfile and print where the time went")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory(prefix="kommentar-isso-bench-") as tmp, \
            ExitStack() as stack:
        folder = Path(tmp)
        for size in args.sizes:
            source = folder / f"isso-{size}.db"
            isso_database(source, size)
            url = (f"sqlite:///{folder / f'kommentar-{size}.db'}" if args.database == "sqlite"
                   else stack.enter_context(servers.postgres_database(args.database, "isso")))
            profile = folder / f"profile-{size}" if args.profile else None
            done = import_isso_database(source, url, profile)
            rows.append((size, done, imported(done.output)))
            print(done.output.strip())
            if profile:
                import pstats

                pstats.Stats(str(profile)).sort_stats("tottime").print_stats(25)
    print("\n| comments | seconds | CPU seconds | comments/s (wall) | comments/s (CPU) | "
          "peak memory |\n| ---: | ---: | ---: | ---: | ---: | ---: |")
    for size, done, count in rows:
        print(f"| {size:,} | {done.seconds:.1f} | {done.cpu:.1f} | {count / done.seconds:,.0f} | "
              f"{count / done.cpu:,.0f} | {done.memory / 1e6:.0f} MB |")
    if len(rows) > 1:
        (small, low, _), (big, high, _) = rows[0], rows[-1]
        grown = high.memory - low.memory
        print(f"\npeak memory grew {grown / 1e6:.1f} MB for {big - small:,} more comments: "
              f"{grown / (big - small):.0f} bytes a comment")
    return 0


if __name__ == "__main__":
    sys.exit(main())
