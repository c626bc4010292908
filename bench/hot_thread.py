"""Benchmark: one hot thread kept open by 5,000 readers while it is written to (issue 13).

A thread of 500 comments (about a third of them replies) among the comparison database's
threads (``corpus.small_sizes``). Each of 5,000 readers polls ``GET /api/threads/latest``
for it every 30 s, as the widget does while a page is visible, sending the ETag it last got
as ``If-None-Match`` (a 304 when nothing changed, the new document when something did); the
readers' polls are spread evenly over the interval, about 167 a second. Meanwhile 2
comments a second are posted to the thread, a third of them replies, each by another
reader. Requests leave on schedule whatever the server does (``open_loop.py``), so the
latencies include any waiting.

Three phases: *busy*, with the posts (a reader's tag is always older than the last post,
so nearly every poll gets the new document: from the worker's cache, built once per post);
*quiet*, the same polls with no posts, every reader holding the current tag (all 304s),
both over a few keep-alive connections; then *busy* again with a new connection for every
request, as nginx's plain ``proxy_pass`` (the README's example) reaches the server. Each
starts with a short warm-up that is not counted. The server is Kommentar as
``run.py`` serves it: ``kommentar serve`` with 2 workers x 4 threads on SQLite, no access
log. Its CPU share is read from ``/proc/<pid>/stat`` (utime + stime of the gunicorn
arbiter, its workers and the outbox deliverer) over each measured window, and so is what
every other process on the machine used meanwhile, which skews the latencies when it is
more than a little. The report is ``hot_report.py``'s.

    make bench-hot                                    # about 4 minutes
    .venv/bin/python bench/hot_thread.py --quick      # about a minute; prints, writes nothing
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import json
import math
import os
import random
import sys
import tempfile
import time
import urllib.request
from datetime import date
from pathlib import Path
from urllib.parse import quote, urlsplit

import corpus
import report
import scenarios
import seed
import servers
from hot_report import HOT, TARGET_P99_MS, Phase, document
from open_loop import Pool, timed
from servers import cpu_seconds, machine_busy, processes_of


def parse() -> argparse.Namespace:
    """The command line; --quick shortens the phases the user did not set."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="20 s busy and 10 s quiet, printed only: for development")
    parser.add_argument("--seconds", type=float, default=90, help="busy phase, measured")
    parser.add_argument("--quiet-seconds", type=float, default=30, help="quiet phase, measured")
    parser.add_argument("--warmup", type=float, default=5, help="uncounted start of each phase")
    parser.add_argument("--readers", type=int, default=5000)
    parser.add_argument("--interval", type=float, default=30, help="seconds between polls")
    parser.add_argument("--posts", type=float, default=2, help="comments posted a second")
    parser.add_argument("--comments", type=int, default=500, help="comments in the hot thread")
    parser.add_argument("--connections", type=int, default=16, help="keep-alive connections")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--output", type=Path, help="the results file (default: "
                        "bench/results/hot-thread-DATE.md; none with --quick)")
    args = parser.parse_args()
    if args.quick:
        defaults = parser.parse_args([])
        for name, value in (("seconds", 20), ("quiet_seconds", 10), ("warmup", 3)):
            if getattr(args, name) == getattr(defaults, name):
                setattr(args, name, value)
    elif args.output is None:
        args.output = servers.BENCH / "results" / f"hot-thread-{date.today()}.md"
    return args


# --- the load ----------------------------------------------------------------------------------

