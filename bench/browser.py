"""Benchmark: the widget in a browser, against Isso 0.14.

Two measures from the project's issue:

- ``sizes()`` (``browser_sizes.py``): the gzipped bytes (gzip -9) a reader downloads to get
  the comment section: Kommentar's ``embed.js`` against Isso's script plus the stylesheet
  it fetches separately.
- ``first_render()`` (``browser_render.py``): in headless Chromium, the time from
  navigation start to the thread rendered, for pages of the same shape
  (``browser_pages.py``): a short article, then the comment section.

Run on its own against servers already seeded, or with ``--self-contained`` to start both
servers on temporary databases (``browser_servers.py``) and seed 200- and 2,000-comment
threads through their APIs (``browser_seed.py``):

    .venv/bin/python bench/browser.py --self-contained [--runs 5] [--json out.json]
    .venv/bin/python bench/browser.py --kommentar http://127.0.0.1:8080 \\
        --isso http://127.0.0.1:8081 --site-port 8731 \\
        --thread 200=http://127.0.0.1:8731/t200,/t200 --thread 2000=...

Not a test: timings depend on the machine (2 cores here, shared by Chromium and servers).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
import urllib.parse
from collections.abc import Callable
from pathlib import Path

import servers
from browser_render import SITE_PORT, first_render
from browser_seed import post_json, seed_thread
from browser_servers import ISSO_PACKAGE, ISSO_VENV, isso_server, kommentar_server
from browser_sizes import sizes


def self_contained(runs: int, counts: list[int], warm: bool,
                   say: Callable[[str], None]) -> dict:
    """Start both servers on temporary databases, seed the threads, and measure."""
    site_port = servers.free_port()
    site_origin = f"http://127.0.0.1:{site_port}"
    with tempfile.TemporaryDirectory(prefix="kommentar-browser-bench-") as tmp:
        folder = Path(tmp)
        (folder / "kommentar").mkdir()
        (folder / "isso").mkdir()
        with kommentar_server(folder / "kommentar", site_origin) as kommentar, \
                isso_server(folder / "isso", site_origin) as isso:
            kommentar_pages, isso_pages = {}, {}
            seeding = time.monotonic()
            for count in counts:
                label = str(count)
                thread_url = f"{site_origin}/thread-{count}"
                isso_uri = f"/thread-{count}"
                title = f"A thread of {count} comments"

                def post_kommentar(text, name, parent, url=thread_url, title=title):
                    body = {"url": url, "text": text, "name": name, "parent": parent,
                            "title": title}
                    return post_json(f"{kommentar}/api/comments", body)["id"]

                def post_isso(text, name, parent, uri=isso_uri, title=title):
                    body = {"text": text, "author": name, "parent": parent, "title": title}
                    query = urllib.parse.urlencode({"uri": uri})
                    return post_json(f"{isso}/new?{query}", body)["id"]

                seed_thread(count, post_kommentar, seed=count)
                seed_thread(count, post_isso, seed=count)
                kommentar_pages[label], isso_pages[label] = thread_url, isso_uri
                say(f"seeded {count} comments on each ({time.monotonic() - seeding:.0f} s)")
            result = first_render(kommentar, kommentar_pages, isso, isso_pages, runs,
                                  site_port=site_port, warm=warm, progress=say)
            result["seeding_seconds"] = round(time.monotonic() - seeding - result["seconds"], 1)
            return result


# --- the command line ---------------------------------------------------------------------


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:,.0f}"


def report(size: dict, render: dict) -> str:
    """The figures as a few plain-text tables."""
    lines = [
        "Sizes (gzip -9):",
        f"  Kommentar embed.js + sheet    {size['kommentar']['gzip']:>7,} B "
        f"(raw {size['kommentar']['raw']:,})",
    ]
    for name, figures in size["isso"]["files"].items():
        lines.append(f"  Isso {name:<25}{figures['gzip']:>7,} B (raw {figures['raw']:,})")
    lines.append(f"  Isso total                    {size['isso']['gzip']:>7,} B "
                 f"({size['isso']['note']})")
    lines.append(f"  ratio {size['ratio']:.2f} (target <= {size['target']:.2f}): "
                 f"{'met' if size['meets_target'] else 'NOT met'}")
    lines.append("")
    lines.append(f"First render, ms from navigation start, median of {render['runs']} "
                 f"(Chromium {render.get('chromium', '?')}):")
    header = (f"  {'thread':>6} {'variant':<16} {'shown':>6} {'cold':>7} {'warm':>7} "
              f"{'script':>7} {'data':>7} {'render':>7} {'in DOM':>7} {'1st pg':>7} "
              f"{'vs isso':>8}")
    lines.append(header)
    for label, variants in render["threads"].items():
        for name, entry in variants.items():
            cold, warm = entry.get("cold", {}), entry.get("warm", {})
            ratio = entry.get("ratio_to_isso")
            lines.append(
                f"  {label:>6} {name:<16} {entry['expected']['total']:>6} "
                f"{_ms(cold.get('rendered')):>7} {_ms(warm.get('rendered')):>7} "
                f"{_ms(cold.get('script_end')):>7} {_ms(cold.get('data_end')):>7} "
                f"{_ms(cold.get('after_data')):>7} {_ms(cold.get('in_dom')):>7} "
                f"{_ms(cold.get('first_page')):>7} "
                f"{'' if ratio is None else f'{ratio:.2f}':>8}")
    lines.extend([
        "  cold: fresh browser context; warm: a second navigation in it; vs isso: cold / "
        "Isso's cold.",
        "  Columns after 'warm' are cold medians. script, data: when the widget's script "
        "and its (last)",
        "  thread response had arrived; render: rendered minus data; in DOM: every comment "
        "in the DOM,",
        "  before that frame's layout and paint; 1st pg: the first page of comments in the "
        "DOM.",
    ])
    for name, label in render["variants"].items():
        lines.append(f"  {name}: {label}")
    return "\n".join(lines)


def _thread_arg(text: str) -> tuple[str, str, str]:
    label, _, rest = text.partition("=")
    url, _, uri = rest.partition(",")
    if not (label and url and uri):
        raise argparse.ArgumentTypeError("expected LABEL=KOMMENTAR_PAGE_URL,ISSO_URI")
    return label, url, uri


def main(argv: list[str] | None = None) -> int:
    """Measure the sizes and the first render, print the report, and write it where asked."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--self-contained", action="store_true",
                        help="start both servers on temporary databases and seed them")
    parser.add_argument("--kommentar", help="base URL of a running, seeded Kommentar server")
    parser.add_argument("--isso", help="base URL of a running, seeded Isso server")
    parser.add_argument("--thread", type=_thread_arg, action="append", default=[],
                        metavar="LABEL=URL,URI",
                        help="a seeded thread: Kommentar page URL and Isso uri")
    parser.add_argument("--site-port", type=int, default=SITE_PORT,
                        help="port of the article pages (both servers must accept it)")
    parser.add_argument("--counts", default="200,2000",
                        help="thread sizes to seed in --self-contained mode")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--no-warm", action="store_true", help="skip the warm navigations")
    parser.add_argument("--isso-package", default=str(ISSO_PACKAGE))
    parser.add_argument("--json", help="also write the figures to this file")
    parser.add_argument("--output", help="also write the report to this file (when it ran)")
    args = parser.parse_args(argv)

    def say(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    started = time.monotonic()
    servers.ensure_isso(ISSO_VENV)
    size = sizes(args.isso_package)
    if args.self_contained:
        counts = [int(count) for count in args.counts.split(",")]
        render = self_contained(args.runs, counts, not args.no_warm, say)
    elif args.kommentar and args.isso and args.thread:
        render = first_render(args.kommentar, {label: url for label, url, _ in args.thread},
                              args.isso, {label: uri for label, _, uri in args.thread},
                              args.runs, site_port=args.site_port, warm=not args.no_warm,
                              progress=say)
    else:
        parser.error("give --self-contained, or --kommentar, --isso and at least one --thread")
    text = f"{report(size, render)}\n\nwhole run: {time.monotonic() - started:.0f} s"
    print(text)
    if args.output:
        Path(args.output).write_text(text + "\n")
    if args.json:
        Path(args.json).write_text(json.dumps({"sizes": size, "first_render": render},
                                              indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
