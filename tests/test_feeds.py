"""Atom feeds of a thread's and a site's published comments, as feed readers get them.

Each feed is read twice over: by ``feedparser``, a real feed reader's library, and against
the RELAX NG schema of RFC 4287 (Appendix B; ``data/atom.rnc``, converted to
``data/atom.rng`` with ``rnc2rng data/atom.rnc``, less the empty ``xmlns:local`` declaration
libxml2 refuses). The schema's Schematron rules, which RELAX NG validators skip, are checked
here by hand.
"""

from __future__ import annotations

import calendar
import unicodedata
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlencode

import feedparser
import pytest
from lxml import etree
from support import SITE, Api, QueryCounter

from kommentar import create_app, moderation
from kommentar.feeds import atom, entries

SCHEMA = etree.RelaxNG(etree.parse(str(Path(__file__).with_name("data") / "atom.rng")))
NS = {"atom": atom.ATOM, "thr": atom.THREAD}
POST = f"{SITE}/post"
OTHER = "https://other.example"


def thread_feed(api: Api, url: str = POST, **params):
    return api.client.get("/feeds/thread.atom", query_string={"url": url, **params})


def site_feed(api: Api, site: str = SITE):
    return api.client.get("/feeds/recent.atom", query_string={"site": site})


def read(response) -> feedparser.FeedParserDict:
    """The feed as a feed reader reads it, after checking it is valid Atom."""
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.headers["Content-Type"] == "application/atom+xml; charset=utf-8"
    valid(response.data)
    parsed = feedparser.parse(response.data)
    assert not parsed.bozo, parsed.get("bozo_exception")
    return parsed


def valid(body: bytes) -> None:
    """Assert ``body`` is an Atom feed document as RFC 4287 defines one."""
    document = etree.fromstring(body)
    assert SCHEMA.validate(document), SCHEMA.error_log
    for entry in document.iterfind("atom:entry", NS):  # Appendix B's Schematron rules
        assert entry.find("atom:author", NS) is not None or \
            document.find("atom:author", NS) is not None
        assert entry.find("atom:link[@rel='alternate']", NS) is not None


def ok(response) -> None:
    assert response.status_code < 300, response.json


def when(parsed_time) -> str:
    return datetime.fromtimestamp(calendar.timegm(parsed_time), UTC).strftime(
        "%Y-%m-%dT%H:%M:%SZ")


def test_a_thread_feed_gives_each_comment_with_its_author_time_link_and_parent(api):
    first = api.comment("The **first** comment.", name="Ada", title="A post")
    reply = api.comment("A reply.", name="Bo", parent=first["id"])
    api.register()
    own = api.comment("From an account.")

    feed = read(thread_feed(api))

    assert feed.feed.title == "A post"
    assert feed.feed.id.startswith("urn:uuid:")
    links = {link.rel: link.href for link in feed.feed.links}
    assert links["alternate"] == POST
    assert links["self"] == f"http://localhost/feeds/thread.atom?{urlencode({'url': POST})}"
    assert feed.feed.updated == own["created"]
    assert [entry.author for entry in feed.entries] == ["alice", "Bo", "Ada"]  # newest first
    newest, middle, oldest = feed.entries
    assert oldest.link == f"{POST}#kommentar-{first['id']}"
    assert oldest.title == "The first comment."
    assert oldest.content[0].type == "text/html"
    assert oldest.content[0].value == first["html"]
    assert when(oldest.published_parsed) == first["created"]
    assert when(oldest.updated_parsed) == first["created"]
    assert middle["thr_in-reply-to"]["ref"] == oldest.id
    assert middle["thr_in-reply-to"]["href"] == f"{POST}#kommentar-{first['id']}"
    assert "thr_in-reply-to" not in oldest and "thr_in-reply-to" not in newest
    assert len({entry.id for entry in feed.entries}) == 3
    assert reply["id"] == int(middle.link.rsplit("-", 1)[1])


