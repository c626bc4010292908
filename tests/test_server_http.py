"""The real server over HTTP: ``kommentar serve`` under gunicorn, as a site owner runs it."""

from __future__ import annotations

import json

from support import SITE, http_json


def test_served_thread_round_trip(start_server):
    server = start_server()
    status, _, empty = http_json("GET", f"{server.url}/api/threads?url={SITE}/a")
    assert status == 200 and empty["thread"]["count"] == 0

    body = json.dumps({"url": f"{SITE}/a", "text": "Over *HTTP*", "name": "Ada"}).encode()
    status, _, created = http_json("POST", f"{server.url}/api/comments", body,
                                   {"Content-Type": "application/json", "Origin": SITE})
    assert status == 201
    status, headers, thread = http_json("GET", f"{server.url}/api/threads?url={SITE}/a",
                                        headers={"Origin": SITE})
    assert thread["comments"][0]["html"] == "<p>Over <em>HTTP</em></p>"
    assert headers["Access-Control-Allow-Origin"] == SITE
    assert created["id"] == thread["comments"][0]["id"]


def test_served_embed_script_is_cacheable(start_server):
    server = start_server()
    status, headers, _ = http_json("HEAD", f"{server.url}/embed.js")
    assert status == 200
    assert headers["Content-Type"].startswith("text/javascript")
    assert "max-age" in headers["Cache-Control"] and headers["ETag"]
    status, _, _ = http_json("GET", f"{server.url}/embed.js",
                             headers={"If-None-Match": headers["ETag"]})
    assert status == 304


def test_concurrent_writers_on_sqlite_all_land(start_server):
    """Two worker processes, eight clients at once: writers queue for SQLite's lock instead
    of failing with 'database is locked', and every acknowledged comment is stored."""
    from concurrent.futures import ThreadPoolExecutor

    server = start_server(workers=2, ratelimit="off")

    def post(n):
        body = json.dumps({"url": f"{SITE}/busy", "text": f"comment {n}", "name": "Load"})
        return http_json("POST", f"{server.url}/api/comments", body.encode(),
                         {"Content-Type": "application/json"})

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(post, range(80)))
    assert [status for status, _, _ in results] == [201] * 80
    _, _, thread = http_json("GET", f"{server.url}/api/threads?url={SITE}/busy")
    assert thread["thread"]["count"] == 80
    assert sorted(c["id"] for c in thread["comments"]) == sorted(r[2]["id"] for r in results)
