"""What every import test needs: a server configured for the example sites the export files
name (the ``run`` fixture runs ``kommentar`` with its settings), and the thread document
``GET /api/threads`` then serves."""

from __future__ import annotations

import pytest

from .common import ORIGINS


@pytest.fixture
def settings(settings):
    settings["origins"] = ORIGINS
    return settings


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
