"""Importing Isso's database: threads by path under ``--site``, Markdown rendered by our
renderer, modes (published, pending, deleted placeholders), likes as votes, Unix times."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime

from kommentar.models import Comment

from .common import BLOG, flatten

# Isso 0.14's own schema (isso/db/threads.py and comments.py), as its database has it.
SCHEMA = """
CREATE TABLE threads (id INTEGER PRIMARY KEY, uri VARCHAR(256) UNIQUE, title VARCHAR(256));
CREATE TABLE comments (
    tid REFERENCES threads(id), id INTEGER PRIMARY KEY, parent INTEGER,
    created FLOAT NOT NULL, modified FLOAT, mode INTEGER, remote_addr VARCHAR,
    text VARCHAR, author VARCHAR, email VARCHAR, website VARCHAR,
    likes INTEGER DEFAULT 0, dislikes INTEGER DEFAULT 0, voters BLOB NOT NULL,
    notification INTEGER DEFAULT 0);
"""
T0 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC).timestamp()


def isso_database(path, threads, comments):
    with sqlite3.connect(path) as connection:
        connection.executescript(SCHEMA)
        connection.executemany("INSERT INTO threads VALUES (?, ?, ?)", threads)
        connection.executemany(
            "INSERT INTO comments (tid, id, parent, created, modified, mode, remote_addr, text,"
            " author, email, likes, dislikes, voters) VALUES (?,?,?,?,?,?,?,?,?,?,?,?, x'00')",
            comments)
    connection.close()
    return path


def test_an_isso_database_imports_with_replies_votes_and_placeholders(tmp_path, run, thread):
    path = isso_database(tmp_path / "comments.db", [(1, "/post/1/", "First post")], [
        # a reply listed before its parent, a deleted parent with a reply, likes, a pending one
        (1, 3, 2, T0 + 30, None, 1, "10.0.0.0", "A *reply*.", "Bo", "bo@example.org", 0, 0),
        (1, 2, None, T0, T0 + 60, 1, "10.0.1.0", "Hello **Isso**", "Anna", None, 5, 1),
        (1, 4, None, T0 + 40, None, 4, "10.0.2.0", "", None, None, 0, 0),
        (1, 5, 4, T0 + 50, None, 1, "10.0.2.0", "Under a deleted one.", "Cai", None, 0, 0),
        (1, 6, None, T0 + 70, None, 2, "10.0.3.0", "Waiting.", "Dan", None, 0, 0),
    ])
    result = run("import", "isso", path, "--site", BLOG)
    assert result.exit_code == 0, result.output
    assert "imported 5 comments (3 published, 1 pending, 1 deleted) in 1 threads (1 new)" \
        in result.output
    document = thread(f"{BLOG}/post/1")
    assert document["thread"]["count"] == 3 and document["thread"]["title"] == "First post"
    shown = [(c["depth"], c["author"]["name"], c["html"], c["up"], c["down"], c["deleted"])
             for c in flatten(document)]
    assert shown == [
        (0, "Anna", "<p>Hello <strong>Isso</strong></p>", 5, 1, False),
        (1, "Bo", "<p>A <em>reply</em>.</p>", 0, 0, False),
        (0, "", "", 0, 0, True),
        (1, "Cai", "<p>Under a deleted one.</p>", 0, 0, False),
    ]
    first = flatten(document)[0]
    assert first["created"] == "2024-05-01T12:00:00Z" and first["edited"] == "2024-05-01T12:01:00Z"
    assert Comment.get(Comment.text == "Waiting.").status == "pending"
    assert not Comment.select().where(Comment.text.contains("@")).exists()

    again = run("import", "isso", path, "--site", BLOG)
    assert again.exit_code == 0 and "already imported before: 5 comments" in again.output
    assert Comment.select().count() == 5


def test_paths_without_a_site_are_refused_before_anything_is_written(tmp_path, run):
    path = isso_database(tmp_path / "comments.db", [(1, "/post/1/", "")],
                         [(1, 1, None, T0, None, 1, None, "Hi", "A", None, 0, 0)])
    result = run("import", "isso", path)
    assert result.exit_code != 0
    assert "have no usable address (paths need --site ORIGIN)" in result.output
    assert Comment.select().count() == 0


def test_a_file_that_is_not_an_isso_database_is_refused(tmp_path, run):
    path = tmp_path / "comments.db"
    path.write_bytes(b"not a database at all" * 100)
    result = run("import", "isso", path, "--site", BLOG)
    assert result.exit_code == 1 and "not an Isso database" in result.output
