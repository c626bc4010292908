"""Finding a comment's place for its permalink: the answered cursor is exactly the ``next``
of the page before the one holding the comment's top-level ancestor, in every order and
page size, across pinned comments, tied scores and placeholders of deleted or held ones;
the ancestors lead down to it; deleted, held and unknown comments are clear errors."""

from __future__ import annotations

import random

import pytest
from support import SITE, Api, QueryCounter

POST = f"{SITE}/post"
MAX_ID = 2**53 - 1


def place(api: Api, comment_id, **params):
    return api.get(f"/api/comments/{comment_id}/place", **params)


def seed(api: Api) -> dict:
    """A thread of 30 top-level comments and their reply chains: some pinned, scores with
    ties, top-level comments deleted or held with and without replies under them."""
    from kommentar.models import PENDING, Comment

    rng = random.Random(13)
    made = {}
    tops = [api.comment(f"Top {n}") for n in range(30)]
    for top in tops:
        made[top["id"]] = top
        chain = top
        for depth in range(rng.choice((0, 0, 1, 3))):
            chain = api.comment(f"Reply {depth}", parent=chain["id"])
            made[chain["id"]] = chain
            if rng.random() < 0.3:
                sibling = api.comment("Beside", parent=chain["parent"])
                made[sibling["id"]] = sibling
    ids = [top["id"] for top in tops]
    for n, top in enumerate(ids):  # scores straight in: ties, and the best order unlike ids
        Comment.update(score=[0.0, 0.25, 0.5, 0.125][n % 4] if n % 3 else rng.random()) \
            .where(Comment.id == top).execute()
    Comment.update(pinned=True).where(Comment.id.in_([ids[4], ids[17], ids[26]])).execute()
    gone = [made[i] for i in (ids[2], ids[9], ids[20], ids[21])]  # under replies or not
    for comment in gone[:2]:
        assert api.delete(f"/api/comments/{comment['id']}",
                          token=comment["edit_token"]).status_code == 204
    Comment.update(status=PENDING).where(Comment.id.in_([c["id"] for c in gone[2:]])).execute()
    published = [cid for (cid,) in Comment.select(Comment.id)
                 .where(Comment.status == "published").tuples()]
    return {"published": published, "gone": [c["id"] for c in gone], "tops": ids}


def _pages(api: Api, sort: str, limit: int) -> list[tuple[str | None, list[dict]]]:
    """Every page of the thread by following ``next``: (the cursor it was fetched with, its
    top-level comments)."""
    pages, after = [], None
    while True:
        params = {"sort": sort, "limit": limit, **({"after": after} if after else {})}
        page = api.thread(**params)
        pages.append((after, page["comments"]))
        if page["next"] is None:
            return pages
        after = page["next"]


def _path(nodes: list[dict], wanted: int, above: tuple = ()) -> tuple | None:
    for node in nodes:
        if node["id"] == wanted:
            return above
        found = _path(node["replies"], wanted, (*above, node["id"]))
        if found is not None:
            return found
    return None


@pytest.fixture
def thread(api):
    from kommentar.models import Thread

    seeded = seed(api)
    Thread.update(version=Thread.version + 1).execute()  # the scores and pins written above
    return seeded


@pytest.mark.parametrize("sort", ["oldest", "newest", "best"])
def test_the_cursor_fetches_the_page_that_holds_the_comment(api, thread, sort):
    for limit in (1, 4, 7, 30):
        pages = _pages(api, sort, limit)
        shown = {}  # every comment on a page: (the page's cursor, its ancestors)
        for after, comments in pages:
            for comment_id in thread["published"]:
                path = _path(comments, comment_id)
                if path is not None:
                    shown[comment_id] = (after, list(path))
        assert set(shown) == set(thread["published"])
        for comment_id in thread["published"]:
            response = place(api, comment_id, sort=sort, limit=limit)
            assert response.status_code == 200, response.json
            answer = response.json
            after, ancestors = shown[comment_id]
            assert (answer["after"], answer["ancestors"]) == (after, ancestors), \
                f"{sort}, limit {limit}, comment {comment_id}"
            assert answer["root"] == (ancestors or [comment_id])[0]
            assert (answer["id"], answer["url"], answer["thread_id"]) == (comment_id, POST, None)
            # The fetch the widget makes with the answer holds the root on its first page.
            fetched = api.thread(sort=sort, limit=limit, **({"after": after} if after else {}))
            assert answer["root"] in [c["id"] for c in fetched["comments"]]


