"""Reading threads: the empty page, counts, the three orders, pagination, placeholders,
and the cost of a fetch in queries."""

from __future__ import annotations

import pytest
from support import SITE, QueryCounter

POST = f"{SITE}/post"


def test_page_without_comments_is_an_empty_open_thread(api):
    thread = api.thread(url=f"{SITE}/nobody-here")
    assert thread == {"thread": {"url": f"{SITE}/nobody-here", "title": "", "count": 0,
                                 "locked": False},
                      "comments": [], "next": None}


def test_count_includes_replies(api):
    first = api.comment("First")
    api.comment("Reply", parent=first["id"])
    api.comment("Second")
    body = api.thread()
    assert body["thread"]["count"] == 3
    assert [c["html"] for c in body["comments"]] == ["<p>First</p>", "<p>Second</p>"]
    assert body["comments"][0]["replies"][0]["html"] == "<p>Reply</p>"


def test_replies_nest_under_their_parent_oldest_first(api):
    top = api.comment("Top")
    a = api.comment("A", parent=top["id"])
    b = api.comment("B", parent=top["id"])
    a1 = api.comment("A1", parent=a["id"])
    [node] = api.thread()["comments"]
    assert [r["id"] for r in node["replies"]] == [a["id"], b["id"]]
    assert node["replies"][0]["replies"][0]["id"] == a1["id"]
    assert node["replies"][0]["replies"][0]["parent"] == a["id"]


def test_comment_has_the_documented_fields(api):
    created = api.comment("Hello", name="Ada")
    [node] = api.thread()["comments"]
    assert set(node) == {"id", "parent", "author", "html", "created", "edited", "up", "down",
                         "deleted", "pinned", "replies"}
    assert node["author"] == {"name": "Ada", "id": None}
    assert node["created"] == created["created"] and node["created"].endswith("Z")


@pytest.mark.parametrize("variant", [
    "HTTP://127.0.0.1:8000/post", f"{SITE}/post/", f"{SITE}/post#comments",
    f"{SITE}/post?utm_source=newsletter&fbclid=abc", f"{SITE}/./post",
])
def test_url_variants_share_one_thread(api, variant):
    api.comment("Once", url=POST)
    assert api.thread(url=variant)["thread"]["count"] == 1


def test_other_paths_are_other_threads(api):
    api.comment("Once", url=POST)
    assert api.thread(url=f"{SITE}/Post")["thread"]["count"] == 0
    assert api.thread(url=f"{SITE}/post?page=2")["thread"]["count"] == 0


def test_explicit_thread_id_groups_pages(api):
    api.comment("By id", url=f"{SITE}/a", id="article-7")
    assert api.thread(url=f"{SITE}/b", id="article-7")["thread"]["count"] == 1
    assert api.thread(url=f"{SITE}/a")["thread"]["count"] == 0


def test_first_comment_names_the_thread(api):
    api.comment("Hi", title="  A  post\n title ")
    api.comment("Again", title="Another title")
    assert api.thread()["thread"]["title"] == "A post title"


def _vote(api, comment_id, value, voter):
    response = api.post(f"/api/comments/{comment_id}/vote", {"value": value}, token=voter)
    assert response.status_code == 200, response.json


@pytest.fixture
def voters(api):
    """Voter tokens of five distinct readers (from five addresses)."""
    tokens = []
    for n in range(5):
        response = api.client.post("/api/auth/register", json={
            "username": f"voter{n}", "password": "long enough password"},
            headers={"Origin": SITE})
        tokens.append(response.json["token"])
    return tokens


def test_the_three_orders(api, voters):
    old = api.comment("old")
    mid = api.comment("mid")
    new = api.comment("new")
    for token in voters[:3]:
        _vote(api, mid["id"], 1, token)  # 3 up, 0 down
    _vote(api, new["id"], 1, voters[0])  # 1 up
    for token in voters[:4]:
        _vote(api, old["id"], 1, token)
    _vote(api, old["id"], -1, voters[4])  # 4 up, 1 down: lower bound below 3/0
    ids = {sort: [c["id"] for c in api.thread(sort=sort)["comments"]]
           for sort in ("oldest", "newest", "best")}
    assert ids["oldest"] == [old["id"], mid["id"], new["id"]]
    assert ids["newest"] == [new["id"], mid["id"], old["id"]]
    assert ids["best"] == [mid["id"], old["id"], new["id"]]


def test_default_order_is_oldest(api):
    ids = [api.comment(str(n))["id"] for n in range(3)]
    assert [c["id"] for c in api.thread()["comments"]] == ids


@pytest.mark.parametrize("sort", ["oldest", "newest", "best"])
def test_pages_cover_every_comment_once(api, sort, voters):
    ids = [api.comment(f"c{n}")["id"] for n in range(7)]
    for n, comment_id in enumerate(ids[:4]):
        _vote(api, comment_id, 1 if n % 2 else -1, voters[0])
    api.comment("a reply", parent=ids[2])
    seen, after, pages = [], None, 0
    while True:
        params = {"sort": sort, "limit": 3, **({"after": after} if after else {})}
        body = api.thread(**params)
        seen += [c["id"] for c in body["comments"]]
        pages += 1
        after = body["next"]
        if after is None:
            break
    assert sorted(seen) == sorted(ids) and pages == 3
    assert seen == [c["id"] for c in api.thread(sort=sort)["comments"]]


