"""Injection through the API: every payload of the XSS corpus (tests/xss/payloads.py) sent as
comment body, anonymous author name, page title and page URL. What comes back is either
HTML within the comment allow-list or plain text equal to what was stored; nothing is a 500.
"""

from __future__ import annotations

import re
import unicodedata
from html.parser import HTMLParser

import pytest
from support import SITE

from xss.payloads import PAYLOADS

ALLOWED_TAGS = {"p", "br", "em", "strong", "del", "code", "pre", "blockquote", "ul", "ol",
                "li", "a"}
ALLOWED_ATTRIBUTES = {"a": {"href", "rel"}, "ol": {"start"}}
ALLOWED_SCHEMES = {"http", "https", "mailto"}
SCHEME = re.compile(r"([a-z][a-z0-9+.\-]*):")


@pytest.fixture
def settings(settings):
    """Every payload published: no link limit, no duplicate window."""
    return {**settings, "spam_max_links": 1000, "spam_duplicate_window": 0}


def link_scheme(href: str) -> str | None:
    """The scheme a browser would see: entities are decoded by the parser already; it
    ignores whitespace and control characters inside a scheme, and its case."""
    bare = "".join(ch for ch in href if not (ch.isspace() or unicodedata.category(ch)[0] == "C"))
    match = SCHEME.match(bare.lower())
    return match.group(1) if match else None


class _Inspector(HTMLParser):
    """Collects everything in a comment's HTML that the allow-list does not permit."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag not in ALLOWED_TAGS:
            self.problems.append(f"element <{tag}>")
        for name, value in attrs:
            if name not in ALLOWED_ATTRIBUTES.get(tag, set()):
                self.problems.append(f"attribute {name}={value!r} on <{tag}>")
            if name == "href" and link_scheme(value or "") not in ALLOWED_SCHEMES:
                self.problems.append(f"link to {value!r}")

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)

    def handle_comment(self, data):
        self.problems.append(f"comment <!--{data}-->")

    def handle_decl(self, decl):
        self.problems.append(f"declaration <!{decl}>")

    def handle_pi(self, data):
        self.problems.append(f"processing instruction <?{data}>")

    def unknown_decl(self, data):
        self.problems.append(f"declaration <![{data}]>")


def html_problems(html: str) -> list[str]:
    """What in ``html`` falls outside the comment allow-list (empty when it is safe)."""
    inspector = _Inspector()
    inspector.feed(html)
    inspector.close()
    return inspector.problems


def every_comment(api, url: str) -> list[dict]:
    """All top-level comments of a thread, in posting order."""
    return api.thread(url=url, limit="1000")["comments"]


@pytest.mark.parametrize(
    "html",
    ['<p><img src="x" onerror="alert(1)"></p>', '<a href="javascript:alert(1)">x</a>',
     '<a href=" jav&#x09;ascript:alert(1)">x</a>', '<p title="x">x</p>', "<svg></svg>",
     '<a href="/relative">x</a>', "<!-- hidden -->"])
def test_the_inspector_catches_what_it_looks_for(html):
    assert html_problems(html)


def test_the_inspector_passes_comment_html():
    html = ('<p>see <a href="https://example.com" rel="nofollow ugc">x</a> and '
            '<a href="mailto:a@example.com">a</a></p><ol start="3"><li><code>x</code></li></ol>')
    assert html_problems(html) == []


def test_payload_bodies_render_only_allowed_html(api):
    url = f"{SITE}/bodies"
    answers = {}
    for payload in PAYLOADS:
        response = api.post("/api/comments", {"url": url, "text": payload, "name": "Reader"})
        assert response.status_code == 201, (payload, response.status_code, response.json)
        answers[payload] = response.json
    problems = {payload: html_problems(answer["html"]) for payload, answer in answers.items()}
    shown = every_comment(api, url)
    assert len(shown) == len(PAYLOADS)
    for payload, comment in zip(PAYLOADS, shown, strict=True):
        assert comment["id"] == answers[payload]["id"]
        problems[payload] += html_problems(comment["html"])
    assert {payload: found for payload, found in problems.items() if found} == {}


def expected_name(payload: str) -> str | None:
    """The name as the server stores it, or None where it must refuse the name."""
    name = " ".join(unicodedata.normalize("NFC", payload).split())
    if len(name) > 60 or any(unicodedata.category(ch)[0] == "C" for ch in name):
        return None
    return name


def test_payload_names_come_back_as_the_same_plain_text(api):
    url = f"{SITE}/names"
    kept = []
    for number, payload in enumerate(PAYLOADS):
        response = api.post("/api/comments", {"url": url, "text": f"Comment {number}.",
                                              "name": payload})
        name = expected_name(payload)
        if name is None:
            assert response.status_code == 400, (payload, response.json)
            assert response.json["error"]["code"] == "invalid_name"
            continue
        assert response.status_code == 201, (payload, response.status_code, response.json)
        assert response.json["author"]["name"] == name
        kept.append(name)
    assert len(kept) > 50  # the corpus has plenty of short payloads
    shown = every_comment(api, url)
    assert [comment["author"]["name"] for comment in shown] == kept
    assert [html_problems(comment["html"]) for comment in shown] == [[]] * len(kept)


def expected_title(payload: str) -> str:
    """The title as the server stores it: spaces collapsed, control characters dropped."""
    title = " ".join(payload.split())
    return "".join(ch for ch in title if unicodedata.category(ch)[0] != "C")[:300]


def test_payload_titles_come_back_as_the_same_plain_text(api):
    for number, payload in enumerate(PAYLOADS):
        url = f"{SITE}/titles/{number}"
        response = api.post("/api/comments", {"url": url, "text": "Hello.", "name": "Reader",
                                              "title": payload})
        assert response.status_code == 201, (payload, response.status_code, response.json)
        thread = api.thread(url=url)["thread"]
        assert thread["title"] == expected_title(payload), payload


# A quote stays as typed in a URL's path (the URL standard leaves it be); what could end
# an attribute or open a tag must be percent-encoded.
HARMLESS_URL = re.compile(r'https?://[^\s<>"\\]+')


def test_payload_page_urls_are_refused(api):
    for payload in PAYLOADS:
        posted = api.post("/api/comments", {"url": payload, "text": "Hello.", "name": "Reader"})
        assert posted.status_code in (400, 403), (payload, posted.status_code, posted.json)
        fetched = api.get("/api/threads", url=payload)
        assert fetched.status_code in (400, 403), (payload, fetched.status_code, fetched.json)


def test_payloads_in_a_page_url_are_refused_or_made_harmless(api):
    for payload in PAYLOADS:
        for url in (f"{SITE}/{payload}", f"{SITE}/post?q={payload}", f"{SITE}/post#{payload}"):
            posted = api.post("/api/comments", {"url": url, "text": f"On {url}",
                                                "name": "Reader"})
            assert posted.status_code in (201, 400), (url, posted.status_code, posted.json)
            fetched = api.get("/api/threads", url=url)
            assert fetched.status_code in (200, 400), (url, fetched.status_code, fetched.json)
            if fetched.status_code == 200:
                stored = fetched.json["thread"]["url"]
                assert stored.startswith(f"{SITE}/"), (url, stored)
                assert HARMLESS_URL.fullmatch(stored), (url, stored)
