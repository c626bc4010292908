"""The outbox: messages (webhook calls; mail) written in the transaction of the event that
causes them, and sent afterwards by ``kommentar deliver`` or in the background of
``kommentar serve``.

A committed message is sent, however long its receiver is away and whatever stops in
between; a rolled-back write has queued nothing. Senders claim due messages in a short
transaction (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, the writer lock on SQLite) that
leases them for ``LEASE``: every other sender, in this process or on another server, passes
them by until the lease runs out, so a message goes out once, and one whose sender was
killed goes out after its lease has passed. Sending happens outside any transaction; then
the message is marked sent, or given its next attempt: 5 seconds after the first failure,
doubling to at most 10 minutes, until ``GIVE_UP`` after it was queued, when it is marked
failed with its last error (a moderator can retry it from the admin pages).

Each kind of message has its deliverer in ``deliverers``: a function that sends one message
or raises ``DeliveryFailed`` saying why, in words for the admin page, and that gives up
within ``SEND_TIMEOUT`` seconds, so a whole batch ends well inside its lease.
"""

from __future__ import annotations

import json
import logging
import re
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from peewee import DatabaseError, InterfaceError, fn

from .db import batches, database, execute, is_postgres, placeholders, rows_statement
from .models import FAILED, QUEUED, SENDING, SENT, OutboxMessage, utcnow

log = logging.getLogger("kommentar.outbox")

LEASE = timedelta(minutes=5)  # how long a claimed message is its sender's alone
BATCH = 10  # messages claimed at once
SEND_TIMEOUT = 25  # seconds a deliverer may take per message: a batch ends inside its lease
FIRST_RETRY = timedelta(seconds=5)
LONGEST_WAIT = timedelta(minutes=10)
GIVE_UP = timedelta(days=2)
POLL = 1.0  # seconds between looks for due messages: one index lookup each
KEEP_SENT, KEEP_FAILED = timedelta(days=7), timedelta(days=30)  # then they are forgotten
ROWS = 200  # messages per INSERT: far below SQLite's and PostgreSQL's parameter limits

_COLUMNS = ("kind", "event", "destination", "headers", "payload", "state", "attempts", "due",
            "give_up", "created")
_DUE = 'SELECT 1 FROM "outbox_message" WHERE "due" <= ? LIMIT 1'
_CLAIM = ('UPDATE "outbox_message" SET "state" = ?, "attempts" = "attempts" + 1, "due" = ? '
          'WHERE "id" IN (SELECT "id" FROM "outbox_message" WHERE "due" <= ? '
          'ORDER BY "due", "id" LIMIT ?{lock}) RETURNING "id", "kind", "event", "destination", '
          '"headers", "payload", "attempts", "give_up"')
# Only while the claim is still this sender's: the same attempt, not yet finished.
_FINISH = ('UPDATE "outbox_message" SET "state" = ?, "due" = ?, "sent" = ?, '
           '"last_error" = COALESCE(?, "last_error") '
           'WHERE "id" = ? AND "attempts" = ? AND "state" = ?')
_RETRY = ('UPDATE "outbox_message" SET "state" = ?, "due" = ?, "give_up" = ?, "attempts" = 0 '
          'WHERE "state" = ?')
_FORGET = 'DELETE FROM "outbox_message" WHERE "state" = ? AND "created" < ?'


@dataclass(frozen=True)
class Message:
    """A claimed message, as its deliverer gets it."""

    id: int
    kind: str
    event: str
    destination: str
    headers: dict[str, str]
    payload: str
    attempts: int  # this attempt's number, from 1
    give_up: datetime


class DeliveryFailed(Exception):
    """A message did not reach its destination; the text says why, for the admin page.
    ``permanent``: trying again cannot help (its destination is no longer configured)."""

    def __init__(self, reason: str, permanent: bool = False):
        super().__init__(reason)
        self.permanent = permanent


Deliverer = Callable[[Message, Mapping[str, Any]], None]
deliverers: dict[str, Deliverer] = {}  # by kind; each subsystem adds its own in init_app
# Work that every sender does beside sending, each given the time: ``preparers`` before each
# look for due messages (turning what waits elsewhere into messages: gathered reply notices),
# in their own transactions; ``cleaners`` hourly (forgetting what has expired).
preparers: list[Callable[[datetime], None]] = []
cleaners: list[Callable[[datetime], None]] = []


