"""Previewing a comment: the very HTML a post of the same text stores, the same text rules
and errors, per site; nothing stored, nothing kept by caches, no database asked, and
limited per account or client."""

from __future__ import annotations

import pytest
from support import SITE, Api, QueryCounter

from kommentar import create_app

POST = f"{SITE}/post"
NEWS = "http://127.0.0.1:8001"  # a second site, with shorter comments

TEXTS = [
    "Plain words.",
    "*emphasis*, **strong**, ~~struck~~ and `code`",
    "# A heading\n\nand a paragraph\nwith a break",
    "> quoted\n\n- one\n- two\n\n3. three",
    "<script>alert(1)</script> <b>bold?</b>",
    "[a link](https://example.org) and [not one](javascript:alert(1))",
    "![an image](https://example.org/x.png) www.example.org config.py a@example.org",
    "```\nfenced <code>\n```",
    "  surrounding space and CRLF\r\nlines  ",
]


@pytest.fixture
def settings(settings):
    return {**settings, "origins": f"{SITE},{NEWS}", "sites": {NEWS: {"max_length": 20}}}


def preview(api: Api, body, origin: str | None = SITE, **headers):
    api_headers = api.headers(**headers)
    if origin is None:
        del api_headers["Origin"]
    else:
        api_headers["Origin"] = origin
    return api.client.post("/api/preview", json=body, headers=api_headers)


@pytest.mark.parametrize("text", TEXTS)
def test_preview_is_the_html_a_post_of_the_text_stores(api, text):
    response = preview(api, {"text": text})
    assert response.status_code == 200, response.json
    assert response.json == {"html": api.comment(text)["html"]}


def test_a_preview_stores_nothing_and_asks_no_database(api):
    from kommentar.models import Comment, Thread

    api.register()  # the session token only chooses whom the limit counts against
    with QueryCounter() as counter:
        for origin in (SITE, NEWS, None):
            assert preview(api, {"text": "Draft", "url": POST}, origin).status_code == 200
            assert preview(api, {"text": "Draft"}, origin).status_code == 200
    assert counter.statements == []
    assert Comment.select().count() == 0 and Thread.select().count() == 0


def test_a_preview_is_never_kept_and_is_readable_by_the_site(api):
    response = preview(api, {"text": "Draft"})
    assert "no-store" in response.headers["Cache-Control"]
    assert response.headers["Access-Control-Allow-Origin"] == SITE
    assert "Origin" in response.headers["Vary"]


@pytest.mark.parametrize("body, status, code", [
    ({}, 400, "text_empty"),
    ({"text": None}, 400, "text_empty"),
    ({"text": 5}, 400, "text_empty"),
    ({"text": " \r\n\t "}, 400, "text_empty"),
    ({"text": "a\x00b"}, 400, "invalid_input"),
    ({"text": "x" * 10_001}, 400, "text_too_long"),
    ({"text": "x", "url": "not a page"}, 400, "invalid_url"),
    ({"text": "x", "url": 5}, 400, "invalid_url"),
    ({"text": "x", "url": "https://elsewhere.example/post"}, 403, "origin_not_allowed"),
    ([], 400, "invalid_json"),
])
def test_bad_preview_is_refused_as_a_post_would_be(api, body, status, code):
    response = preview(api, body)
    assert (response.status_code, response.json["error"]["code"]) == (status, code)


def test_a_preview_without_json_is_a_415(api):
    response = api.client.post("/api/preview", data="text=x", headers=api.headers())
    assert response.status_code == 415


def test_the_longest_comment_previews(api):
    assert preview(api, {"text": "x" * 10_000}).status_code == 200


@pytest.mark.parametrize("body, origin, status", [
    ({"text": "x" * 21, "url": f"{NEWS}/article"}, SITE, 400),  # the page's site decides
    ({"text": "x" * 21, "url": POST}, NEWS, 200),
    ({"text": "x" * 21}, NEWS, 400),  # else the calling site
    ({"text": "x" * 21}, SITE, 200),
    ({"text": "x" * 21}, None, 200),  # else the server's own rules
    ({"text": "x" * 20}, NEWS, 200),
    ({"text": "x" * 21, "url": None}, NEWS, 400),  # null is no page
])
def test_each_site_previews_with_its_own_length(api, body, origin, status):
    response = preview(api, body, origin)
    assert response.status_code == status, response.json
    if status == 400:
        assert response.json["error"]["code"] == "text_too_long"
        assert api.post("/api/comments", {"url": f"{NEWS}/article", "text": body["text"],
                                          "name": "Reader"}).json["error"]["code"] \
            == "text_too_long"


# --- the rate limit --------------------------------------------------------------------------

@pytest.fixture
def limited(settings):
    from kommentar.db import disconnect

    yield Api(create_app({**settings, "ratelimit": True, "limit_preview": "2/minute"})
              .test_client())
    disconnect()


def test_previews_past_the_allowance_are_refused(limited):
    assert [preview(limited, {"text": f"Draft {i}"}).status_code for i in range(2)] \
        == [200, 200]
    response = preview(limited, {"text": "One more"})
    assert response.status_code == 429 and response.json["error"]["code"] == "rate_limited"
    assert response.headers["Retry-After"].isdigit()


def test_each_account_previews_on_its_own_allowance(limited):
    alice = Api(limited.client)
    alice.register("alice")
    for previewer in (alice, limited):  # signed in, then anonymous from the same address
        assert [preview(previewer, {"text": "Draft"}).status_code for _ in range(2)] \
            == [200, 200]
    assert preview(alice, {"text": "Draft"}).status_code == 429
    assert preview(limited, {"text": "Draft"}).status_code == 429
    forged = preview(limited, {"text": "Draft"}, Authorization="Bearer s.forged")
    assert forged.status_code == 429  # a token that is not a session counts as the address
