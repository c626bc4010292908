"""Benchmark: Kommentar against Isso 0.14 and a bare-Flask ceiling, over HTTP with wrk, and
Kommentar on a 1,000,000-comment database against a small one.

Both servers get the same data (``corpus.py``: threads of 10, 200 and 2,000 comments with
replies, and 1,000 pages of 0-20 comments for counts) and run under gunicorn with the same
number of workers on 127.0.0.1; wrk drives each with the same concurrency, one scenario
after the other, each run repeated, the medians reported (``measure.py``). The ceiling
is a bare Flask app returning the bytes Kommentar returned, under Kommentar's gunicorn
settings. The mixed load (``mixed.py``) checks that nothing acknowledged is lost. Then
the reads run on a database of 1,000,000 comments in 100,000 threads, on SQLite (kept
in ``bench/.cache/`` between runs) and PostgreSQL, beside the small one. The report is
printed and written to ``bench/results/`` (``report.py``).

    make bench                                       # everything, about half an hour
    .venv/bin/python bench/run.py --quick            # a few minutes, while developing
    .venv/bin/python bench/run.py --only thread-200 counts --skip-scale
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import tempfile
import time
from contextlib import ExitStack
from datetime import date
from pathlib import Path

import corpus
import mixed
import report
import scenarios
import seed
import servers
import targets
from load import send
from measure import Bench, capture
from scenarios import READS, SCALE, WRITES, Isso, Kommentar

from kommentar.migrations import SCHEMA_VERSION

ALL = [*READS, *WRITES, "mixed"]
DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/postgres"
CACHE = servers.BENCH / ".cache"


def compare(bench: Bench, plan: corpus.Plan, venv: Path, chosen: list[str]) -> tuple:
    """Kommentar (SQLite), Isso and the ceiling: the comparison rows and mixed verdicts."""
    folder, args = bench.folder, bench.args
    seconds = seed.seed(f"sqlite:///{folder / 'kommentar.db'}", plan)
    bench.seeding.append(f"Kommentar, SQLite, {len(plan.comments):,} comments in "
                         f"{len(plan.pages):,} threads: {seconds:.1f} s")
    isso_command, isso_ready, isso_config = servers.isso(folder, venv, args.workers)
    started = time.perf_counter()
    servers.seed_isso(venv, isso_config)
    bench.seeding.append(f"Isso, SQLite, {len(plan.comments):,} comments in "
                         f"{len(plan.pages):,} threads: {time.perf_counter() - started:.1f} s")
    with ExitStack() as stack:
        apis = {"Kommentar": (bench.serve_kommentar(stack, "kommentar",
                                                    f"sqlite:///{folder / 'kommentar.db'}"),
                              Kommentar(plan)),
                "Isso": (stack.enter_context(servers.serving(
                    "isso", isso_command, folder, isso_ready,
                    env={"ISSO_SETTINGS": str(isso_config)})), Isso(plan))}
        for name, (base, api) in apis.items():
            bench.check_threads(name, base, api)
        kommentar = apis["Kommentar"][0]
        _, headers, _ = send(kommentar, scenarios.load(apis["Kommentar"][1], "thread-200-page"))
        if "ETag" not in headers and "refetch-304" in chosen:
            bench.notes.append("Kommentar sent no ETag: refetch-304 is a plain re-fetch")
        runs = {(scenario, name): (base, scenarios.load(api, scenario, headers.get("ETag")))
                for scenario in chosen if scenario != "mixed" for name, (base, api) in apis.items()}
        reads = [scenario for scenario in chosen if scenario in READS]
        if reads:
            answers = folder / "ceiling.json"
            answers.write_text(json.dumps(capture(kommentar, [runs[s, "Kommentar"][1]
                                                              for s in reads])))
            command, ready, env = servers.ceiling(answers, args.workers, args.threads)
            ceiling = stack.enter_context(servers.serving("ceiling", command, folder, ready, env))
            runs.update({(s, "ceiling"): (ceiling, runs[s, "Kommentar"][1]) for s in reads})
        rows = bench.measure([s for s in chosen if s != "mixed"], runs)
        verdicts = []
        if "mixed" in chosen:
            for name, (base, api) in apis.items():
                print(f"  {bench.elapsed()} mixed            {name:<18} {args.mixed_seconds:g} s",
                      flush=True)
                verdicts.append(mixed.run(bench.wrk, base, api, seconds=args.mixed_seconds,
                                          connections=args.connections,
                                          threads=args.wrk_threads, salt=next(bench.salts)))
    return rows, verdicts


def scale_sqlite(bench: Bench, plan_sizes: list[tuple[str, int]], label: str) -> Path:
    """The large SQLite database, from the cache when an identical one was seeded before."""
    args = bench.args
    path = CACHE / (f"scale-{args.scale_comments}-{args.scale_threads}-seed"
                    f"{corpus.SEED_VERSION}-schema{SCHEMA_VERSION}.db")
    if path.exists():
        bench.seeding.append(f"Kommentar, SQLite, {label}: reused {path.name}")
        return path
    CACHE.mkdir(exist_ok=True)
    for old in CACHE.glob(f"scale-{args.scale_comments}-{args.scale_threads}-*"):
        old.unlink()  # an older seed or schema: no longer of use
    partial = path.with_suffix(".partial")
    for leftover in (partial, Path(f"{partial}-wal"), Path(f"{partial}-shm")):
        leftover.unlink(missing_ok=True)  # from a run stopped while seeding
    plan = corpus.build(plan_sizes)
    seconds = seed.seed(f"sqlite:///{partial}", plan)
    bench.seeding.append(f"Kommentar, SQLite, {label}: {seconds:.1f} s")
    partial.rename(path)  # seed() checkpointed and closed it: the -wal file holds nothing
    return path


def scale(bench: Bench, chosen: list[str], postgres: bool) -> tuple:
    """The reads on the large databases beside fresh small ones, all runs interleaved (the
    comparison's numbers come from a machine also serving Isso): rows and backends."""
    args = bench.args
    sizes = corpus.scale_sizes(args.scale_comments, args.scale_threads)
    label = f"{args.scale_comments:,} comments in {args.scale_threads:,} threads"
    plan = corpus.build(corpus.small_sizes())
    with ExitStack() as stack:
        small = bench.folder / "small.db"
        seed.seed(f"sqlite:///{small}", plan)
        databases = {"SQLite small": f"sqlite:///{small}",
                     "SQLite large": f"sqlite:///{scale_sqlite(bench, sizes, label)}"}
        if postgres:
            for name, seeded in (("PostgreSQL small", plan), ("PostgreSQL large", None)):
                url = stack.enter_context(servers.postgres_database(args.postgres,
                                                                    name.split()[1]))
                seeded = seeded or corpus.build(sizes)
                seconds = seed.seed(url, seeded)
                bench.seeding.append(f"Kommentar, PostgreSQL, {len(seeded.comments):,} comments "
                                     f"in {len(seeded.pages):,} threads: {seconds:.1f} s")
                databases[name] = url
        runs = {}
        for name, url in databases.items():
            base = bench.serve_kommentar(stack, name.lower().replace(" ", "-"), url)
            bench.check_threads(name, base, Kommentar(plan))
            runs.update({(s, name): (base, scenarios.load(Kommentar(plan), s)) for s in chosen})
        rows = bench.measure(chosen, runs)
    return rows, ["SQLite", "PostgreSQL"] if postgres else ["SQLite"]


def select(only: list[str] | None) -> list[str]:
    """The scenarios named, or starting with a name given, in their usual order."""
    if not only:
        return ALL
    chosen = [s for s in ALL if any(s.startswith(prefix) for prefix in only)]
    if not chosen:
        sys.exit(f"no scenario starts with {' or '.join(only)}; there are: {' '.join(ALL)}")
    return chosen


def parse() -> argparse.Namespace:
    """The command line; --quick changes the defaults the user did not set."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="3 s runs, once each, a 10 s mixed load and a 50,000-comment "
                             "large database: for development (writes results/quick.md)")
    parser.add_argument("--only", nargs="+", metavar="SCENARIO",
                        help=f"scenarios to run, by name or prefix: {' '.join(ALL)}")
    parser.add_argument("--skip-scale", action="store_true", help="no large-database runs")
    parser.add_argument("--postgres", default=DEFAULT_POSTGRES,
                        help="admin URL of a PostgreSQL server to create databases on "
                             "(skipped when unreachable)")
    parser.add_argument("--seconds", type=float, default=10, help="length of one wrk run")
    parser.add_argument("--repeats", type=int, default=3, help="runs per scenario (median)")
    parser.add_argument("--mixed-seconds", type=float, default=60)
    parser.add_argument("--connections", type=int, default=16, help="wrk connections")
    parser.add_argument("--wrk-threads", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers, every server")
    parser.add_argument("--threads", type=int, default=4,
                        help="threads per worker for Kommentar and the ceiling (gthread)")
    parser.add_argument("--scale-comments", type=int, default=1_000_000)
    parser.add_argument("--scale-threads", type=int, default=100_000)
    args = parser.parse_args()
    if args.quick:
        defaults = parser.parse_args([])
        for name, value in (("seconds", 3), ("repeats", 1), ("mixed_seconds", 10),
                            ("scale_comments", 50_000), ("scale_threads", 5_000)):
            if getattr(args, name) == getattr(defaults, name):
                setattr(args, name, value)
    return args


def document(bench: Bench, args: argparse.Namespace, rows: dict, verdicts: list,
             scaled: tuple | None, versions: str) -> str:
    """The report, in Markdown."""
    lines = [
        f"# Kommentar HTTP benchmark, {date.today().isoformat()}", "",
        f"- machine: {report.machine()}; load average {bench.idle_load:.2f} before the run "
        f"(other work on the machine skews every figure); the run took {bench.elapsed()}",
        f"- software: {versions}",
        f"- servers: gunicorn on 127.0.0.1, {args.workers} workers each; Kommentar "
        f"`kommentar serve --workers {args.workers} --threads {args.threads} --no-access-log`; "
        "the ceiling with the same gunicorn settings; Isso with its documented sync workers "
        "and --preload; no server writes an access log (Isso's gunicorn writes none)",
        f"- load: wrk, {args.wrk_threads} threads, {args.connections} connections, "
        f"`Accept-Encoding: gzip`, {args.seconds:g} s per run (Isso's whole 2,000-comment "
        f"thread {3 * args.seconds:g} s), median of {args.repeats}",
        f"- data, the same for both: threads of 10, 200 and 2,000 comments, about a third of "
        f"them replies 1-3 deep, and {corpus.COUNT_PAGES:,} pages of 0-20 comments for counts; "
        "500-650 character Markdown comments",
        f"- command: `{report.command()}`", "",
        "## Kommentar, Isso 0.14 and the ceiling", "", report.comparison(rows), "",
        "*page*: the first 20 top-level comments with all their replies (the widget's request; "
        "Isso asked with `limit=20`); *all*: the whole thread. *bytes*: one response body as "
        "transferred (*gz*: gzip). *K/ceiling*: Kommentar's req/s as a share of a bare Flask "
        "app returning the same bytes under the same gunicorn settings. *refetch-304*: the "
        "200-comment page again with its ETag; Isso sends no ETag, so its row is a plain "
        "re-fetch. *post* and *vote*: on the count pages, each from a different reader. "
        "*!*: some requests failed (see notes).",
    ]
    if verdicts:
        lines += ["", f"## Mixed load: 90% reads, 8% posts, 2% votes, {args.mixed_seconds:g} s",
                  "", report.verdicts(verdicts)]
    backends: list[str] = []
    if scaled:
        scale_rows, backends = scaled
        lines += ["", f"## Scale: {args.scale_comments:,} comments in "
                  f"{args.scale_threads:,} threads against the small database", "",
                  report.scale(scale_rows, backends), "",
                  "*cost ×*: small req/s ÷ large req/s (1.00: the size costs nothing)."]
    lines += ["", "## Targets (issues 6 and 10)", "",
              targets.table(rows, scaled[0] if scaled else {}, backends, verdicts)]
    lines += ["", "## Seeding", "", *[f"- {line}" for line in bench.seeding]]
    if bench.notes:
        lines += ["", "## Notes", "", *[f"- {note}" for note in bench.notes]]
    return "\n".join(lines) + "\n"


def main() -> int:
    """Run everything chosen; exit 1 when Kommentar fails the mixed load."""
    args = parse()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so servers are stopped too
    chosen = select(args.only)
    wrk = servers.ensure_wrk()
    venv = servers.ensure_isso(servers.BENCH / ".isso-venv")
    problem = servers.postgres_problem(args.postgres)
    with tempfile.TemporaryDirectory(prefix="kommentar-bench-") as scratch:
        bench = Bench(args, wrk, Path(scratch))
        if problem:
            bench.notes.append(f"PostgreSQL skipped: {problem}")
        print("comparison: Kommentar, Isso, ceiling", flush=True)
        rows, verdicts = compare(bench, corpus.build(corpus.small_sizes()), venv, chosen)
        scaled = None
        wanted = [s for s in chosen if s in SCALE]
        if wanted and not args.skip_scale:
            print("scale: large databases", flush=True)
            scaled = scale(bench, wanted, problem is None)
        postgres = None if problem else servers.postgres_version(args.postgres)
        text = document(bench, args, rows, verdicts, scaled,
                        report.versions(wrk, servers.ISSO_VERSION, postgres))
    print("\n" + text)
    partial = bool(args.only) or args.skip_scale
    for path in report.write(text, args.quick, partial):
        print(f"written to {path}")
    return 0 if all(verdict.passed for verdict in verdicts if verdict.server == "Kommentar") else 1


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:  # the servers were stopped on the way out
        sys.exit("interrupted")