def queue(messages: Iterable[tuple[str, str, str, dict[str, str], str]],
          now: datetime | None = None) -> None:
    """Write messages, each ``(kind, event, destination, headers, payload)``, to be sent as
    soon as a sender looks: in the caller's transaction, one INSERT per ``ROWS``."""
    now = now or utcnow()
    rows = [(kind, event, destination, json.dumps(headers), payload, QUEUED, 0, now,
             now + GIVE_UP, now) for kind, event, destination, headers, payload in messages]
    for start in range(0, len(rows), ROWS):
        chunk = rows[start:start + ROWS]
        execute(rows_statement("outbox_message", _COLUMNS, len(chunk)),
                [value for row in chunk for value in row])


def prepare(now: datetime) -> None:
    """Run the ``preparers``: what is due by ``now`` elsewhere becomes messages."""
    for preparer in preparers:
        preparer(now)


def is_due(now: datetime) -> bool:
    """Whether any message waits to be sent: one index lookup, no lock taken."""
    return execute(_DUE, (now,)).fetchone() is not None


def claim(now: datetime, limit: int = BATCH) -> list[Message]:
    """Lease up to ``limit`` due messages, oldest due first, to this sender until
    ``now + LEASE``: one UPDATE in its own transaction."""
    with database.atomic():
        rows = execute(_CLAIM.format(lock=" FOR UPDATE SKIP LOCKED" if is_postgres() else ""),
                       (SENDING, now + LEASE, now, limit)).fetchall()
    return sorted((Message(id_, kind, event, destination, json.loads(headers), payload,
                           attempts, OutboxMessage.give_up.python_value(give_up))
                   for id_, kind, event, destination, headers, payload, attempts, give_up
                   in rows), key=lambda message: message.id)


def next_attempt(attempts: int) -> timedelta:
    """How long after its ``attempts``-th failed attempt a message is tried again."""
    return min(LONGEST_WAIT, FIRST_RETRY * 2 ** min(attempts - 1, 16))


@dataclass
class Tally:
    """What one round of delivery did."""

    sent: int = 0
    retrying: int = 0
    failed: int = 0

    def summary(self) -> str:
        """The tally in words, for the command line."""
        return f"sent {self.sent}, to retry {self.retrying}, failed {self.failed}"


def deliver_due(config: Mapping[str, Any], now: datetime | None = None) -> Tally:
    """Send every message due at ``now`` (by default the clock, read again for each batch),
    batch by batch, and record each outcome. A failure's next attempt lies after ``now``, so
    this ends once nothing is due."""
    tally = Tally()
    while batch := claim(now or utcnow()):
        for message in batch:
            _deliver(message, config, now, tally)
    return tally


def _deliver(message: Message, config: Mapping[str, Any], now: datetime | None,
             tally: Tally) -> None:
    """Send one claimed message and record the outcome, in a transaction of its own."""
    deliverer = deliverers.get(message.kind)
    try:
        if deliverer is None:
            raise DeliveryFailed(f"this server sends no {message.kind} messages", permanent=True)
        deliverer(message, config)
    except DeliveryFailed as failure:
        error, permanent = str(failure), failure.permanent
    except Exception as failure:  # a deliverer's bug must not hold up the other messages
        log.exception("outbox: message %s: the %s deliverer failed", message.id, message.kind)
        error, permanent = f"unexpected error: {failure!r}", False
    else:
        _finish(message, SENT, due=None, sent=now or utcnow(), error=None)
        tally.sent += 1
        return
    error = error[:1000]
    retry_at = (now or utcnow()) + next_attempt(message.attempts)
    if permanent or retry_at > message.give_up:
        _finish(message, FAILED, due=None, sent=None, error=error)
        tally.failed += 1
        log.warning("outbox: message %s (%s %s) failed after %s attempts: %s", message.id,
                    message.kind, message.event, message.attempts, unaddressed(error))
    else:
        _finish(message, QUEUED, due=retry_at, sent=None, error=error)
        tally.retrying += 1
        log.info("outbox: message %s (%s %s), attempt %s: %s; next at %s", message.id,
                 message.kind, message.event, message.attempts, unaddressed(error),
                 f"{retry_at:%H:%M:%S}")


