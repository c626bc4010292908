"""Running scenarios against servers: each scenario in turn, each run repeated against
every server (so drift on the machine hits them alike), the medians kept.

A ``Bench`` also starts Kommentar servers, checks that a whole-thread fetch really is
the whole thread, and collects the notes the report prints under its tables.
"""

from __future__ import annotations

import argparse
import base64
import os
import time
from collections import defaultdict
from contextlib import ExitStack
from itertools import count
from pathlib import Path

import corpus
import load
import report
import servers
from scenarios import Isso, Kommentar

SLOW = {("thread-2000-all", "Isso")}  # a few requests a second at best: runs three times longer


class Bench:
    """One benchmark run: its settings, its scratch folder and its wrk runs."""

    def __init__(self, args: argparse.Namespace, wrk: str, folder: Path):
        self.args, self.wrk, self.folder = args, wrk, folder
        self.salts = count(1)
        self.notes: list[str] = []
        self.seeding: list[str] = []
        self.started = time.monotonic()
        self.idle_load = os.getloadavg()[0]  # before any server starts: others' work

    def elapsed(self) -> str:
        """Minutes and seconds since the run began, for the progress lines."""
        return "{:02d}:{:02d}".format(*divmod(int(time.monotonic() - self.started), 60))

    def serve_kommentar(self, stack: ExitStack, name: str, url: str) -> str:
        command, ready = servers.kommentar(self.folder, name, url, self.args.workers,
                                           self.args.threads)
        return stack.enter_context(servers.serving(name, command, self.folder, ready))

    def check_threads(self, name: str, base: str, api: Kommentar | Isso) -> None:
        """Note it when a whole-thread fetch does not return the whole thread."""
        for size in corpus.THREAD_SIZES:
            ids, _, _ = api.document(base, f"/thread-{size}")
            if len(ids) != size:
                self.notes.append(f"{name}: the whole /thread-{size} came with {len(ids)} "
                                  f"comments, not {size}")

    def measure(self, names: list[str], runs: dict[tuple[str, str], tuple[str, load.Load]]
                ) -> dict[str, dict[str, report.Summary]]:
        """Each scenario in turn, every repeat against every server: the medians."""
        rows = {}
        for scenario in names:
            chosen, sizes = [], {}
            for (named, server), (base, ld) in runs.items():
                if named == scenario:
                    sizes[server] = self._sample(scenario, server, base, ld)
                    if sizes[server] is not None:
                        chosen.append((server, base, ld))
            results = defaultdict(list)
            for repeat in range(self.args.repeats):
                for server, base, ld in chosen:
                    seconds = self.args.seconds * (3 if (scenario, server) in SLOW else 1)
                    result = load.run(self.wrk, base, ld, seconds=seconds,
                                      connections=self.args.connections,
                                      threads=self.args.wrk_threads, timeout=60,
                                      salt=next(self.salts))
                    load.settle(base)
                    results[server].append(result)
                    print(f"  {self.elapsed()} {scenario:<16} {server:<18} "
                          f"run {repeat + 1}/{self.args.repeats}: "
                          f"{report.number(result.rps):>7} req/s  p50 {report.number(result.p50)}"
                          f" ms  p99 {report.number(result.p99)} ms"
                          + (f"  {result.failed} failed" if result.failed else ""), flush=True)
            for server, found in results.items():
                if sum(r.failed for r in found):
                    self.notes.append(f"{scenario} on {server}: {sum(r.failed for r in found)} "
                                      "failed requests (non-2xx/3xx, socket errors, timeouts)")
                refused = sum(n for r in found for n in r.refused.values())
                if refused:
                    self.notes.append(f"{scenario} on {server}: {refused} writes answered but "
                                      "not taken (held as spam, or a repeated vote)")
            rows[scenario] = {server: report.Summary.of(results[server], *sizes[server])
                              for server in results}
        return rows

    def _sample(self, scenario: str, server: str, base: str,
                ld: load.Load) -> tuple[int, bool] | None:
        """One request before the runs: its size as transferred, or None (and a note) when
        it does not get the answer the scenario expects, so that server sits it out."""
        status, headers, body = load.send(base, ld)
        if status != ld.entries[0].status:
            self.notes.append(f"{scenario} on {server} skipped: it answered {status}, not "
                              f"{ld.entries[0].status}: {body[:200]!r}")
            return None
        return len(body), headers.get("Content-Encoding") == "gzip"


def capture(base: str, loads: list[load.Load]) -> dict[str, list]:
    """Kommentar's answers to every read the loads make, for the ceiling to replay."""
    answers = {}
    for ld in loads:
        for path, _ in ld.entries[0].requests:
            plain = load.Load([load.Entry("read", requests=[(path, None)])])
            status, headers, body = load.send(base, plain)
            kept = {k: v for k, v in headers.items() if k not in
                    ("Server", "Date", "Connection", "Content-Length", "Transfer-Encoding")}
            answers[path] = [status, kept, base64.b64encode(body).decode()]
    return answers
