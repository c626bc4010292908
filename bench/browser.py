"""Benchmark: the widget in a browser, against Isso 0.14.

Two measures from the project's issue:

- ``sizes()``: the gzipped bytes (gzip -9) a reader downloads to get the comment section:
  Kommentar's ``embed.js`` (stylesheet and languages inside) against Isso's
  ``js/embed.min.js`` plus ``css/isso.css``, which Isso's script fetches separately.
- ``first_render()``: in headless Chromium (Debian's, driven by Playwright), the time from
  navigation start to the thread rendered, for pages of the same shape: a short article,
  then the comment section. Each page is served from a small static server on
  ``http://127.0.0.1:<site_port>``, which Kommentar must list in ``origins`` and Isso in
  ``[general] host``. The time is read in the page: a probe installed before any page
  script polls once per animation frame; in the first frame in which every expected
  comment is in the DOM it posts a message, handled after that frame's style, layout and
  paint, and records ``performance.now()`` there (its origin is the navigation start), so
  Playwright's round trips do not count.

Run on its own against servers already seeded, or with ``--self-contained`` to start both
servers on temporary databases and seed 200- and 2,000-comment threads through their APIs:

    .venv/bin/python bench/browser.py --self-contained [--runs 5] [--json out.json]
    .venv/bin/python bench/browser.py --kommentar http://127.0.0.1:8080 \\
        --isso http://127.0.0.1:8081 --site-port 8731 \\
        --thread 200=http://127.0.0.1:8731/t200,/t200 --thread 2000=...

Not a test: timings depend on the machine (2 cores here, shared by Chromium and servers).
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import http.server
import json
import os
import random
import socket
import statistics
import subprocess  # noqa: S404  the servers under test are our own commands
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from html import escape
from pathlib import Path

import servers

ROOT = Path(__file__).resolve().parents[1]
EMBED = ROOT / "embed.js"
KOMMENTAR_BIN = ROOT / ".venv" / "bin" / "kommentar"
ISSO_VENV = ROOT / "bench" / ".isso-venv"  # made by servers.ensure_isso, as run.py does
ISSO_PACKAGE = ISSO_VENV / "lib" / "python3.11" / "site-packages" / "isso"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SITE_PORT = 8731
WIDGET_MAX_PAGE_SIZE = 100  # widget/options.js clamps data-page-size to this
RENDER_TARGET = 1 / 3  # Kommentar's first render of 200 comments, as a share of Isso's
SIZE_TARGET = 1 / 2  # embed.js gzipped, as a share of Isso's script and stylesheet
NAVIGATION_TIMEOUT_MS = 120_000


# --- sizes ------------------------------------------------------------------------------


def _gzipped(data: bytes) -> int:
    return len(gzip.compress(data, compresslevel=9, mtime=0))


def sizes(isso_package_dir: str | Path = ISSO_PACKAGE, embed: str | Path = EMBED) -> dict:
    """Raw and gzip -9 bytes of Kommentar's embed.js and of Isso's script plus stylesheet.

    Isso 0.14 does not bundle its CSS: embed.min.js adds a ``<link>`` to
    ``<server>/css/isso.css`` (unless ``data-isso-css="false"``), so both files count,
    each gzipped on its own as they are two responses.
    """
    package = Path(isso_package_dir)
    kommentar = Path(embed).read_bytes()
    isso_js = (package / "js" / "embed.min.js").read_bytes()
    isso_css = (package / "css" / "isso.css").read_bytes()
    css_fetched = b"/css/isso.css" in isso_js
    isso_files = {"js/embed.min.js": isso_js, "css/isso.css": isso_css}
    counted = isso_files if css_fetched else {"js/embed.min.js": isso_js}
    isso_raw = sum(len(data) for data in counted.values())
    isso_gzip = sum(_gzipped(data) for data in counted.values())
    return {
        "kommentar": {"file": "embed.js", "raw": len(kommentar), "gzip": _gzipped(kommentar)},
        "isso": {
            "files": {name: {"raw": len(data), "gzip": _gzipped(data)}
                      for name, data in isso_files.items()},
            "css_separate": css_fetched,
            "note": ("embed.min.js loads css/isso.css with a <link> of its own"
                     if css_fetched else "the stylesheet is bundled in embed.min.js"),
            "raw": isso_raw,
            "gzip": isso_gzip,
        },
        "ratio": round(_gzipped(kommentar) / isso_gzip, 3),
        "target": SIZE_TARGET,
        "meets_target": _gzipped(kommentar) <= SIZE_TARGET * isso_gzip,
    }


# --- the pages and the static site --------------------------------------------------------

PAGE = """<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>{title}</title>
  <style>body{{font:17px/1.6 system-ui,sans-serif;max-width:46rem;margin:2rem auto;
    padding:0 1rem}}</style>
