"""Fill a fresh Kommentar database with demo comments for the example pages (``make run``).

Run with the server's config: ``python examples/demo.py --config instance/kommentar.toml``.
It adds nothing to a page that already has comments, so it is safe to run every time.
"""

from __future__ import annotations

import argparse
import logging
import random
from datetime import timedelta

from flask import current_app

from kommentar import accounts, comments, create_app
from kommentar.models import Comment, User, utcnow

SITE = "http://127.0.0.1:8000"
NEWS = "http://localhost:8000"  # the demo's second site: accounts required (see make run)

BLOG = [
    ("Maja", "Great write-up. I moved my own blog off a hosted comment service last year "
             "and page loads dropped by almost a second.", [
        ("Tom", "> page loads dropped by almost a second\n\nSame here. Most of it was the "
                "tracking scripts the service loaded, not the comments themselves."),
        ("Maja", "Exactly. And the comments are now in a database I can back up."),
     ]),
    ("Priya", "How do you handle spam without a third-party filter? A honeypot field and a "
              "rate limit catch most of it on my site, but not everything.", [
        ("Jonas", "A short hold for first-time commenters works well. The rest is a "
                  "moderator spending five minutes a day."),
     ]),
    ("Ole", "For anyone wondering about the setup, the README walks through it: "
            "https://example.com/docs/kommentar/deployment/gunicorn-nginx-systemd-and-postgresql"
            "-for-sites-that-outgrow-a-single-process", []),
    ("Grace", "One small wish: **Markdown** in comments. Oh wait, it already has it. `nice`.", []),
]

DANISH = [
    ("Karsten Nielsen", "Det er jo ikke første gang, vi ser et offentligt it-projekt løbe "
                        "løbsk. Spørgsmålet er, hvorfor ingen stopper det i tide.", [
        ("Mette Holm", "> hvorfor ingen stopper det i tide\n\nFordi ingen får ros for at "
                       "stoppe et projekt. Man får kun skylden, når det går galt bagefter."),
        ("Karsten Nielsen", "Det er en trist, men nok rammende forklaring."),
     ]),
    ("Anders Bech", "Rapporten kan læses her: "
                    "https://example.dk/rapporter/2026/it-projekter-i-staten/beretning-om-"
                    "forsinkelser-og-fordyrelser-i-store-offentlige-systemer.pdf", []),
    ("Louise Friis", "Jeg savner, at man deler projekterne op i mindre leverancer. Så ser "
                     "man problemerne, mens de endnu er små.", [
        ("Peter Dam", "Enig. Og at man tester med rigtige brugere fra første måned."),
     ]),
]


def seed(url: str, threads, policy, title: str, rng: random.Random) -> int:
    """Post the demo threads on ``url`` unless it already has comments; return how many."""
    key, _ = comments.locate(url, None, policy)
    if Comment.select().join(comments.Thread).where(comments.Thread.key == key).exists():
        return 0
    site = policy.site(NEWS) if url.startswith(NEWS) else policy
    posted = []
    start = utcnow() - timedelta(days=2)
    for name, text, replies in threads:
        top = _post(site, url, title, name, text, None)
        posted.append(top)
        for reply_name, reply_text in replies:
            posted.append(_post(site, url, title, reply_name, reply_text, top.id))
    for n, comment in enumerate(posted):  # spread the times out, oldest first
        moment = start + timedelta(minutes=37 * n + rng.randint(0, 30))
        Comment.update(created=moment).where(Comment.id == comment.id).execute()
        for voter in range(rng.randint(0, 9)):
            value = 1 if rng.random() < 0.8 else -1
            comments.vote(comment.id, comments.anonymous_voter(f"demo-{voter}"), value, policy,
                          ip_hash=f"demo-{voter}")
    return len(posted)


def _post(policy, url, title, name, text, parent):
    user = None
    if not policy.anonymous:
        user = User.get_or_none(User.username == name) or accounts.register(
            name, f"demo password for {name}", hasher=accounts.hasher(current_app.config))
    author = comments.Author(user=user, ip_hash=None)
    return comments.post(author, policy, url=url, text=text, parent=parent, name=name,
                         title=title)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", required=True)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    app = create_app({"config": args.config, "ratelimit": False})
    policy = app.extensions["kommentar.policy"]
    rng = random.Random(7)  # noqa: S311 - repeatable demo data, not a secret
    with app.app_context():
        from kommentar.db import database

        with database.connection_context():
            total = sum((
                seed(f"{SITE}/blog-post.html", BLOG, policy, "Owning your comments", rng),
                seed(f"{SITE}/dark.html", BLOG[:2], policy, "A dark page", rng),
                seed(f"{SITE}/strict-csp.html", BLOG[2:], policy, "A strict page", rng),
                seed(f"{NEWS}/news-da.html", DANISH, policy, "Statens it-projekter", rng),
            ))
    logging.info("demo comments added: %d", total)


if __name__ == "__main__":
    main()
