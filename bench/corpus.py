"""The benchmark's data, the same for every server: comment texts, authors and thread shapes.

Everything follows from fixed random seeds, so two processes that build a plan get the
same comments: the harness builds it to seed Kommentar, and ``isso_seed.py`` builds it
again under Isso's own Python to seed Isso. Standard library only, for that reason.

Each thread is drawn from a generator seeded by its own path, so the 200- and
2,000-comment threads have the same comments in the small and in the 1,000,000-comment
database, and only the rows around them differ. Comments of all threads are interleaved
in time, as on a live site, and numbered in that order: ``id = position + 1``, so a
parent always has a lower id than its replies.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import NamedTuple

SEED = 6  # this is issue 6; change it (and SEED_VERSION) to draw different data
SEED_VERSION = 1  # bump when anything below changes what a plan contains
ORIGIN = "http://127.0.0.1:8000"  # the site embedding both servers (as `make run` serves it)
START = 1_764_000_000.0  # the newest comments are from around November 2025 (Unix seconds)
TEXTS = 2_000  # distinct comment texts; Kommentar renders each once
AUTHORS = 300  # distinct commenters: within Isso's 1,024-entry cache of author hashes
ACCOUNTS = 20  # the first authors have Kommentar accounts; the rest post with a name
REPLY_SHARE = 0.35
MAX_DEPTH = 3

THREAD_SIZES = (10, 200, 2_000)
COUNT_PAGES = 1_000  # threads of 0-20 comments that the counts scenario asks about

_WORDS = """about actually agree almost already although always another answer anyone article
author because before believe better between bit both build change clear code comment
community compare context could cost data database default deploy different difference
documentation done easy enough even example experience fact feature few find first fix
follow format good great happen hard help however idea important instead issue keep kind
know last later least less library little long look make many maybe mean measure might
more most much need never number often only opinion other page part people perhaps
performance point post pretty probably problem question quite rather read real really
reason release remember right run same seems server setup should simple since small
something still story sure system take test thanks thing think though thread time today
together tried true try understand update used useful usually version want way week
well whole why without work worth would write wrong year yes""".split()
_NAMES = """Ada Alma Anders Anna Asger Astrid Bo Carl Clara Dagny Ebbe Edith Elias Emil Emma
Erik Esther Frida Georg Hanna Helga Ida Ingrid Isak Jens Johan Karen Karl Kirsten Lars
Laura Lea Lise Magnus Maja Marie Mette Mikkel Nanna Niels Nora Oscar Otto Paula Peter
Rasmus Rosa Sara Sofie Svend Thea Thor Tove Ulla Vera Viggo Vilma Yrsa""".split()
_SURNAMES = "Berg Dahl Holm Krog Lund Moos Nygaard Skov Storm Vang".split()


class Planned(NamedTuple):
    """One comment: its thread, parent and root (positions in ``Plan.comments``, or None)."""

    thread: int
    parent: int | None
    root: int | None
    depth: int
    author: int
    text: int
    created: float  # Unix seconds


@dataclass
class Plan:
    """Threads (page paths such as ``/thread-200``) and their comments, in id order."""

    pages: list[str]
    comments: list[Planned]
    texts: list[str]
    authors: list[str]

    def url(self, page: str) -> str:
        """The page's address, as Kommentar's widget sends it."""
        return ORIGIN + page

    def sizes(self) -> list[int]:
        """Comments per thread, by thread position."""
        sizes = [0] * len(self.pages)
        for comment in self.comments:
            sizes[comment.thread] += 1
        return sizes


def _sentence(rng: random.Random) -> str:
    words = rng.sample(_WORDS, rng.randint(7, 16))
    if rng.random() < 0.3:
        spot = rng.randrange(len(words))
        words[spot] = f"*{words[spot]}*"
    return " ".join(words).capitalize() + rng.choice(".....?!")


def _text(rng: random.Random, number: int) -> str:
    """A 500-650 character Markdown comment: paragraphs, emphasis, a link, maybe a list
    or a quote."""
    target = rng.randint(500, 650)
    link = rng.choice((f"[this write-up](https://example.org/notes/{number})",
                       f"https://example.org/articles/{number}"))
    blocks = [f"> {_sentence(rng)}"] if rng.random() < 0.15 else []
    blocks.append(f"{_sentence(rng)} See {link} for more.")
    if rng.random() < 0.15:
        blocks.append("\n".join(f"- {_sentence(rng)}" for _ in range(3)))
    while True:
        paragraph = " ".join(_sentence(rng) for _ in range(rng.randint(2, 3)))
        text = "\n\n".join([*blocks, paragraph])
        if len(text) > 650:
            text = "\n\n".join(blocks)
            words = paragraph.split()
            while len(text) + 2 + len(" ".join(words)) > 649:  # room for the full stop
                words.pop()
            return "\n\n".join([*blocks, " ".join(words).rstrip(".,?!") + "."])
        blocks.append(paragraph)
        if len(text) >= target:
            return text


def texts() -> list[str]:
    """The distinct comment texts."""
    rng = random.Random(f"{SEED}:texts")  # noqa: S311 - reproducible data, not secrets
    return [_text(rng, n) for n in range(TEXTS)]


def authors() -> list[str]:
    """The commenters' names, all different; the first ``ACCOUNTS`` are account names."""
    rng = random.Random(f"{SEED}:authors")  # noqa: S311 - reproducible data, not secrets
    return rng.sample([f"{name} {surname}" for name in _NAMES for surname in _SURNAMES], AUTHORS)


