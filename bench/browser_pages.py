"""The article pages the browser benchmark loads, the static site that serves them, and how
many comments each should end up showing.

Every page has the same shape, a short article and then the comment section, and differs
only in how it embeds the thread (a ``Variant``).
"""

from __future__ import annotations

import http.server
import json
import threading
import urllib.parse
import urllib.request
from dataclasses import dataclass
from html import escape

WIDGET_MAX_PAGE_SIZE = 100  # widget/options.js clamps data-page-size to this


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
