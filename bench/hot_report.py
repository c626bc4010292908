"""The hot-thread benchmark's report (``hot_thread.py``): one Markdown document with a row
per phase and kind of request, and what else ran on the machine meanwhile."""

from __future__ import annotations

import argparse
import os
import sqlite3
from dataclasses import dataclass
from datetime import date

import corpus
import report
from open_loop import Outcome

HOT = "/thread-hot"
TARGET_P99_MS = 50


@dataclass
class Phase:
    """What one phase measured: its outcomes after the warm-up, its length, and the CPU
    seconds the server's processes and this load generator used meanwhile."""

    name: str
    outcomes: list[Outcome]
    seconds: float
    server_cpu: float
    client_cpu: float
    warmup_errors: int
    opened: int  # connections
    others_cpu: float  # every other process on the machine: what skews the figures


def rows(phase: Phase, cores: int) -> list[str]:
    """The phase's lines of the table: one per kind of request."""
    lines = []
    for kind in ("poll", "post"):
        found = [o for o in phase.outcomes if o.kind == kind]
        if not found:
            continue
        ms = [o.latency * 1000 for o in found]
        errors = sum(o.problem is not None for o in found)
        unchanged = sum(o.status == 304 for o in found)
        share = f"{unchanged / len(found):.1%}" if kind == "poll" else "–"
        cpu = (f"{phase.server_cpu / phase.seconds / cores:.1%} "
               f"({phase.server_cpu / phase.seconds:.2f} cores)") if kind == "poll" else ""
        lines.append(f"| {phase.name if kind == 'poll' else ''} | {kind} | {len(found):,} | "
                     f"{report.number(len(found) / phase.seconds)} | "
                     + " | ".join(report.number(report.percentile(ms, q))
                                  for q in (0.5, 0.95, 0.99))
                     + f" | {report.number(max(ms))} | {errors} | {share} | {cpu} |")
    return lines


def lag(phase: Phase) -> float:
    """How late (ms) the load generator sent the phase's requests, at the 99th percentile."""
    return report.percentile([o.late for o in phase.outcomes], 0.99) * 1000


def document(args: argparse.Namespace, plan: corpus.Plan, phases: list[Phase], size: tuple,
             counted: tuple[int, int, int], loads: tuple[float, float]) -> str:
    """The report, in Markdown."""
    cores = os.cpu_count() or 1
    hot = plan.pages.index(HOT)
    replies = sum(1 for c in plan.comments if c.thread == hot and c.parent is not None)
    polls = [o for phase in phases for o in phase.outcomes if o.kind == "poll"]
    every = [o for phase in phases for o in phase.outcomes]
    worst = report.percentile([o.latency * 1000 for o in polls], 0.99)
    errors = [o for o in every if o.problem]
    before, after, acknowledged = counted
    warmup_errors = sum(phase.warmup_errors for phase in phases)
    lines = [
        f"# The hot thread (make bench-hot), {date.today().isoformat()}", "",
        f"One thread of {args.comments} comments ({replies} of them replies) among "
        f"{len(plan.pages):,} threads; {args.readers:,} readers each polling "
        f"`GET /api/threads/latest` for it every {args.interval:g} s with the ETag they last "
        f"got (`Accept-Encoding: gzip`), spread evenly: {args.readers / args.interval:.0f} "
        f"polls a second. *busy*: {args.posts:g} comments a second posted to it meanwhile "
        f"(a third of them replies); *quiet*: no posts, every reader holding the current tag. "
        f"Requests leave on schedule over up to {args.connections} keep-alive connections, "
        "or (*new connections*) each over a connection of its own, as nginx's plain "
        "`proxy_pass` opens them (`bench/open_loop.py`); latency runs from the moment a "
        f"request was due to its answer's last byte. Each phase {args.warmup:g} s of uncounted "
        f"warm-up, then {args.seconds:g} s (busy) and {args.quiet_seconds:g} s (quiet) "
        "measured.", "",
        "| phase | request | count | per s | p50 ms | p95 ms | p99 ms | max ms | errors | "
        "304s | server CPU |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for phase in phases:
        lines += rows(phase, cores)
    lines += [
        "",
        f"*304s*: while {args.posts:g} comments a second are posted, a reader's tag is "
        f"{args.interval:g} s old and the thread has changed since, so a busy poll gets the new "
        "document, from its worker's cache (built once per post and worker); with no posts "
        "every poll is a 304. *server CPU*: its share of the machine's cores, and in cores.", "",
        f"- target, polls' p99 under {TARGET_P99_MS} ms: "
        f"**{'met' if worst < TARGET_P99_MS else 'missed'}** ({report.number(worst)} ms over "
        f"all phases); errors: **{len(errors)}** ({warmup_errors} more in the warm-ups)"
        + "".join(f"; {o.kind} {o.problem}" for o in errors[:5]),
        f"- server CPU: utime + stime of `kommentar serve`'s processes (arbiter, "
        f"{args.workers} workers x {args.threads} threads, outbox deliverer) over the measured "
        f"window, as a share of the machine's {cores} cores; the load generator itself used "
        + ", ".join(f"{phase.client_cpu / phase.seconds / cores:.1%} ({phase.name})"
                    for phase in phases),
        "- connections opened: " + ", ".join(f"{phase.opened:,} ({phase.name})"
                                               for phase in phases),
        "- what else ran: the load generator sent its requests late by "
        + ", ".join(f"{report.number(lag(phase))} ms ({phase.name})" for phase in phases)
        + " at the 99th percentile (its own lag, counted in the latencies above); other "
        "processes on the machine used "
        + ", ".join(f"{phase.others_cpu / phase.seconds / cores:.1%} ({phase.name})"
                    for phase in phases) + " of its cores",
        f"- the latest-comments document: {size[0]:,} bytes, {size[1]:,} gzipped",
        f"- the thread's count went from {before:,} to {after:,} with {acknowledged:,} posts "
        "acknowledged (warm-ups included): "
        + ("every one is in it" if after - before == acknowledged else "**SOME ARE MISSING**"),
        f"- machine: {report.machine()}; load average {loads[0]:.2f} before the run and "
        f"{loads[1]:.2f} at its end (other work on the machine skews every figure); "
        f"SQLite {sqlite3.sqlite_version}",
        f"- command: `{report.command()}`",
    ]
    return "\n".join(lines) + "\n"
