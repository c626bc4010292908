"""The ``kommentar`` command: ``init`` writes a private config with a fresh secret and creates
the database, ``migrate`` reports the schema, and a bad configuration is a one-line error."""

from __future__ import annotations

import os
import sqlite3
import stat
import subprocess
import sys
import tomllib

import pytest
from click.testing import CliRunner

from kommentar import migrations
from kommentar.cli import main

pytestmark = pytest.mark.usefixtures("clean_environment")  # KOMMENTAR_* unset


@pytest.fixture
def run():
    """Run the command in-process; returns click's result."""
    runner = CliRunner()

    def invoke(*args: str):
        return runner.invoke(main, list(args), catch_exceptions=False)

    return invoke


@pytest.fixture
def database(tmp_path):
    return tmp_path / "data" / "kommentar.db"


def init(run, path, database, *extra: str):
    return run("--config", str(path), "init", "--origin", "https://blog.example",
               "--database-url", f"sqlite:///{database}", *extra)


def read(path) -> dict:
    with open(path, "rb") as file:
        return tomllib.load(file)


def test_init_writes_a_private_config_with_a_secret_and_the_origins(run, tmp_path, database):
    path = tmp_path / "kommentar.toml"
    result = init(run, path, database, "--origin", "HTTP://Other.Example:80/")
    assert result.exit_code == 0, result.output
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    written = read(path)
    [secret] = written["secret_key"]
    assert len(secret) >= 32
    assert written["origins"] == ["https://blog.example", "http://other.example"]
    assert written["anonymous"] is True
    assert str(path) in result.output


def test_init_creates_the_database_with_the_schema(run, tmp_path, database):
    assert init(run, tmp_path / "kommentar.toml", database).exit_code == 0
    with sqlite3.connect(database) as connection:
        tables = {row[0] for row in
                  connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        version = connection.execute("SELECT MAX(version) FROM kommentar_schema").fetchone()[0]
    connection.close()
    assert {"kommentar_schema", "user", "thread", "comment", "vote"} <= tables
    assert version == migrations.SCHEMA_VERSION


def test_two_inits_make_different_secrets(run, tmp_path, database):
    init(run, tmp_path / "a.toml", database)
    init(run, tmp_path / "b.toml", database)
    assert read(tmp_path / "a.toml")["secret_key"] != read(tmp_path / "b.toml")["secret_key"]


def test_init_accounts_only(run, tmp_path, database):
    init(run, tmp_path / "kommentar.toml", database, "--accounts-only")
    assert read(tmp_path / "kommentar.toml")["anonymous"] is False


def test_init_without_config_writes_kommentar_toml_here(run, tmp_path, database, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = run("init", "--origin", "https://blog.example", "--database-url",
                 f"sqlite:///{database}")
    assert result.exit_code == 0, result.output
    assert read(tmp_path / "kommentar.toml")["origins"] == ["https://blog.example"]


def test_init_refuses_to_overwrite_without_force(run, tmp_path, database):
    path = tmp_path / "kommentar.toml"
    path.write_text("# mine\n")
    result = init(run, path, database)
    assert result.exit_code == 1
    assert "--force" in result.output
    assert path.read_text() == "# mine\n"


def test_init_with_force_replaces_the_file_and_makes_it_private(run, tmp_path, database):
    path = tmp_path / "kommentar.toml"
    path.write_text("# mine\n")
    path.chmod(0o644)
    result = init(run, path, database, "--force")
    assert result.exit_code == 0, result.output
    assert read(path)["origins"] == ["https://blog.example"]
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


@pytest.mark.parametrize("origin", ["ftp://blog.example", "https://blog.example/path", "null"])
def test_init_with_a_bad_origin_writes_nothing(run, tmp_path, database, origin):
    path = tmp_path / "kommentar.toml"
    result = run("--config", str(path), "init", "--origin", origin,
                 "--database-url", f"sqlite:///{database}")
    assert result.exit_code == 2
    assert "--origin" in result.output and "origin" in result.output
    assert not path.exists() and not database.exists()


def test_migrate_prints_the_schema_version(run, tmp_path, database):
    path = tmp_path / "kommentar.toml"
    init(run, path, database)
    result = run("--config", str(path), "migrate")
    assert result.exit_code == 0
    assert result.output.strip() == f"schema at version {migrations.SCHEMA_VERSION}"


def test_migrate_reads_kommentar_config(run, tmp_path, database, monkeypatch):
    path = tmp_path / "kommentar.toml"
    init(run, path, database)
    monkeypatch.setenv("KOMMENTAR_CONFIG", str(path))
    assert run("migrate").exit_code == 0


def test_migrate_from_the_environment_alone(run, database, monkeypatch):
    monkeypatch.setenv("KOMMENTAR_SECRET_KEY", "k")
    monkeypatch.setenv("KOMMENTAR_ORIGINS", "https://blog.example")
    monkeypatch.setenv("KOMMENTAR_DATABASE_URL", f"sqlite:///{database}")
    result = run("migrate")
    assert result.exit_code == 0, result.output
    assert database.exists()


@pytest.mark.parametrize("args, environ, message", [
    (["--config", "absent.toml", "migrate"], {}, "cannot read config file absent.toml"),
    (["migrate"], {}, "secret_key is not set"),
    (["migrate"], {"KOMMENTAR_SECRET_KEY": "k"}, "origins is not set"),
    (["migrate"], {"KOMMENTAR_SECRET_KEY": "k", "KOMMENTAR_ORIGINS": "ftp://x"}, "origins: "),
    (["migrate"], {"KOMMENTAR_SECRET_KEY": "k", "KOMMENTAR_ORIGINS": "https://blog.example",
                   "KOMMENTAR_ANONYMOUS": "maybe"}, "anonymous: "),
    (["migrate"], {"KOMMENTAR_SECRET_KEY": "k", "KOMMENTAR_ORIGINS": "https://blog.example",
                   "KOMMENTAR_RATELIMIT_STORAGE": "carrier-pigeon://x"}, "ratelimit_storage: "),
    (["serve"], {}, "secret_key is not set"),
])
def test_config_error_is_a_clear_message_not_a_traceback(tmp_path, args, environ, message):
    env = {k: v for k, v in os.environ.items() if not k.startswith("KOMMENTAR_")}
    env.update(environ, KOMMENTAR_DATABASE_URL=f"sqlite:///{tmp_path / 'k.db'}")
    done = subprocess.run([sys.executable, "-m", "kommentar.cli", *args], env=env, cwd=tmp_path,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert done.stderr.startswith("Error: ") and message in done.stderr
    assert "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
