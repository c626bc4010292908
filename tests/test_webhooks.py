"""Webhooks through the outbox, against a real receiver on 127.0.0.1 that checks signatures
with the Standard Webhooks reference library: what is queued with which write (and nothing
with a rolled-back one), the body and its signature, Slack's shape, retries while the
receiver is away, giving up after two days, leases, the setting, and the admin page.

Time is moved by handing the delivery a ``now``, never by waiting."""

from __future__ import annotations

import base64
import json
import secrets
import socket
import threading
from datetime import timedelta

import pytest
from support import SITE, Api, QueryCounter, Receiver

from kommentar import comments, config, moderation, outbox, webhooks
from kommentar.comments import Author
from kommentar.db import database
from kommentar.models import AuditEntry, OutboxMessage, utcnow

SECRET = "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()
POST = f"{SITE}/post"


@pytest.fixture
def receiver():
    receiver = Receiver(SECRET).start()
    yield receiver
    receiver.stop()


@pytest.fixture
def settings(settings, receiver):
    """The test app with one webhook, to ``receiver``, for every event."""
    return {**settings, "webhooks": [{"url": receiver.url, "secret": SECRET}]}


def deliver(app, now=None) -> outbox.Tally:
    return outbox.deliver_due(app.config, now)


def messages() -> list[OutboxMessage]:
    return list(OutboxMessage.select().order_by(OutboxMessage.id))


# --- what is sent -----------------------------------------------------------------------------

def test_a_published_comment_reaches_the_receiver_signed_and_verifiable(app, api, receiver):
    posted = api.comment("Hello **webhooks** & friends.", title="A post")
    assert deliver(app).sent == 1
    [(headers, body, verified)] = receiver.wait_for(1)
    assert isinstance(verified, dict), verified  # the reference library accepted it
    assert headers["Content-Type"] == "application/json"
    assert headers["Webhook-Id"].startswith("msg_")
    assert verified["type"] == "comment.published"
    assert verified["timestamp"].endswith("Z")
    assert verified["data"] == {
        "id": posted["id"], "parent": None,
        "thread": {"url": POST, "title": "A post"},
        "author": {"name": "Reader"},
        "text": "Hello **webhooks** & friends.",
        "html": posted["html"],
        "status": "published",
        "created": posted["created"],
        "permalink": f"{POST}#kommentar-{posted['id']}",
    }
    [message] = messages()
    assert (message.state, message.attempts, message.due) == ("sent", 1, None)
    assert message.sent is not None and message.last_error is None


def test_a_signature_made_with_another_secret_is_refused_by_the_receiver(app, api, receiver):
    receiver.secret = "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()
    api.comment("Signed with the configured secret, checked with another.")
    deliver(app)
    [(_, _, verdict)] = receiver.wait_for(1)
    assert "No matching signature" in str(verdict)


def test_a_rolled_back_write_queues_nothing(app, receiver):
    policy = app.extensions["kommentar.policy"]
    with database.atomic() as transaction:
        comments.post(Author(None, None), policy, url=POST, text="Never committed.",
                      name="Ghost")
        assert len(messages()) == 1  # queued inside the write's transaction...
        transaction.rollback()
    assert messages() == []  # ...and gone with it
    assert deliver(app).sent == 0 and receiver.calls == []


def test_a_post_costs_one_insert_more_per_hook_event_and_nothing_without_hooks(app, api):
    webhooks.configure(())
    api.comment("The thread exists from here on.")
    with QueryCounter() as without:
        api.comment("No hook listens.")
    webhooks.configure(app.config["WEBHOOKS"])
    with QueryCounter() as with_hook:
        api.comment("One hook listens.")
    assert not any("outbox_message" in sql for sql in without.statements)
    *same, described, queued = with_hook.statements
    assert same == without.statements
    assert described.startswith('SELECT "comment"."id"')
    assert queued.startswith('INSERT INTO "outbox_message"')
    assert len(messages()) == 1


@pytest.fixture
def second():
    receiver = Receiver(SECRET).start()
    yield receiver
    receiver.stop()


