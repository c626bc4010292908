"""Seed Isso's SQLite database with the comparison plan (``corpus.small_sizes``).

Runs under Isso's own Python (``bench/.isso-venv/bin/python bench/isso_seed.py CONFIG``):
Isso itself creates the schema and the per-comment voter Bloom filter, and the rows are
what its ``POST /new`` stores: the raw Markdown (Isso renders on every read), the
author's name and anonymised address, and replies pointing at their top-level comment
(Isso nests one level deep and files a deeper reply under its top-level ancestor).
"""

from __future__ import annotations

import sqlite3
import sys

import corpus
from isso import config, db
from isso.utils import Bloomfilter


def address(author: int) -> str:
    """The commenter's address as Isso stores it (anonymised to its /24)."""
    return f"10.{author // 256}.{author % 256}.0"


def main() -> int:
    """Create Isso's database at the config's ``dbpath`` and fill it."""
    conf = config.load(config.default_file(), sys.argv[1])
    path = conf.get("general", "dbpath")
    db.SQLite3(path, conf)  # creates the tables, the session key and the schema version
    plan = corpus.build(corpus.small_sizes())
    voters = {a: memoryview(Bloomfilter(iterable=[address(a)]).array)
              for a in range(len(plan.authors))}
    with sqlite3.connect(path) as connection:
        connection.executemany(
            "INSERT INTO threads (id, uri, title) VALUES (?, ?, ?)",
            [(n + 1, page, f"Page {page.rsplit('/', 1)[1]}") for n, page in enumerate(plan.pages)])
        connection.executemany(
            "INSERT INTO comments (tid, id, parent, created, modified, mode, remote_addr, text,"
            " author, email, website, likes, dislikes, voters, notification)"
            " VALUES (?, ?, ?, ?, NULL, 1, ?, ?, ?, NULL, NULL, 0, 0, ?, 0)",
            [(c.thread + 1, n + 1, None if c.root is None else c.root + 1, c.created,
              address(c.author), plan.texts[c.text], plan.authors[c.author], voters[c.author])
             for n, c in enumerate(plan.comments)])
    print(f"isso: seeded {len(plan.comments)} comments in {len(plan.pages)} threads")
    return 0


if __name__ == "__main__":
    sys.exit(main())
