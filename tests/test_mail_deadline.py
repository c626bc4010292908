"""A whole send ends within the mailer's ``send_timeout`` (the outbox's ``SEND_TIMEOUT``),
however slowly a real server answers: one that answers each step just within the per-step
``smtp_timeout`` (aiosmtpd, slowed), and one that dribbles its greeting a byte at a time so no
single wait ever runs out. The send gives up in time, says so, and may be tried again."""

from __future__ import annotations

import asyncio
import dataclasses
import socket
import threading
import time

import pytest
from conftest import free_port
from mail_server import MailServer
from support import SITE

from kommentar import config, outbox
from kommentar.mail import Mailer, MailError

STEP = 5  # smtp_timeout: longer than any one wait below
LIMIT = 1.0  # the whole send's bound in these tests
SLACK = 0.75  # what a busy machine may add before the failure is raised
READER = "reader@example.org"


def mailer(**settings) -> Mailer:
    return Mailer.from_config(config.load("", {"secret_key": "k", "origins": SITE, **settings},
                                          environ={}))


class SlowMailServer(MailServer):
    """aiosmtpd answering RCPT and DATA after ``delay`` seconds each: every step is quick
    enough for ``STEP``, the whole conversation is not for ``LIMIT``."""

    delay = 0.6

    async def handle_RCPT(self, *args):  # noqa: N802
        await asyncio.sleep(self.delay)
        return await super().handle_RCPT(*args)

    async def handle_DATA(self, *args):  # noqa: N802
        await asyncio.sleep(self.delay)
        return await super().handle_DATA(*args)


@pytest.fixture
def slow_server():
    server = SlowMailServer(free_port()).start()
    yield server
    server.stop()


class Dribbler:
    """A plain TCP server whose greeting never ends: one byte of ``220-`` lines every
    ``pause`` seconds, until the client goes away."""

    def __init__(self, pause: float = 0.05):
        self.pause = pause
        self.stop = threading.Event()
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        connection, _ = self.listener.accept()
        with connection:
            line = b"220-slow.test still greeting\r\n"
            while not self.stop.is_set():
                for byte in line:
                    if self.stop.wait(self.pause):
                        return
                    try:
                        connection.sendall(bytes([byte]))
                    except OSError:  # the client gave up
                        return

    def close(self) -> None:
        self.stop.set()
        self.thread.join()
        self.listener.close()


def timed_send(sender) -> tuple[MailError, float]:
    message = sender.message(READER, "Slow", "Text.", "<p>Text.</p>")
    started = time.monotonic()
    with pytest.raises(MailError) as failed:
        sender.send(message)
    return failed.value, time.monotonic() - started


def test_a_server_slow_at_every_step_is_given_up_on_in_time(slow_server):
    sender = dataclasses.replace(mailer(**slow_server.settings(smtp_timeout=STEP)),
                                 send_timeout=LIMIT)
    failure, took = timed_send(sender)
    assert LIMIT <= took < LIMIT + SLACK
    assert failure.reason == f"gave up after 1 s: 127.0.0.1:{slow_server.port} answered too slowly"
    assert failure.temporary
    assert slow_server.received == []


def test_the_same_server_is_fine_when_the_whole_send_may_take_longer(slow_server):
    sender = mailer(**slow_server.settings(smtp_timeout=STEP))
    assert sender.send_timeout == outbox.SEND_TIMEOUT
    sender.send(sender.message(READER, "Slow", "Text.", "<p>Text.</p>"))
    assert len(slow_server.received) == 1


@pytest.mark.parametrize("security", ["none", "starttls"])
def test_a_greeting_dribbled_byte_by_byte_is_given_up_on_in_time(security, tmp_path):
    dribbler = Dribbler()
    try:
        settings = {"smtp_host": "127.0.0.1", "smtp_port": dribbler.port,
                    "smtp_security": security, "smtp_timeout": STEP,
                    "public_url": "https://comments.test", "mail_from": "k@comments.test"}
        sender = dataclasses.replace(mailer(**settings), send_timeout=LIMIT)
        failure, took = timed_send(sender)
    finally:
        dribbler.close()
    assert LIMIT <= took < LIMIT + SLACK
    assert "gave up after 1 s" in failure.reason and failure.temporary
