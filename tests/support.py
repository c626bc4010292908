"""Helpers the test modules share that are not fixtures."""

from __future__ import annotations

import json
import os
import secrets
import urllib.error
import urllib.request
from pathlib import Path

import pytest


def http_json(method: str, url: str, body: bytes | None = None, headers: dict | None = None):
    """One HTTP request to a real server: (status, headers, parsed JSON or None)."""
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            raw, status, head = response.read(), response.status, response.headers
    except urllib.error.HTTPError as error:
        raw, status, head = error.read(), error.code, error.headers
    return status, head, (json.loads(raw) if raw else None)


SITE = "http://127.0.0.1:8000"  # the site origin the API tests post from
# argon2id at its least cost, for every app and server the tests start: the suite hashes
# hundreds of passwords. test_api_auth.py checks that the defaults are OWASP's cost.
CHEAP_ARGON2 = {"ARGON2_TIME_COST": 1, "ARGON2_MEMORY_COST": 8, "ARGON2_PARALLELISM": 1}
PG_DSN = os.environ.get("KOMMENTAR_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres")
REQUIRE = os.environ.get("KOMMENTAR_REQUIRE_SERVICES") == "1"



def app_settings(database_url: str) -> dict:
    """The settings a test's app is built from, on the given database."""
    # No form-timestamp check by default: tests post at machine speed (test_defences.py
    # turns it on).
    return {"secret_key": "test-" + secrets.token_hex(8), "origins": SITE,
            "database_url": database_url, "ratelimit": False, "spam_min_seconds": 0,
            **{name.lower(): value for name, value in CHEAP_ARGON2.items()}}


def command_settings(**settings) -> dict[str, str]:
    """Settings as a ``kommentar`` process reads them (``KOMMENTAR_NAME`` variables, text as
    it is and anything else as JSON), with the cheap password hashing every test uses."""
    return {f"KOMMENTAR_{name.upper()}": value if isinstance(value, str) else json.dumps(value)
            for name, value in {**CHEAP_ARGON2, **settings}.items()}


def command_env(**settings) -> dict[str, str]:
    """The environment of a ``kommentar`` process a test starts: this one's without its own
    ``KOMMENTAR_*`` variables, and ``settings`` (see ``command_settings``)."""
    return {**{name: value for name, value in os.environ.items()
               if not name.startswith("KOMMENTAR_")}, **command_settings(**settings)}

def missing(reason: str):
    """Skip for a missing service, or fail when CI says every service must be there."""
    if REQUIRE:
        pytest.fail(f"{reason} (KOMMENTAR_REQUIRE_SERVICES=1 makes this mandatory)")
    pytest.skip(reason)


def postgres_admin():
    """An autocommit connection to PostgreSQL's maintenance database, for creating and
    dropping scratch databases; a skip (or, in CI, a failure) when it cannot be had."""
    try:
        import psycopg2
    except ImportError:
        missing("psycopg2 is not installed")
    try:
        admin = psycopg2.connect(PG_DSN, connect_timeout=3)
    except psycopg2.OperationalError as error:
        missing(f"PostgreSQL is not reachable at {PG_DSN}: {error}".strip())
    admin.autocommit = True
    return admin


class Api:
    """Calls the API the way the widget does: JSON bodies, the site's Origin, a bearer token."""

    def __init__(self, client):
        self.client = client
        self.token: str | None = None

    def headers(self, token=None, **extra):
        headers = {"Origin": SITE, **extra}
        token = token or self.token
        if token:
            headers["Authorization"] = f"Bearer {token}"
        return headers

    def get(self, path, token=None, **params):
        return self.client.get(path, query_string=params, headers=self.headers(token))

    def post(self, path, body=None, token=None):
        return self.client.post(path, json=body if body is not None else {},
                                headers=self.headers(token))

    def patch(self, path, body, token=None):
        return self.client.patch(path, json=body, headers=self.headers(token))

    def delete(self, path, token=None):
        return self.client.delete(path, headers=self.headers(token))

    def comment(self, text="A comment.", url=f"{SITE}/post", **fields):
        """Post a comment (anonymously as 'Reader' unless signed in) and return its JSON."""
        body = {"url": url, "text": text, **fields}
        if not self.token:
            body.setdefault("name", "Reader")
        response = self.post("/api/comments", body)
        assert response.status_code == 201, response.json
        return response.json

    def register(self, username="alice", password="correct horse battery"):
        response = self.post("/api/auth/register", {"username": username, "password": password})
        assert response.status_code == 201, response.json
        self.token = response.json["token"]
        return response.json["user"]

    def thread(self, url=f"{SITE}/post", **params):
        response = self.get("/api/threads", url=url, **params)
        assert response.status_code == 200, response.json
        return response.json


