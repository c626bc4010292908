"""Benchmark: what webhooks cost a post.

Three Kommentar servers on copies of one seeded SQLite database, as ``run.py`` starts them:
one without webhooks; one with a webhook for every event, to a receiver in this process
that answers at once, whose background deliverer sends each post's call while wrk posts;
and the same with its deliverer off (``--no-deliver``), so the calls are only queued.
wrk drives each with ``run.py``'s post scenario, the runs interleaved, the medians kept;
before each run the deliverer has sent everything the runs before it queued, so no run
pays for another's deliveries. A post with a webhook writes one outbox row more in its
transaction and waits for no receiver, so "queued only" shows the write path's cost;
"delivered meanwhile" adds the deliverer's work (an HTTP call and a small transaction
per post) on the same cores.

    .venv/bin/python bench/webhooks.py [--seconds 10] [--repeats 3]
"""

from __future__ import annotations

import argparse
import base64
import http.server
import secrets
import shutil
import sqlite3
import statistics
import tempfile
import threading
import time
from contextlib import ExitStack
from pathlib import Path

import corpus
import load
import report
import scenarios
import seed
import servers


class Sink(http.server.BaseHTTPRequestHandler):
    """A webhook receiver that takes every call and answers 204 at once."""

    calls = 0

    def log_message(self, *args):
        pass

    def do_POST(self):  # noqa: N802 - http.server's naming
        self.rfile.read(int(self.headers["Content-Length"]))
        Sink.calls += 1
        self.send_response(204)
        self.end_headers()


SERVERS = {"off": "no webhooks", "delivered": "webhook, delivered meanwhile",
           "queued": "webhook, queued only"}


def drained(database: Path) -> None:
    """Wait until the deliverer of the server on ``database`` has nothing left to send."""
    with sqlite3.connect(database) as connection:
        while connection.execute('SELECT COUNT(*) FROM "outbox_message" '
                                 'WHERE "due" IS NOT NULL').fetchone()[0]:
            time.sleep(0.2)
    connection.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10, help="length of one wrk run")
    parser.add_argument("--repeats", type=int, default=3, help="runs per server (median)")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--wrk-threads", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    args = parser.parse_args()
    wrk = servers.ensure_wrk()
    sink = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Sink)
    threading.Thread(target=sink.serve_forever, daemon=True).start()
    secret = "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()
    with tempfile.TemporaryDirectory(prefix="kommentar-bench-webhooks-") as scratch, \
            ExitStack() as stack:
        folder = Path(scratch)
        plan = corpus.build(corpus.small_sizes())
        seed.seed(f"sqlite:///{folder / 'off.db'}", plan)
        runs = {}
        for name, label in SERVERS.items():
            if name != "off":
                shutil.copyfile(folder / "off.db", folder / f"{name}.db")
            command, ready = servers.kommentar(folder, name, f"sqlite:///{folder / name}.db",
                                               args.workers, args.threads)
            if name != "off":
                with open(folder / f"{name}.toml", "a", encoding="utf-8") as config:
                    config.write(f'[[webhooks]]\nurl = "http://127.0.0.1:'
                                 f'{sink.server_address[1]}/hook"\nsecret = "{secret}"\n')
            if name == "queued":
                command.append("--no-deliver")
            base = stack.enter_context(servers.serving(name, command, folder, ready))
            runs[label] = (base, scenarios.load(scenarios.Kommentar(plan), "post"))
        results: dict[str, list] = {label: [] for label in runs}
        for repeat in range(args.repeats):
            for label, (base, posts) in runs.items():
                drained(folder / "delivered.db")
                result = load.run(wrk, base, posts, seconds=args.seconds,
                                  connections=args.connections, threads=args.wrk_threads,
                                  timeout=60, salt=repeat + 1)  # unique per server
                load.settle(base)
                results[label].append(result)
                print(f"  {label:<30} run {repeat + 1}/{args.repeats}: "
                      f"{report.number(result.rps):>7} req/s  p50 {report.number(result.p50)} ms"
                      f"  p99 {report.number(result.p99)} ms  {result.failed} failed", flush=True)
        drained(folder / "delivered.db")
    sink.shutdown()
    print("\n| post | req/s | p50 ms | p99 ms |\n|---|---:|---:|---:|")
    for label, found in results.items():
        print(f"| {label} | {report.number(statistics.median(r.rps for r in found))} | "
              f"{report.number(statistics.median(r.p50 for r in found))} | "
              f"{report.number(statistics.median(r.p99 for r in found))} |")
    print(f"\n{Sink.calls:,} webhook calls received; {report.machine()}; {args.workers} "
          f"workers x {args.threads} threads, wrk {args.connections} connections, "
          f"{args.repeats} x {args.seconds:g} s each")


if __name__ == "__main__":
    main()
