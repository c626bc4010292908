"""Posting, editing and deleting comments, and the policies around them."""

from __future__ import annotations

import itsdangerous.timed
import pytest
from support import SITE

POST = f"{SITE}/post"


def test_anonymous_comment_is_published_with_an_edit_token(api):
    response = api.post("/api/comments", {"url": POST, "text": "Hej *verden*", "name": " Søren "})
    assert response.status_code == 201
    body = response.json
    assert body["html"] == "<p>Hej <em>verden</em></p>"
    assert body["author"] == {"name": "Søren", "id": None}
    assert body["status"] == "published" and body["edit_token"].startswith("e.")


def test_account_comment_carries_the_account(api):
    user = api.register("bob")
    body = api.comment("Signed", name="ignored")
    assert body["author"] == {"name": "bob", "id": user["id"]}
    assert "edit_token" not in body


@pytest.mark.parametrize("text, expected", [
    ("<script>alert(1)</script>", "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>"),
    ("<img src=x onerror=alert(1)>", "<p>&lt;img src=x onerror=alert(1)&gt;</p>"),
    ("[click](javascript:alert(1))", "<p>[click](javascript:alert(1))</p>"),
])
def test_hostile_markup_never_survives(api, text, expected):
    assert api.comment(text)["html"] == expected


def test_links_are_marked_as_user_content(api):
    html = api.comment("See https://example.com/a")["html"]
    assert 'href="https://example.com/a"' in html
    assert 'rel="nofollow ugc noopener noreferrer"' in html


@pytest.mark.parametrize("body, code", [
    ({"text": "no url", "name": "x"}, "invalid_url"),
    ({"url": 5, "text": "x", "name": "x"}, "invalid_url"),
    ({"url": POST, "name": "x"}, "text_empty"),
    ({"url": POST, "text": "   \n ", "name": "x"}, "text_empty"),
    ({"url": POST, "text": ["list"], "name": "x"}, "text_empty"),
    ({"url": POST, "text": "x" * 10_001, "name": "x"}, "text_too_long"),
    ({"url": POST, "text": "nul \x00 byte", "name": "x"}, "invalid_input"),
    ({"url": POST, "text": "x"}, "name_required"),
    ({"url": POST, "text": "x", "name": "   "}, "name_required"),
    ({"url": POST, "text": "x", "name": 7}, "name_required"),
    ({"url": POST, "text": "x", "name": "n" * 61}, "invalid_name"),
    ({"url": POST, "text": "x", "name": "bell\x07"}, "invalid_name"),
    ({"url": POST, "text": "x", "name": "x", "parent": "1"}, "invalid_parent"),
    ({"url": POST, "text": "x", "name": "x", "parent": True}, "invalid_parent"),
    ({"url": POST, "text": "x", "name": "x", "parent": 999}, "invalid_parent"),
    ({"url": POST, "text": "x", "name": "x", "parent": 2**60}, "invalid_parent"),
    ({"url": POST, "text": "x", "name": "x", "title": {"a": 1}}, "invalid_input"),
    ({"url": POST, "text": "x", "name": "x", "id": 12}, "invalid_thread_id"),
])
def test_invalid_posts_are_400_and_write_nothing(api, body, code):
    response = api.post("/api/comments", body)
    assert response.status_code == 400, response.json
    assert response.json["error"]["code"] == code
    assert api.thread()["thread"]["count"] == 0


def test_comment_for_a_foreign_site_is_403(api):
    response = api.post("/api/comments", {"url": "https://other.example/", "text": "x",
                                          "name": "x"})
    assert response.status_code == 403 and response.json["error"]["code"] == "origin_not_allowed"


def test_reply_to_a_comment_of_another_thread_is_refused(api):
    elsewhere = api.comment("elsewhere", url=f"{SITE}/other")
    response = api.post("/api/comments", {"url": POST, "text": "x", "name": "x",
                                          "parent": elsewhere["id"]})
    assert response.status_code == 400 and response.json["error"]["code"] == "invalid_parent"