def test_each_hook_gets_only_the_events_it_lists(app, settings, receiver, second):
    from kommentar import create_app

    app = create_app({**settings, "moderation": "all", "webhooks": [
        {"url": receiver.url, "secret": SECRET, "events": ["comment.published"]},
        {"url": second.url, "secret": SECRET, "events": "comment.pending, comment.deleted"}]})
    api = Api(app.test_client())
    held = api.comment("Wait for a moderator.")
    assert held["status"] == "pending"
    deliver(app)
    assert [p["type"] for p in second.payloads()] == ["comment.pending"]
    assert receiver.calls == []

    moderation.act(None, "approve", [held["id"]])
    moderation.act(None, "delete", [held["id"]])
    moderation.act(None, "undo_delete", [held["id"]])
    moderation.act(None, "spam", [held["id"]])
    deliver(app)
    assert [(p["type"], p["data"]["status"]) for p in receiver.payloads()] == [
        ("comment.published", "published"), ("comment.published", "published")]
    assert [(p["type"], p["data"]["status"]) for p in second.payloads()] == [
        ("comment.pending", "pending"), ("comment.deleted", "deleted"),
        ("comment.deleted", "spam")]
    assert all(isinstance(verdict, dict) for _, _, verdict in receiver.calls + second.calls)


def test_an_authors_deletion_is_an_event_and_spam_on_arrival_is_none(app, api, settings):
    own = api.comment("Mine, for now.")
    caught = api.post("/api/comments", {"url": POST, "text": "Buy now.", "name": "Bot",
                                        "website": "https://spam.example"})
    assert caught.status_code == 201  # held as spam, shown to its author as pending
    assert api.delete(f"/api/comments/{own['id']}", token=own["edit_token"]).status_code == 204
    events = [(m.event, json.loads(m.payload)["data"]["id"]) for m in messages()]
    assert events == [("comment.published", own["id"]), ("comment.deleted", own["id"])]


def test_slack_format_sends_a_readable_line_with_the_permalink(settings, receiver):
    from kommentar import create_app

    receiver.secret = None
    app = create_app({**settings, "webhooks": [{"url": receiver.url, "format": "slack"}]})
    api = Api(app.test_client())
    posted = api.comment("A <b>bold</b> claim & more\n\non two lines. <!channel>",
                         name="Ann <admin>", title="Slack | News")
    deliver(app)
    [(headers, body, _)] = receiver.wait_for(1)
    assert json.loads(body) == {"text": (
        f"New comment by Ann &lt;admin&gt; on <{POST}#kommentar-{posted['id']}|Slack ¦ News>: "
        "A &lt;b&gt;bold&lt;/b&gt; claim &amp; more on two lines. &lt;!channel&gt;")}
    assert "Webhook-Signature" not in headers  # no secret, nothing to sign with


# --- when the receiver is away ----------------------------------------------------------------

def test_a_receiver_that_is_down_gets_the_call_on_a_retry(app, api, receiver):
    receiver.stop()
    api.comment("Sent while the receiver is down.")
    start = utcnow()
    assert deliver(app, start).retrying == 1
    [message] = messages()
    assert message.state == "queued" and message.attempts == 1
    assert message.last_error.startswith("cannot connect:")
    assert start < message.due <= start + timedelta(seconds=10)  # the first retry comes soon

    assert deliver(app, start + timedelta(seconds=1)).sent == 0  # not due yet
    receiver.start()
    assert deliver(app, message.due).sent == 1
    assert len(receiver.wait_for(1)) == 1
    assert OutboxMessage.get().state == "sent"


def test_after_two_days_of_failures_a_message_is_failed_with_its_last_error(app, api, receiver):
    receiver.answer = 503
    api.comment("Nobody will take this.")
    [message] = messages()
    now, waits = message.created, []
    while (message := OutboxMessage.get()).state == "queued":
        deliver(app, now)
        again = OutboxMessage.get()
        if again.due is not None:
            waits.append(again.due - now)
            now = again.due
    assert message.state == "failed" and message.due is None
    assert message.last_error == "the receiver answered HTTP 503 Service Unavailable"
    assert waits[0] <= timedelta(seconds=10) and max(waits) == timedelta(minutes=10)
    assert waits == sorted(waits)  # growing, then steady
    assert message.created + timedelta(days=2) - timedelta(minutes=10) <= now \
        <= message.created + timedelta(days=2)
    assert len(receiver.calls) == message.attempts == len(waits) + 1
    assert all(isinstance(verdict, dict) for _, _, verdict in receiver.calls)


