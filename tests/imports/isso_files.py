"""Isso databases for the import tests: the one a real Isso 0.14 wrote
(``tests/data/build_isso.py``), and ones written here with that database's own schema."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

REAL = Path(__file__).resolve().parents[1] / "data" / "isso-0.14.db"
T0 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC).timestamp()


def read_only(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)


def schema() -> list[str]:
    """The CREATE statements of the real Isso's tables."""
    with read_only(REAL) as real:
        statements = [sql for (sql,) in real.execute(
            "SELECT sql FROM sqlite_master WHERE type = 'table' AND sql IS NOT NULL")]
    real.close()
    return statements


def isso_database(path: Path, threads, comments) -> Path:
    """An Isso database holding ``threads`` as (id, uri, title) and ``comments`` as (tid, id,
    parent, created, modified, mode, remote_addr, text, author, email, likes, dislikes)."""
    with sqlite3.connect(path) as connection:
        for statement in schema():
            connection.execute(statement)
        connection.executemany("INSERT INTO threads (id, uri, title) VALUES (?, ?, ?)", threads)
        connection.executemany(
            "INSERT INTO comments (tid, id, parent, created, modified, mode, remote_addr, text,"
            " author, email, likes, dislikes, voters) VALUES (?,?,?,?,?,?,?,?,?,?,?,?, x'00')",
            comments)
    connection.close()
    return path


def many_comments(path: Path, count: int, *, site_paths: int = 20, text: str = "",
                  replies_first: bool = False) -> Path:
    """An Isso database of ``count`` comments on ``site_paths`` pages (``/page-N/``), every
    third one a reply to the one before it. With ``replies_first`` every reply is listed
    (has a lower id) before every top-level comment, as no real Isso writes but other
    exports may: each reply waits for its parent until the end of the file."""
    replies = [n for n in range(count) if n % 3 == 2]
    order = [*replies, *(n for n in range(count) if n % 3 != 2)] if replies_first \
        else list(range(count))
    ids = {n: position + 1 for position, n in enumerate(order)}
    rows = []
    for n in range(count):
        parent = n - 1 if n % 3 == 2 else None
        rows.append(((parent if parent is not None else n) % site_paths + 1, ids[n],
                     None if parent is None else ids[parent], T0 + n, None, 1,
                     f"198.51.{n % 256}.0", f"Comment {n} with *Markdown*.{text}",
                     f"Reader {n % 300}", f"reader{n}@example.org", n % 4, n % 3))
    threads = [(t + 1, f"/page-{t}/", f"Page {t}") for t in range(site_paths)]
    return isso_database(path, threads, rows)