def test_without_a_limit_every_comment_is_on_the_one_page(api, thread):
    for comment_id in thread["published"][::5]:
        for sort in ("oldest", "newest", "best"):
            assert place(api, comment_id, sort=sort).json["after"] is None
    assert place(api, thread["published"][-1]).json["after"] is None  # oldest by default


def test_the_place_is_found_in_three_queries_or_fewer(api, thread):
    last = max(thread["published"])
    with QueryCounter() as counter:
        answer = place(api, last, sort="newest", limit=1).json
    assert answer["after"] is not None or answer["root"] == thread["tops"][-1]
    assert len(counter.statements) <= 3
    with QueryCounter() as counter:
        place(api, thread["tops"][0], sort="oldest", limit=5)
    assert len(counter.statements) == 2  # on the first page: no row to read for a cursor


def test_a_thread_named_by_its_site_answers_its_name(api):
    comment = api.comment("By id", url=f"{SITE}/a", id="article-7")
    answer = place(api, comment["id"]).json
    assert (answer["url"], answer["thread_id"]) == (f"{SITE}/a", "article-7")


def test_a_deleted_comment_says_so(api):
    comment = api.comment()
    api.delete(f"/api/comments/{comment['id']}", token=comment["edit_token"])
    response = place(api, comment["id"])
    assert (response.status_code, response.json["error"]["code"]) == (404, "comment_deleted")


@pytest.mark.parametrize("status", ["pending", "spam"])
def test_a_held_comment_is_held_to_everyone(api, status):
    from kommentar.models import Comment

    api.register()
    comment = api.comment()
    Comment.update(status=status).where(Comment.id == comment["id"]).execute()
    for token in (api.token, None):  # its author too
        response = api.get(f"/api/comments/{comment['id']}/place", token=token)
        assert (response.status_code, response.json["error"]["code"]) == (404, "comment_held")


def test_a_reply_under_a_deleted_comment_still_has_its_place(api):
    top = api.comment("Top")
    reply = api.comment("Reply", parent=top["id"])
    api.delete(f"/api/comments/{top['id']}", token=top["edit_token"])
    answer = place(api, reply["id"], limit=1).json
    assert (answer["root"], answer["ancestors"], answer["after"]) == (top["id"], [top["id"]], None)


@pytest.mark.parametrize("comment_id", [4242, MAX_ID, MAX_ID + 1])
def test_an_unknown_comment_is_not_found(api, comment_id):
    api.comment()
    response = place(api, comment_id)
    assert (response.status_code, response.json["error"]["code"]) == (404, "not_found")


@pytest.mark.parametrize("params, code", [
    ({"sort": "popular"}, "invalid_sort"),
    ({"sort": ""}, "invalid_sort"),
    ({"limit": "0"}, "invalid_limit"),
    ({"limit": "1001"}, "invalid_limit"),
    ({"limit": "ten"}, "invalid_limit"),
    ({"limit": ["1", "2"]}, "invalid_limit"),
])
def test_a_bad_query_is_a_400(api, params, code):
    comment = api.comment()
    response = place(api, comment["id"], **params)
    assert (response.status_code, response.json["error"]["code"]) == (400, code)


def test_the_place_is_asked_afresh_and_readable_by_the_site(api):
    response = place(api, api.comment()["id"])
    assert "no-cache" in response.headers["Cache-Control"]
    assert response.headers["Access-Control-Allow-Origin"] == SITE
