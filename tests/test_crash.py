"""Kill the server with SIGKILL in the middle of a write-heavy load, start it again: every
comment that got a 201 is there, intact, and nothing that got an error status is. On
SQLite and PostgreSQL, with two worker processes."""

from __future__ import annotations

import http.client
import json
import threading
import urllib.error
from concurrent.futures import ThreadPoolExecutor

from support import SITE, http_json

PAGE = f"{SITE}/crash"
WRITERS = 8
KILL_AFTER = 60  # acknowledged comments before the kill


def test_acknowledged_comments_survive_a_kill(start_server, database_url):
    server = start_server(workers=2, ratelimit="off", database_url=database_url)
    acknowledged, refused, unanswered = {}, set(), set()
    enough, done, lock = threading.Event(), threading.Event(), threading.Lock()

    def write(writer: int) -> None:
        for n in range(10_000):  # bounded; the kill ends it long before
            if done.is_set():
                return
            text = f"writer {writer} comment {n}"
            body = json.dumps({"url": PAGE, "text": text, "name": f"W{writer}"}).encode()
            try:
                status, _, answer = http_json("POST", f"{server.url}/api/comments", body,
                                              {"Content-Type": "application/json"})
            except (urllib.error.URLError, http.client.HTTPException, OSError):
                with lock:
                    unanswered.add(text)  # in flight at the kill: may or may not have landed
                return
            with lock:
                if status == 201:
                    acknowledged[text] = answer["id"]
                    if len(acknowledged) >= KILL_AFTER:
                        enough.set()
                else:
                    refused.add(text)

    with ThreadPoolExecutor(max_workers=WRITERS) as pool:
        for writer in range(WRITERS):
            pool.submit(write, writer)
        try:
            assert enough.wait(timeout=60), "the load never got going"
        finally:
            server.crash()  # whatever happened, the writers meet a dead server and stop
            done.set()

    restarted = start_server(workers=2, ratelimit="off", database_url=database_url)
    status, _, thread = http_json("GET", f"{restarted.url}/api/threads?url={PAGE}")
    assert status == 200
    stored = {c["html"].removeprefix("<p>").removesuffix("</p>"): c["id"]
              for c in thread["comments"]}
    assert len(acknowledged) >= KILL_AFTER
    for text, comment_id in acknowledged.items():
        assert stored.get(text) == comment_id, f"acknowledged {text!r} is lost"
    assert not refused & set(stored)
    assert set(stored) <= set(acknowledged) | unanswered
    assert thread["thread"]["count"] == len(stored)
