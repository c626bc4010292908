"""Benchmark: whether mail makes posting slower.

Four servers (see ``posting.py`` for how they are run and compared), three of them sending
mail through a real SMTP server in this process (aiosmtpd, which takes every message at
once), with two admins with verified addresses:

- mail off;
- mail on with the default settings: each published post is looked at by reply
  notifications (one query: is its parent subscribed?), and moderators hear only of held
  comments, which these posts are not;
- ``notify_moderators = "all"``, its deliverer off (``--no-deliver``): every post also
  queues two moderator letters in its transaction (one look-up, one INSERT), the write
  path's cost alone;
- the same with its deliverer on, writing and sending the letters over SMTP while wrk posts,
  on the same two cores.

Posting never waits for SMTP; what differs is the statements in the post's transaction and
the deliverer's work beside it.

    .venv/bin/python bench/mail.py [--seconds 8] [--repeats 3]
"""

from __future__ import annotations

import sqlite3
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path

import posting
import servers
from aiosmtpd.controller import Controller

ADMINS = 2


class Sink:
    """An SMTP server's handler that takes every message at once."""

    messages = 0

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's name
        Sink.messages += 1
        return "250 2.0.0 Ok"


def add_moderators(database: Path) -> None:
    """Give the seeded database ``ADMINS`` admin accounts with verified addresses."""
    now = datetime.now(UTC).replace(tzinfo=None).isoformat(sep=" ")
    with closing(sqlite3.connect(database)) as connection, connection:
        connection.executemany(
            'INSERT INTO "user" ("username", "username_key", "password_hash", "email", "role", '
            '"session_version", "created", "email_verified") '
            "VALUES (?, ?, '-', ?, 'admin', 0, ?, ?)",
            [(f"mod{n}", f"mod{n}", f"mod{n}@bench.example", now, now)
             for n in range(ADMINS)])


def main() -> None:
    args = posting.arguments(__doc__.splitlines()[0], seconds=8)
    smtp = Controller(Sink(), hostname="127.0.0.1", port=servers.free_port())
    smtp.start()
    mail = (f'smtp_host = "127.0.0.1"\nsmtp_port = {smtp.port}\nsmtp_security = "none"\n'
            'public_url = "https://comments.bench"\nmail_from = "comments@comments.bench"\n')
    every = mail + 'notify_moderators = "all"\n'
    results = posting.compare(args, {
        "off": posting.Server("mail off"),
        "defaults": posting.Server("mail on, default settings", mail, prepare=add_moderators),
        "queued": posting.Server(f"mail on, all: {ADMINS} moderator letters a post, queued only",
                                 every, deliver=False, prepare=add_moderators),
        "on": posting.Server(f"mail on, all: {ADMINS} moderator letters a post, sent meanwhile",
                             every, prepare=add_moderators),
    })
    smtp.stop()
    posting.table(results, f"{Sink.messages:,} mails received over SMTP", args)


if __name__ == "__main__":
    main()
