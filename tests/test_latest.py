"""A thread's latest comments, which the widget polls while a reader keeps the thread open:
their order and flat shape, what is left out, the 50 cap, revalidation after every kind of
write, and the cost in queries."""

from __future__ import annotations

import pytest
from support import SITE, Api, QueryCounter

from kommentar import create_app, latest, moderation
from kommentar.models import Comment

POST = f"{SITE}/post"


def latest_of(api: Api, url: str = POST, **params) -> dict:
    response = api.get("/api/threads/latest", url=url, **params)
    assert response.status_code == 200, response.json
    return response.json


def ids(document: dict) -> list[int]:
    return [comment["id"] for comment in document["comments"]]


def test_a_page_nobody_commented_on_is_an_empty_open_thread(api):
    assert latest_of(api, f"{SITE}/nobody-here") == {
        "thread": {"url": f"{SITE}/nobody-here", "title": "", "count": 0, "locked": False},
        "comments": []}


def test_the_header_is_the_threads_and_the_comments_come_newest_first(api):
    first = api.comment("First", title="A post")
    reply = api.comment("A reply", parent=first["id"])
    second = api.comment("Second")
    document = latest_of(api)
    assert document["thread"] == api.thread()["thread"] == {
        "url": POST, "title": "A post", "count": 3, "locked": False}
    assert ids(document) == [second["id"], reply["id"], first["id"]]


def test_comments_are_flat_with_their_parent_and_shaped_as_in_the_thread(api):
    top = api.comment("Top")
    reply = api.comment("Reply", parent=top["id"], name="Ada")
    deeper = api.comment("Deeper", parent=reply["id"])
    api.post(f"/api/comments/{top['id']}/vote", {"value": 1})
    flat = {comment["id"]: comment for comment in latest_of(api)["comments"]}
    assert {cid: comment["parent"] for cid, comment in flat.items()} == {
        top["id"]: None, reply["id"]: top["id"], deeper["id"]: reply["id"]}
    assert all(comment["replies"] == [] for comment in flat.values())
    [tree] = api.thread()["comments"]
    assert flat[top["id"]] == {**tree, "replies": []}
    assert flat[top["id"]]["up"] == 1
    assert flat[reply["id"]] == {**tree["replies"][0], "replies": []}
    assert flat[reply["id"]]["author"] == {"name": "Ada", "id": None}


def test_an_accounts_comment_carries_its_name_and_id(api):
    user = api.register("bea")
    api.comment("Signed in")
    [comment] = latest_of(api)["comments"]
    assert comment["author"] == {"name": "bea", "id": user["id"]}


def test_ties_in_time_go_by_id_and_time_comes_before_id(api):
    """Newest by (created, id): an imported comment keeps its old time under a new id."""
    old, middle, new = (api.comment(text)["id"] for text in ("old", "middle", "new"))
    Comment.update(created=Comment.created.python_value("2020-01-01 00:00:00")) \
        .where(Comment.id == new).execute()
    moment = Comment.get_by_id(middle).created
    Comment.update(created=moment).where(Comment.id == old).execute()
    moderation.act(None, "pin", [old])  # raises the version: the document is built again
    assert ids(latest_of(api)) == [middle, old, new]


def test_only_the_latest_fifty_are_given(api):
    posted = [api.comment(f"Comment {n}.")["id"] for n in range(latest.LIMIT + 3)]
    assert ids(latest_of(api)) == posted[::-1][:latest.LIMIT] and latest.LIMIT == 50


def test_held_deleted_and_spam_comments_are_left_out(settings):
    settings["moderation"] = "all"
    api = Api(create_app(settings).test_client())
    shown, gone, caught, waiting = (api.comment(text) for text in
                                    ("Shown.", "Deleted.", "Spam.", "Waiting."))
    moderation.act(None, "approve", [shown["id"], gone["id"], caught["id"]])
    reply = api.comment("A reply under the deleted one.", parent=gone["id"])
    moderation.act(None, "approve", [reply["id"]])
    moderation.act(None, "delete", [gone["id"]])
    moderation.act(None, "spam", [caught["id"]])
    document = latest_of(api)
    assert ids(document) == [reply["id"], shown["id"]]  # no placeholder: nothing is nested
    assert document["thread"]["count"] == 2
    assert waiting["id"] not in ids(document)


@pytest.mark.parametrize("write", ["post", "edit", "delete", "approve", "vote"])
def test_the_tag_changes_with_every_write_and_the_old_one_then_gets_the_new_document(
        settings, write):
    settings["moderation"] = "all" if write == "approve" else "none"
    api = Api(create_app(settings).test_client())
    comment = api.comment("First.")
    before = api.get("/api/threads/latest", url=POST)
    tag = before.headers["ETag"]
    if write == "post":
        api.comment("Second.")
    elif write == "edit":
        assert api.patch(f"/api/comments/{comment['id']}", {"text": "First, edited."},
                         token=comment["edit_token"]).status_code == 200
    elif write == "delete":
        assert api.delete(f"/api/comments/{comment['id']}",
                          token=comment["edit_token"]).status_code == 204
    elif write == "approve":
        moderation.act(None, "approve", [comment["id"]])
    else:
        assert api.post(f"/api/comments/{comment['id']}/vote", {"value": 1}).status_code == 200
    after = api.client.get("/api/threads/latest", query_string={"url": POST},
                           headers=api.headers(**{"If-None-Match": tag}))
    assert after.status_code == 200 and after.headers["ETag"] != tag
    assert after.json != before.json
    again = api.client.get("/api/threads/latest", query_string={"url": POST},
                           headers=api.headers(**{"If-None-Match": after.headers["ETag"]}))
    assert again.status_code == 304 and again.data == b""