class Clock:
    """Stands in for the ``time`` module inside itsdangerous, running ``offset`` seconds ahead."""

    def __init__(self, offset: float):
        import time

        self._time = time.time
        self.offset = offset

    def time(self) -> float:
        return self._time() + self.offset



class QueryCounter:
    """Counts the SQL statements peewee sends while it is active."""

    def __enter__(self):
        from kommentar.db import database

        self.statements, self.database = [], database.obj
        original = self.database.execute_sql

        def counting(sql, params=None, *args, **kwargs):
            self.statements.append(sql)
            return original(sql, params, *args, **kwargs)

        self.database.execute_sql = counting
        return self

    def __exit__(self, *exc):
        del self.database.execute_sql


class Receiver:
    """A webhook receiver on 127.0.0.1, served from a thread: it checks every call's signature
    with the Standard Webhooks reference library (``standardwebhooks``), answers ``answer``,
    and keeps each call as (headers, body, what the verification said).

    ``hold``, an event, keeps every answer back until it is set; ``together``, a barrier,
    answers the first calls only once that many are waiting at the same time."""

    def __init__(self, secret: str | None = None):
        import threading

        self.secret, self.answer, self.calls = secret, 204, []
        self.arrived = threading.Condition()
        self.hold: threading.Event | None = None
        self.together: threading.Barrier | None = None
        self.port = 0
        self.httpd = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def start(self) -> Receiver:
        """Listen (again, on the same port once it had one)."""
        import http.server
        import threading

        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):  # noqa: N802 - http.server's naming
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.record(dict(self.headers), body)
                receiver.wait_to_answer()
                try:
                    self.send_response(receiver.answer)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                except OSError:
                    pass  # the sender is gone (a test killed it)

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.port = self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True).start()
        return self

    def stop(self) -> None:
        """Stop listening: calls meet a refused connection."""
        if self.httpd is not None:
            self.httpd.shutdown()
            self.httpd.server_close()
            self.httpd = None

    def wait_to_answer(self) -> None:
        import threading

        if self.together is not None:
            try:
                self.together.wait()
            except threading.BrokenBarrierError:
                pass  # timed out: the test sees too few calls at once
        if self.hold is not None:
            self.hold.wait(60)

    def record(self, headers: dict, body: bytes) -> None:
        from standardwebhooks.webhooks import Webhook, WebhookVerificationError

        verdict: object = None
        if self.secret is not None:
            try:
                verdict = Webhook(self.secret).verify(body, headers)
            except WebhookVerificationError as error:
                verdict = error
        with self.arrived:
            self.calls.append((headers, body, verdict))
            self.arrived.notify_all()

    def wait_for(self, count: int, timeout: float = 30) -> list:
        """The calls, once there are ``count`` of them (AssertionError after ``timeout``)."""
        with self.arrived:
            assert self.arrived.wait_for(lambda: len(self.calls) >= count, timeout), \
                f"{len(self.calls)} of {count} webhook calls arrived in {timeout} s"
            return list(self.calls)

    def payloads(self) -> list:
        """The JSON of every call so far."""
        return [json.loads(body) for _, body, _ in self.calls]


AXE = Path(__file__).resolve().parents[1] / "node_modules" / "axe-core" / "axe.min.js"


def axe_violations(page, within: str = "[data-kommentar]") -> list[dict]:
    """What axe-core finds wrong with the accessibility of the page's part ``within``, as
    {id, impact, nodes}; a test asserts on the serious and critical ones."""
    if not AXE.exists():
        pytest.fail("axe-core is missing: run npm ci")
    page.add_script_tag(path=str(AXE))
    return page.evaluate("""async (within) => {
        const result = await axe.run(document.querySelector(within), {resultTypes: ['violations']});
        return result.violations.map(v => ({id: v.id, impact: v.impact,
            nodes: v.nodes.map(n => n.target.join(' ') + ': ' + n.failureSummary)}));
    }""", within)
