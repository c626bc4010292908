"""Pooled database connections, seen from PostgreSQL's side: requests reuse one session
instead of opening one each, and a session the database dropped is replaced unnoticed."""

from __future__ import annotations

import psycopg2
import pytest
from support import PG_DSN

pytestmark = pytest.mark.parametrize("database_url", ["postgres"], indirect=True)

SESSIONS = """SELECT pid, backend_start FROM pg_stat_activity
              WHERE datname = %s AND pid <> pg_backend_pid() ORDER BY pid"""


def _sessions(database_url: str, terminate: bool = False) -> list[tuple]:
    """The sessions open on the test's database (other than this look at them)."""
    name = database_url.rsplit("/", 1)[1]
    with psycopg2.connect(PG_DSN) as conn, conn.cursor() as cursor:
        cursor.execute(SESSIONS, (name,))
        sessions = cursor.fetchall()
        if terminate:
            for pid, _ in sessions:
                cursor.execute("SELECT pg_terminate_backend(%s)", (pid,))
    conn.close()
    return sessions


def test_requests_share_one_session_rather_than_open_one_each(api, database_url):
    api.comment("The first comment.")
    api.thread()
    before = _sessions(database_url)
    assert len(before) == 1, "one pooled session, idle between requests"
    for _ in range(20):
        api.thread()
        api.comment("Another comment.")
    assert _sessions(database_url) == before


def test_a_session_the_database_dropped_is_replaced_before_the_next_request(api, database_url):
    api.comment("Before the restart.")
    before = _sessions(database_url, terminate=True)  # as a restart or an idle timeout would
    assert len(before) == 1
    api.comment("After the restart.")  # not a 503: the dead session is noticed when borrowed
    texts = [c["html"] for c in api.thread()["comments"]]
    assert texts == ["<p>Before the restart.</p>", "<p>After the restart.</p>"]
    assert _sessions(database_url) != before
