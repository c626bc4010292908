"""Votes under concurrency, through a real server with two worker processes, on SQLite and
PostgreSQL: the same vote sent 50 times at once counts once, and 50 voters at once count 50."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

from support import SITE, http_json

JSON = {"Content-Type": "application/json"}


def _server_with_a_comment(start_server, database_url):
    server = start_server(workers=2, ratelimit="off", trusted_proxies=1,
                          database_url=database_url)
    body = json.dumps({"url": f"{SITE}/busy", "text": "Vote on me", "name": "A"}).encode()
    status, _, comment = http_json("POST", f"{server.url}/api/comments", body, JSON)
    assert status == 201
    return server, comment["id"]


def _vote(server, comment_id, value, headers):
    body = json.dumps({"value": value}).encode()
    return http_json("POST", f"{server.url}/api/comments/{comment_id}/vote", body,
                     {**JSON, **headers})


def _tally(server, comment_id):
    _, _, thread = http_json("GET", f"{server.url}/api/threads?url={SITE}/busy")
    [comment] = [c for c in thread["comments"] if c["id"] == comment_id]
    return comment["up"], comment["down"]


def test_fifty_identical_votes_at_once_count_once(start_server, database_url):
    server, comment_id = _server_with_a_comment(start_server, database_url)
    status, _, minted = _vote(server, comment_id, 0, {"X-Forwarded-For": "10.1.0.1"})
    assert status == 200
    headers = {"Authorization": f"Bearer {minted['voter_token']}",
               "X-Forwarded-For": "10.1.0.1"}
    with ThreadPoolExecutor(max_workers=16) as pool:
        results = list(pool.map(lambda _: _vote(server, comment_id, 1, headers), range(50)))
    assert [status for status, _, _ in results] == [200] * 50
    assert {answer["up"] for _, _, answer in results} == {1}
    assert _tally(server, comment_id) == (1, 0)


def test_fifty_voters_at_once_count_fifty(start_server, database_url):
    server, comment_id = _server_with_a_comment(start_server, database_url)

    def vote_from(n):
        value = 1 if n % 5 else -1
        return _vote(server, comment_id, value, {"X-Forwarded-For": f"10.2.0.{n + 1}"})

    with ThreadPoolExecutor(max_workers=16) as pool:
        results = list(pool.map(vote_from, range(50)))
    assert [status for status, _, _ in results] == [200] * 50
    assert _tally(server, comment_id) == (40, 10)