def test_replies_come_with_their_page(api):
    first = api.comment("first")
    api.comment("second")
    reply = api.comment("reply", parent=first["id"])
    body = api.thread(limit=1)
    assert body["comments"][0]["replies"][0]["id"] == reply["id"]
    assert body["next"] is not None


@pytest.mark.parametrize("params, code", [
    ({"sort": "popular"}, "invalid_sort"),
    ({"limit": "0"}, "invalid_limit"),
    ({"limit": "-1"}, "invalid_limit"),
    ({"limit": "1001"}, "invalid_limit"),
    ({"limit": "ten"}, "invalid_limit"),
    ({"after": "garbage"}, "invalid_cursor"),
    ({"after": "newest:5"}, "invalid_cursor"),
    ({"sort": "best", "after": "best:x/1"}, "invalid_cursor"),
    ({"url": "javascript:alert(1)"}, "invalid_url"),
    ({"url": "/relative"}, "invalid_url"),
    ({"url": "http://" + "a" * 3000 + ".example/"}, "invalid_url"),
    ({"url": None}, "invalid_url"),
    ({"id": ""}, "invalid_thread_id"),
])
def test_bad_thread_queries_are_400(api, params, code):
    query = {"url": POST, **params}
    query = {k: v for k, v in query.items() if v is not None}
    response = api.get("/api/threads", **query)
    assert response.status_code == 400
    assert response.json["error"]["code"] == code


def test_thread_of_a_foreign_site_is_403(api):
    response = api.get("/api/threads", url="https://elsewhere.example/post")
    assert response.status_code == 403
    assert response.json["error"]["code"] == "origin_not_allowed"


def test_deleted_comment_with_replies_stays_as_placeholder(api):
    parent = api.comment("parent")
    api.comment("child", parent=parent["id"])
    lonely = api.comment("lonely")
    for comment in (parent, lonely):
        assert api.delete(f"/api/comments/{comment['id']}", token=comment["edit_token"]) \
            .status_code == 204
    body = api.thread()
    assert body["thread"]["count"] == 1
    [placeholder] = body["comments"]
    assert placeholder["deleted"] is True and placeholder["html"] == ""
    assert placeholder["author"] == {"name": "", "id": None}
    assert placeholder["replies"][0]["html"] == "<p>child</p>"


def test_deleted_chain_without_live_replies_disappears(api):
    top = api.comment("top")
    mid = api.comment("mid", parent=top["id"])
    leaf = api.comment("leaf", parent=mid["id"])
    for comment in (leaf, mid, top):
        api.delete(f"/api/comments/{comment['id']}", token=comment["edit_token"])
    assert api.thread()["comments"] == []


def test_counts_for_many_pages_in_one_request(api):
    api.comment("a", url=f"{SITE}/one")
    api.comment("b", url=f"{SITE}/one")
    api.comment("c", url=f"{SITE}/two")
    response = api.client.get("/api/counts", query_string=[
        ("url", f"{SITE}/one"), ("url", f"{SITE}/two/"), ("url", f"{SITE}/three")])
    assert response.status_code == 200
    assert response.json == {"counts": {f"{SITE}/one": 2, f"{SITE}/two/": 1, f"{SITE}/three": 0}}


def test_counts_are_a_304_to_their_tag_until_a_count_moves(api):
    asked = [("url", f"{SITE}/one"), ("url", f"{SITE}/two")]
    api.comment("a", url=f"{SITE}/one")
    first = api.client.get("/api/counts", query_string=asked, headers=api.headers())
    tag = first.headers["ETag"]
    assert first.status_code == 200 and tag.startswith('"') and not tag.startswith('"W/')
    again = api.client.get("/api/counts", query_string=asked,
                           headers=api.headers(**{"If-None-Match": tag}))
    assert again.status_code == 304 and again.data == b"" and again.headers["ETag"] == tag
    assert again.headers["Cache-Control"] == first.headers["Cache-Control"]
    # Read across origins by the badges' script: the 304 says so, and shows its tag.
    assert again.headers["Access-Control-Allow-Origin"] == SITE
    assert "ETag" in again.headers["Access-Control-Expose-Headers"]
    assert "Origin" in again.headers["Vary"]
    other = api.client.get("/api/counts", query_string=asked[:1],
                           headers=api.headers(**{"If-None-Match": tag}))
    assert other.status_code == 200 and other.headers["ETag"] != tag  # other pages asked
    api.comment("b", url=f"{SITE}/two")
    moved = api.client.get("/api/counts", query_string=asked,
                           headers=api.headers(**{"If-None-Match": tag}))
    assert moved.status_code == 200 and moved.headers["ETag"] != tag
    assert moved.json == {"counts": {f"{SITE}/one": 1, f"{SITE}/two": 1}}