@pytest.mark.parametrize("answer, error", [
    (302, "the receiver answered HTTP 302 Found (redirects are not followed"),
    (404, "the receiver answered HTTP 404 Not Found"),
])
def test_an_answer_other_than_2xx_is_a_failure(app, api, receiver, answer, error):
    receiver.answer = answer
    api.comment("Answered badly.")
    assert deliver(app).retrying == 1
    assert OutboxMessage.get().last_error.startswith(error)


def test_a_receiver_that_does_not_answer_times_out(app, api, settings, monkeypatch):
    silent = socket.create_server(("127.0.0.1", 0))  # accepts, and never says a word
    monkeypatch.setattr(webhooks, "TIMEOUT", 0.3)
    from kommentar import create_app

    app = create_app({**settings, "webhooks": [
        {"url": f"http://127.0.0.1:{silent.getsockname()[1]}/", "secret": SECRET}]})
    Api(app.test_client()).comment("Into the void.")
    try:
        assert deliver(app).retrying == 1
    finally:
        silent.close()
    assert OutboxMessage.get().last_error == "no answer within 0.3 seconds"


def test_a_message_to_a_hook_no_longer_configured_fails_at_once(app, api, settings):
    from kommentar import create_app

    api.comment("Queued for a hook that is then removed.")
    later = create_app({**settings, "webhooks": []})
    assert deliver(later).failed == 1
    assert OutboxMessage.get().last_error == "no webhook with this URL is configured any more"


# --- claims and leases ------------------------------------------------------------------------

def test_a_claimed_message_is_left_alone_until_its_lease_runs_out(app, api, receiver):
    api.comment("Claimed by a sender that then dies.")
    start = utcnow()
    [claimed] = outbox.claim(start)  # and never finished: its sender was killed
    assert OutboxMessage.get().state == "sending"
    assert deliver(app, start + outbox.LEASE - timedelta(seconds=1)).sent == 0
    assert deliver(app, start + outbox.LEASE).sent == 1
    [(headers, _, _)] = receiver.wait_for(1)
    assert OutboxMessage.get().attempts == claimed.attempts + 1
    assert headers["Webhook-Id"] == claimed.headers["webhook-id"]  # receivers drop repeats by it


def test_senders_in_threads_send_each_message_once(app, api, receiver):
    for n in range(30):
        api.comment(f"Comment {n}.")
    senders = [threading.Thread(target=deliver, args=(app,)) for _ in range(4)]
    for sender in senders:
        sender.start()
    for sender in senders:
        sender.join()
    ids = [headers["Webhook-Id"] for headers, _, _ in receiver.wait_for(30)]
    assert len(ids) == len(set(ids)) == 30
    assert {m.state for m in messages()} == {"sent"}


# --- the setting ------------------------------------------------------------------------------

def load(value, environ=None):
    overrides = {"secret_key": "k", "origins": SITE}
    if value is not None:
        overrides["webhooks"] = value
    return config.load("/tmp", overrides, environ or {})["WEBHOOKS"]


def test_webhooks_come_from_toml_and_from_json_in_the_environment(tmp_path):
    path = tmp_path / "kommentar.toml"
    path.write_text(f'secret_key = "k"\norigins = ["{SITE}"]\n[[webhooks]]\n'
                    f'url = "https://hooks.example/in"\nsecret = "{SECRET}"\n'
                    'events = ["comment.pending"]\n[[webhooks]]\n'
                    'url = "https://chat.example/hook"\nformat = "slack"\n')
    [signed, chat] = config.load("/tmp", {"config": str(path)}, {})["WEBHOOKS"]
    assert (signed.url, signed.events, signed.format) == (
        "https://hooks.example/in", {"comment.pending"}, "standard")
    assert signed.secret == base64.b64decode(SECRET[6:]) and SECRET not in repr(signed)
    assert (chat.secret, chat.events, chat.format) == (
        None, set(webhooks.EVENTS), "slack")

    environ = {"KOMMENTAR_WEBHOOKS": json.dumps([{"url": "http://127.0.0.1:9/", "secret": SECRET}])}
    [hook] = load(None, environ)
    assert hook.url == "http://127.0.0.1:9/" and hook.events == set(webhooks.EVENTS)
    assert load(None) == ()