# Anything shaped like a mail address: an SMTP server's refusal often quotes the recipient.
_ADDRESS = re.compile(r"[^\s<>@\"']+@[^\s<>@\"']+")


def unaddressed(text: str) -> str:
    """``text`` with every mail address in it replaced, for the log, which never holds one
    (the admin page, which shows each mail's recipient anyway, keeps the whole error)."""
    return _ADDRESS.sub("[address]", text)


def _finish(message: Message, state: str, *, due: datetime | None, sent: datetime | None,
            error: str | None) -> None:
    with database.atomic():
        execute(_FINISH, (state, due, sent, error, message.id, message.attempts, SENDING))


def retry(ids: Iterable[int] | None, now: datetime | None = None) -> int:
    """Queue failed messages again (these, or every one for None), due at once, with a fresh
    ``GIVE_UP`` and attempt count; return how many there were. In the caller's transaction
    (the admin audits it)."""
    now = now or utcnow()
    values = (QUEUED, now, now + GIVE_UP, FAILED)
    if ids is None:
        return execute(_RETRY, values).rowcount
    return sum(execute(f'{_RETRY} AND "id" IN ({placeholders(len(batch))})',
                       (*values, *batch)).rowcount for batch in batches(ids))


def forget(now: datetime | None = None) -> int:
    """Delete sent messages after ``KEEP_SENT`` and failed ones after ``KEEP_FAILED``: they
    hold copies of comments. Return how many went."""
    now = now or utcnow()
    with database.atomic():
        return sum(execute(_FORGET, (state, now - keep)).rowcount
                   for state, keep in ((SENT, KEEP_SENT), (FAILED, KEEP_FAILED)))


def run(config: Mapping[str, Any], stop: threading.Event,
        wanted: Callable[[], bool] = lambda: True) -> None:
    """Deliver until ``stop`` is set (or ``wanted`` says no more): look for due messages every
    ``POLL`` seconds and send them; forget old ones hourly. A database that is away is
    logged and tried again at the next look."""
    forgotten_at: datetime | None = None
    while not stop.is_set() and wanted():
        try:
            with database.connection_context():
                now = utcnow()
                if forgotten_at is None or now - forgotten_at > timedelta(hours=1):
                    for clean in (forget, *cleaners):
                        clean(now)
                    forgotten_at = now
                prepare(now)
                if is_due(now):
                    deliver_due(config)
        except (DatabaseError, InterfaceError) as error:
            log.warning("outbox: cannot reach the database: %s", error)
        stop.wait(POLL)


def counts() -> dict[str, int]:
    """How many messages are in each state (``sending`` counted as queued)."""
    found = {QUEUED: 0, SENT: 0, FAILED: 0}
    for state, count in (OutboxMessage.select(OutboxMessage.state, fn.COUNT(OutboxMessage.id))
                         .group_by(OutboxMessage.state).tuples()):
        found[QUEUED if state == SENDING else state] += count
    return found


def listing(state: str, page: int, per_page: int) -> tuple[list[OutboxMessage], int]:
    """One page of the messages in a state, without their payloads: the queued ones (those
    being sent too) in the order they go out, the sent and failed ones newest first;
    (messages, how many in all)."""
    if state == QUEUED:
        where = OutboxMessage.due.is_null(False)
        order = (OutboxMessage.due, OutboxMessage.id)
    else:
        where = OutboxMessage.state == state
        order = (OutboxMessage.created.desc(), OutboxMessage.id.desc())
    fields = [getattr(OutboxMessage, name) for name in
              ("id", "kind", "event", "destination", "state", "attempts", "due", "give_up",
               "last_error", "created", "sent")]
    rows = list(OutboxMessage.select(*fields).where(where).order_by(*order)
                .paginate(page, per_page))
    return rows, OutboxMessage.select().where(where).count()