</head>
<body>
  <main>
    <article>
      <h1>{title}</h1>
      <p>Sourdough asks for patience. A loaf that used to take three hours now takes most of
        a day, but the dough does much of its work while we sleep. Tell us below how you
        bake at home, and what went wrong the first time.</p>
    </article>
    {section}
  </main>
  {script}
</body>
</html>
"""


@dataclass(frozen=True)
class Variant:
    """One way of embedding a thread: which system, and with which settings."""

    name: str
    system: str  # "kommentar" or "isso"
    label: str
    page_size: int | None = None  # Kommentar's data-page-size; None for the default
    whole: bool = False  # click "Show more comments" until the whole thread is shown


VARIANTS = (
    Variant("kommentar", "kommentar",
            "Kommentar as readers get it: the first page (default data-page-size, 20 "
            "top-level comments with their replies)"),
    Variant("kommentar-whole", "kommentar",
            f"Kommentar, whole thread: data-page-size={WIDGET_MAX_PAGE_SIZE} (the widget's "
            "largest) and 'Show more comments' clicked as soon as it appears",
            page_size=WIDGET_MAX_PAGE_SIZE, whole=True),
    Variant("isso", "isso",
            "Isso 0.14 as documented: the whole thread (max-comments-top is 'inf' by default; "
            "data-isso-max-comments-nested='inf' instead of the default 5)"),
)


def page_html(variant: Variant, server: str, thread: str, title: str) -> str:
    """The article page embedding `thread` (a URL for Kommentar, a uri for Isso)."""
    server = server.rstrip("/")
    if variant.system == "kommentar":
        size = f' data-page-size="{variant.page_size}"' if variant.page_size else ""
        section = f'<div data-kommentar data-url="{escape(thread)}"{size}></div>'
        script = f'<script src="{escape(server)}/embed.js" async></script>'
    else:
        section = f'<section id="isso-thread" data-isso-id="{escape(thread)}"></section>'
        script = (f'<script data-isso="{escape(server)}/" data-isso-max-comments-nested="inf" '
                  f'src="{escape(server)}/js/embed.min.js"></script>')
    return PAGE.format(title=escape(title), section=section, script=script)


class Site:
    """Article pages from memory on 127.0.0.1:port, in a thread, until the block ends."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.origin = f"http://127.0.0.1:{port}"
        self.pages: dict[str, bytes] = {}
        pages = self.pages

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802  (http.server's name)
                self._answer(body=True)

            def do_HEAD(self) -> None:  # noqa: N802  Isso checks the site with HEAD
                self._answer(body=False)

            def _answer(self, body: bool) -> None:
                page = pages.get(urllib.parse.urlsplit(self.path).path)
                self.send_response(200 if page is not None else 404)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(page or b"")))
                self.send_header("Cache-Control", "no-cache")
                self.end_headers()
                if body and page:
                    self.wfile.write(page)

            def log_message(self, format: str, *args) -> None:  # noqa: A002
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def add(self, path: str, html: str) -> str:
        """Serve `html` at `path`; its address."""
        self.pages[path] = html.encode()
        return self.origin + path

    def __enter__(self) -> Site:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()


# --- what each page should end up showing -------------------------------------------------


