"""How schema-v1.db and schema-v1.postgresql.sql were made, once, by schema version 1's own code.

Not run by the tests: they read the files this wrote. To redo it, check out the last commit
at schema version 1 (the one before "Schema version 2") and run this with its code:

    git worktree add --detach /tmp/kommentar-v1 801af15^
    PYTHONPATH=/tmp/kommentar-v1/backend:/tmp/kommentar-v1/tests \\
        .venv/bin/python tests/data/build_v1.py tests/data postgresql://postgres@127.0.0.1/postgres

The SQLite file is written through version 1's API (an account, two threads, comments, a
reply, a vote); the PostgreSQL script is the DDL version 1's ``migrate`` sent, recorded as it
ran against a scratch database, followed by the same rows read back from the SQLite file.
"""

from __future__ import annotations

import sqlite3
import sys
import uuid
from pathlib import Path

import psycopg2
from peewee import PostgresqlDatabase
from support import SITE, Api

from kommentar import create_app, db
from kommentar.models import MODELS


def write_sqlite(path: Path) -> None:
    """Post a small, realistic conversation through version 1's API."""
    path.unlink(missing_ok=True)
    app = create_app({"secret_key": "v1", "origins": SITE, "database_url": f"sqlite:///{path}",
                      "ratelimit": False})
    api = Api(app.test_client())
    first = api.comment("Schöner Beitrag, danke!", name="Jens")
    api.comment("Grüße aus Kopenhagen: æøå.", name="Søren")
    api.register("alice")
    api.comment("Thanks, glad it helped.", parent=first["id"])
    api.token = None
    api.comment("First on the other page.", url=f"{SITE}/other", name="Reader")
    voted = api.client.post(f"/api/comments/{first['id']}/vote", json={"value": 1},
                            headers=api.headers())
    assert voted.status_code == 200, voted.json
    if not db.database.is_closed():
        db.database.close()


def write_postgres(script: Path, sqlite_path: Path, admin_dsn: str) -> None:
    """Record version 1's DDL on a scratch PostgreSQL database, then the SQLite file's rows."""
    admin = psycopg2.connect(admin_dsn)
    admin.autocommit = True
    name = f"kommentar_v1_{uuid.uuid4().hex[:8]}"
    admin.cursor().execute(f'CREATE DATABASE "{name}"')
    pg = PostgresqlDatabase(name, host="127.0.0.1", user="postgres")
    statements: list[str] = []
    send = pg.execute_sql

    def record(sql, params=None, *args, **kwargs):
        cursor = send(sql, params, *args, **kwargs)
        if not sql.lstrip().upper().startswith("SELECT"):
            statements.append(cursor.mogrify(sql, params).decode())
        return cursor

    try:
        pg.execute_sql = record
        db.database.initialize(pg)
        db.migrate()
        sqlite = db.open_database(f"sqlite:///{sqlite_path}")
        for model in MODELS:
            with model.bind_ctx(sqlite):
                rows = [row.__data__ for row in model.select().order_by(model.id)]
            sql, params = model.insert_many(rows).sql() if rows else (None, None)
            if sql:
                statements.append(pg.cursor().mogrify(sql, params).decode())
            table = model._meta.table_name
            statements.append(f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), "
                              f'(SELECT MAX("id") FROM "{table}"))')
        pg.close()
        sqlite.close()
    finally:
        admin.cursor().execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()
    script.write_text("-- Schema version 1 on PostgreSQL, as its migrate() created it; see "
                      "build_v1.py.\n" + "".join(f"{s};\n" for s in statements))


if __name__ == "__main__":
    out, dsn = Path(sys.argv[1]), sys.argv[2]
    write_sqlite(out / "schema-v1.db")
    write_postgres(out / "schema-v1.postgresql.sql", out / "schema-v1.db", dsn)
    db.database.close()
    connection = sqlite3.connect(out / "schema-v1.db")  # one file, no -wal beside it
    assert connection.execute("PRAGMA journal_mode=DELETE").fetchone() == ("delete",)
    connection.execute("VACUUM")
    connection.close()