def _thread(page: str, size: int) -> list[tuple[float, int | None, int, int, int]]:
    """One thread's comments as (created, parent within the thread, depth, author, text):
    about a third are replies, 1 to 3 deep, to one of the last 50 comments."""
    rng = random.Random(f"{SEED}:{page}")  # noqa: S311 - reproducible data, not secrets
    moment = START - rng.uniform(30, 365) * 86400
    rows: list[tuple[float, int | None, int, int, int]] = []
    for n in range(size):
        moment += rng.uniform(20, 1800)
        parent, depth = None, 0
        if n and rng.random() < REPLY_SHARE:
            above = [i for i in range(max(0, n - 50), n) if rows[i][2] < MAX_DEPTH]
            if above:
                parent = rng.choice(above)
                depth = rows[parent][2] + 1
        rows.append((moment, parent, depth, rng.randrange(AUTHORS), rng.randrange(TEXTS)))
    return rows


def build(sizes: list[tuple[str, int]]) -> Plan:
    """The plan for these (page, comment count) threads, comments interleaved in time."""
    drawn = [_thread(page, size) for page, size in sizes]
    order = sorted((row[0], thread, local) for thread, rows in enumerate(drawn)
                   for local, row in enumerate(rows))
    position: list[list[int]] = [[0] * len(rows) for rows in drawn]
    for at, (_, thread, local) in enumerate(order):
        position[thread][local] = at
    comments = []
    for _, thread, local in order:
        created, parent, depth, author, text = drawn[thread][local]
        parent_at = root_at = None
        if parent is not None:
            parent_at = position[thread][parent]
            above = comments[parent_at]
            root_at = above.root if above.root is not None else parent_at
        comments.append(Planned(thread, parent_at, root_at, depth, author, text, created))
    return Plan([page for page, _ in sizes], comments, texts(), authors())


def small_sizes() -> list[tuple[str, int]]:
    """The comparison database: threads of 10, 200 and 2,000 comments, and the count pages."""
    rng = random.Random(f"{SEED}:counts")  # noqa: S311 - reproducible data, not secrets
    return ([(f"/thread-{size}", size) for size in THREAD_SIZES]
            + [(page, rng.randint(0, 20)) for page in count_pages()])


def scale_sizes(comments: int, threads: int) -> list[tuple[str, int]]:
    """The small database's threads among enough others to make ``comments`` in ``threads``."""
    sizes = small_sizes()
    rest = threads - len(sizes)
    left = comments - sum(size for _, size in sizes)
    if rest <= 0 or left < 0:
        raise ValueError(f"{comments} comments in {threads} threads cannot hold the small set")
    rng = random.Random(f"{SEED}:scale")  # noqa: S311 - reproducible data, not secrets
    fillers = [left // rest + (1 if n < left % rest else 0) for n in range(rest)]
    for n in range(rest):  # spread the sizes out, keeping the total: 0 to twice the mean
        other = rng.randrange(rest)
        move = rng.randint(0, min(fillers[n], 2 * (left // rest) + 1 - fillers[other]))
        fillers[n] -= move
        fillers[other] += move
    pages = [(f"/archive/{n:06d}", size) for n, size in enumerate(fillers)]
    half = len(pages) // 2  # the measured threads sit in the middle of the id range
    return pages[:half] + sizes + pages[half:]


def count_pages() -> list[str]:
    """The pages whose counts a blog's index pages ask for."""
    return [f"/page-{n:04d}" for n in range(COUNT_PAGES)]
