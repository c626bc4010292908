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
import shutil
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
from mail_server import Certificates, MailServer
from support import (
    PG_DSN,
    SITE,
    Api,
    app_settings,
    command_env,
    command_settings,
    missing,
    postgres_admin,
)

ROOT = Path(__file__).resolve().parents[1]


def pytest_collection_modifyitems(items):
    """Schemathesis names each operation's test (``test_x[GET /api/config]``), but under pytest
    9.2 they all get the function's node id, and pytest-xdist, which tells tests apart by node
    id, would run only one of them: give each its operation as its parameter (private API, as
    schemathesis's own lazy schemas do; a pytest that renames it fails here loudly)."""
    for item in items:
        label = getattr(item, "operation_label", None)
        if label and not item.nodeid.endswith(f"[{label}]"):
            item._id = item.parent.id.child(item.originalname).with_params(label)


# --- databases: built at the head schema once per session, handed out cleared ---------------
#
# Building the tables is most of what an API test costs (a third of a second on PostgreSQL), so
# a test that builds an ``app`` (which would migrate an empty database anyway) gets a database
# already at the head schema with no rows: a copy of a template file on SQLite, the session's
# scratch database cleared by DELETE on PostgreSQL. Other tests get an empty database as before.

def _migrate(url: str) -> None:
    """Bring the database at ``url`` to the head schema the way a server does, by starting it."""
    from kommentar import create_app
    from kommentar.db import disconnect

    create_app({"secret_key": "template", "origins": SITE, "database_url": url})
    disconnect()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:
    """A SQLite file at the head schema; tests that build an app start from a copy of it."""
    path = tmp_path_factory.mktemp("template") / "kommentar.db"
    _migrate(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def postgres_url():
    """A fresh PostgreSQL database for this run, dropped at the end."""
    admin = postgres_admin()
    name = f"kommentar_test_{uuid.uuid4().hex[:10]}"
    with admin.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{name}"')
        # Commits need not wait for the disk: a test may kill a server, never PostgreSQL, and
        # what a killed server had committed is in PostgreSQL's hands either way.
        cursor.execute(f'ALTER DATABASE "{name}" SET synchronous_commit = off')
    base = PG_DSN.rsplit("/", 1)[0]
    try:
        yield f"{base}/{name}"
    finally:
        from kommentar.db import disconnect

        disconnect()
        with admin.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


# The shape of a schema: what a test that altered it would have changed.
_SHAPE = """
    SELECT 'column', table_name || '.' || column_name, data_type || is_nullable
           || coalesce(column_default, '') FROM information_schema.columns
     WHERE table_schema = 'public'
    UNION ALL SELECT 'index', indexname, indexdef FROM pg_indexes WHERE schemaname = 'public'
    UNION ALL SELECT 'constraint', conrelid::regclass::text || '.' || conname,
           pg_get_constraintdef(oid) FROM pg_constraint
     WHERE connamespace = 'public'::regnamespace
    UNION ALL SELECT 'trigger', tgrelid::regclass::text || '.' || tgname, '' FROM pg_trigger
     WHERE NOT tgisinternal AND tgrelid::regclass::text NOT LIKE 'pg_%'
    ORDER BY 1, 2"""


class ScratchPostgres:
    """The session's PostgreSQL database, and what it takes to reset it between tests."""

    def __init__(self, url: str):
        self.url = url
        self.head: tuple | None = None  # (shape, kept rows) while known to be at the head schema

    def _connect(self):
        import psycopg2

        conn = psycopg2.connect(self.url)
        conn.autocommit = True
        return conn

    @staticmethod
    def _tables(cursor) -> list[str]:
        cursor.execute("SELECT oid::regclass::text FROM pg_class WHERE relkind = 'r' "
                       "AND relnamespace = 'public'::regnamespace")
        return [row[0] for row in cursor.fetchall()]

    def _state(self, cursor, kept: list[str]) -> tuple:
        cursor.execute(_SHAPE)
        shape = cursor.fetchall()
        rows = []
        for table in kept:
            cursor.execute(f"SELECT * FROM {table} ORDER BY 1")
            rows.append(cursor.fetchall())
        return shape, rows

    def empty(self) -> None:
        """No tables at all, as a freshly created database."""
        conn = self._connect()
        with conn.cursor() as cursor:
            tables = self._tables(cursor)
            if tables:
                cursor.execute(f"DROP TABLE {', '.join(tables)} CASCADE")
        conn.close()
        self.head = None

    def clear(self) -> None:
        """The head schema with no rows but those the migration wrote (the schema version)."""
        conn = self._connect()
        with conn.cursor() as cursor:
            if self.head is None or self._state(cursor, self.kept) != self.head:
                conn.close()
                self._build()
                return
            # Children before parents; DELETE, because TRUNCATE of a tiny table costs far more.
            cursor.execute(";".join([*(f"DELETE FROM {table}" for table in self.cleared),
                                     *self.sequences]))
        conn.close()

    def _build(self) -> None:
        from graphlib import TopologicalSorter

        self.empty()
        _migrate(self.url)
        conn = self._connect()
        with conn.cursor() as cursor:
            tables = self._tables(cursor)
            cursor.execute("SELECT conrelid::regclass::text, confrelid::regclass::text "
                           "FROM pg_constraint WHERE contype = 'f' "
                           "AND connamespace = 'public'::regnamespace")
            referrers: dict[str, set[str]] = {table: set() for table in tables}
            for child, parent in cursor.fetchall():
                if child != parent:
                    referrers[parent].add(child)
            kept = []
            for table in tables:
                cursor.execute(f"SELECT EXISTS (SELECT 1 FROM {table})")
                if cursor.fetchone()[0]:
                    kept.append(table)
            self.kept = kept
            self.cleared = [t for t in TopologicalSorter(referrers).static_order()
                            if t not in kept]
            cursor.execute("SELECT format('SELECT setval(%L, %s, %s)', quote_ident(schemaname) "
                           "|| '.' || quote_ident(sequencename), coalesce(last_value, "
                           "start_value), (last_value IS NOT NULL)::text) FROM pg_sequences "
                           "WHERE schemaname = 'public'")
            self.sequences = [row[0] for row in cursor.fetchall()]
            self.head = self._state(cursor, kept)
        conn.close()


@pytest.fixture(scope="session")
def scratch_postgres(postgres_url) -> ScratchPostgres:
    return ScratchPostgres(postgres_url)


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request, tmp_path):
    """Each API test runs once on SQLite and once on PostgreSQL, on a database of its own:
    empty, or at the head schema with no rows when the test builds the ``app``."""
    at_head = "app" in request.fixturenames
    if request.param == "sqlite":
        path = tmp_path / "kommentar.db"
        if at_head:
            shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite:///{path}"
    scratch = request.getfixturevalue("scratch_postgres")
    scratch.clear() if at_head else scratch.empty()
    return scratch.url