def test_reply_to_a_deleted_comment_is_refused(api):
    gone = api.comment("gone")
    api.delete(f"/api/comments/{gone['id']}", token=gone["edit_token"])
    response = api.post("/api/comments", {"url": POST, "text": "x", "name": "x",
                                          "parent": gone["id"]})
    assert response.status_code == 400


@pytest.fixture
def settings(settings):
    settings["max_depth"] = 3
    return settings


def test_reply_chains_stop_at_the_configured_depth(api):
    parent = api.comment("depth 0")
    for depth in range(1, 4):
        parent = api.comment(f"depth {depth}", parent=parent["id"])
    response = api.post("/api/comments", {"url": POST, "text": "too deep", "name": "x",
                                          "parent": parent["id"]})
    assert response.status_code == 400 and response.json["error"]["code"] == "too_deep"
    assert api.thread()["thread"]["count"] == 4


def test_locked_thread_refuses_new_comments(api):
    from kommentar.models import Thread

    api.comment("before")
    Thread.update(locked=True).execute()
    response = api.post("/api/comments", {"url": POST, "text": "after", "name": "x"})
    assert response.status_code == 403 and response.json["error"]["code"] == "thread_locked"
    assert api.thread()["thread"] == {"url": POST, "title": "", "count": 1, "locked": True}


def test_edit_with_the_edit_token(api):
    created = api.comment("frist")
    response = api.patch(f"/api/comments/{created['id']}", {"text": "first"},
                         token=created["edit_token"])
    assert response.status_code == 200
    assert response.json["html"] == "<p>first</p>" and response.json["edited"]
    assert api.thread()["comments"][0]["edited"] == response.json["edited"]


def test_edit_token_opens_only_its_own_comment(api):
    mine, theirs = api.comment("mine"), api.comment("theirs")
    response = api.patch(f"/api/comments/{theirs['id']}", {"text": "hijacked"},
                         token=mine["edit_token"])
    assert response.status_code == 403
    assert api.delete(f"/api/comments/{theirs['id']}", token=mine["edit_token"]).status_code == 403


def test_edit_token_expires_after_the_edit_window(api, monkeypatch):
    created = api.comment("quick")
    later = itsdangerous.timed.time.time() + 901
    monkeypatch.setattr(itsdangerous.timed.time, "time", lambda: later)
    response = api.patch(f"/api/comments/{created['id']}", {"text": "late"},
                         token=created["edit_token"])
    assert response.status_code == 401 and response.json["error"]["code"] == "edit_expired"


def test_account_edits_and_deletes_its_own_comments_only(api):
    api.register("carol")
    carol_comment = api.comment("carol's")
    carol = api.token
    api.register("dave")
    dave = api.token
    path = f"/api/comments/{carol_comment['id']}"
    assert api.patch(path, {"text": "dave was here"}, token=dave).status_code == 403
    assert api.patch(path, {"text": "carol's, edited"}, token=carol).status_code == 200
    assert api.delete(path, token=dave).status_code == 403
    assert api.delete(path, token=carol).status_code == 204
    assert api.delete(path, token=carol).status_code == 404


def test_anonymous_caller_cannot_edit(api):
    created = api.comment("x")
    response = api.client.patch(f"/api/comments/{created['id']}", json={"text": "y"},
                                headers={"Origin": SITE})
    assert response.status_code == 403


@pytest.mark.parametrize("body, code", [
    ({"text": ""}, "text_empty"),
    ({}, "text_empty"),
    ({"text": "x" * 10_001}, "text_too_long"),
])
def test_invalid_edits_are_400_and_change_nothing(api, body, code):
    created = api.comment("original")
    response = api.patch(f"/api/comments/{created['id']}", body, token=created["edit_token"])
    assert response.status_code == 400 and response.json["error"]["code"] == code
    assert api.thread()["comments"][0]["html"] == "<p>original</p>"


