"""Mail through the outbox: queued in the transaction of its event, sent by the delivery
process to a real SMTP server on 127.0.0.1, retried while the server is away, and given up
at once when the server refuses the recipient for good."""

from __future__ import annotations

from datetime import timedelta

import pytest
from conftest import free_port
from mail_server import MAIL_FROM, PUBLIC_URL, MailServer

from kommentar import mail, outbox
from kommentar.db import database
from kommentar.models import FAILED, QUEUED, SENT, OutboxMessage, utcnow


@pytest.fixture
def port() -> int:
    return free_port()


@pytest.fixture
def settings(settings, port):
    """Mail on, through whatever will listen on ``port`` (a test starts it when it likes)."""
    return {**settings, "smtp_host": "127.0.0.1", "smtp_port": port, "smtp_security": "none",
            "public_url": PUBLIC_URL, "mail_from": MAIL_FROM}


def queue_one(app, to: str = "reader@example.org") -> str:
    """Queue a mail in a transaction of its own; its Message-ID."""
    mailer = mail.Mailer.from_config(app.config)
    message = mailer.message(to, "A reply to your comment", "Someone answered.",
                             "<p>Someone answered.</p>")
    with app.app_context(), database.atomic():
        mail.queue(message, "test.mail")
    return message["Message-ID"]


def states(app) -> list[tuple[str, int, str | None]]:
    with app.app_context():
        return [(m.state, m.attempts, m.last_error) for m in OutboxMessage.select()]


def test_a_queued_mail_arrives_whole_and_a_rolled_back_one_never_leaves(app, port):
    server = MailServer(port).start()
    try:
        sent_id = queue_one(app)
        mailer = mail.Mailer.from_config(app.config)
        with app.app_context(), pytest.raises(RuntimeError), database.atomic():
            mail.queue(mailer.message("other@example.org", "Never", "x", "<p>x</p>"), "test.mail")
            raise RuntimeError("the event's write failed")
        with app.app_context():
            tally = outbox.deliver_due(app.config)
        [received] = server.wait_for(1)
    finally:
        server.stop()
    assert tally.sent == 1
    assert received.recipients == ["reader@example.org"]
    assert received.message["Message-ID"] == sent_id
    assert received.message["Subject"] == "A reply to your comment"
    assert received.text().strip() == "Someone answered."
    assert states(app) == [(SENT, 1, None)]


def test_a_mail_waits_while_the_server_is_away_and_goes_when_it_is_back(app, port):
    queue_one(app)
    with app.app_context():
        outbox.deliver_due(app.config)  # nothing listens on the port yet
    [(state, attempts, error)] = states(app)
    assert (state, attempts) == (QUEUED, 1) and "connection refused" in error
    server = MailServer(port).start()
    try:
        with app.app_context():
            outbox.deliver_due(app.config, utcnow() + timedelta(seconds=10))
        server.wait_for(1)
    finally:
        server.stop()
    assert [state for state, _, _ in states(app)] == [SENT]


def test_a_recipient_refused_for_good_fails_at_once_with_the_servers_words(app, port):
    server = MailServer(port, refuse={"gone@example.org": "550 5.1.1 No such user"}).start()
    try:
        queue_one(app, "gone@example.org")
        with app.app_context():
            outbox.deliver_due(app.config)
    finally:
        server.stop()
    [(state, attempts, error)] = states(app)
    assert (state, attempts) == (FAILED, 1)
    assert "550 5.1.1 No such user" in error


def test_the_log_never_holds_an_address_the_server_quotes(app, port, caplog):
    server = MailServer(port, refuse={
        "gone@example.org": "550 5.1.1 <gone@example.org>: Recipient address rejected",
        "later@example.org": "450 4.2.0 later@example.org: Greylisted, try again"}).start()
    try:
        queue_one(app, "gone@example.org")
        queue_one(app, "later@example.org")
        with app.app_context(), caplog.at_level("INFO", logger="kommentar.outbox"):
            outbox.deliver_due(app.config)
    finally:
        server.stop()
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "Recipient address rejected" in logged and "Greylisted" in logged
    assert "@" not in logged
    # The admin page, which names each mail's recipient anyway, keeps the whole error.
    assert any(error and "<gone@example.org>" in error for _, _, error in states(app))
