"""Import speed: ``kommentar import disqus`` on a generated Disqus export of 1,000,000 posts
(rate, and peak memory beside the file's size), and on one of 40,000 posts beside Isso
0.14's own importer (``isso import``) on the same file.

The export is written the way Disqus writes one (``disqus_export``): threads first, then
posts with HTML messages, authors with e-mail addresses, addresses, a share of replies, some
listed before their parents, some deleted or marked spam, and a few posts of a thread the
file lacks. Each importer runs as its own process into a fresh SQLite database; its peak
memory is the process's maximum resident set size.

    .venv/bin/python bench/imports.py                      # both, about ten minutes
    .venv/bin/python bench/imports.py --posts 100000       # a smaller big file
"""

from __future__ import annotations

import argparse
import html
import os
import random
import subprocess
import sys
import tempfile
import time
from array import array
from datetime import UTC, date, datetime
from pathlib import Path
from typing import NamedTuple

import corpus
import servers

ORIGIN = "https://blog.example"
POSTS_PER_THREAD = 40
REPLY_SHARE = 0.35
EARLY_REPLY_SHARE = 0.1  # replies written before their parents, as real exports have them


def disqus_export(path: Path, posts: int, seed: int = 11) -> None:
    """Write a Disqus export of ``posts`` posts in ``posts / 40`` threads to ``path``."""
    rng = random.Random(seed)  # noqa: S311  reproducible data, not secrets
    texts, authors = corpus.texts(), corpus.authors()
    threads = max(1, posts // POSTS_PER_THREAD)
    start = datetime(2015, 1, 1, tzinfo=UTC).timestamp()
    with open(path, "w", encoding="utf-8") as out:
        out.write('<?xml version="1.0" encoding="utf-8"?>\n<disqus xmlns="http://disqus.com" '
                  'xmlns:dsq="http://disqus.com/disqus-internals">\n'
                  '<category dsq:id="1"><forum>benchblog</forum><title>General</title>'
                  '<isDefault>true</isDefault></category>\n')
        for n in range(threads):
            out.write(f'<thread dsq:id="{n + 1}"><id>post-{n}</id><forum>benchblog</forum>'
                      f'<category dsq:id="1"/><link>{ORIGIN}/{2015 + n % 10}/post-{n}/</link>'
                      f'<title>Post number {n}</title><message/><createdAt>'
                      f'{_time(start + n * 3600)}</createdAt><author><name>Owner</name>'
                      f'<isAnonymous>false</isAnonymous><username>owner</username></author>'
                      f'<isClosed>{"true" if n % 50 == 0 else "false"}</isClosed>'
                      f'<isDeleted>false</isDeleted></thread>\n')
        held: list[str] = []  # parents written after the replies that answer them
        thread_of = array("i")  # each post's thread, so a reply goes where its parent is
        for n in range(posts):
            thread = rng.randrange(threads) + 1 if n % 5000 else threads + 7  # a few orphans
            parent = None
            if n and rng.random() < REPLY_SHARE:
                parent = rng.randrange(max(0, n - 200), n) + 1
                thread = thread_of[parent - 1]
            thread_of.append(thread)
            author = authors[rng.randrange(len(authors))]
            post = (f'<post dsq:id="{n + 1}"><id/><message><![CDATA[<p>'
                    f'{html.escape(texts[rng.randrange(len(texts))])}</p>]]></message>'
                    f'<createdAt>{_time(start + n * 30)}</createdAt>'
                    f'<isDeleted>{"true" if n % 97 == 0 else "false"}</isDeleted>'
                    f'<isSpam>{"true" if n % 89 == 0 else "false"}</isSpam>'
                    f'<author><email>reader{n % 5000}@example.org</email><name>{author}</name>'
                    f'<isAnonymous>true</isAnonymous></author>'
                    f'<ipAddress>192.0.{n % 256}.{(n // 256) % 256}</ipAddress>'
                    f'<thread dsq:id="{thread}"/>'
                    + (f'<parent dsq:id="{parent}"/>' if parent else "") + "</post>\n")
            if rng.random() < EARLY_REPLY_SHARE and len(held) < 100:
                held.append(post)  # written a little later, after some of its replies
            else:
                out.write(post)
                if held and rng.random() < 0.2:
                    out.write(held.pop(0))
        out.writelines(held)
        out.write("</disqus>\n")


def _time(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class Run(NamedTuple):
    """One importer process: wall and CPU seconds (on a shared machine CPU time is the
    steadier figure), peak resident memory in bytes, and what it printed."""

    seconds: float
    cpu: float
    memory: int
    output: str


def measure(command: list[str], env: dict[str, str] | None = None) -> Run:
    """Run ``command`` to its end, and measure it."""
    started = time.perf_counter()
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE,  # noqa: S603 ours
                               stderr=subprocess.STDOUT, text=True)
    output = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"{command[0]} failed:\n{output}")
    return Run(seconds, usage.ru_utime + usage.ru_stime, usage.ru_maxrss * 1024, output)