class Readers:
    """The readers' polls and the posts of one run, against one server."""

    def __init__(self, base: str, plan: corpus.Plan, args: argparse.Namespace):
        parts = urlsplit(base)
        self.host, self.port, self.args = parts.hostname, parts.port, args
        self.path = f"/api/threads/latest?url={quote(plan.url(HOT), safe='')}"
        self.url = plan.url(HOT)
        self.tags: list[str | None] = [None] * args.readers
        rng = random.Random(f"{corpus.SEED}:hot")  # noqa: S311 - reproducible, not secret
        ids = scenarios.comments_by_page(plan)[HOT]
        self.parents = [rng.choice(ids) if rng.random() < 1 / 3 else None for _ in range(1000)]
        self.texts = plan.texts[:scenarios.TEXTS]
        self.posted = 0

    async def phase(self, name: str, seconds: float, posts: float, fresh: bool,
                    pids: list[int]) -> Phase:
        """Poll (and post, at ``posts`` a second) for the warm-up and then ``seconds``, over
        kept-alive connections or a ``fresh`` one each; the outcomes of what was due after
        the warm-up."""
        pool = Pool(self.host, self.port, self.args.connections, fresh)
        start = time.monotonic() + 0.1
        measured, end = start + self.args.warmup, start + self.args.warmup + seconds
        step = self.args.interval / self.args.readers
        schedule = [(start + n * step, "poll", n % self.args.readers)
                    for n in range(math.ceil((end - start) / step))]
        if posts:
            schedule += [(start + n / posts, "post", n)
                         for n in range(math.ceil((end - start) * posts))]
        schedule.sort()
        tasks, cpu = [], None
        for due, kind, n in schedule:
            if cpu is None and due >= measured:
                cpu = (cpu_seconds(pids), time.process_time(), machine_busy())
            if (delay := due - time.monotonic()) > 0:
                await asyncio.sleep(delay)
            work = self._poll(pool, n) if kind == "poll" else self._post(pool, n)
            tasks.append(asyncio.create_task(timed(kind, due, work)))
        if (delay := end - time.monotonic()) > 0:
            await asyncio.sleep(delay)
        server, client = cpu_seconds(pids) - cpu[0], time.process_time() - cpu[1]
        others = machine_busy() - cpu[2] - server - client
        outcomes = await asyncio.gather(*tasks)
        pool.close()
        return Phase(name, [o for o in outcomes if o.due >= measured], seconds, server, client,
                     sum(1 for o in outcomes if o.due < measured and o.problem), pool.opened,
                     max(0.0, others))

    async def _poll(self, pool: Pool, reader: int):
        headers = {"Accept-Encoding": "gzip", "Origin": corpus.ORIGIN}
        if self.tags[reader]:
            headers["If-None-Match"] = self.tags[reader]
        answer = await pool.request("GET", self.path, headers)
        if answer.status == 200:
            tag = answer.headers.get("etag")
            if not tag or not answer.body:
                return answer.status, "a 200 without an ETag or a body", None
            self.tags[reader] = tag
            return answer.status, None, tag
        return answer.status, None if answer.status == 304 else f"status {answer.status}", None

    async def _post(self, pool: Pool, n: int):
        body = {"url": self.url, "name": f"Reader {n}", "parent": self.parents[n % 1000],
                "text": f"{self.texts[n % len(self.texts)]}\n\nHot post {n} at {time.time()}."}
        answer = await pool.request("POST", "/api/comments", {
            "Content-Type": "application/json", "Origin": corpus.ORIGIN,
            "X-Forwarded-For": f"10.{n // 65536 % 256}.{n // 256 % 256}.{n % 256}"},
            json.dumps(body).encode())
        if answer.status != 201 or b'"published"' not in answer.body:
            return answer.status, f"not published: {answer.body[:200]!r}", None
        self.posted += 1
        return answer.status, None, None

    def everyone_current(self, base: str) -> int:
        """Give every reader the thread's current (gzipped) tag, as if each had just polled;
        the thread's published comment count."""
        asked = urllib.request.Request(base + self.path, headers={"Accept-Encoding": "gzip"})  # noqa: S310
        with urllib.request.urlopen(asked, timeout=30) as answer:  # noqa: S310 - our server
            self.tags = [answer.headers["ETag"]] * self.args.readers
            body = answer.read()
            if answer.headers.get("Content-Encoding") == "gzip":
                body = gzip.decompress(body)
        return json.loads(body)["thread"]["count"]


def main() -> int:
    """Seed, serve, run the phases, report; exit 1 on errors or a missed target."""
    args = parse()
    idle_load = os.getloadavg()[0]
    plan = corpus.build([*corpus.small_sizes(), (HOT, args.comments)])
    with tempfile.TemporaryDirectory(prefix="kommentar-bench-hot-") as scratch:
        folder = Path(scratch)
        database = f"sqlite:///{folder / 'hot.db'}"
        print(f"seeding {len(plan.comments):,} comments: {seed.seed(database, plan):.1f} s",
              flush=True)
        command, ready = servers.kommentar(folder, "hot", database, args.workers, args.threads)
        with servers.serving("hot", command, folder, ready) as base:
            pids = processes_of(folder / "hot.toml")
            readers = Readers(base, plan, args)
            before = readers.everyone_current(base)
            with urllib.request.urlopen(base + readers.path, timeout=30) as answer:  # noqa: S310
                plain = answer.read()
            size = (len(plain), len(gzip.compress(plain, 9)))
            phases = []
            for name, seconds, posts, fresh in (
                    ("busy", args.seconds, args.posts, False),
                    ("quiet", args.quiet_seconds, 0, False),
                    ("busy, new connections", args.seconds, args.posts, True)):
                print(f"{name}: {args.warmup:g} + {seconds:g} s ...", flush=True)
                readers.everyone_current(base)
                phases.append(asyncio.run(readers.phase(name, seconds, posts, fresh, pids)))
            after = readers.everyone_current(base)
    text = document(args, plan, phases, size, (before, after, readers.posted),
                    (idle_load, os.getloadavg()[0]))
    print("\n" + text)
    if args.output:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(text, encoding="utf-8")
        print(f"written to {args.output}")
    polls = [o.latency for p in phases for o in p.outcomes if o.kind == "poll"]
    failed = any(o.problem for p in phases for o in p.outcomes) or \
        any(p.warmup_errors for p in phases) or after - before != readers.posted
    return 1 if failed or report.percentile(polls, 0.99) * 1000 >= TARGET_P99_MS else 0


if __name__ == "__main__":
    sys.exit(main())
