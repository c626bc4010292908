"""Past one machine: two servers of two worker processes each, on one PostgreSQL database and
one Redis, as two machines behind a load balancer run. One rate-limit count holds for every
worker of both; concurrent posts and votes through both all land, exactly once, and either
server shows all of them afterwards.

Needs PostgreSQL and Redis: without them these tests skip, or fail under
KOMMENTAR_REQUIRE_SERVICES=1. One server on SQLite is covered by test_server_http.py and
test_concurrency.py, one server's workers sharing Redis by test_limits.py.
"""

from __future__ import annotations

import json
import secrets
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from support import SITE, http_json

import test_limits

# The fixture from test_limits.py: a Redis key prefix of the test's own, deleted afterwards. It
# skips (fails under KOMMENTAR_REQUIRE_SERVICES=1) when Redis is not reachable.
redis_prefix = test_limits.redis_prefix

pytestmark = pytest.mark.parametrize("database_url", ["postgres"], indirect=True)

PAGE = f"{SITE}/scale-out"
HEADERS = {"Content-Type": "application/json", "Origin": SITE}


@pytest.fixture
def start_cluster(start_server, database_url, redis_prefix):
    """Two servers with two workers each on one database and one Redis. They share the secret
    key, as machines behind one load balancer must: tokens signed by one are checked by the
    other, and a client's address hashes to the same rate-limit key on both."""

    def start(**settings):
        shared = {"secret_key": secrets.token_hex(16), "database_url": database_url,
                  "ratelimit_storage": test_limits.REDIS, "ratelimit_key_prefix": redis_prefix,
                  **settings}
        return [start_server(workers=2, **shared) for _ in range(2)]

    return start


def post(server, text, headers=None):
    body = json.dumps({"url": PAGE, "text": text, "name": "Ada"}).encode()
    return http_json("POST", f"{server.url}/api/comments", body, {**HEADERS, **(headers or {})})


def fetch(server):
    status, _, thread = http_json("GET", f"{server.url}/api/threads?url={PAGE}")
    assert status == 200, thread
    return thread


def at_once(calls: int, call):
    """Run ``call(0) … call(calls - 1)`` in as many threads, released together by a barrier."""
    barrier = threading.Barrier(calls, timeout=30)

    def released(n):
        barrier.wait()
        return call(n)

    with ThreadPoolExecutor(max_workers=calls) as pool:
        return list(pool.map(released, range(calls)))


def test_one_rate_limit_counts_for_every_worker_of_both_servers(start_cluster):
    servers = start_cluster(limit_post="5/minute")
    results = at_once(20, lambda n: post(servers[n % 2], f"Burst {n}"))

    statuses = [status for status, _, _ in results]
    assert sorted(statuses) == [201] * 5 + [429] * 15  # per-process counts would allow 20
    for status, headers, answer in results:
        if status == 429:
            assert answer["error"]["code"] == "rate_limited"
            assert 1 <= int(headers["Retry-After"]) <= 61
    assert {fetch(server)["thread"]["count"] for server in servers} == {5}


def test_concurrent_posts_through_both_servers_all_land(start_cluster):
    servers = start_cluster(limit_post="1000/minute")
    status, _, first = post(servers[0], "The first comment, before the rush")
    assert status == 201
    # Every worker that answers this keeps the one-comment document in its cache; after the
    # writes none of them may serve it again.
    at_once(16, lambda n: fetch(servers[n % 2]))

    writers, each = 8, 10

    def write(writer):
        return [post(servers[(writer + n) % 2], f"writer {writer} comment {n}")
                for n in range(each)]

    answers = [answer for batch in at_once(writers, write) for answer in batch]
    assert [status for status, _, _ in answers] == [201] * (writers * each)
    acknowledged = {first["id"]} | {comment["id"] for _, _, comment in answers}
    assert len(acknowledged) == writers * each + 1

    for server in servers * 4:
        thread = fetch(server)
        assert {comment["id"] for comment in thread["comments"]} == acknowledged
        assert thread["thread"]["count"] == len(acknowledged)


def test_concurrent_votes_through_both_servers_count_exactly(start_cluster):
    servers = start_cluster(trusted_proxies=1, limit_vote="1000/minute")
    status, _, comment = post(servers[0], "Vote on me")
    assert status == 201
    vote_url = "{}/api/comments/" + str(comment["id"]) + "/vote"

    def vote(n):  # a voter of its own (no voter token yet) from an address of its own
        body = json.dumps({"value": 1 if n % 5 else -1}).encode()
        return http_json("POST", vote_url.format(servers[n % 2].url), body,
                         {**HEADERS, "X-Forwarded-For": f"10.3.0.{n + 1}"})

    results = at_once(40, vote)
    assert [status for status, _, _ in results] == [200] * 40
    for server in servers:
        [shown] = fetch(server)["comments"]
        assert (shown["up"], shown["down"]) == (32, 8)
