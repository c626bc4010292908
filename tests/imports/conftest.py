"""What every import test needs: the ``kommentar`` command run in-process against the test's
database, on a server configured for the example sites the export files name, and the thread
document ``GET /api/threads`` then serves."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from support import CHEAP_ARGON2, clean_environment  # noqa: F401 - a fixture, used below

from kommentar.cli import main
from kommentar.db import database

from .common import ORIGINS

pytestmark = pytest.mark.usefixtures("clean_environment")


@pytest.fixture
def settings(settings):
    settings["origins"] = ORIGINS
    return settings


@pytest.fixture
def run(settings, app):
    """Run ``kommentar`` in-process against the test's database; click's result."""
    runner = CliRunner()
    env = {"KOMMENTAR_SECRET_KEY": settings["secret_key"], "KOMMENTAR_ORIGINS": ORIGINS,
           "KOMMENTAR_DATABASE_URL": settings["database_url"],
           **{f"KOMMENTAR_{name}": str(value) for name, value in CHEAP_ARGON2.items()}}

    def invoke(*args: str, env_extra: dict | None = None):
        if not database.is_closed():  # the command opens its own connection
            database.close()
        return runner.invoke(main, [str(arg) for arg in args], env={**env, **(env_extra or {})},
                             catch_exceptions=False)

    return invoke


@pytest.fixture
def thread(client):
    """The thread document a page at ``url`` gets (every page of it), as the widget asks."""

    def fetch(url: str, thread_id: str | None = None, sort: str = "oldest") -> dict:
        params = {"url": url, "sort": sort, "limit": 100}
        if thread_id:
            params["id"] = thread_id
        origin = "/".join(url.split("/")[:3])
        response = client.get("/api/threads", query_string=params, headers={"Origin": origin})
        assert response.status_code == 200, response.json
        return response.json

    return fetch
