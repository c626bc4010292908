"""What the outbox's work costs a post: the frame ``webhooks.py`` and ``mail.py`` share.

Kommentar servers on copies of one seeded SQLite database, as ``run.py`` starts them, each
set up its own way (``Server``), one with the background deliverer off (``--no-deliver``)
where the comparison wants the write path alone. wrk drives each with ``run.py``'s post
scenario, the runs interleaved and the medians kept; before each run every deliverer has
sent what the runs before it queued, so no run pays for another's deliveries.
"""

from __future__ import annotations

import argparse
import shutil
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import corpus
import load
import report
import scenarios
import seed
import servers


@dataclass(frozen=True)
class Server:
    """One server of a comparison: its row's label, the settings its TOML file gets beyond
    ``run.py``'s, whether its deliverer runs, and what its database needs beyond the seed."""

    label: str
    settings: str = ""
    deliver: bool = True
    prepare: Callable[[Path], None] | None = None


def arguments(description: str, seconds: float) -> argparse.Namespace:
    """The command line every comparison takes."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--seconds", type=float, default=seconds, help="length of one wrk run")
    parser.add_argument("--repeats", type=int, default=3, help="runs per server (median)")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--wrk-threads", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    return parser.parse_args()


def drained(database: Path) -> None:
    """Wait until the deliverer of the server on ``database`` has nothing left to send."""
    with sqlite3.connect(database) as connection:
        while connection.execute('SELECT COUNT(*) FROM "outbox_message" '
                                 'WHERE "due" IS NOT NULL').fetchone()[0]:
            time.sleep(0.2)
    connection.close()


def compare(args: argparse.Namespace, named: dict[str, Server]) -> dict[str, list]:
    """Post to each server in turn, ``args.repeats`` times; each label's wrk results."""
    wrk = servers.ensure_wrk()
    with tempfile.TemporaryDirectory(prefix="kommentar-bench-posting-") as scratch, \
            ExitStack() as stack:
        folder = Path(scratch)
        plan = corpus.build(corpus.small_sizes())
        seed.seed(f"sqlite:///{folder / 'seeded.db'}", plan)
        runs, delivering = {}, []
        for name, server in named.items():
            database = folder / f"{name}.db"
            shutil.copyfile(folder / "seeded.db", database)
            if server.prepare:
                server.prepare(database)
            command, ready = servers.kommentar(folder, name, f"sqlite:///{database}",
                                               args.workers, args.threads)
            with open(folder / f"{name}.toml", "a", encoding="utf-8") as config:
                config.write(server.settings)
            if server.deliver:
                delivering.append(database)
            else:
                command.append("--no-deliver")
            base = stack.enter_context(servers.serving(name, command, folder, ready))
            runs[server.label] = (base, scenarios.load(scenarios.Kommentar(plan), "post"))
        width = max(len(label) for label in runs)
        results: dict[str, list] = {label: [] for label in runs}
        for repeat in range(args.repeats):
            for label, (base, posts) in runs.items():
                for database in delivering:
                    drained(database)
                result = load.run(wrk, base, posts, seconds=args.seconds,
                                  connections=args.connections, threads=args.wrk_threads,
                                  timeout=60, salt=repeat + 1)  # unique per server
                load.settle(base)
                results[label].append(result)
                print(f"  {label:<{width}} run {repeat + 1}/{args.repeats}: "
                      f"{report.number(result.rps):>7} req/s  p50 {report.number(result.p50)} ms"
                      f"  p99 {report.number(result.p99)} ms  {result.failed} failed", flush=True)
        for database in delivering:
            drained(database)
    return results


def table(results: dict[str, list], received: str, args: argparse.Namespace) -> None:
    """Print the medians as a Markdown table, and how they were measured."""
    print("\n| post | req/s | p50 ms | p99 ms |\n|---|---:|---:|---:|")
    for label, found in results.items():
        print(f"| {label} | {report.number(statistics.median(r.rps for r in found))} | "
              f"{report.number(statistics.median(r.p50 for r in found))} | "
              f"{report.number(statistics.median(r.p99 for r in found))} |")
    print(f"\n{received}; {report.machine()}; {args.workers} workers x {args.threads} threads, "
          f"wrk {args.connections} connections, {args.repeats} x {args.seconds:g} s each")