@pytest.mark.parametrize("value, message", [
    ("[{", "not a JSON list of webhooks"),
    ({"url": "https://a.example"}, "must be a list"),
    ([{"url": "ftp://a.example/", "secret": SECRET}], "webhook 1: url must be an http"),
    ([{"url": "https://", "secret": SECRET}], "url must be an http"),
    ([{"url": "https://a.example/", "secret": SECRET, "events": ["comment.voted"]}],
     "events must name some of comment.published, comment.pending, comment.deleted"),
    ([{"url": "https://a.example/", "secret": SECRET, "events": []}], "events must name"),
    ([{"url": "https://a.example/", "secret": SECRET, "format": "teams"}],
     "format must be one of standard, slack"),
    ([{"url": "https://a.example/"}], "a secret is required"),
    ([{"url": "https://a.example/", "secret": "hunter2"}], "secret must be whsec_"),
    ([{"url": "https://a.example/", "secret": "whsec_not base64!"}], "secret must be whsec_"),
    ([{"url": "https://a.example/", "secret": "whsec_" + base64.b64encode(b"short").decode()}],
     "24 to 64 random bytes"),
    ([{"url": "https://a.example/", "secret": SECRET, "retries": 3}], "unknown keys retries"),
    ([{"url": "https://a.example/", "secret": SECRET}, {"url": "https://b.example/",
      "secret": SECRET}, {"url": "https://a.example/", "format": "slack"}],
     "https://a.example/ is listed twice"),
])
def test_a_wrong_webhook_is_refused_with_a_clear_message(value, message):
    with pytest.raises(config.ConfigError, match="^webhooks: ") as refused:
        load(value)
    assert message in str(refused.value)
    assert "hunter2" not in str(refused.value)


# --- the admin page ---------------------------------------------------------------------------

def test_the_admin_page_lists_messages_without_bodies_and_retries_failed_ones(
        app, api, client, receiver):
    from test_admin import Moderator, account, notices

    receiver.stop()
    api.comment("Private words that the page must not show.")
    deliver(app, utcnow() + timedelta(days=3))  # after its give-up time: failed at once
    account("boss", role="admin")
    moderator = Moderator(client)
    moderator.sign_in()
    overview = moderator.open("/admin")
    assert "1 failed" in overview and "/admin/outbox?state=failed" in overview
    page = moderator.open("/admin/outbox?state=failed")
    assert "comment.published" in page and receiver.url in page and "cannot connect" in page
    assert "Private words" not in page
    message = OutboxMessage.get()

    receiver.start()
    response = client.post("/admin/outbox/retry", data={"csrf": moderator.csrf(),
                                                          "id": str(message.id)})
    assert response.status_code == 302
    assert notices(moderator.open(response.location)) == [
        ("ok", "Queued again: 1 message; they go out within seconds.")]
    again = OutboxMessage.get()
    assert (again.state, again.attempts, again.last_error) == ("queued", 0, message.last_error)
    assert again.give_up > utcnow() + timedelta(days=1)
    [entry] = AuditEntry.select()
    assert (entry.actor_name, entry.action, entry.target) == (
        "boss", "outbox_retry", f"message:{message.id}")
    assert deliver(app).sent == 1 and len(receiver.wait_for(1)) == 1
    assert "Private words" not in moderator.open("/admin/outbox?state=sent")

    response = client.post("/admin/outbox/retry", data={"csrf": moderator.csrf(), "id": "all"})
    assert notices(moderator.open(response.location)) == [
        ("error", "No such failed message: it may have been retried already.")]
