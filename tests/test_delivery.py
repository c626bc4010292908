"""Delivery by real processes, to a real receiver that checks signatures: ``kommentar serve``
sends in the background; two ``kommentar deliver`` on one outbox, with calls in flight at
the same time, send each message once; a server SIGKILLed with messages queued sends them
after its restart; a deliverer killed in the middle of a call has the message sent again,
once its lease has run out (time moved by handing the delivery a ``now``)."""

from __future__ import annotations

import base64
import json
import re
import secrets
import subprocess
import sys
import threading

import pytest
from support import SITE, Receiver, command_env, http_json

from kommentar import db, outbox
from kommentar.models import OutboxMessage, utcnow

SECRET = "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


@pytest.fixture
def receiver():
    receiver = Receiver(SECRET).start()
    yield receiver
    receiver.stop()


def hooks(receiver: Receiver) -> str:
    return json.dumps([{"url": receiver.url, "secret": SECRET}])


def post(server, text: str) -> int:
    status, _, body = http_json("POST", f"{server.url}/api/comments",
                                json.dumps({"url": f"{SITE}/post", "text": text,
                                            "name": "Reader"}).encode(),
                                {"Origin": SITE, "Content-Type": "application/json"})
    assert status == 201, body
    return body["id"]


def verified_ids(calls) -> list[int]:
    assert all(isinstance(verdict, dict) for _, _, verdict in calls), calls
    return sorted(verdict["data"]["id"] for _, _, verdict in calls)


def states(database_url: str) -> list[tuple[str, int]]:
    database = db.open_database(database_url)
    try:
        return database.execute_sql(
            'SELECT "state", "attempts" FROM "outbox_message" ORDER BY "id"').fetchall()
    finally:
        database.close_all()


def test_serve_delivers_in_the_background(start_server, receiver, database_url):
    server = start_server(webhooks=hooks(receiver), database_url=database_url)
    posted = post(server, "Hello from a real server.")
    assert verified_ids(receiver.wait_for(1)) == [posted]


def test_messages_queued_by_a_killed_server_go_out_after_its_restart(start_server, receiver,
                                                                     database_url):
    first = start_server(args=("--no-deliver",), webhooks=hooks(receiver),
                         database_url=database_url)
    posted = [post(first, f"Comment {n} before the crash.") for n in range(3)]
    first.crash()
    assert states(database_url) == [("queued", 0)] * 3 and receiver.calls == []

    start_server(webhooks=hooks(receiver), database_url=database_url)
    assert verified_ids(receiver.wait_for(3)) == posted


def deliverer(settings: dict, *args: str) -> subprocess.Popen:
    """``kommentar deliver`` in a process of its own, configured by the environment."""
    return subprocess.Popen([sys.executable, "-m", "kommentar.cli", "deliver", *args],
                            env=command_env(**settings),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@pytest.fixture
def settings(settings, receiver):
    return {**settings, "webhooks": [{"url": receiver.url, "secret": SECRET}]}


def queue(count: int, receiver: Receiver) -> None:
    with db.database.atomic():
        outbox.queue(("webhook", "comment.published", receiver.url,
                      {"content-type": "application/json", "webhook-id": f"msg_{n}"},
                      json.dumps({"data": {"id": n}})) for n in range(count))
    db.disconnect()


def test_two_deliverers_on_one_outbox_send_each_message_once(app, settings, receiver):
    queue(60, receiver)
    # The first two calls are answered only once both wait at the same time: each
    # deliverer sends one message at a time, so the two are in flight together.
    receiver.together = threading.Barrier(2, timeout=60)
    processes = [deliverer(settings, "--once") for _ in range(2)]
    results = [process.communicate(timeout=120) for process in processes]
    for process, (_, err) in zip(processes, results, strict=True):
        assert process.returncode == 0, err
    sent = [int(re.search(r"sent (\d+), to retry 0, failed 0", out)[1]) for out, _ in results]
    assert not receiver.together.broken, "the deliverers never had calls in flight together"
    assert all(sent) and sum(sent) == 60
    ids = [headers["Webhook-Id"] for headers, _, _ in receiver.calls]
    assert sorted(ids) == sorted(f"msg_{n}" for n in range(60))
    assert verified_ids(receiver.calls) == list(range(60))


def test_a_deliverer_killed_during_a_call_leaves_the_message_to_be_sent_after_its_lease(
        app, api, settings, receiver):
    posted = api.comment("Sent, then the sender is killed before the answer.")["id"]
    db.disconnect()
    receiver.hold = threading.Event()
    process = deliverer(settings)
    try:
        receiver.wait_for(1)  # the call is out; its sender waits for the answer
    finally:
        process.kill()
        process.communicate()
    receiver.hold.set()
    [message] = OutboxMessage.select()
    assert (message.state, message.attempts) == ("sending", 1)

    assert outbox.deliver_due(app.config, utcnow()).sent == 0  # still leased
    assert outbox.deliver_due(app.config, message.due).sent == 1  # the lease is over
    first, second = receiver.wait_for(2)
    assert first[0]["Webhook-Id"] == second[0]["Webhook-Id"]  # a receiver drops the repeat
    assert verified_ids([first, second]) == [posted, posted]
    assert OutboxMessage.get().state == "sent"
