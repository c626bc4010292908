"""What each scenario sends: the same reads and writes, in Kommentar's API (README, "The
HTTP API") and in Isso's (``isso/views/comments.py``).

A thread's first page is what Kommentar's widget asks for (20 top-level comments, oldest
first, with all their replies); Isso is asked for the same page (``limit=20``, replies
unlimited). Counts rotate through 20 blog index pages of 50 posts each. Posts and votes
go to the count pages, so they never change the threads the read scenarios fetch;
each comes from a reader of its own (``{ip}``, see ``lua/load.lua``).
"""

from __future__ import annotations

import gzip
import json
import random
from urllib.parse import quote

import corpus
from load import Entry, Load, send

FIRST_PAGE = 20  # Kommentar's widget default (data-page-size)
INDEX_PAGES, PER_INDEX = 20, 50
THREADS = [f"thread-{size}-{part}" for size in corpus.THREAD_SIZES for part in ("page", "all")]
READS = [*THREADS, "counts-50", "refetch-304"]
WRITES = ["post", "vote"]
SCALE = [*THREADS, "counts-50"]
TEXTS = 200  # of the plan's texts, the ones posts are made of
JSON = {"Content-Type": "application/json"}


def comments_by_page(plan: corpus.Plan) -> dict[str, list[int]]:
    """The comment ids of each page, oldest first (ids are plan positions + 1)."""
    found: dict[str, list[int]] = {page: [] for page in plan.pages}
    for position, comment in enumerate(plan.comments):
        found[plan.pages[comment.thread]].append(position + 1)
    return found


def post_targets(plan: corpus.Plan, pages: list[str], seed: str) -> list[tuple[str, int | None]]:
    """Where posts go: (page, parent) pairs, a third of them replies to an existing comment."""
    rng = random.Random(f"{corpus.SEED}:{seed}")  # noqa: S311 - reproducible, not secret
    ids = comments_by_page(plan)
    targets = []
    for _ in range(1000):
        page = rng.choice(pages)
        reply = ids[page] and rng.random() < 1 / 3
        targets.append((page, rng.choice(ids[page]) if reply else None))
    return targets


class Kommentar:
    """Kommentar's API."""

    name = "Kommentar"
    WRITE = {**JSON, "Origin": corpus.ORIGIN, "X-Forwarded-For": "{ip}"}

    def __init__(self, plan: corpus.Plan):
        self.plan = plan

    def thread(self, page: str, first: bool) -> tuple[str, None]:
        """The request for a thread: its first page, or the whole of it."""
        limit = f"&limit={FIRST_PAGE}" if first else ""
        return f"/api/threads?url={quote(self.plan.url(page), safe='')}&sort=oldest{limit}", None

    def counts(self, pages: list[str]) -> Entry:
        """The counts of each list of pages, asked in turn."""
        requests = [("/api/counts?" + "&".join(f"url={quote(self.plan.url(page), safe='')}"
                                               for page in chunk), None) for chunk in pages]
        return Entry("read", requests=requests)

    def refetch(self, etag: str | None) -> Entry:
        """The 200-comment thread's first page again, with the ETag it came with."""
        if etag is None:
            return Entry("read", requests=[self.thread("/thread-200", True)])
        return Entry("read", requests=[self.thread("/thread-200", True)], status=304,
                     headers={"If-None-Match": etag})

    def post(self, targets: list[tuple[str, int | None]], weight: float = 1) -> Entry:
        """New comments on these (page, parent) targets, with a name and no account."""
        return Entry("post", "POST", path="/api/comments", headers=self.WRITE, weight=weight,
                     body='{"url":"{url}","name":"Bench {seq}","text":"{text}\\n\\nPost {seq}.",'
                          '"parent":{parent}}', status=201, refused='"status":"pending"',
                     collect=True, targets=[{"url": self.plan.url(page), "parent": _json(parent)}
                                            for page, parent in targets])

    def vote(self, ids: list[int], weight: float = 1) -> Entry:
        """An up-vote on one of these comments, by a reader without a voter token."""
        return Entry("vote", "POST", path="/api/comments/{id}/vote", body='{"value":1}',
                     headers=self.WRITE, marker='"mine":', weight=weight,
                     targets=[{"id": str(n)} for n in ids])

    def document(self, base: str, page: str) -> tuple[set[int], int, int]:
        """(comment ids, the thread's own count, up-votes) of the whole thread, as served."""
        data = _json_of(base, Load([Entry("read", requests=[self.thread(page, False)])]))
        ids, ups = set(), 0
        stack = list(data["comments"])
        while stack:
            comment = stack.pop()
            ids.add(comment["id"])
            ups += comment["up"]
            stack.extend(comment["replies"])
        return ids, data["thread"]["count"], ups