def _get_json(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=30) as response:  # noqa: S310  our own servers
        return json.load(response)


def _tree_size(comments: list[dict]) -> int:
    return sum(1 + _tree_size(comment.get("replies") or []) for comment in comments)


def expected(variant: Variant, server: str, thread: str) -> dict:
    """How many comments the page shows when done, and after its first page of them."""
    server = server.rstrip("/")
    if variant.system == "isso":
        query = urllib.parse.urlencode({"uri": thread})
        answer = _get_json(f"{server}/?{query}")
        shown = _tree_size(answer["replies"])
        return {"first_page": shown, "total": shown, "pages": 1,
                "thread_count": answer["total_replies"]}
    limit = variant.page_size or 20
    shown, pages, after, first = 0, 0, None, 0
    while True:
        query = {"url": thread, "sort": "oldest", "limit": limit}
        if after:
            query["after"] = after
        answer = _get_json(f"{server}/api/threads?{urllib.parse.urlencode(query)}")
        shown += _tree_size(answer["comments"])
        pages += 1
        first = first or shown
        after = answer.get("next")
        if not variant.whole or not after:
            return {"first_page": first, "total": shown, "pages": pages,
                    "thread_count": answer["thread"]["count"]}


# --- measuring in Chromium --------------------------------------------------------------

# Installed before any page script. `want` is filled in per page.
PROBE = """(() => {
  if (window.top !== window) return;
  const want = %s;
  const marks = { clicks: 0, want: want.total };
  window.__bench = marks;
  let clickedAt = -1;
  let comments = null;  // live collections: cheap to re-read every frame
  let more = null;
  function shown() {
    if (!comments && want.system == "isso") {
      // In #isso-root: the postbox outside it has an .isso-comment for its preview.
      const list = document.getElementById("isso-root");
      if (list) comments = list.getElementsByClassName("isso-comment");
    } else if (!comments) {
      // Kommentar's thread section, in the open shadow root of [data-kommentar]; every
      // article in it is a [part~="comment"] (checked when done).
      const host = document.querySelector("[data-kommentar]");
      const thread = host && host.shadowRoot && host.shadowRoot.querySelector('[part~="thread"]');
      if (thread) comments = thread.getElementsByTagName("article");
    }
    return comments ? comments.length : 0;
  }
  function frame() {
    const n = shown();
    const now = performance.now();
    if (n > 0 && marks.first === undefined) marks.first = now;
    if (n >= want.first_page && marks.firstPage === undefined) marks.firstPage = now;
    if (n >= want.total) {
      marks.dom = now;
      marks.count = want.system == "isso" ? n
        : document.querySelector("[data-kommentar]").shadowRoot
          .querySelectorAll('[part~="comment"]').length;
      // A message posted now is handled after this frame's style, layout and paint.
      const channel = new MessageChannel();
      channel.port1.onmessage = () => { marks.done = performance.now(); };
      channel.port2.postMessage(null);
      return;
    }
    if (want.whole && n > 0 && n > clickedAt) {
      more = more || document.querySelector("[data-kommentar]").shadowRoot
        .querySelector('[part~="load-more"]');
      if (more && !more.hidden) {
        clickedAt = n;
        marks.clicks++;
        more.click();
      }
    }
    requestAnimationFrame(frame);
  }
  requestAnimationFrame(frame);
})();"""

COLLECT = """() => {
  const nav = performance.getEntriesByType("navigation")[0];
  const resources = performance.getEntriesByType("resource").map((entry) => ({
    name: entry.name, start: entry.startTime, end: entry.responseEnd,
  }));
  return {
    marks: window.__bench, resources, html_end: nav.responseEnd,
  };
}"""


def _is_script(variant: Variant, url: str) -> bool:
    path = urllib.parse.urlsplit(url).path
    return path.endswith("/embed.js" if variant.system == "kommentar" else "/js/embed.min.js")


