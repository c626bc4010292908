"""Seeding the browser benchmark's threads through each server's own API: comments of
Markdown about baking, every third one a reply, posted as readers would.

The texts and the tree follow from a seed, so Kommentar and Isso get the same thread.
"""

from __future__ import annotations

import json
import random
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

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


def post_json(url: str, body: dict) -> dict:
    """POST `body` as JSON and return the answer; a server error is tried again, up to five
    times in all, so that one passing failure does not cost a whole seeding."""
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
