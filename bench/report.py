"""The benchmark's report: one Markdown document with the machine and versions it ran on,
the comparison table, the scale table and the mixed-load verdicts, printed and written
to ``bench/results/`` (``<date>.md`` and ``latest.md``). A ``--quick`` run writes only
``quick.md``, which git ignores, and a partial one (``--only``, ``--skip-scale``) only
``<date>-partial.md``: neither ever replaces the whole table the README quotes.
"""

from __future__ import annotations

import math
import os
import platform
import shlex
import sqlite3
import statistics
import subprocess
import sys
from dataclasses import dataclass
from datetime import date
from importlib import metadata
from pathlib import Path

RESULTS = Path(__file__).parent / "results"


@dataclass
class Summary:
    """The medians of one scenario's runs against one server."""

    rps: float
    p50: float
    p99: float
    bytes: int | None
    gzip: bool
    failed: int

    @classmethod
    def of(cls, results: list, size: int | None, gzip: bool) -> Summary:
        """The medians of ``load.Result``s, with one response's size."""
        return cls(statistics.median(r.rps for r in results),
                   statistics.median(r.p50 for r in results),
                   statistics.median(r.p99 for r in results), size, gzip,
                   sum(r.failed for r in results))


def machine() -> str:
    """CPU model, cores and memory, from /proc."""
    cpu = "unknown CPU"
    with open("/proc/cpuinfo", encoding="utf-8") as info:
        for line in info:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo", encoding="utf-8") as info:
        kib = int(next(line for line in info if line.startswith("MemTotal")).split()[1])
    return f"{cpu}, {os.cpu_count()} cores, {kib / 2**20:.1f} GiB RAM, {platform.platform()}"


def _git() -> str:
    where = Path(__file__).parent
    found = subprocess.run(["git", "-C", str(where), "describe", "--always", "--dirty"],  # noqa: S603, S607 - fixed command
                           capture_output=True, text=True, check=False)
    return f"git {found.stdout.strip()}" if found.returncode == 0 else "not a git checkout"


def versions(wrk: str, isso: str, postgres: str | None) -> str:
    """The software under test and doing the testing."""
    wrk_version = subprocess.run([wrk, "-v"], capture_output=True, text=True,  # noqa: S603 - wrk
                                 check=False).stdout.split(" Copyright")[0].strip()
    parts = [f"Python {platform.python_version()}",
             f"Kommentar {metadata.version('kommentar')} ({_git()})", f"Isso {isso}",
             f"{wrk_version}", f"SQLite {sqlite3.sqlite_version}"]
    if postgres:
        parts.append(f"PostgreSQL {postgres}")
    return ", ".join(parts)


def number(value: float) -> str:
    """Requests per second or milliseconds: three significant figures, thousands grouped."""
    if value >= 100:
        return f"{value:,.0f}"
    return f"{value:.1f}" if value >= 10 else f"{value:.2g}" if value < 1 else f"{value:.2f}"


def percentile(values: list[float], share: float) -> float:
    """The nearest-rank percentile of ``values`` (not empty): ``share`` 0.99 for the 99th."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def times(ratio: float) -> str:
    """A ratio of throughputs, ×1.5 or ×350."""
    return f"×{ratio:,.1f}" if ratio < 100 else f"×{ratio:,.0f}"


def _cells(summary: Summary | None) -> list[str]:
    if summary is None:
        return ["–"] * 4
    size = "–" if summary.bytes is None else f"{summary.bytes:,}" + (" gz" if summary.gzip else "")
    rps = number(summary.rps) + (" !" if summary.failed else "")
    return [rps, number(summary.p50), number(summary.p99), size]


def _ratio(top: Summary | None, bottom: Summary | None, percent: bool = False) -> str:
    if top is None or bottom is None or not bottom.rps:
        return "–"
    ratio = top.rps / bottom.rps
    return f"{ratio:.0%}" if percent else times(ratio)


def comparison(rows: dict[str, dict[str, Summary]]) -> str:
    """The Kommentar / Isso / ceiling table."""
    lines = ["| scenario | Kommentar req/s | p50 ms | p99 ms | bytes | Isso req/s | p50 ms | "
             "p99 ms | bytes | K/Isso | K/ceiling |", "|" + "---|" * 11]
    for scenario, found in rows.items():
        kommentar, isso = found.get("Kommentar"), found.get("Isso")
        cells = [scenario, *_cells(kommentar), *_cells(isso), _ratio(kommentar, isso),
                 _ratio(kommentar, found.get("ceiling"), percent=True)]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def scale(rows: dict[str, dict[str, Summary]], backends: list[str]) -> str:
    """Each read on the small and the large database of each backend, and the cost ratio
    (small req/s over large req/s: 1.5 means the large database costs 1.5 times as much)."""
    head = ["scenario"]
    for backend in backends:
        head += [f"{backend} small req/s", "p99 ms", "large req/s", "p99 ms", "cost ×"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for scenario, found in rows.items():
        cells = [scenario]
        for backend in backends:
            small, large = found.get(f"{backend} small"), found.get(f"{backend} large")
            for summary in (small, large):
                cells += [number(summary.rps), number(summary.p99)] if summary else ["–", "–"]
            cells.append(f"{small.rps / large.rps:.2f}" if small and large else "–")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def verdicts(found: list) -> str:
    """The mixed-load verdicts, one line each."""
    lines = []
    for verdict in found:
        r = verdict.result
        head = (f"- **{verdict.server}: {'PASS' if verdict.passed else 'FAIL'}** — "
                f"{r.requests:,} requests, {number(r.rps)} req/s, p50 {number(r.p50)} ms, "
                f"p99 {number(r.p99)} ms; acknowledged {r.acknowledged['post']:,} posts and "
                f"{r.acknowledged['vote']:,} votes; {r.fivexx} 5xx")
        lines.append(head + "".join(f"; {text}" for text in verdict.problems + verdict.notes))
    return "\n".join(lines)


def write(text: str, quick: bool, partial: bool) -> list[Path]:
    """Save the report; the paths written."""
    RESULTS.mkdir(exist_ok=True)
    if quick:
        paths = [RESULTS / "quick.md"]
    elif partial:
        paths = [RESULTS / f"{date.today().isoformat()}-partial.md"]
    else:
        paths = [RESULTS / f"{date.today().isoformat()}.md", RESULTS / "latest.md"]
    for path in paths:
        path.write_text(text, encoding="utf-8")
    return paths


def command() -> str:
    """The command line this run was started with."""
    return shlex.join([os.path.relpath(sys.executable), *sys.argv])