@pytest.fixture
def settings(database_url):
    """The configuration a test's app is built from; tests may change it before ``app``."""
    return app_settings(database_url)


@pytest.fixture
def app(settings):
    from kommentar import create_app
    from kommentar.db import disconnect

    application = create_app(settings)
    yield application
    disconnect()


@pytest.fixture
def clean_environment(monkeypatch):
    """For tests of the command, which reads KOMMENTAR_* from the environment: none set."""
    for name in list(os.environ):
        if name.startswith("KOMMENTAR_"):
            monkeypatch.delenv(name)


@pytest.fixture
def run(settings, app, clean_environment):
    """Run ``kommentar`` in-process against the test's database and settings, with no other
    ``KOMMENTAR_*`` variable about: ``run(*args, input=None, **variables)``, where
    ``variables`` are further ``KOMMENTAR_*`` ones; returns click's result."""
    from click.testing import CliRunner

    from kommentar.cli import main
    from kommentar.db import database

    env = command_settings(secret_key=settings["secret_key"], origins=settings["origins"],
                           database_url=settings["database_url"], ratelimit="false")

    def invoke(*args, input: str | None = None, **variables: str):
        if not database.is_closed():  # the command opens its own connection
            database.close()
        return CliRunner().invoke(main, [str(arg) for arg in args], input=input,
                                  env={**env, **variables}, catch_exceptions=False)

    return invoke


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def api(client):
    return Api(client)


# --- real servers over HTTP --------------------------------------------------------------------

