"""Fixtures: an app on a fresh database (SQLite, and PostgreSQL where reachable), its test
client, a small API helper, and real servers over HTTP for the end-to-end and browser tests.

PostgreSQL and browser tests skip with the reason when their service is missing, unless
KOMMENTAR_REQUIRE_SERVICES=1 (set by .ci/run), which turns every such skip into a failure.
"""

from __future__ import annotations

import functools
import http.server
import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest
from support import CHEAP_ARGON2, PG_DSN, SITE, Api, missing

ROOT = Path(__file__).resolve().parents[1]
# --- PostgreSQL: one scratch database per test session, emptied between tests -----------------

@pytest.fixture(scope="session")
def postgres_url():
    """A fresh PostgreSQL database for this run, dropped at the end."""
    try:
        import psycopg2
    except ImportError:
        missing("psycopg2 is not installed")
    try:
        admin = psycopg2.connect(PG_DSN, connect_timeout=3)
    except psycopg2.OperationalError as error:
        missing(f"PostgreSQL is not reachable at {PG_DSN}: {error}".strip())
    admin.autocommit = True
    name = f"kommentar_test_{uuid.uuid4().hex[:10]}"
    with admin.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{name}"')
    base = PG_DSN.rsplit("/", 1)[0]
    try:
        yield f"{base}/{name}"
    finally:
        from kommentar.db import disconnect

        disconnect()
        with admin.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def _empty_postgres(url: str) -> None:
    import psycopg2

    with psycopg2.connect(url) as conn, conn.cursor() as cursor:
        cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        tables = [row[0] for row in cursor.fetchall()]
        if tables:
            cursor.execute("DROP TABLE " + ", ".join(f'"{t}"' for t in tables) + " CASCADE")
    conn.close()


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request, tmp_path):
    """Each API test runs once on SQLite and once on PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'kommentar.db'}"
    url = request.getfixturevalue("postgres_url")
    _empty_postgres(url)
    return url


@pytest.fixture
def settings(database_url):
    """The configuration a test's app is built from; tests may change it before ``app``."""
    # No form-timestamp check by default: tests post at machine speed (test_defences.py
    # turns it on).
    return {"secret_key": "test-" + secrets.token_hex(8), "origins": SITE,
            "database_url": database_url, "ratelimit": False, "spam_min_seconds": 0,
            **{name.lower(): value for name, value in CHEAP_ARGON2.items()}}


@pytest.fixture
def app(settings):
    from kommentar import create_app
    from kommentar.db import disconnect

    application = create_app(settings)
    yield application
    disconnect()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def api(client):
    return Api(client)


# --- real servers over HTTP --------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, process: subprocess.Popen | None = None, timeout: float = 20):
    """Block until something accepts connections on the port (or the process dies)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)  # polling for readiness, not papering over a race
    raise RuntimeError(f"nothing listening on 127.0.0.1:{port} after {timeout}s")


@dataclass
class Server:
    """A running ``kommentar serve`` process."""

    url: str
    process: subprocess.Popen
    env: dict
    log: Path

    def crash(self) -> None:
        """SIGKILL the server and its workers at once, as a power cut or the OOM killer would."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@pytest.fixture
def start_server(tmp_path):
    """Start ``kommentar serve`` on a free port with the given settings (environment variables)."""
    started: list[Server] = []

    def start(origins: str = SITE, workers: int = 1, **settings) -> Server:
        port = free_port()
        env = {**os.environ,
               "KOMMENTAR_SECRET_KEY": secrets.token_hex(16),
               "KOMMENTAR_ORIGINS": origins,
               "KOMMENTAR_SPAM_MIN_SECONDS": "0",  # browsers driven by tests type instantly
               "KOMMENTAR_DATABASE_URL": f"sqlite:///{tmp_path / f'server-{port}.db'}",
               **{f"KOMMENTAR_{name}": str(value) for name, value in CHEAP_ARGON2.items()}}
        env.pop("KOMMENTAR_CONFIG", None)
        env.update({f"KOMMENTAR_{k.upper()}": str(v) for k, v in settings.items()})
        log = tmp_path / f"server-{port}.log"
        with open(log, "wb") as output:
            process = subprocess.Popen(
                [sys.executable, "-m", "kommentar.cli", "serve", "--port", str(port),
                 "--workers", str(workers)],
                env=env, stdout=output, stderr=subprocess.STDOUT, cwd=tmp_path,
                start_new_session=True)  # its own process group: crash() reaches the workers
        server = Server(f"http://127.0.0.1:{port}", process, env, log)
        started.append(server)
        wait_for_port(port, process)
        return server

    yield start
    for server in started:
        server.stop()


class _ExamplesHandler(http.server.SimpleHTTPRequestHandler):
    """Serves examples/ with the dev server's address swapped for the test server's."""

    server_url = "http://127.0.0.1:8080"

    def log_message(self, *args):
        pass

    def do_GET(self):  # noqa: N802 - http.server's naming
        path = Path(self.translate_path(self.path))
        if path.is_dir():
            path = path / "index.html"
        if path.suffix != ".html" or not path.is_file():
            return super().do_GET()
        body = path.read_bytes().replace(b"http://127.0.0.1:8080", self.server_url.encode())
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@dataclass
class Site:
    """The example pages served from their own origin, talking to a Kommentar server."""

    url: str
    server: Server


@pytest.fixture
def start_site(start_server):
    """Serve examples/ on a free port and a Kommentar server that accepts that origin."""
    running: list[http.server.ThreadingHTTPServer] = []

    def start(**settings) -> Site:
        port = free_port()
        origin = f"http://127.0.0.1:{port}"
        server = start_server(origins=origin, **settings)
        handler = type("Handler", (_ExamplesHandler,), {"server_url": server.url})
        httpd = http.server.ThreadingHTTPServer(
            ("127.0.0.1", port), functools.partial(handler, directory=str(ROOT / "examples")))
        threading.Thread(target=httpd.serve_forever, daemon=True).start()
        running.append(httpd)
        return Site(origin, server)

    yield start
    for httpd in running:
        httpd.shutdown()
        httpd.server_close()