@pytest.mark.parametrize("method", ["patch", "delete"])
def test_unknown_comment_is_404(api, method):
    api.register("erin")
    args = (f"/api/comments/{10**6}", {"text": "x"}) if method == "patch" \
        else (f"/api/comments/{10**6}",)
    response = getattr(api, method)(*args)
    assert response.status_code == 404 and response.json["error"]["code"] == "not_found"


def test_ids_too_large_to_store_are_404(api):
    response = api.patch(f"/api/comments/{2**64}", {"text": "x"})
    assert response.status_code == 404 and response.json["error"]["code"] == "not_found"


class TestAccountsRequired:
    @pytest.fixture
    def settings(self, settings):
        settings["anonymous"] = False
        return settings

    def test_anonymous_post_asks_to_log_in(self, api):
        response = api.post("/api/comments", {"url": POST, "text": "x", "name": "x"})
        assert response.status_code == 401
        assert response.json["error"] == {"code": "login_required",
                                          "message": "Log in or create an account to comment."}

    def test_account_may_post(self, api):
        api.register("frank")
        assert api.comment("allowed")["author"]["name"] == "frank"

    def test_config_tells_the_widget(self, api):
        assert api.get("/api/config").json["anonymous"] is False


class TestAccountEditingForbidden:
    @pytest.fixture
    def settings(self, settings):
        settings["account_edit"] = False
        return settings

    def test_account_cannot_edit(self, api):
        api.register("gina")
        created = api.comment("fixed forever")
        response = api.patch(f"/api/comments/{created['id']}", {"text": "changed"})
        assert response.status_code == 403 and response.json["error"]["code"] == "edit_disabled"


def test_stale_session_token_is_401_not_anonymous(api):
    api.register("hank")
    token = api.token
    api.post("/api/auth/logout")
    response = api.post("/api/comments", {"url": POST, "text": "x", "name": "x"}, token=token)
    assert response.status_code == 401 and response.json["error"]["code"] == "session_expired"


class TestPerSitePolicy:
    """One server, two sites: the news site requires accounts, the blog does not."""

    NEWS = "http://127.0.0.1:8001"

    @pytest.fixture
    def settings(self, settings):
        settings["sites"] = {self.NEWS: {"anonymous": False, "voting": "accounts"}}
        return settings

    def test_each_site_keeps_its_own_rules(self, api):
        assert api.comment("on the blog")["status"] == "published"
        response = api.post("/api/comments", {"url": f"{self.NEWS}/article", "text": "x",
                                              "name": "x"})
        assert response.status_code == 401 and response.json["error"]["code"] == "login_required"

    def test_config_answers_for_the_calling_site(self, client):
        news = client.get("/api/config", headers={"Origin": self.NEWS}).json
        blog = client.get("/api/config", headers={"Origin": SITE}).json
        assert (news["anonymous"], news["voting"]) == (False, "accounts")
        assert (blog["anonymous"], blog["voting"]) == (True, "anyone")

    def test_votes_follow_the_site_of_the_comment(self, api):
        api.register("nora")
        article = api.comment("news", url=f"{self.NEWS}/article")
        api.token = None
        response = api.post(f"/api/comments/{article['id']}/vote", {"value": 1})
        assert response.status_code == 401 and response.json["error"]["code"] == "login_required"


def test_author_fetches_the_markdown_source_to_edit(api):
    created = api.comment("Some **bold** text")
    assert created["text"] == "Some **bold** text"
    fetched = api.get(f"/api/comments/{created['id']}")
    assert fetched.status_code == 200 and fetched.json["text"] == "Some **bold** text"
    api.delete(f"/api/comments/{created['id']}", token=created["edit_token"])
    assert api.get(f"/api/comments/{created['id']}").status_code == 404
    assert api.get(f"/api/comments/{2**60}").status_code == 404
