"""Schema migrations: a fresh database starts at the current version, migrating again changes
nothing and loses nothing, a new step runs exactly once, a failed step leaves no trace, and
several processes starting at once on one fresh database all come up; and a database written by
schema version 1 (tests/data, made by version 1's own code) upgrades, keeping its comments, to
exactly the schema a fresh database gets: column for column, index for index, key for key."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from support import PG_DSN, SITE, Api, postgres_admin

from kommentar import create_app, db, migrations

STARTER = """
import sys
from kommentar import create_app, db, migrations
print("ready", flush=True)
sys.stdin.readline()  # every process waits here until the test says go
create_app({"secret_key": "k", "origins": "http://127.0.0.1:8000", "database_url": sys.argv[1],
            "ratelimit": False})
print(migrations.schema_version(), flush=True)
"""


def schema_rows() -> list[int]:
    cursor = db.database.execute_sql("SELECT version FROM kommentar_schema ORDER BY version")
    return [row[0] for row in cursor.fetchall()]


def test_fresh_database_is_at_the_current_version(app):
    assert migrations.schema_version() == migrations.SCHEMA_VERSION
    assert schema_rows() == list(range(1, migrations.SCHEMA_VERSION + 1))
    assert {"kommentar_schema", "user", "thread", "comment", "vote"} <= set(
        db.database.get_tables())


def test_migrating_again_changes_nothing_and_keeps_the_comments(api, settings):
    posted = api.comment("Still here after the upgrade.")
    assert migrations.migrate() == migrations.SCHEMA_VERSION
    assert migrations.migrate() == migrations.SCHEMA_VERSION
    assert schema_rows() == list(range(1, migrations.SCHEMA_VERSION + 1))

    again = Api(create_app(settings).test_client())
    [comment] = again.thread()["comments"]
    assert comment["id"] == posted["id"] and comment["html"] == posted["html"]


def test_new_step_runs_once_on_an_existing_database(api, monkeypatch):
    api.comment("Before the new step.")
    runs = []

    def add_probe(database):
        runs.append(1)
        database.execute_sql("CREATE TABLE kommentar_probe (id INTEGER PRIMARY KEY)")

    monkeypatch.setattr(migrations, "MIGRATIONS", [*migrations.MIGRATIONS, add_probe])
    assert migrations.migrate() == migrations.SCHEMA_VERSION + 1
    assert migrations.migrate() == migrations.SCHEMA_VERSION + 1
    assert runs == [1]
    assert "kommentar_probe" in db.database.get_tables()
    assert api.thread()["thread"]["count"] == 1


def test_failed_step_leaves_the_schema_as_it_was(api, monkeypatch):
    api.comment("Before the broken step.")

    def broken(database):
        database.execute_sql("CREATE TABLE kommentar_probe (id INTEGER PRIMARY KEY)")
        raise RuntimeError("step failed half-way")

    monkeypatch.setattr(migrations, "MIGRATIONS", [*migrations.MIGRATIONS, broken])
    with pytest.raises(RuntimeError, match="half-way"):
        migrations.migrate()
    if not db.database.is_closed():
        db.database.close()
    assert migrations.schema_version() == migrations.SCHEMA_VERSION
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
        assert out.strip() == str(migrations.SCHEMA_VERSION)

    database = db.open_database(database_url)
    try:
        rows = database.execute_sql("SELECT version FROM kommentar_schema").fetchall()
        assert sorted(row[0] for row in rows) == list(range(1, migrations.SCHEMA_VERSION + 1))
    finally:
        database.close_all()


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_sqlite_runs_in_wal_mode_with_foreign_keys(app):
    assert db.database.execute_sql("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.database.execute_sql("PRAGMA foreign_keys").fetchone()[0] == 1


# --- a real version-1 database, upgraded, against a fresh one ---------------------------------

DATA = Path(__file__).parent / "data"
SETTINGS = {"secret_key": "k", "origins": SITE, "ratelimit": False, "spam_min_seconds": 0}


@pytest.fixture(params=["sqlite", "postgres"])
def empty_database(request, tmp_path):
    """Make empty databases of one kind by name: SQLite files, or PostgreSQL databases created
    here and dropped afterwards."""
    if request.param == "sqlite":
        yield lambda name: f"sqlite:///{tmp_path / name}.db"
        return
    admin = postgres_admin()
    made: list[str] = []

    def make(name: str) -> str:
        made.append(f"kommentar_migrations_{name}_{uuid.uuid4().hex[:8]}")
        with admin.cursor() as cursor:
            cursor.execute(f'CREATE DATABASE "{made[-1]}"')
        return f"{PG_DSN.rsplit('/', 1)[0]}/{made[-1]}"

    yield make
    db.disconnect()
    with admin.cursor() as cursor:
        for name in made:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.close()


def write_version_1(url: str) -> None:
    """Fill an empty database with schema version 1 and the rows version 1 wrote."""
    if url.startswith("sqlite:///"):
        shutil.copyfile(DATA / "schema-v1.db", url[len("sqlite:///"):])
        return
    import psycopg2

    with psycopg2.connect(url) as connection, connection.cursor() as cursor:
        cursor.execute((DATA / "schema-v1.postgresql.sql").read_text())
    connection.close()


def schema_of(url: str) -> dict[str, list[tuple]]:
    """Every table's columns (name, type, nullability, default), indexes (name, columns in
    order and direction, uniqueness) and foreign keys, as the database itself reports them."""
    database = db.open_database(url)
    try:
        with database.connection_context():
            if url.startswith("sqlite:///"):
                return _sqlite_schema(database)
            return _postgres_schema(database)
    finally:
        database.close_all()


def _sqlite_schema(database) -> dict[str, list[tuple]]:
    def pragma(name: str, argument: str) -> list[tuple]:
        return database.execute_sql(f'PRAGMA {name}("{argument}")').fetchall()

    tables = [row[0] for row in database.execute_sql(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")]
    schema: dict[str, list[tuple]] = {"columns": [], "indexes": [], "foreign keys": []}
    for table in tables:
        schema["columns"] += [(table, position, name, kind, bool(not_null), default, key)
                              for position, name, kind, not_null, default, key
                              in pragma("table_info", table)]
        for _, index, unique, _origin, partial in pragma("index_list", table):
            columns = tuple((row[2], "DESC" if row[3] else "ASC")
                            for row in pragma("index_xinfo", index) if row[5])
            schema["indexes"].append((table, index, bool(unique), bool(partial), columns))
        schema["foreign keys"] += [(table, row[3], row[2], row[4], row[6])
                                   for row in pragma("foreign_key_list", table)]
    return {part: sorted(rows) for part, rows in schema.items()}


def _postgres_schema(database) -> dict[str, list[tuple]]:
    queries = {
        "columns": "SELECT table_name, ordinal_position, column_name, data_type, "
                   "character_maximum_length, is_nullable, column_default "
                   "FROM information_schema.columns WHERE table_schema = 'public'",
        "indexes": "SELECT tablename, indexname, indexdef FROM pg_indexes "
                   "WHERE schemaname = 'public'",
        "foreign keys": "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) "
                        "FROM pg_constraint WHERE connamespace = 'public'::regnamespace",
    }
    return {part: sorted(database.execute_sql(sql).fetchall()) for part, sql in queries.items()}


def test_version_1_database_is_what_version_1_wrote(empty_database):
    url = empty_database("v1")
    write_version_1(url)
    schema = schema_of(url)
    assert {row[0] for row in schema["columns"]} == {
        "kommentar_schema", "user", "thread", "comment", "vote"}
    assert ("comment", "pinned") not in {row[::2] for row in schema["columns"]}
    assert ("thread", "version") not in {row[::2] for row in schema["columns"]}
    assert "comment_thread_id_parent_id_id" in {row[1] for row in schema["indexes"]}


def test_version_1_database_upgrades_to_exactly_a_fresh_schema(empty_database):
    upgraded, fresh = empty_database("upgraded"), empty_database("fresh")
    write_version_1(upgraded)
    for url in (upgraded, fresh):
        create_app({**SETTINGS, "database_url": url})
        db.disconnect()
    upgraded_schema, fresh_schema = schema_of(upgraded), schema_of(fresh)
    for part in fresh_schema:  # name what differs, not just that something does
        assert set(upgraded_schema[part]) - set(fresh_schema[part]) == set(), part
        assert set(fresh_schema[part]) - set(upgraded_schema[part]) == set(), part
    assert upgraded_schema == fresh_schema


def test_version_1_comments_replies_and_votes_survive_the_upgrade(empty_database):
    url = empty_database("upgraded")
    write_version_1(url)
    api = Api(create_app({**SETTINGS, "database_url": url}).test_client())
    assert migrations.schema_version() == migrations.SCHEMA_VERSION

    page = api.thread(sort="oldest")
    assert page["thread"]["count"] == 3
    assert [(c["author"]["name"], c["html"], c["up"], [r["author"]["name"] for r in c["replies"]])
            for c in page["comments"]] == [
        ("Jens", "<p>Schöner Beitrag, danke!</p>", 1, ["alice"]),
        ("Søren", "<p>Grüße aus Kopenhagen: æøå.</p>", 0, []),
    ]
    assert page["comments"][0]["pinned"] is False
    assert api.thread(url=f"{SITE}/other")["thread"]["count"] == 1

    later = api.comment("Written after the upgrade.")  # new ids, and the thread version rises
    assert [c["id"] for c in api.thread(sort="oldest")["comments"]][-1] == later["id"]
    assert api.thread()["thread"]["count"] == 4
    db.disconnect()
