"""How isso-0.14.db was made: by a real Isso 0.14 server, through its own HTTP API.

Not run by the tests (they read the file this wrote, and need no Isso). To redo it:

    .venv/bin/python tests/data/build_isso.py            # writes tests/data/isso-0.14.db

It installs Isso 0.14.0 into bench/.isso-venv from the package index the first time (as
``make bench`` does), starts it on 127.0.0.1 with moderation on, and as readers from
different addresses (Isso takes them from X-Forwarded-For behind a trusted proxy) posts
comments on two pages: replies, a reply to a reply, Markdown, text that looks like HTML,
names that are not ASCII or that hold ``&`` and ``<``. Then, as the moderator (Isso's admin
page gives each comment's signed key), it approves all but one, which stays pending; readers
like and dislike; an author edits one of theirs and deletes two (one with a reply, which
Isso keeps as an empty mode-4 placeholder, and one without, which it removes). Isso stops,
and its SQLite file is what is kept.
"""

from __future__ import annotations

import http.cookiejar
import json
import re
import sqlite3
import sys
import tempfile
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench"))

from servers import ISSO_VERSION, ensure_isso, free_port, serving  # noqa: E402

SITE = "https://blog.example"  # the blog whose pages these are (the tests import with --site)
PASSWORD = "build-only-admin-password"
FIRST, SECOND = "/2024/05/erster-beitrag/", "/2024/06/second-post/"


class Reader:
    """One commenter: their address, and the edit cookies Isso gives them for their posts."""

    def __init__(self, base: str, address: str):
        self.base, self.address = base, address
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def call(self, method: str, path: str, body: dict | None = None, **query):
        url = self.base + path + ("?" + urllib.parse.urlencode(query) if query else "")
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(url, data=data, method=method, headers={
            "Content-Type": "application/json", "X-Forwarded-For": self.address})
        with self.opener.open(request, timeout=10) as response:
            raw = response.read()
        return json.loads(raw) if raw else None

    def post(self, uri: str, title: str, text: str, author: str | None = None,
             email: str | None = None, website: str | None = None,
             parent: int | None = None) -> int:
        body = {"text": text, "author": author, "email": email, "website": website,
                "parent": parent, "title": title}
        return self.call("POST", "/new", body, uri=uri)["id"]


class Moderator:
    """Isso's admin, signed in with its password: its admin page gives each comment's key."""

    def __init__(self, base: str):
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        login = urllib.parse.urlencode({"password": PASSWORD}).encode()
        self.opener.open(urllib.request.Request(base + "/login/", data=login), timeout=10).read()

    def pending(self) -> dict[int, str]:
        """The comments waiting for a moderator, each with its signed key."""
        with self.opener.open(self.base + "/admin/?mode=2", timeout=10) as page:
            html = page.read().decode()
        return {int(cid): key for cid, key in re.findall(r"validate_com\((\d+), '([^']+)'", html)}

    def activate(self, cid: int, key: str) -> None:
        request = urllib.request.Request(f"{self.base}/id/{cid}/activate/{key}", data=b"",
                                         method="POST")
        with self.opener.open(request, timeout=10) as response:
            answer = response.read().decode()
        if answer != "Comment has been activated":
            raise RuntimeError(f"Isso did not activate comment {cid}: {answer}")


def converse(base: str) -> None:
    """Everything the readers and the moderator do, in the order they do it."""
    anna = Reader(base, "192.0.2.17")
    jurgen = Reader(base, "198.51.100.4")
    soren = Reader(base, "2001:db8:85a3::8a2e:370:7334")
    li = Reader(base, "203.0.113.9")
    tom = Reader(base, "192.0.2.200")  # Anna's /24: Isso stores the same anonymised address
    zoe = Reader(base, "198.18.0.1")
    emile = Reader(base, "198.19.7.7")

    title_1, title_2 = "Erster Beitrag: Grüße aus Köln", "Second post & <more>"
    hello = anna.post(FIRST, title_1, "Hello **Isso**! Some `code` and a "
                      "[link](https://example.org/page).", "Anna Müller", "anna@example.org",
                      "https://anna.example")
    reply = jurgen.post(FIRST, title_1, "A *reply* with <script>alert(1)</script> and "
                        "<b>tags</b> & ampersands.", "Jürgen Groß", "jg@example.de",
                        parent=hello)
    soren.post(FIRST, title_1, "A reply to the reply.\n\n> quoted\n\n- one\n- two",
               "Søren Ærø", parent=reply)  # Isso files it under the top-level comment
    edited = li.post(FIRST, title_1, "First draft, to be edited.", "李雷")
    doomed = tom.post(FIRST, title_1, "I will delete this, but a reply keeps its place.",
                      "Tom & Jerry", "tom@example.com")
    zoe.post(FIRST, title_1, "Replying to a comment that will be deleted.", "Zoë & Co",
             parent=doomed)
    gone = li.post(FIRST, title_1, "Posted by mistake; deleted at once.", "李雷")
    second = emile.post(SECOND, title_2, "On the second page:\n\n```\ncode block\n```",
                        "<b>Émile</b>")
    waiting = anna.post(SECOND, title_2, "This reply stays in moderation.", "Anna Müller",
                        "anna@example.org", parent=second)
    soren.post(SECOND, title_2, "No name given here.")

    moderator = Moderator(base)
    for cid, key in sorted(moderator.pending().items()):
        if cid != waiting:
            moderator.activate(cid, key)

    voters = [Reader(base, f"100.64.{n}.1") for n in range(4)]
    for voter in voters[:3]:
        voter.call("POST", f"/id/{hello}/like")
    voters[3].call("POST", f"/id/{hello}/dislike")
    voters[0].call("POST", f"/id/{second}/like")
    voters[1].call("POST", f"/id/{second}/like")
    voters[2].call("POST", f"/id/{reply}/dislike")

    li.call("PUT", f"/id/{edited}", {"text": "Edited: now with *emphasis* and a list:\n\n"
                                             "1. first\n2. second", "author": "李雷"})
    tom.call("DELETE", f"/id/{doomed}")
    li.call("DELETE", f"/id/{gone}")


def main() -> int:
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).with_name("isso-0.14.db")
    venv = ensure_isso(ROOT / "bench" / ".isso-venv")
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        port = free_port()
        config = folder / "isso.cfg"
        config.write_text(
            "[general]\n"
            f"dbpath = {folder / 'comments.db'}\n"
            f"host = {SITE}\n"
            "max-age = 1h\n"
            "gravatar = false\n"
            "[moderation]\n"
            "enabled = true\n"
            "[admin]\n"
            "enabled = true\n"
            f"password = {PASSWORD}\n"
            "[server]\n"
            f"listen = http://127.0.0.1:{port}\n"
            "trusted-proxies = 127.0.0.1\n"
            "[guard]\n"
            "enabled = false\n")
        command = [str(venv / "bin" / "isso"), "-c", str(config), "run"]
        with serving("isso", command, folder, f"http://127.0.0.1:{port}/info") as base:
            converse(base)
        out.unlink(missing_ok=True)
        source, target = sqlite3.connect(folder / "comments.db"), sqlite3.connect(out)
        source.backup(target)  # one file, without Isso's journal beside it
        source.close()
        target.execute("VACUUM")
        target.close()
    print(f"wrote {out} with Isso {ISSO_VERSION}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