def test_gzipped_counts_are_revalidated_by_the_gzipped_tag(api):
    asked = [("url", f"{SITE}/page-{n}") for n in range(100)]  # over a kilobyte: gzipped
    packed = api.client.get("/api/counts", query_string=asked,
                            headers={"Accept-Encoding": "gzip"})
    tag = packed.headers["ETag"]
    assert packed.headers["Content-Encoding"] == "gzip" and tag.endswith('.gz"')
    again = api.client.get("/api/counts", query_string=asked,
                           headers={"Accept-Encoding": "gzip", "If-None-Match": tag})
    assert again.status_code == 304 and again.headers["ETag"] == tag
    assert "Accept-Encoding" in again.headers["Vary"]
    plain = api.client.get("/api/counts", query_string=asked, headers={"If-None-Match": tag})
    assert plain.status_code == 200 and plain.headers["ETag"] == tag[:-4] + '"'
    assert "Content-Encoding" not in plain.headers


@pytest.mark.parametrize("urls, code", [
    ([], "invalid_url"),
    ([f"{SITE}/{n}" for n in range(101)], "invalid_url"),
    (["not a url"], "invalid_url"),
])
def test_bad_count_queries_are_400(api, urls, code):
    response = api.client.get("/api/counts", query_string=[("url", u) for u in urls])
    assert response.status_code == 400 and response.json["error"]["code"] == code


@pytest.mark.parametrize("limit", [None, "5"])
def test_thread_fetch_costs_the_same_queries_at_any_size(api, limit):
    def queries_for(url, comments):
        ids = []
        for n in range(comments):
            parent = ids[n // 2] if n % 3 == 2 and ids else None
            fields = {"parent": parent} if parent else {}
            ids.append(api.comment(f"c{n}", url=url, **fields)["id"])
        with QueryCounter() as counter:
            params = {"limit": limit} if limit else {}
            api.thread(url=url, **params)
        return len(counter.statements)

    small, large = queries_for(f"{SITE}/small", 3), queries_for(f"{SITE}/large", 60)
    assert small == large == 3  # the thread, a page of top-level comments, their replies


def test_refetch_with_the_etag_is_a_304_until_the_thread_changes(api):
    api.comment("first")
    response = api.get("/api/threads", url=POST)
    etag = response.headers["ETag"]
    assert response.headers["Cache-Control"] == "public, max-age=10, stale-while-revalidate=60"
    again = api.client.get("/api/threads", query_string={"url": POST},
                           headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    assert again.headers["ETag"] == etag and "Accept-Encoding" in again.headers["Vary"]
    for tags in (f"W/{etag}", f'"other", {etag}', "*"):  # a proxy may weaken the tag or list more
        assert api.client.get("/api/threads", query_string={"url": POST},
                              headers={"If-None-Match": tags}).status_code == 304, tags
    api.comment("second")
    changed = api.client.get("/api/threads", query_string={"url": POST},
                             headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag


def _pin(comment_id):
    from kommentar.models import Comment

    Comment.update(pinned=True).where(Comment.id == comment_id).execute()


@pytest.mark.parametrize("sort", ["oldest", "newest", "best"])
def test_pinned_comments_come_first_in_every_order(api, sort):
    ids = [api.comment(f"c{n}")["id"] for n in range(5)]
    _pin(ids[3])
    _pin(ids[1])
    order = [c["id"] for c in api.thread(sort=sort)["comments"]]
    pinned_order = [ids[1], ids[3]] if sort != "newest" else [ids[3], ids[1]]
    assert order[:2] == pinned_order
    assert [c["pinned"] for c in api.thread(sort=sort)["comments"]] == [True] * 2 + [False] * 3


@pytest.mark.parametrize("sort", ["oldest", "newest", "best"])
def test_paging_across_pinned_comments_shows_each_once(api, sort):
    ids = [api.comment(f"c{n}")["id"] for n in range(6)]
    for pinned in (ids[2], ids[4], ids[5]):
        _pin(pinned)
    seen, after = [], None
    while True:
        body = api.thread(sort=sort, limit=2, **({"after": after} if after else {}))
        seen += [c["id"] for c in body["comments"]]
        if not (after := body["next"]):
            break
    assert seen == [c["id"] for c in api.thread(sort=sort)["comments"]]
    assert sorted(seen) == sorted(ids)


def test_page_ending_on_a_pruned_placeholder_still_continues(api):
    first, gone, last = (api.comment(t) for t in ("first", "gone", "last"))
    api.delete(f"/api/comments/{gone['id']}", token=gone["edit_token"])
    # A deleted comment without replies is not fetched, so pages still cover the rest.
    body = api.thread(limit=1)
    second = api.thread(limit=1, after=body["next"])
    assert [c["id"] for c in body["comments"] + second["comments"]] == [first["id"], last["id"]]