# Each pytest-xdist worker hands out ports from a block of its own, below the kernel's ephemeral
# range: a port one worker found free and handed to a server cannot be taken by another worker in
# the moment before that server binds it (which would leave the test talking to a stranger).
_WORKER = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw"))
_BLOCK = 22_000 // int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))  # 10000 to 32000
# Chromium refuses to connect to a few ports (net/base/port_util.cc, "ERR_UNSAFE_PORT"); of
# those, only 10080 is in our range. A server there is up, but no page can load its widget.
_UNSAFE_FOR_BROWSERS = {10080}
_PORTS = (port for port in range(10_000 + _BLOCK * _WORKER, 10_000 + _BLOCK * (_WORKER + 1))
          if port not in _UNSAFE_FOR_BROWSERS)


def free_port() -> int:
    """A port of 127.0.0.1 nothing listens on, from this worker's block."""
    for port in _PORTS:
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
        return port
    raise RuntimeError("this test worker has used up its block of ports")


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
        """End the server when its test is done. At once, as ``crash`` does: gunicorn's own
        shutdown takes half a second, and everything a test waited for is committed already."""
        if self.process.poll() is None:
            self.crash()


def launch_server(folder: Path, origins: str = SITE, workers: int = 1, args: tuple = (),
                  **settings) -> Server:
    """Start ``kommentar serve`` on a free port with the given settings (environment variables)
    and further options ``args``, its database and log in ``folder``; the caller stops it."""
    port = free_port()
    env = command_env(**{"secret_key": secrets.token_hex(16), "origins": origins,
                         "spam_min_seconds": 0,  # browsers driven by tests type instantly
                         "database_url": f"sqlite:///{folder / f'server-{port}.db'}",
                         **settings})
    log = folder / f"server-{port}.log"
    with open(log, "wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "kommentar.cli", "serve", "--port", str(port),
             "--workers", str(workers), *args],
            env=env, stdout=output, stderr=subprocess.STDOUT, cwd=folder,
            start_new_session=True)  # its own process group: crash() reaches the workers
    server = Server(f"http://127.0.0.1:{port}", process, env, log)
    try:
        wait_for_port(port, process)
    except RuntimeError:
        server.stop()
        raise
    return server


@pytest.fixture
def start_server(tmp_path):
    """Start ``kommentar serve`` on a free port with the given settings (environment variables);
    each is stopped when the test ends."""
    started: list[Server] = []

    def start(origins: str = SITE, workers: int = 1, args: tuple = (), **settings) -> Server:
        server = launch_server(tmp_path, origins, workers, args, **settings)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


# --- mail: a real SMTP server on 127.0.0.1 (tests/mail_server.py) ----------------------------

@pytest.fixture(scope="session")
def mail_certificates(tmp_path_factory) -> Certificates:
    """A throwaway CA and a server certificate for 127.0.0.1 it issued, for the whole run."""
    return Certificates.make(tmp_path_factory.mktemp("mail-ca"))


@pytest.fixture
def start_mail_server(request):
    """Start an SMTP server: ``start("starttls", users={"name": "password"},
    refuse={"x@example.org": "550 5.1.1 No such user"})`` (tests/mail_server.py); stopped at
    the end of the test.
    STARTTLS and TLS use a certificate from the run's own CA unless given another."""
    servers = []

    def start(security: str = "none", certificates: Certificates | None = None,
              **options) -> MailServer:
        if security != "none" and certificates is None:
            certificates = request.getfixturevalue("mail_certificates")
        server = MailServer(free_port(), security, certificates, **options).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def mail_server(start_mail_server) -> MailServer:
    """An SMTP server in the clear, without log-in, keeping what it receives."""
    return start_mail_server()


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


def serve_examples() -> tuple[http.server.ThreadingHTTPServer, type[_ExamplesHandler]]:
    """examples/ served on a free port of 127.0.0.1 from a thread; set the returned handler
    class's ``server_url`` to the Kommentar server the pages should embed."""
    handler = type("Handler", (_ExamplesHandler,), {})
    httpd = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(handler, directory=str(ROOT / "examples")))
    # A short poll: shutdown() waits for the loop to look, half a second by default.
    threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True).start()
    return httpd, handler


def stop_examples(httpd: http.server.ThreadingHTTPServer) -> None:
    httpd.shutdown()
    httpd.server_close()


@dataclass
class Site:
    """The example pages served from their own origin, talking to a Kommentar server."""

    url: str
    server: Server