def _is_thread_data(variant: Variant, url: str) -> bool:
    parts = urllib.parse.urlsplit(url)
    if variant.system == "kommentar":
        return parts.path.endswith("/api/threads")
    return parts.path.endswith("/") and "uri=" in parts.query


def _reading(variant: Variant, raw: dict) -> dict:
    """One navigation's figures, in ms from navigation start."""
    marks = raw["marks"]
    resources = raw["resources"]
    script = [r["end"] for r in resources if _is_script(variant, r["name"])]
    data = [r["end"] for r in resources if _is_thread_data(variant, r["name"])]
    if marks["count"] < marks["want"]:
        raise RuntimeError(f"{variant.name}: {marks['count']} comments where "
                           f"{marks['want']} were expected")
    return {
        "rendered": marks["done"],
        "in_dom": marks["dom"],
        "first_comment": marks.get("first"),
        "first_page": marks.get("firstPage"),
        "clicks": marks["clicks"],
        "comments": marks["count"],
        "html_end": raw["html_end"],
        "script_end": max(script) if script else None,
        "first_data_end": min(data) if data else None,
        "data_end": max(data) if data else None,
        "requests": len(resources),
    }


def _navigate(page, url: str) -> dict:
    page.goto(url, wait_until="commit")
    page.wait_for_function("() => window.__bench && window.__bench.done !== undefined",
                           timeout=NAVIGATION_TIMEOUT_MS)
    return page.evaluate(COLLECT)


def _measure(browser, variant: Variant, url: str, want: dict, warm: bool) -> dict:
    """A cold navigation in a fresh context, then (when `warm`) a second one in it."""
    context = browser.new_context(locale="en-US", viewport={"width": 1000, "height": 900})
    try:
        context.add_init_script(PROBE % json.dumps({**want, "system": variant.system,
                                                    "whole": variant.whole}))
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        try:
            result = {"cold": _reading(variant, _navigate(page, url))}
            if warm:
                result["warm"] = _reading(variant, _navigate(page, url))
        except Exception as error:
            raise RuntimeError(f"{variant.name} at {url}: {error}; page errors: {errors}") \
                from None
        return result
    finally:
        context.close()


