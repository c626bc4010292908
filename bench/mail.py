"""Benchmark: whether mail makes posting slower.

Three Kommentar servers on copies of one seeded SQLite database, as ``run.py`` starts them:
one with mail off, and two with mail on, sending through a real SMTP server in this process
(aiosmtpd, which takes every message at once) with ``notify_moderators = "all"`` and two
admins with verified addresses, so every post queues two moderator letters in its
transaction. One of them writes and sends the letters over SMTP while wrk posts; the other's
deliverer is off (``--no-deliver``), which shows the write path's cost alone. wrk drives each
with ``run.py``'s post scenario, the runs interleaved, the medians kept; before each run the
deliverer has sent what the runs before queued. Posting never waits for SMTP: what differs
is one look-up and one INSERT in the post's transaction, and the deliverer's work (two
letters rendered and sent, and their rows marked, per post) on the same two cores.

    .venv/bin/python bench/mail.py [--seconds 8] [--repeats 3]
"""

from __future__ import annotations

import argparse
import shutil
import sqlite3
import statistics
import tempfile
from contextlib import ExitStack, closing
from datetime import UTC, datetime
from pathlib import Path

import corpus
import load
import report
import scenarios
import seed
import servers
from aiosmtpd.controller import Controller
from webhooks import drained

ADMINS = 2
SERVERS = {"off": "mail off", "queued": f"mail on, {ADMINS} moderator letters a post, queued only",
           "on": f"mail on, {ADMINS} moderator letters a post, sent meanwhile"}


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
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=8, help="length of one wrk run")
    parser.add_argument("--repeats", type=int, default=3, help="runs per server (median)")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--wrk-threads", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    args = parser.parse_args()
    wrk = servers.ensure_wrk()
    smtp = Controller(Sink(), hostname="127.0.0.1", port=servers.free_port())
    smtp.start()
    with tempfile.TemporaryDirectory(prefix="kommentar-bench-mail-") as scratch, \
            ExitStack() as stack:
        folder = Path(scratch)
        plan = corpus.build(corpus.small_sizes())
        seed.seed(f"sqlite:///{folder / 'off.db'}", plan)
        for name in ("queued", "on"):
            shutil.copyfile(folder / "off.db", folder / f"{name}.db")
            add_moderators(folder / f"{name}.db")
        runs = {}
        for name, label in SERVERS.items():
            command, ready = servers.kommentar(folder, name, f"sqlite:///{folder / name}.db",
                                               args.workers, args.threads)
            if name != "off":
                with open(folder / f"{name}.toml", "a", encoding="utf-8") as config:
                    config.write(f'smtp_host = "127.0.0.1"\nsmtp_port = {smtp.port}\n'
                                 'smtp_security = "none"\npublic_url = "https://comments.bench"\n'
                                 'mail_from = "comments@comments.bench"\n'
                                 'notify_moderators = "all"\n')
            if name == "queued":
                command.append("--no-deliver")
            base = stack.enter_context(servers.serving(name, command, folder, ready))
            runs[label] = (base, scenarios.load(scenarios.Kommentar(plan), "post"))
        results: dict[str, list] = {label: [] for label in runs}
        for repeat in range(args.repeats):
            for label, (base, posts) in runs.items():
                drained(folder / "on.db")
                result = load.run(wrk, base, posts, seconds=args.seconds,
                                  connections=args.connections, threads=args.wrk_threads,
                                  timeout=60, salt=repeat + 1)
                load.settle(base)
                results[label].append(result)
                print(f"  {label:<45} run {repeat + 1}/{args.repeats}: "
                      f"{report.number(result.rps):>7} req/s  p50 {report.number(result.p50)} ms"
                      f"  p99 {report.number(result.p99)} ms  {result.failed} failed", flush=True)
        drained(folder / "on.db")
    smtp.stop()
    print("\n| post | req/s | p50 ms | p99 ms |\n|---|---:|---:|---:|")
    for label, found in results.items():
        print(f"| {label} | {report.number(statistics.median(r.rps for r in found))} | "
              f"{report.number(statistics.median(r.p50 for r in found))} | "
              f"{report.number(statistics.median(r.p99 for r in found))} |")
    print(f"\n{Sink.messages:,} mails received over SMTP; {report.machine()}; {args.workers} "
          f"workers x {args.threads} threads, wrk {args.connections} connections, "
          f"{args.repeats} x {args.seconds:g} s each")


if __name__ == "__main__":
    main()
