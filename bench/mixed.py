"""The mixed load, and whether anything acknowledged was lost under it.

For a minute: 90% reads of the three measured threads' first pages, 8% posts into those
threads (a third of them replies), 2% up-votes on their comments, each write from a
reader of its own. Then every thread is fetched whole through the API: every post that
was answered 201 must be in it, the up-votes must have grown by at least the votes that
were answered, each thread's count must match its comments, and no answer may have
been a 5xx (or any other failure). Reading back through the API, not the database, also
catches a cache that serves a thread without the writes it acknowledged.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import corpus
import load
from scenarios import Isso, Kommentar, comments_by_page, post_targets, texts

PAGES = [f"/thread-{size}" for size in corpus.THREAD_SIZES]
LATE_CHECK = 15  # seconds: when something is missing at once, whether it turns up later


@dataclass
class Verdict:
    """How one server came through the mixed load."""

    server: str
    result: load.Result
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        """Nothing went wrong (notes are not problems)."""
        return not self.problems


def mixed_load(api: Kommentar | Isso) -> load.Load:
    """The requests of the mixed load, in ``api``'s terms."""
    plan = api.plan
    ids = comments_by_page(plan)
    reads = load.Entry("read", requests=[api.thread(page, True) for page in PAGES], weight=90)
    return load.Load([api.post(post_targets(plan, PAGES, "mixed"), weight=8),
                      api.vote([n for page in PAGES for n in ids[page]], weight=2), reads],
                     texts(plan))


def _state(api: Kommentar | Isso, base: str) -> tuple[set[int], int, list[str]]:
    """Every comment id of the threads, their up-votes, and count mismatches."""
    ids, ups, wrong = set(), 0, []
    for page in PAGES:
        found, count, votes = api.document(base, page)
        ids |= found
        ups += votes
        if count != len(found):
            wrong.append(f"{page} says {count} comments but shows {len(found)}")
    return ids, ups, wrong


def run(wrk: str, base: str, api: Kommentar | Isso, *, seconds: float, connections: int,
        threads: int, salt: int) -> Verdict:
    """Drive ``base`` with the mixed load for ``seconds``, then check what it kept."""
    _, ups_before, _ = _state(api, base)
    result = load.run(wrk, base, mixed_load(api), seconds=seconds, connections=connections,
                      threads=threads, timeout=60, salt=salt)
    verdict = Verdict(api.name, result)
    load.settle(base)  # the posts wrk left in flight are answered before the check
    ids, ups, wrong = _state(api, base)
    posts, votes = result.acknowledged["post"], result.acknowledged["vote"]
    missing = [n for n in result.ids if n not in ids]
    if missing:
        time.sleep(LATE_CHECK)
        later = [n for n in missing if n not in _state(api, base)[0]]
        verdict.problems.append(f"{len(missing)} of {posts} acknowledged posts missing right "
                                f"after the run, {len(later)} still after {LATE_CHECK} s")
    if len(result.ids) != posts:
        verdict.problems.append(f"{posts} posts answered 201 but {len(result.ids)} ids read")
    if ups - ups_before < votes:
        verdict.problems.append(f"{votes} acknowledged votes but up-votes grew by "
                                f"{ups - ups_before}")
    verdict.problems += wrong
    if result.fivexx:
        verdict.problems.append(f"{result.fivexx} answers were 5xx")
    if result.failed:
        verdict.problems.append(f"{result.failed} requests failed (non-2xx/3xx, socket errors "
                                "or timeouts)")
    for kind, refused in result.refused.items():
        if refused:
            verdict.notes.append(f"{refused} {kind}s were answered but not taken "
                                 "(held for moderation, or a repeated vote)")
    return verdict