class Isso:
    """Isso 0.14's API."""

    name = "Isso"
    WRITE = {**JSON, "X-Forwarded-For": "{ip}"}

    def __init__(self, plan: corpus.Plan):
        self.plan = plan

    def thread(self, page: str, first: bool) -> tuple[str, None]:
        """The request for a thread: 20 top-level comments with all replies, or all."""
        return f"/?uri={quote(page, safe='')}" + (f"&limit={FIRST_PAGE}" if first else ""), None

    def counts(self, pages: list[str]) -> Entry:
        """The counts of each list of pages, asked in turn (Isso takes them as a POST)."""
        return Entry("read", "POST", requests=[("/count", json.dumps(chunk)) for chunk in pages],
                     headers=JSON)

    def refetch(self, etag: str | None) -> Entry:
        """Isso sends no ETag: the same page fetched again."""
        return Entry("read", requests=[self.thread("/thread-200", True)])

    def post(self, targets: list[tuple[str, int | None]], weight: float = 1) -> Entry:
        """New comments on these (page, parent) targets, with an author name."""
        return Entry("post", "POST", path="/new?uri={uri}", headers=self.WRITE, weight=weight,
                     body='{"text":"{text}\\n\\nPost {seq}.","author":"Bench {seq}",'
                          '"parent":{parent}}', status=201, collect=True,
                     targets=[{"uri": quote(page, safe=""), "parent": _json(parent)}
                              for page, parent in targets])

    def vote(self, ids: list[int], weight: float = 1) -> Entry:
        """A like on one of these comments; Isso refuses a second one from an address."""
        return Entry("vote", "POST", path="/id/{id}/like", headers=self.WRITE, marker='{"likes":',
                     refused='"message"', weight=weight, targets=[{"id": str(n)} for n in ids])

    def document(self, base: str, page: str) -> tuple[set[int], int, int]:
        """(comment ids, the thread's own count, likes) of the whole thread, as served."""
        data = _json_of(base, Load([Entry("read", requests=[self.thread(page, False)])]))
        ids, likes = set(), 0
        for comment in data["replies"]:
            for item in (comment, *comment["replies"]):
                ids.add(item["id"])
                likes += item["likes"]
        return ids, data["total_replies"], likes


def _json(value: int | None) -> str:
    return "null" if value is None else str(value)


def _json_of(base: str, load: Load) -> dict:
    status, headers, body = send(base, load)
    if status != 200:
        raise RuntimeError(f"{base}: {load.entries[0].requests} answered {status}")
    return json.loads(gzip.decompress(body) if headers.get("Content-Encoding") == "gzip" else body)


def texts(plan: corpus.Plan) -> list[str]:
    """Comment texts for posts, JSON-escaped for the body templates."""
    return [json.dumps(text)[1:-1] for text in plan.texts[:TEXTS]]


def load(api: Kommentar | Isso, scenario: str, etag: str | None = None) -> Load:
    """What ``api``'s server is sent in ``scenario``; ``etag`` for the conditional re-fetch."""
    plan = api.plan
    if scenario in THREADS:
        _, size, part = scenario.split("-")
        return Load([Entry("read", requests=[api.thread(f"/thread-{size}", part == "page")])])
    pages = corpus.count_pages()
    if scenario == "counts-50":
        return Load([api.counts([pages[n::INDEX_PAGES][:PER_INDEX] for n in range(INDEX_PAGES)])])
    if scenario == "refetch-304":
        return Load([api.refetch(etag)])
    if scenario == "post":
        return Load([api.post(post_targets(plan, pages, "post"))], texts(plan))
    if scenario == "vote":
        ids = comments_by_page(plan)
        return Load([api.vote([n for page in pages for n in ids[page]])])
    raise ValueError(f"unknown scenario {scenario!r}")
