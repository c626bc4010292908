"""Reply notifications, end to end against a real SMTP server on 127.0.0.1: an address gets
nothing but its confirmation letter until the link in it is followed; then replies to its
comments are mailed (multipart, in the page's language, with one-click unsubscribe), the
first at once and later ones gathered per ten minutes; never for one's own replies, spam or
held replies; unsubscribing from a thread or from everything; the quiet limits on
confirmation letters; a server that is away when a reply comes; an account's export and
deletion; what backups leave out.

Time is moved by handing the outbox's preparers and delivery a ``now``, never by waiting."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from conftest import free_port
from mail_server import MAIL_FROM, PUBLIC_URL, MailServer
from support import SITE, Api

from kommentar import create_app, moderation, outbox
from kommentar.backup.export import Export
from kommentar.models import (
    MailAddress,
    OutboxMessage,
    ReplyNotice,
    Subscription,
    ThreadMailing,
    User,
    utcnow,
)

ANN = "ann@example.org"
POST, OTHER = f"{SITE}/post", f"{SITE}/other"


@pytest.fixture
def settings(settings, mail_server):
    return {**settings, **mail_server.settings()}


def deliver(app, now=None):
    """What a sender does at ``now`` (by default the clock's): gather due notices, then send
    due mail, the letters just gathered too (queued at the clock's time, which may be later)."""
    with app.app_context():
        outbox.prepare(now or utcnow())
        return outbox.deliver_due(app.config, now and max(now, utcnow()))


def link(received, action: str) -> str:
    """The path of the first /mail/ACTION/ link in a mail's text."""
    found = re.search(rf"{re.escape(PUBLIC_URL)}(/mail/{action}/\S+)", received.text())
    assert found, received.text()
    return found.group(1)


def subscribe(api, text="Ann's comment.", url=POST, email=ANN, **fields):
    return api.comment(text, url=url, name="Ann", notify=True, email=email, **fields)


def confirmed(app, api, mail_server, **fields):
    """Ann's comment with notify on, her address confirmed through the mailed link."""
    mine = subscribe(api, **fields)
    deliver(app)
    [letter] = [m for m in mail_server.received if "/mail/confirm/" in m.text()]
    assert api.client.post(link(letter, "confirm")).status_code == 200
    mail_server.received.clear()
    return mine


def reply(api, parent, text="A reply.", name="Bob", url=POST, **fields):
    return api.comment(text, url=url, name=name, parent=parent["id"], **fields)


# --- the confirmation gate -----------------------------------------------------------------

def test_nothing_but_the_confirmation_goes_out_before_the_link_is_followed(app, api, mail_server):
    response = api.post("/api/comments", {"url": POST, "text": "Mine.", "name": "Ann",
                                          "notify": True, "email": "Ann@Example.org"})
    assert response.status_code == 201
    assert response.json["notify"] == "requested"
    assert "example.org" not in response.get_data(as_text=True).lower()
    mine = response.json
    reply(api, mine, "Before confirming.")
    deliver(app)
    [letter] = mail_server.received
    assert letter.recipients == ["Ann@Example.org"]
    assert letter.message["Subject"] == "Confirm your address for replies"
    assert ReplyNotice.select().count() == 0

    page = api.client.get(link(letter, "confirm"))
    assert page.status_code == 200
    assert "<form method=\"post\">" in page.get_data(as_text=True)
    assert MailAddress.get().confirmed is None  # a look at the page changes nothing

    done = api.client.post(link(letter, "confirm"))
    assert done.status_code == 200 and 'class="done"' in done.get_data(as_text=True)
    assert MailAddress.get().confirmed is not None

    reply(api, mine, "After confirming.")
    deliver(app)
    assert len(mail_server.received) == 2
    assert "After confirming." in mail_server.received[1].text()
    assert "Before confirming." not in mail_server.received[1].text()


def test_a_confirmed_address_is_not_asked_again_in_any_case(app, api, mail_server):
    confirmed(app, api, mail_server)
    subscribe(api, "Again.", email="ANN@example.ORG")
    deliver(app)
    assert mail_server.received == []
    assert MailAddress.select().count() == 1


@pytest.mark.parametrize("token", ["c.nonsense", "u.nonsense"])
def test_a_broken_link_shows_the_refusal(api, token):
    action = "confirm" if token.startswith("c.") else "unsubscribe"
    assert api.client.get(f"/mail/{action}/{token}").status_code == 400
    assert api.client.post(f"/mail/{action}/{token}").status_code == 400


# --- the notification ----------------------------------------------------------------------

@pytest.mark.parametrize("lang, subject, words", [
    ("en", "New reply to your comment: Bread & butter", "Bob replied to your comment"),
    ("da-DK", "Nyt svar på din kommentar: Bread & butter", "Bob har svaret på din kommentar"),
])
def test_a_reply_is_mailed_with_its_link_headers_and_one_click_unsubscribe(
        app, api, mail_server, lang, subject, words):
    mine = confirmed(app, api, mail_server, lang=lang, title="Bread & butter")
    answer = reply(api, mine, "Nice <b>point</b>,\nand another line.")
    deliver(app)

    [notice] = mail_server.received
    message = notice.message
    assert notice.recipients == [ANN]
    assert message["From"] == MAIL_FROM
    assert message["Subject"] == subject
    assert message["Message-ID"].endswith("@comments.test>")
    assert message.get_content_type() == "multipart/alternative"
    assert words in notice.text()
    assert "Nice <b>point</b>,\nand another line." in notice.text()
    assert f"{POST}#kommentar-{answer['id']}" in notice.text()
    assert "Nice &lt;b&gt;point&lt;/b&gt;" in notice.html()
    assert f'href="{POST}#kommentar-{answer["id"]}"' in notice.html()
    stop = message["List-Unsubscribe"]
    assert re.fullmatch(rf"<{re.escape(PUBLIC_URL)}/mail/unsubscribe/u\.\S+>", stop)
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"

    one_click = api.client.post(urlsplit(stop[1:-1]).path, data="List-Unsubscribe=One-Click",
                                content_type="application/x-www-form-urlencoded")
    assert one_click.status_code == 200
    assert Subscription.select().count() == 0
    reply(api, mine, "Unheard.")
    deliver(app, utcnow() + timedelta(hours=1))
    assert len(mail_server.received) == 1


def test_no_mail_for_own_replies_nor_spam(app, api, mail_server):
    mine = confirmed(app, api, mail_server)
    subscribe(api, "Ann answers herself.", parent=mine["id"], email=ANN.upper())
    reply(api, mine, "Buy pills.", website="http://spam.example")  # the honeypot
    deliver(app, utcnow() + timedelta(hours=1))
    assert mail_server.received == []


def test_no_mail_for_an_accounts_reply_to_itself(app, api, mail_server):
    api.register("ann")
    User.update(email=ANN, email_verified=utcnow()).execute()
    answer = api.post("/api/comments", {"url": POST, "text": "Mine.", "notify": True})
    assert answer.json["notify"] == "on"
    api.comment("My own follow-up.", parent=answer.json["id"])
    deliver(app, utcnow() + timedelta(hours=1))
    assert mail_server.received == []  # no confirmation for a verified address either
    Api(api.client).comment("Bob's.", name="Bob", parent=answer.json["id"])
    deliver(app, utcnow() + timedelta(hours=2))
    [notice] = mail_server.received
    assert "Bob's." in notice.text()


def test_a_held_reply_is_mailed_once_a_moderator_approves_it(app, settings, mail_server):
    app = create_app({**settings, "moderation": "all"})
    api = Api(app.test_client())
    mine = confirmed(app, api, mail_server)
    moderation.act(None, "approve", [mine["id"]])
    held = reply(api, mine, "Waiting for a moderator.")
    assert held["status"] == "pending"
    deliver(app)
    assert mail_server.received == []
    moderation.act(None, "approve", [held["id"]])
    deliver(app)
    [notice] = mail_server.received
    assert "Waiting for a moderator." in notice.text()


def test_later_replies_wait_out_ten_minutes_and_come_together(app, api, mail_server):
    mine = confirmed(app, api, mail_server)
    reply(api, mine, "First.")
    start = utcnow()
    deliver(app, start)
    assert len(mail_server.received) == 1  # the first goes at once
    reply(api, mine, "Second.", name="Cy")
    reply(api, mine, "Third.", name="Di")
    deliver(app, start + timedelta(minutes=9, seconds=59))
    assert len(mail_server.received) == 1
    deliver(app, start + timedelta(minutes=10))
    [_, gathered] = mail_server.received
    assert gathered.message["Subject"].startswith("2 new replies to your comments: ")
    assert "Cy wrote:" in gathered.text() and "Di wrote:" in gathered.text()
    assert "First." not in gathered.text()
    assert ReplyNotice.select().count() == 0
    # Another thread has a window of its own.
    other = subscribe(api, url=OTHER)  # confirmed already: no letter
    reply(api, other, "Elsewhere.", url=OTHER)
    deliver(app, start + timedelta(minutes=11))
    [_, _, elsewhere] = mail_server.received
    assert "Elsewhere." in elsewhere.text()


def test_a_reply_withdrawn_before_its_mail_goes_is_left_out(app, api, mail_server):
    mine = confirmed(app, api, mail_server)
    reply(api, mine, "First.")
    start = utcnow()
    deliver(app, start)
    gone = api.post("/api/comments", {"url": POST, "text": "Oops.", "name": "Bob",
                                      "parent": mine["id"]}).json
    assert api.delete(f"/api/comments/{gone['id']}", token=gone["edit_token"]).status_code == 204
    deliver(app, start + timedelta(minutes=11))
    assert len(mail_server.received) == 1
    assert ReplyNotice.select().count() == 0


def test_forgetting_mailings_after_the_window(app, api, mail_server):
    mine = confirmed(app, api, mail_server)
    reply(api, mine)
    deliver(app)
    assert ThreadMailing.select().count() == 1
    with app.app_context():
        for clean in outbox.cleaners:
            clean(utcnow() + timedelta(minutes=11))
    assert ThreadMailing.select().count() == 0


# --- unsubscribing -------------------------------------------------------------------------

def test_unsubscribing_from_a_thread_keeps_the_others(app, api, mail_server):
    here = confirmed(app, api, mail_server)
    there = subscribe(api, url=OTHER)
    reply(api, here, "Here.")
    deliver(app)
    [notice] = mail_server.received
    path = link(notice, "unsubscribe")  # the first: this page's
    page = api.client.get(path)
    assert page.status_code == 200 and "Unsubscribe" in page.get_data(as_text=True)
    assert Subscription.select().count() == 2  # looking changes nothing
    done = api.client.post(path)
    assert done.status_code == 200 and 'class="done"' in done.get_data(as_text=True)
    reply(api, here, "Not mailed.")
    reply(api, there, "There.", url=OTHER)
    deliver(app, utcnow() + timedelta(hours=1))
    assert [("There." in m.text(), "Not mailed." in m.text())
            for m in mail_server.received[1:]] == [(True, False)]


def test_stopping_all_mail_stops_notifications_and_confirmations(app, api, mail_server):
    here = confirmed(app, api, mail_server)
    reply(api, here)
    deliver(app)
    [notice] = mail_server.received
    stop_all = re.findall(rf"{re.escape(PUBLIC_URL)}(/mail/unsubscribe/\S+)", notice.text())[1]
    assert "Stop all mail" in api.client.get(stop_all).get_data(as_text=True)
    assert api.client.post(stop_all).status_code == 200
    assert MailAddress.get().stopped is not None
    again = subscribe(api, "A new comment, with notify again.")
    reply(api, again)
    deliver(app, utcnow() + timedelta(hours=1))
    assert len(mail_server.received) == 1  # neither a notice nor a confirmation


# --- limits and validation -----------------------------------------------------------------

@pytest.fixture
def limited(settings):
    return {**settings, "ratelimit": True, "ratelimit_storage": "memory://",
            "limit_post": "100/minute", "limit_mail_address": "2/hour",
            "limit_mail_client": "3/hour"}


def test_confirmation_letters_are_limited_per_address_and_per_client_quietly(limited,
                                                                             mail_server):
    app = create_app(limited)
    api = Api(app.test_client())
    for _ in range(3):
        assert subscribe(api)["notify"] == "requested"
    for n in range(3):
        subscribe(api, email=f"other{n}@example.org")
    deliver(app)
    assert [m.recipients[0] for m in mail_server.received] == [ANN, ANN, "other0@example.org"]


@pytest.mark.parametrize("fields, code", [
    ({"notify": "yes"}, "invalid_notify"),
    ({"notify": 1}, "invalid_notify"),
    ({"notify": True}, "email_required"),
    ({"notify": True, "email": 42}, "invalid_email"),
    ({"notify": True, "email": "not an address"}, "invalid_email"),
    ({"notify": True, "email": "Ann <ann@example.org>"}, "invalid_email"),
    ({"notify": True, "email": "a@b.c, d@e.f"}, "invalid_email"),
    ({"notify": True, "email": "x" * 250 + "@example.org"}, "invalid_email"),
    ({"notify": True, "email": ANN, "lang": 5}, "invalid_lang"),
    ({"lang": "x" * 36}, "invalid_lang"),
    ({"email": "not an address"}, "invalid_email"),
])
def test_a_bad_notify_request_is_400_and_writes_nothing(app, api, mail_server, fields, code):
    response = api.post("/api/comments", {"url": POST, "text": "Hi.", "name": "Ann", **fields})
    assert response.status_code == 400
    assert response.json["error"]["code"] == code
    assert api.get("/api/threads", url=POST).json["comments"] == []
    assert MailAddress.select().count() == 0 and OutboxMessage.select().count() == 0


def test_notify_is_ignored_when_mail_is_off(settings):
    app = create_app({key: value for key, value in settings.items()
                      if not key.startswith("smtp_")})
    posted = Api(app.test_client()).comment(notify=True, email=ANN)
    assert "notify" not in posted
    assert MailAddress.select().count() == 0 and Subscription.select().count() == 0
    assert Api(app.test_client()).comment(notify=False, email=ANN)["id"]


# --- a server that is away -----------------------------------------------------------------

def test_a_notification_waits_while_the_smtp_server_is_away(app, api, settings, mail_server):
    mine = confirmed(app, api, mail_server)
    port = free_port()  # where the server will be: nothing listens there yet
    app = create_app({**settings, "smtp_port": port})
    api = Api(app.test_client())
    reply(api, mine, "While the server is down.")
    start = utcnow()
    tally = deliver(app, start)
    assert (tally.sent, tally.retrying) == (0, 1)
    back = MailServer(port).start()
    try:
        assert deliver(app, start + timedelta(minutes=1)).sent == 1
        [notice] = back.wait_for(1)
    finally:
        back.stop()
    assert "While the server is down." in notice.text()


# --- an account's own, and backups ---------------------------------------------------------

def test_the_export_holds_the_accounts_subscriptions_and_deletion_removes_them(app, api,
                                                                              mail_server):
    api.register("ann")
    User.update(email=ANN, email_verified=utcnow()).execute()
    mine = api.post("/api/comments", {"url": POST, "text": "Mine.", "notify": True}).json
    Api(api.client).comment("Anonymous, same address.", name="Ann", notify=True, email=ANN)
    Api(api.client).comment("Someone else.", name="Cy", notify=True, email="cy@example.org")
    export = api.get("/api/auth/me/export").json
    assert [(s["comment"], s["email"], s["confirmed"]) for s in export["subscriptions"]] == [
        (mine["id"], ANN, True)]

    deleted = api.client.delete("/api/auth/me", headers=api.headers(),
                                json={"password": "correct horse battery",
                                      "comments": "anonymise"})
    assert deleted.status_code == 204
    assert [row.address for row in MailAddress.select()] == ["cy@example.org"]
    assert Subscription.select().count() == 1


def test_backups_hold_no_reader_addresses(app, api, mail_server):
    confirmed(app, api, mail_server)
    lines = "".join(Export([SITE]).lines())
    assert ANN not in lines
    assert "subscription" not in lines
