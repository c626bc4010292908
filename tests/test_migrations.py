"""Schema migrations: a fresh database starts at the current version, migrating again changes
nothing and loses nothing, a new step runs exactly once, a failed step leaves no trace, and
several processes starting at once on one fresh database all come up."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from support import Api

from kommentar import create_app, db

STARTER = """
import sys
from kommentar import create_app, db
print("ready", flush=True)
sys.stdin.readline()  # every process waits here until the test says go
create_app({"secret_key": "k", "origins": "http://127.0.0.1:8000", "database_url": sys.argv[1],
            "ratelimit": False})
print(db.schema_version(), flush=True)
"""


def schema_rows() -> list[int]:
    cursor = db.database.execute_sql("SELECT version FROM kommentar_schema ORDER BY version")
    return [row[0] for row in cursor.fetchall()]


def test_fresh_database_is_at_the_current_version(app):
    assert db.schema_version() == db.SCHEMA_VERSION
    assert schema_rows() == list(range(1, db.SCHEMA_VERSION + 1))
    assert {"kommentar_schema", "user", "thread", "comment", "vote"} <= set(
        db.database.get_tables())


def test_migrating_again_changes_nothing_and_keeps_the_comments(api, settings):
    posted = api.comment("Still here after the upgrade.")
    assert db.migrate() == db.SCHEMA_VERSION
    assert db.migrate() == db.SCHEMA_VERSION
    assert schema_rows() == list(range(1, db.SCHEMA_VERSION + 1))

    again = Api(create_app(settings).test_client())
    [comment] = again.thread()["comments"]
    assert comment["id"] == posted["id"] and comment["html"] == posted["html"]


def test_new_step_runs_once_on_an_existing_database(api, monkeypatch):
    api.comment("Before the new step.")
    runs = []

    def add_probe(database):
        runs.append(1)
        database.execute_sql("CREATE TABLE kommentar_probe (id INTEGER PRIMARY KEY)")

    monkeypatch.setattr(db, "MIGRATIONS", [*db.MIGRATIONS, add_probe])
    assert db.migrate() == db.SCHEMA_VERSION + 1
    assert db.migrate() == db.SCHEMA_VERSION + 1
    assert runs == [1]
    assert "kommentar_probe" in db.database.get_tables()
    assert api.thread()["thread"]["count"] == 1


def test_failed_step_leaves_the_schema_as_it_was(api, monkeypatch):
    api.comment("Before the broken step.")

    def broken(database):
        database.execute_sql("CREATE TABLE kommentar_probe (id INTEGER PRIMARY KEY)")
        raise RuntimeError("step failed half-way")

    monkeypatch.setattr(db, "MIGRATIONS", [*db.MIGRATIONS, broken])
    with pytest.raises(RuntimeError, match="half-way"):
        db.migrate()
    if not db.database.is_closed():
        db.database.close()
    assert db.schema_version() == db.SCHEMA_VERSION
    assert "kommentar_probe" not in db.database.get_tables()
    assert api.thread()["thread"]["count"] == 1


def test_processes_starting_together_on_a_fresh_database_all_come_up(database_url, tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("KOMMENTAR_")}
    starters = [subprocess.Popen([sys.executable, "-c", STARTER, database_url], env=env,
                                 cwd=tmp_path, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, text=True)
                for _ in range(6)]
    try:
        for starter in starters:
            assert starter.stdout.readline().strip() == "ready", starter.stderr.read()
        for starter in starters:
            starter.stdin.write("go\n")
            starter.stdin.flush()
        results = [starter.communicate(timeout=60) for starter in starters]
    finally:
        for starter in starters:
            if starter.poll() is None:
                starter.kill()
                starter.communicate()
    for starter, (out, err) in zip(starters, results, strict=True):
        assert starter.returncode == 0, err
        assert out.strip() == str(db.SCHEMA_VERSION)

    database = db.open_database(database_url)
    try:
        rows = database.execute_sql("SELECT version FROM kommentar_schema").fetchall()
        assert sorted(row[0] for row in rows) == list(range(1, db.SCHEMA_VERSION + 1))
    finally:
        database.close_all()


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_sqlite_runs_in_wal_mode_with_foreign_keys(app):
    assert db.database.execute_sql("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.database.execute_sql("PRAGMA foreign_keys").fetchone()[0] == 1


def _back_to_version_2():
    """Turn today's database into one as version 2 shipped it (no thread versions, the
    listing indexes of then).

    Plain ALTER TABLE: rebuilding the table, as peewee's SQLite migrator does to drop a
    column, would fire the replies' ON DELETE CASCADE and lose them."""
    with db.database.obj.atomic():
        for statement in ('ALTER TABLE "thread" DROP COLUMN "version"',
                          *(f'DROP INDEX "comment_listing_{sort}"'
                            for sort in ("oldest", "newest", "best")),
                          'CREATE INDEX "comment_thread_id_parent_id_id" '
                          'ON "comment" ("thread_id", "parent_id", "id")',
                          'CREATE INDEX "comment_thread_id_parent_id_score_id" '
                          'ON "comment" ("thread_id", "parent_id", "score", "id")',
                          "DELETE FROM kommentar_schema WHERE version > 2"):
            db.database.execute_sql(statement)


def _back_to_version_1():
    """Turn today's database into one as version 1 shipped it (no moderation columns)."""
    _back_to_version_2()
    database = db.database.obj
    with database.atomic():
        for statement in ('DROP TABLE "ban"', 'DROP TABLE "audit_entry"',
                          'DROP INDEX "comment_status_id"', 'DROP INDEX "comment_ip_hash_id"',
                          'DROP INDEX "comment_fingerprint_created"',
                          *(f'ALTER TABLE "comment" DROP COLUMN "{column}"' for column in
                            ("pinned", "spam_reason", "status_before", "status_changed",
                             "fingerprint")),
                          "DELETE FROM kommentar_schema WHERE version > 1"):
            database.execute_sql(statement)


def test_version_1_database_upgrades_to_moderation_and_keeps_its_comments(api, settings):
    first = api.comment("Written before moderation existed.")
    reply = api.comment("A reply.", parent=first["id"])
    _back_to_version_1()
    assert db.schema_version() == 1
    assert "pinned" not in {c.name for c in db.database.get_columns("comment")}

    upgraded = Api(create_app(settings).test_client())
    assert db.schema_version() == db.SCHEMA_VERSION
    [comment] = upgraded.thread()["comments"]
    assert comment["id"] == first["id"] and comment["replies"][0]["id"] == reply["id"]
    from kommentar.models import Ban, Comment

    assert Comment.get_by_id(first["id"]).pinned is False
    assert Ban.select().count() == 0


def test_version_2_database_upgrades_to_thread_versions_and_listing_indexes(api, settings):
    first = api.comment("Written before thread versions existed.")
    built_today = {index.name for index in db.database.get_indexes("comment")}
    _back_to_version_2()
    assert "version" not in {c.name for c in db.database.get_columns("thread")}

    upgraded = Api(create_app(settings).test_client())
    assert db.schema_version() == db.SCHEMA_VERSION
    assert {index.name for index in db.database.get_indexes("comment")} == built_today
    assert [c["id"] for c in upgraded.thread()["comments"]] == [first["id"]]
    second = upgraded.comment("Written after.")  # raises the version: the cached copy is stale
    assert [c["id"] for c in upgraded.thread()["comments"]] == [first["id"], second["id"]]
    assert upgraded.thread()["thread"]["count"] == 2