@pytest.fixture
def start_site(start_server):
    """Serve examples/ on a free port and a Kommentar server of its own that accepts that
    origin (``shared_sites`` is the quicker way to a fresh site)."""
    running: list[http.server.ThreadingHTTPServer] = []

    def start(**settings) -> Site:
        httpd, handler = serve_examples()
        running.append(httpd)
        origin = f"http://127.0.0.1:{httpd.server_address[1]}"
        server = start_server(origins=origin, **settings)
        handler.server_url = server.url
        return Site(origin, server)

    yield start
    for httpd in running:
        stop_examples(httpd)


# A Kommentar server takes a second to start and stop, more than most browser tests take, so
# the tests of a module share one per distinct settings. Each test still gets a site of its own:
# an origin no other test used, a name under .localhost (which Chromium resolves to this
# machine without asking DNS), so its threads, page URLs and browser storage are all new.
ORIGINS_PER_SERVER = 100


@dataclass
class _SiteGroup:
    server: Server
    httpd: http.server.ThreadingHTTPServer
    origins: list[str]


class SharedSites:
    """The servers one test module shares, one per distinct settings, each with the example
    pages on many origins; ``take`` hands out a site on an origin no test has used."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.groups: dict[tuple, _SiteGroup] = {}
        self.retired: list[_SiteGroup] = []

    def take(self, **settings) -> Site:
        """A fresh site on a server started with these settings (environment variables)."""
        key = tuple(sorted((name, str(value)) for name, value in settings.items()))
        group = self.groups.get(key)
        if group is None or not group.origins:
            if group is not None:
                self.retired.append(group)
            group = self.groups[key] = self._start(settings)
        return Site(group.origins.pop(0), group.server)

    def _start(self, settings: dict) -> _SiteGroup:
        httpd, handler = serve_examples()
        port = httpd.server_address[1]
        origins = [f"http://t{n}.localhost:{port}" for n in range(ORIGINS_PER_SERVER)]
        try:
            server = launch_server(self.folder, origins=",".join(origins), **settings)
        except RuntimeError:
            stop_examples(httpd)
            raise
        handler.server_url = server.url
        return _SiteGroup(server, httpd, origins)

    def close(self) -> None:
        for group in [*self.groups.values(), *self.retired]:
            group.server.stop()
            stop_examples(group.httpd)


@pytest.fixture(scope="module")
def shared_sites(tmp_path_factory):
    """The module's shared servers (see ``SharedSites``), stopped when the module ends."""
    sites = SharedSites(tmp_path_factory.mktemp("sites"))
    yield sites
    sites.close()


# --- sign-in providers: real OAuth 2 / OpenID Connect servers (tests/oidc_providers.py) -------

def _sign_in_providers():
    """tests/oidc_providers.py, or a skip (a failure in CI) when its packages are missing."""
    import importlib.util

    for package in ("oidc_provider_mock", "joserfc", "httpx"):
        if importlib.util.find_spec(package) is None:
            missing(f"{package} is not installed (pip install -e '.[test]')")
    import oidc_providers

    return oidc_providers


@pytest.fixture(scope="session")
def oidc_provider(tmp_path_factory):
    """oidc-provider-mock, a real OpenID Connect provider, in a process on 127.0.0.1 for the
    whole run (``RealProvider``); tests share it, so each signs in with a ``sub`` of its own."""
    providers = _sign_in_providers()
    log = tmp_path_factory.mktemp("oidc-provider") / "provider.log"
    provider = providers.RealProvider(free_port(), log).start()
    yield provider
    provider.stop()


@pytest.fixture
def github_api(oidc_provider):
    """GitHub's ``/user`` and ``/user/emails`` for the people of ``oidc_provider``
    (``GitHubStandIn``); ``github_api.endpoints()`` is a GitHub provider's four URLs."""
    stand_in = _sign_in_providers().GitHubStandIn(oidc_provider).start()
    yield stand_in
    stand_in.stop()


@pytest.fixture
def forged_provider():
    """An OpenID Connect provider whose next ID token the test may spoil
    (``ForgedProvider``: ``forged_provider.next_token(aud="other")``)."""
    forged = _sign_in_providers().ForgedProvider().start()
    yield forged
    forged.stop()