def test_an_entry_keeps_its_id_in_both_feeds_and_after_an_edit(api):
    posted = api.comment("Before the edit.")
    before = read(thread_feed(api)).entries[0]
    response = api.patch(f"/api/comments/{posted['id']}", {"text": "After the edit."},
                         token=posted["edit_token"])
    assert response.status_code == 200, response.json
    after = read(thread_feed(api)).entries[0]
    across = read(site_feed(api)).entries[0]
    assert before.id == after.id == across.id
    assert after.title == "After the edit."
    assert when(after.updated_parsed) == response.json["edited"]
    assert when(after.published_parsed) == posted["created"]


def test_a_thread_with_an_explicit_id_is_found_by_it(api):
    api.comment("On the first address.", url=f"{SITE}/a", id="story-7")
    feed = read(thread_feed(api, f"{SITE}/b", id="story-7"))
    assert [entry.title for entry in feed.entries] == ["On the first address."]
    assert feed.entries[0].link.startswith(f"{SITE}/a#kommentar-")
    assert {link.rel: link.href for link in feed.feed.links}["self"].endswith("&id=story-7")


def test_a_page_nobody_commented_on_has_an_empty_valid_feed(api):
    feed = read(thread_feed(api, f"{SITE}/quiet"))
    assert feed.entries == [] and feed.feed.title == f"{SITE}/quiet"


