"""Benchmark: what webhooks cost a post.

Three Kommentar servers on copies of one seeded SQLite database, as ``run.py`` starts them:
one without webhooks; one with a webhook for every event, to a receiver in this process
that answers at once, whose background deliverer sends each post's call while wrk posts;
and the same with its deliverer off (``--no-deliver``), so the calls are only queued.
wrk drives each with ``run.py``'s post scenario, the runs interleaved, the medians kept.
A post with a webhook writes one outbox row more in its transaction and waits for no
receiver, so "queued only" shows the write path's cost; "delivered meanwhile" adds the
deliverer's work (an HTTP call and a small transaction per post) on the same cores.

    .venv/bin/python bench/webhooks.py [--seconds 10] [--repeats 3]
"""

from __future__ import annotations

import argparse
import base64
import http.server
import secrets
import shutil
import tempfile
import threading
from contextlib import ExitStack
from pathlib import Path

import corpus
import report
import scenarios
import seed
import servers
from measure import Bench


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
        bench = Bench(args, wrk, folder)
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
            runs["post", label] = (base, scenarios.load(scenarios.Kommentar(plan), "post"))
        rows = bench.measure(["post"], runs)["post"]
    sink.shutdown()
    print("\n| post | req/s | p50 ms | p99 ms |\n|---|---:|---:|---:|")
    for name, summary in rows.items():
        print(f"| {name} | {report.number(summary.rps)} | {report.number(summary.p50)} | "
              f"{report.number(summary.p99)} |")
    print(f"\n{Sink.calls:,} webhook calls received during the runs; "
          f"{report.machine()}; {args.workers} workers x {args.threads} threads, "
          f"wrk {args.connections} connections, {args.repeats} x {args.seconds:g} s each")
    for note in bench.notes:
        print(f"- {note}")


if __name__ == "__main__":
    main()