def test_an_unchanged_thread_is_a_304_to_its_tag_with_the_threads_caching(api):
    api.comment("First.")
    first = api.get("/api/threads/latest", url=POST)
    tag = first.headers["ETag"]
    assert first.headers["Cache-Control"] == "public, max-age=10, stale-while-revalidate=60"
    assert first.headers["ETag"] != api.get("/api/threads", url=POST).headers["ETag"]
    for tags in (tag, f"W/{tag}", f'"other", {tag}'):
        again = api.client.get("/api/threads/latest", query_string={"url": POST},
                               headers=api.headers(**{"If-None-Match": tags}))
        assert again.status_code == 304 and again.data == b"", tags
        assert again.headers["ETag"] == tag
        assert again.headers["Cache-Control"] == first.headers["Cache-Control"]
        assert again.headers["Access-Control-Allow-Origin"] == SITE  # a widget reads the 304
        assert "ETag" in again.headers["Access-Control-Expose-Headers"]


def test_the_gzipped_document_has_its_own_tag_and_is_revalidated_by_it(api):
    for n in range(10):
        api.comment(f"Comment number {n}, long enough to be worth compressing. " * 3)
    packed = api.client.get("/api/threads/latest", query_string={"url": POST},
                            headers={"Accept-Encoding": "gzip"})
    assert packed.headers["Content-Encoding"] == "gzip"
    assert packed.headers["ETag"].endswith('.gz"')
    again = api.client.get("/api/threads/latest", query_string={"url": POST}, headers={
        "Accept-Encoding": "gzip", "If-None-Match": packed.headers["ETag"]})
    assert again.status_code == 304


def test_a_thread_named_by_id_is_found_by_it(api):
    mine = api.comment("By id", url=f"{SITE}/a", id="article-7")
    document = latest_of(api, f"{SITE}/b", id="article-7")
    assert ids(document) == [mine["id"]] and document["thread"]["url"] == f"{SITE}/a"
    assert latest_of(api, f"{SITE}/a")["comments"] == []


def test_a_cached_poll_costs_one_query_and_a_rebuild_the_same_at_any_size(api):
    def queries(url: str, comments: int) -> tuple[int, int]:
        posted: list[int] = []
        for n in range(comments):
            parent = posted[n // 2] if n % 3 == 2 else None
            posted.append(api.comment(f"c{n}", url=url,
                                      **({"parent": parent} if parent else {}))["id"])
        with QueryCounter() as building:
            latest_of(api, url)
        with QueryCounter() as cached:
            latest_of(api, url)
        return len(building.statements), len(cached.statements)

    assert queries(f"{SITE}/small", 3) == queries(f"{SITE}/large", 60) == (2, 1)


def test_the_latest_and_the_pages_of_a_thread_are_cached_apart(api):
    posted = [api.comment(f"Comment {n}.")["id"] for n in range(3)]
    assert [comment["id"] for comment in api.thread(limit=1)["comments"]] == posted[:1]
    assert ids(latest_of(api)) == posted[::-1]
    assert [comment["id"] for comment in api.thread(limit=1)["comments"]] == posted[:1]
    # A page asked for in a "latest" order is refused, never served the cached document.
    response = api.get("/api/threads", url=POST, sort="latest", limit=str(latest.LIMIT))
    assert response.status_code == 400 and response.json["error"]["code"] == "invalid_sort"


@pytest.mark.parametrize("query, status, code", [
    ({}, 400, "invalid_url"),
    ({"url": "not a page"}, 400, "invalid_url"),
    ({"url": "javascript:alert(1)"}, 400, "invalid_url"),
    ({"url": [POST, f"{POST}/"]}, 400, "invalid_url"),
    ({"url": POST, "id": ""}, 400, "invalid_thread_id"),
    ({"url": POST, "id": "x" * 201}, 400, "invalid_thread_id"),
    ({"url": POST, "id": ["a", "b"]}, 400, "invalid_thread_id"),
    ({"url": "https://elsewhere.example/post"}, 403, "origin_not_allowed"),
])
def test_bad_queries_get_the_same_json_errors_as_the_thread(api, query, status, code):
    for path in ("/api/threads/latest", "/api/threads"):
        response = api.client.get(path, query_string=query, headers=api.headers())
        assert response.status_code == status, path
        assert response.json["error"]["code"] == code, path