HOSTILE = [
    "<script>alert(1)</script>",
    "]]> <![CDATA[ x ]]>",
    "controls \x01\x08\x0b\x0c\x1f\x7f\x85 end",
    "right\u200fto\u202eleft \u05e9\u05dc\u05d5\u05dd",
    "&amp; &lt; &#0; &#x1; \\u0000",
    "\ufffe\uffff beyond",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_feeds_stay_valid_whatever_readers_write(api, text):
    # Names may not hold control or format characters at all: the rest of the text, then.
    name = "".join(ch for ch in f"N {text}" if unicodedata.category(ch)[0] != "C")[:60]
    api.comment(f"Text: {text}", name=name, title=f"Title {text}")
    api.comment(f"A reply: {text}", name="<b>]]></b>", parent=api.thread()["comments"][0]["id"])
    for response in (thread_feed(api), site_feed(api)):
        feed = read(response)
        assert len(feed.entries) == 2
        assert all(entry.content[0].value for entry in feed.entries)
    raw = thread_feed(api).data
    assert b"<script" not in raw and b"\x01" not in raw


def test_a_repeated_request_is_answered_304_until_something_changes(api):
    posted = api.comment("One.")
    for fetch in (thread_feed, site_feed):
        first = fetch(api)
        tag = first.headers["ETag"]
        assert first.headers["Cache-Control"] == "public, max-age=10, stale-while-revalidate=60"
        again = api.client.get(first.request.full_path, headers={"If-None-Match": tag})
        assert again.status_code == 304 and again.data == b""
    tags = {fetch: fetch(api).headers["ETag"] for fetch in (thread_feed, site_feed)}
    changes = [
        lambda: api.comment("Two."),
        lambda: ok(api.patch(f"/api/comments/{posted['id']}", {"text": "One, edited."},
                             token=posted["edit_token"])),
        lambda: ok(api.delete(f"/api/comments/{posted['id']}", token=posted["edit_token"])),
    ]
    for change in changes:
        change()
        for fetch in (thread_feed, site_feed):
            response = api.client.get(fetch(api).request.full_path,
                                      headers={"If-None-Match": tags[fetch]})
            assert response.status_code == 200, "the feed did not change"
            tags[fetch] = response.headers["ETag"]


def test_the_site_feed_changes_with_an_older_comment_on_another_thread(api):
    older = api.comment("Older, on one page.", url=f"{SITE}/a")
    api.comment("Newer, on another.", url=f"{SITE}/b")
    tag = site_feed(api).headers["ETag"]
    for change, titles in [
        (lambda: api.patch(f"/api/comments/{older['id']}", {"text": "Older, edited."},
                           token=older["edit_token"]), ["Newer, on another.", "Older, edited."]),
        (lambda: api.delete(f"/api/comments/{older['id']}", token=older["edit_token"]),
         ["Newer, on another."]),
    ]:
        ok(change())
        response = api.client.get("/feeds/recent.atom", query_string={"site": SITE},
                                  headers={"If-None-Match": tag})
        assert [entry.title for entry in read(response).entries] == titles
        tag = response.headers["ETag"]


def test_deleted_and_held_comments_are_never_in_a_feed(settings):
    settings["moderation"] = "all"
    api = Api(create_app(settings).test_client())
    shown = api.comment("Approved.")
    gone = api.comment("Approved, then deleted.")
    api.comment("Still waiting.")
    moderation.act(None, "approve", [shown["id"], gone["id"]])
    moderation.act(None, "delete", [gone["id"]])
    for response in (thread_feed(api), site_feed(api)):
        assert [entry.title for entry in read(response).entries] == ["Approved."]


def test_the_site_feed_holds_its_own_sites_latest_fifty(settings):
    settings["origins"] = f"{SITE},{OTHER}"
    api = Api(create_app(settings).test_client())
    elsewhere = api.comment("On the other site.", url=f"{OTHER}/page")
    posted = [api.comment(f"Comment number {n}.", url=f"{SITE}/page/{n % 3}")["id"]
              for n in range(entries.SITE_LIMIT + 2)]
    feed = read(site_feed(api))
    assert [int(entry.link.rsplit("-", 1)[1]) for entry in feed.entries] == \
        posted[::-1][:entries.SITE_LIMIT]
    assert {link.rel: link.href for link in feed.feed.links}["alternate"] == f"{SITE}/"
    other = read(site_feed(api, f"{OTHER}/"))
    assert [entry.title for entry in other.entries] == ["On the other site."]
    assert other.entries[0].link == f"{OTHER}/page#kommentar-{elsewhere['id']}"


def test_a_thread_feed_holds_the_latest_hundred(api):
    posted = [api.comment(f"Comment number {n}.")["id"] for n in range(entries.THREAD_LIMIT + 1)]
    feed = read(thread_feed(api))
    assert [int(entry.link.rsplit("-", 1)[1]) for entry in feed.entries] == \
        posted[::-1][:entries.THREAD_LIMIT]


def test_a_feed_costs_two_queries_and_one_when_cached(api):
    api.comment("One.")
    api.comment("Two.", url=f"{SITE}/else")
    for fetch in (thread_feed, site_feed):
        with QueryCounter() as building:
            assert fetch(api).status_code == 200
        with QueryCounter() as cached:
            assert fetch(api).status_code == 200
        assert (len(building.statements), len(cached.statements)) == (2, 1), \
            (building.statements, cached.statements)


@pytest.mark.parametrize(("path", "query", "status", "code"), [
    ("thread", {}, 400, "invalid_url"),
    ("thread", {"url": "not a url"}, 400, "invalid_url"),
    ("thread", {"url": f"{OTHER}/post"}, 403, "origin_not_allowed"),
    ("thread", {"url": [POST, POST]}, 400, "invalid_url"),
    ("thread", {"url": POST, "id": ""}, 400, "invalid_thread_id"),
    ("recent", {}, 400, "invalid_site"),
    ("recent", {"site": "blog"}, 400, "invalid_site"),
    ("recent", {"site": f"{SITE}/path"}, 400, "invalid_site"),
    ("recent", {"site": OTHER}, 404, "unknown_site"),
    ("recent", {"site": [SITE, SITE]}, 400, "invalid_site"),
])
def test_a_feed_of_nothing_is_a_json_error(api, path, query, status, code):
    response = api.client.get(f"/feeds/{path}.atom", query_string=query)
    assert response.status_code == status
    assert response.json["error"]["code"] == code