def _cpu_times() -> tuple[int, int] | None:
    try:
        fields = [int(n) for n in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
    except (OSError, ValueError):
        return None
    return fields[3] + fields[4], sum(fields)  # idle and iowait, all


def settle(idle: float = 0.85, window: float = 0.1, longest: float = 3.0) -> None:
    """Wait until the machine is idle (a closed tab and the servers finish their work on
    the same two cores that the next page needs), or `longest` seconds at most."""
    deadline = time.monotonic() + longest
    before = _cpu_times()
    while before and time.monotonic() < deadline:
        time.sleep(window)
        after = _cpu_times()
        if not after:
            return
        spent = after[1] - before[1]
        if spent and (after[0] - before[0]) / spent >= idle:
            return
        before = after


def _median(values: list[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return round(statistics.median(present), 1) if present else None


def _summary(readings: list[dict]) -> dict:
    keys = ("rendered", "in_dom", "first_comment", "first_page", "html_end", "script_end",
            "first_data_end", "data_end")
    summary: dict = {key: _median([r[key] for r in readings]) for key in keys}
    summary["after_data"] = _median([r["rendered"] - r["data_end"] for r in readings
                                     if r["data_end"] is not None])
    summary["all"] = [round(r["rendered"], 1) for r in readings]
    summary["requests"] = readings[-1]["requests"]
    summary["clicks"] = readings[-1]["clicks"]
    summary["comments"] = readings[-1]["comments"]
    return summary


def launch(playwright):
    """Debian's Chromium, headless, with a fresh profile."""
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS,
                                      headless=True)


def _thread_pages(site: Site, label: str, variants: tuple[Variant, ...],
                  servers: dict[str, str], threads: dict[str, str]) -> list:
    """(variant, page address, expected counts) for one thread, its pages added to `site`."""
    plan = []
    for variant in variants:
        server, thread = servers[variant.system], threads[variant.system]
        url = site.add(f"/{variant.name}-{label}.html",
                       page_html(variant, server, thread, f"A thread of {label}"))
        plan.append((variant, url, expected(variant, server, thread)))
    return plan


def _thread_results(plan: list, readings: dict[str, dict[str, list]]) -> dict:
    results: dict = {}
    for variant, url, want in plan:
        entry: dict = {"page": url, "expected": want}
        for kind, values in readings[variant.name].items():
            if values:
                entry[kind] = _summary(values)
        results[variant.name] = entry
    isso = results.get("isso", {}).get("cold", {}).get("rendered")
    for variant, _, _ in plan:
        mine = results[variant.name].get("cold", {}).get("rendered")
        if variant.system == "kommentar" and isso and mine:
            results[variant.name]["ratio_to_isso"] = round(mine / isso, 3)
    return results


def first_render(kommentar_base: str, kommentar_pages: dict[str, str], isso_base: str,
                 isso_pages: dict[str, str], runs: int = 5, *, site_port: int = SITE_PORT,
                 warm: bool = True, warmup: int = 1,
                 variants: tuple[Variant, ...] = VARIANTS,
                 progress: Callable[[str], None] | None = None) -> dict:
    """Median time from navigation start to the thread rendered, per thread and variant.

    ``kommentar_pages`` maps a label (e.g. "200") to the page URL its thread was seeded
    under (the widget gets it as ``data-url``); ``isso_pages`` maps the same labels to Isso
    thread uris (``data-isso-id``). The pages are served from ``http://127.0.0.1:site_port``,
    which both servers must accept. Each run opens a fresh browser context (cold HTTP
    cache); with ``warm`` a second navigation in the same context is measured too. The
    variants take turns, in a rotating order. ``warmup`` unmeasured rounds first warm the
    servers (Kommentar's thread cache, Isso's hash cache), not the browser.
    """
    from playwright.sync_api import sync_playwright

    say = progress or (lambda message: None)
    servers = {"kommentar": kommentar_base, "isso": isso_base}
    results: dict = {"runs": runs, "site": f"http://127.0.0.1:{site_port}",
                     "variants": {v.name: v.label for v in variants}, "threads": {},
                     "target": round(RENDER_TARGET, 3)}
    started = time.monotonic()
    with Site(site_port) as site, sync_playwright() as playwright:
        browser = launch(playwright)
        try:
            results["chromium"] = browser.version
            for label in kommentar_pages:
                threads = {"kommentar": kommentar_pages[label], "isso": isso_pages[label]}
                plan = _thread_pages(site, label, variants, servers, threads)
                readings: dict[str, dict[str, list]] = {v.name: {"cold": [], "warm": []}
                                                        for v in variants}
                for run in range(warmup + runs):
                    for variant, url, want in plan[run % len(plan):] + plan[:run % len(plan)]:
                        settle()
                        result = _measure(browser, variant, url, want, warm)
                        for kind, reading in result.items():
                            if run >= warmup:
                                readings[variant.name][kind].append(reading)
                    say(f"{label}: run {run + 1 - warmup}/{runs} done"
                        if run >= warmup else f"{label}: warm-up done")
                results["threads"][label] = _thread_results(plan, readings)
        finally:
            browser.close()
    results["seconds"] = round(time.monotonic() - started, 1)
    return results


# --- self-contained: servers on temporary databases, seeded through their APIs -----------

SENTENCES = [
    "We moved the main mix to the late afternoon and it changed everything.",
    "My starter sulked for a week after I switched to a wholemeal flour.",
    "The cold retard overnight gives a much more open crumb than I expected.",
    "Has anyone tried baking in a cast iron pot with the lid on for the first half?",
    "I keep my kitchen at about twenty-two degrees, which seems to be the sweet spot.",
    "Salt went in too early the first time and the dough never really came together.",
    "A little rye in the feed makes the starter far more lively in winter.",
    "Scoring is still the hardest part for me; the blade drags every time.",
    "Steam in the first twenty minutes made the biggest difference to the crust.",
    "We tried a seventy-five percent hydration dough and it spread like a pancake.",
    "The bakery down the road uses a levain built twice a day, morning and evening.",
    "I bake on Sundays now, so the dough gets the whole of Saturday night to rest.",
    "Folding every half hour for two hours gave me much more strength than kneading.",
    "Our oven runs hot at the back, so I turn the loaf halfway through.",
    "Spelt behaves very differently: it ferments faster and tears more easily.",
    "A banneton lined with rice flour finally stopped the dough from sticking.",
    "The smell of the first loaf out of the oven is worth the whole day of waiting.",
    "I weigh everything now, down to the gram, and the results are far more even.",
    "Letting the loaf cool for an hour before cutting really does matter.",
    "My grandmother never measured anything and her bread was better than mine.",
]
FLOURISHES = [
    lambda s: s.replace(" the ", " *the* ", 1),
    lambda s: "**" + s[:-1] + "**.",
    lambda s: s + " See [my notes](https://bakers.example/notes) for the timings.",
    lambda s: s.replace(" a ", " a `levain` ", 1),
    lambda s: "> " + s,
    lambda s: "- " + s,
]
NAMES = ["Maren", "Jonas", "Ada", "Birk", "Clara", "Dag", "Elin", "Frode", "Gry", "Hugo",
         "Ines", "Jens", "Karin", "Lars", "Mette", "Nils", "Oda", "Per", "Rasmus", "Sofie"]


def comment_text(rng: random.Random, number: int) -> str:
    """A Markdown comment of 500 to 650 characters: paragraphs, emphasis, code, a link."""
    while True:
        paragraphs: list[list[str]] = [[]]
        text = ""
        while len(text) < 500:
            sentence = rng.choice(SENTENCES)
            if rng.random() < 0.3:
                sentence = rng.choice(FLOURISHES)(sentence)
            if sentence.startswith(("> ", "- ")) or (paragraphs[-1] and rng.random() < 0.25):
                paragraphs.append([])
            paragraphs[-1].append(sentence)
            if sentence.startswith(("> ", "- ")):
                paragraphs.append([])
            text = "\n\n".join(" ".join(p) for p in paragraphs if p)
        text = f"Loaf number {number}: {text}"
        if len(text) <= 650:
            return text


def thread_shape(count: int, rng: random.Random) -> list[int | None]:
    """The parent (an earlier index) of each comment, None for top-level ones: every third
    comment is a reply to one of the ten latest top-level comments with under five replies,
    so Isso (two levels, five replies shown by default) and Kommentar show the same tree."""
    parents: list[int | None] = []
    tops: list[int] = []
    replies: dict[int, int] = {}
    for index in range(count):
        open_tops = [top for top in tops[-10:] if replies[top] < 5]
        if index % 3 == 2 and open_tops:
            parent = rng.choice(open_tops)
            replies[parent] += 1
            parents.append(parent)
        else:
            tops.append(index)
            replies[index] = 0
            parents.append(None)
    return parents


def _post_json(url: str, body: dict) -> dict:
    request = urllib.request.Request(url, data=json.dumps(body).encode(),  # noqa: S310
                                     method="POST", headers={"Content-Type": "application/json"})
    for attempt in range(5):
        try:
            with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
                return json.load(response)
        except urllib.error.HTTPError as error:
            if error.code < 500 or attempt == 4:
                raise RuntimeError(f"POST {url}: {error.code} {error.read()[:300]!r}") from None
        time.sleep(0.2 * (attempt + 1))
    raise AssertionError("unreachable")


def seed_thread(count: int, post: Callable[[str, str, int | None], int],
                seed: int = 1) -> None:
    """Post `count` comments through `post(text, name, parent_id) -> id`, four at a time;
    a reply waits for its parent, which was always handed out before it."""
    rng = random.Random(seed)  # noqa: S311  reproducible texts, not secrets
    shape = thread_shape(count, rng)
    texts = [comment_text(rng, n) for n in range(count)]
    names = [rng.choice(NAMES) for _ in range(count)]
    futures: list[Future] = []

    def send(index: int) -> int:
        parent = shape[index]
        parent_id = futures[parent].result() if parent is not None else None
        return post(texts[index], names[index], parent_id)

    with ThreadPoolExecutor(4) as pool:
        for index in range(count):
            futures.append(pool.submit(send, index))
        for future in futures:
            future.result()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_ready(process: subprocess.Popen, url: str, log: Path, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{url}: server exited: {log.read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2):  # noqa: S310  our own server
                return
        except (urllib.error.URLError, OSError):
            time.sleep(0.2)
    raise RuntimeError(f"{url}: not up after {seconds} s: {log.read_text()[-2000:]}")


@contextlib.contextmanager
def _server(command: list[str], ready_url: str, log: Path,
            env: dict[str, str] | None = None) -> Iterator[None]:
    with log.open("wb") as output:
        process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT,  # noqa: S603
                                   env={**os.environ, **(env or {})}, start_new_session=True)
        try:
            _wait_ready(process, ready_url, log)
            yield
        except BaseException:  # what the server said is the likeliest explanation
            tail = log.read_bytes()[-3000:].decode(errors="replace")
            print(f"--- the end of {log.name} ---\n{tail}", file=sys.stderr, flush=True)
            raise
        finally:
            process.terminate()
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@contextlib.contextmanager
def kommentar_server(folder: Path, site_origin: str) -> Iterator[str]:
    """Kommentar on a fresh SQLite database, accepting `site_origin`; its base URL."""
    port = free_port()
    config = folder / "kommentar.toml"
    config.write_text(
        f'database_url = "sqlite:///{folder / "kommentar.db"}"\n'
        'secret_key = "browser-bench-secret-not-for-production"\n'
        f'origins = "{site_origin}"\n'
        "ratelimit = false\n"
        "spam_min_seconds = 0\n"
        'moderation = "none"\n')
    command = [str(KOMMENTAR_BIN), "--config", str(config), "serve", "--host", "127.0.0.1",
               "--port", str(port), "--workers", "2", "--threads", "4"]
    base = f"http://127.0.0.1:{port}"
    with _server(command, base + "/api/config", folder / "kommentar.log"):
        yield base


@contextlib.contextmanager
def isso_server(folder: Path, site_origin: str) -> Iterator[str]:
    """Isso 0.14 under gunicorn on a fresh database, guard and moderation off; its base URL."""
    port = free_port()
    config = folder / "isso.cfg"
    config.write_text(
        "[general]\n"
        f"dbpath = {folder / 'isso.db'}\n"
        f"host = {site_origin}\n"
        "[moderation]\nenabled = false\n"
        "[guard]\nenabled = false\n"
        f"[server]\nlisten = http://127.0.0.1:{port}\n"
        "[hash]\nsalt = browser-bench-salt\n")
    # --preload as in run.py: without it Isso's workers each set up the database at boot, and
    # one that fails to (SQLite locked by the other) stops gunicorn altogether.
    command = [str(ISSO_VENV / "bin" / "gunicorn"), "-w", "2", "-b", f"127.0.0.1:{port}",
               "--preload", "isso.run"]
    base = f"http://127.0.0.1:{port}"
    with _server(command, base + "/config", folder / "isso.log",
                 env={"ISSO_SETTINGS": str(config)}):
        yield base


def self_contained(runs: int, counts: list[int], warm: bool,
                   say: Callable[[str], None]) -> dict:
    """Start both servers on temporary databases, seed the threads, and measure."""
    site_port = free_port()
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
                    return _post_json(f"{kommentar}/api/comments", body)["id"]

                def post_isso(text, name, parent, uri=isso_uri, title=title):
                    body = {"text": text, "author": name, "parent": parent, "title": title}
                    query = urllib.parse.urlencode({"uri": uri})
                    return _post_json(f"{isso}/new?{query}", body)["id"]

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
        f"  Kommentar embed.js            {size['kommentar']['gzip']:>7,} B "
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