def kommentar_import(format_name: str, source: Path, database_url: str, *options: str,
                     python: tuple[str, ...] = (sys.executable,)) -> Run:
    """``kommentar import FORMAT SOURCE`` into the database at ``database_url``, measured."""
    env = {**os.environ, "KOMMENTAR_SECRET_KEY": "bench", "KOMMENTAR_ORIGINS": ORIGIN,
           "KOMMENTAR_DATABASE_URL": database_url}
    env.pop("KOMMENTAR_CONFIG", None)
    return measure([*python, "-m", "kommentar.cli", "import", format_name, str(source),
                    *options], env)


def isso_import(export: Path, folder: Path, venv: Path) -> Run:
    config = folder / "isso-import.cfg"
    config.write_text(f"[general]\ndbpath = {folder / 'isso-import.db'}\nhost = {ORIGIN}\n")
    # --empty-id: Isso tests a thread's <id> element for truth, and an element without
    # children is false, so without it Isso skips every thread that has an identifier.
    return measure([str(venv / "bin" / "isso"), "-c", str(config), "import", "--type", "disqus",
                    "--empty-id", str(export)])


def imported(output: str) -> int:
    """The number of comments a summary line says were imported."""
    first = next(line for line in output.splitlines() if line.startswith("imported "))
    return int(first.split()[1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=1_000_000, help="posts in the big export")
    parser.add_argument("--compare", type=int, default=40_000,
                        help="posts in the export both importers read")
    parser.add_argument("--output", type=Path,
                        default=servers.BENCH / "results" / f"imports-{date.today()}.md")
    args = parser.parse_args()
    venv = servers.ensure_isso(servers.BENCH / ".isso-venv")
    rows = []
    with tempfile.TemporaryDirectory(prefix="kommentar-import-bench-") as tmp:
        folder = Path(tmp)
        small = folder / f"disqus-{args.compare}.xml"
        disqus_export(small, args.compare)
        ours = kommentar_import("disqus", small, f"sqlite:///{folder / 'kommentar-small.db'}")
        count = imported(ours.output)
        theirs = isso_import(small, folder, venv)
        rows.append((f"{args.compare:,} posts, {small.stat().st_size / 1e6:.0f} MB", "Kommentar",
                     ours.seconds, count / ours.seconds, ours.memory))
        rows.append(("", "Isso 0.14 (`isso import`)", theirs.seconds, count / theirs.seconds,
                     theirs.memory))
        print(ours.output.strip())
        big = folder / f"disqus-{args.posts}.xml"
        disqus_export(big, args.posts)
        done = kommentar_import("disqus", big, f"sqlite:///{folder / 'kommentar-big.db'}")
        rows.append((f"{args.posts:,} posts, {big.stat().st_size / 1e6:.0f} MB", "Kommentar",
                     done.seconds, imported(done.output) / done.seconds, done.memory))
        print(done.output.strip())
    lines = [f"# Import benchmark, {date.today()}", "",
             "Generated Disqus exports (`bench/imports.py`), each importer in its own process "
             "into a fresh SQLite database. Rates count the comments Kommentar imported "
             "(deleted posts without replies, and orphans, are left out by both).", "",
             "| file | importer | seconds | comments/s | peak memory |",
             "| --- | --- | ---: | ---: | ---: |"]
    lines += [f"| {file} | {who} | {seconds:.1f} | {rate:,.0f} | {memory / 1e6:.0f} MB |"
              for file, who, seconds, rate, memory in rows]
    lines += ["", f"Kommentar against Isso on the same file: x{rows[1][2] / rows[0][2]:.1f}."]
    text = "\n".join(lines) + "\n"
    print(text)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
