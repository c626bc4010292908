"""The browser benchmark's time measure: in headless Chromium (Debian's, driven by
Playwright), the time from navigation start to the thread rendered, for each page of
``browser_pages``.

Each page is served from a small static server on ``http://127.0.0.1:<site_port>``, which
Kommentar must list in ``origins`` and Isso in ``[general] host``. The time is read in the
page: a probe installed before any page script polls once per animation frame; in the first
frame in which every expected comment is in the DOM it posts a message, handled after that
frame's style, layout and paint, and records ``performance.now()`` there (its origin is the
navigation start), so Playwright's round trips do not count.
"""

from __future__ import annotations

import json
import statistics
import time
import urllib.parse
from collections.abc import Callable
from pathlib import Path

from browser_pages import VARIANTS, Site, Variant, expected, page_html

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
RENDER_TARGET = 1 / 3  # Kommentar's first render of 200 comments, as a share of Isso's
NAVIGATION_TIMEOUT_MS = 120_000

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
