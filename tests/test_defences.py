"""Spam defences and moderation policies: what a new comment meets before anyone looks.

Whatever a defence catches is kept as spam with its reason (never dropped), and the
author is told only that the comment waits for approval."""

from __future__ import annotations

import time

import itsdangerous.timed
import pytest
from support import SITE

POST = f"{SITE}/post"


def stored(comment_id):
    from kommentar.models import Comment

    return Comment.get_by_id(comment_id)


def post(api, text="An ordinary comment.", **fields):
    body = {"url": POST, "text": text, "name": "Reader", **fields}
    response = api.post("/api/comments", body)
    assert response.status_code == 201, response.json
    return response.json


def assert_caught(api, answer, reason_part):
    assert answer["status"] == "pending"  # spam looks like "waiting" to whoever sent it
    comment = stored(answer["id"])
    assert comment.status == "spam" and reason_part in comment.spam_reason
    assert api.thread()["thread"]["count"] == 0 and api.thread()["comments"] == []


def test_an_ordinary_comment_is_published(api):
    answer = post(api)
    assert answer["status"] == "published" and stored(answer["id"]).spam_reason is None


def test_honeypot_filled_in_is_spam(api):
    assert_caught(api, post(api, website="http://cheap-pills.example"), "honeypot")


def test_empty_honeypot_is_fine(api):
    assert post(api, website="")["status"] == "published"


class TestFormTimestamp:
    @pytest.fixture
    def settings(self, settings):
        settings["spam_min_seconds"] = 3
        return settings

    def form_token(self, api):
        return api.get("/api/config").json["form_token"]

    def test_post_right_after_the_form_opened_is_spam(self, api):
        assert_caught(api, post(api, form_token=self.form_token(api)), "after the form opened")

    def test_post_after_a_person_could_type_is_published(self, api, monkeypatch):
        token = self.form_token(api)
        later = time.time() + 30
        monkeypatch.setattr(time, "time", lambda: later)
        monkeypatch.setattr(itsdangerous.timed.time, "time", lambda: later)
        assert post(api, form_token=token)["status"] == "published"

    def test_trusted_callers_without_a_form_are_not_timed(self, app):
        """Imports and the demo data post through the domain layer, with no web form."""
        from kommentar import comments
        from kommentar.db import database

        with app.app_context(), database.connection_context():
            written = comments.post(comments.Author(user=None, ip_hash=None),
                                    app.extensions["kommentar.policy"], url=POST,
                                    text="Imported from the old system.", name="Archive")
        assert written.status == "published"

    @pytest.mark.parametrize("token", [None, "", "f.forged", 12, "s.not-a-form-token"])
    def test_missing_or_forged_form_token_is_spam(self, api, token):
        fields = {} if token is None else {"form_token": token}
        assert_caught(api, post(api, **fields), "no valid form token")


def test_too_many_links_is_spam(api):
    links = " ".join(f"https://site{n}.example/" for n in range(6))
    assert_caught(api, post(api, f"Look: {links}"), "6 links")


def test_five_links_are_fine(api):
    links = " ".join(f"https://site{n}.example/" for n in range(5))
    assert post(api, f"Sources: {links}")["status"] == "published"


def test_the_same_text_again_soon_is_spam(api):
    text = "Visit my shop for the best prices on everything!"
    assert post(api, text)["status"] == "published"
    assert_caught_again = post(api, "  VISIT my shop for the best   prices on everything! ",
                               name="Someone else")
    comment = stored(assert_caught_again["id"])
    assert comment.status == "spam" and "posted moments ago" in comment.spam_reason


def test_short_repeats_are_not_spam(api):
    assert post(api, "Thanks!")["status"] == "published"
    assert post(api, "Thanks!", name="Another reader")["status"] == "published"


class TestBlockedWordsAndDomains:
    @pytest.fixture
    def settings(self, settings):
        settings["blocked_words"] = "casino, free money"
        settings["blocked_domains"] = "spam.example"
        return settings

    @pytest.mark.parametrize("text, reason", [
        ("Best CASINO in town", "blocked word: casino"),
        ("Get free   money now", "blocked word: free money"),
        ("See https://spam.example/offer", "blocked link domain: spam.example"),
        ("See https://www.spam.example/offer", "blocked link domain: spam.example"),
    ])
    def test_blocked_content_is_spam(self, api, text, reason):
        assert_caught(api, post(api, text), reason)

    @pytest.mark.parametrize("text", ["Casinos aside, a fine post", "https://notspam.example/"])
    def test_near_misses_are_published(self, api, text):
        assert post(api, text)["status"] == "published"

    def test_blocked_word_in_the_name_is_spam(self, api):
        assert_caught(api, post(api, name="Casino King"), "blocked word: casino")


class TestHoldEverything:
    @pytest.fixture
    def settings(self, settings):
        settings["moderation"] = "all"
        return settings

    def test_every_comment_waits(self, api):
        answer = post(api)
        assert answer["status"] == "pending"
        comment = stored(answer["id"])
        assert comment.status == "pending" and comment.spam_reason.startswith("held")
        assert api.thread()["thread"]["count"] == 0

    def test_config_tells_the_widget(self, api):
        assert api.get("/api/config").json["moderation"] == "all"


class TestHoldFirstTimers:
    @pytest.fixture
    def settings(self, settings):
        settings["moderation"] = "first"
        return settings

    def test_first_comment_waits_and_later_ones_do_not_once_one_is_approved(self, api):
        first = post(api)
        assert first["status"] == "pending"
        assert post(api, "Still waiting for my first.")["status"] == "pending"
        from kommentar.models import Comment

        Comment.update(status="published").where(Comment.id == first["id"]).execute()
        assert post(api, "Known now.")["status"] == "published"

    def test_accounts_are_known_by_account(self, api):
        api.register("olga")
        assert api.comment("first from olga")["status"] == "pending"


def test_a_banned_account_is_held(api):
    from kommentar.models import Ban

    user = api.register("pete")
    assert api.comment("Before the ban.")["status"] == "published"
    Ban.create(target=f"u:{user['id']}", kind="ban", reason="trolling")
    answer = api.comment("After the ban.")
    assert answer["status"] == "pending" and stored(answer["id"]).spam_reason == "held: banned"


def test_an_expired_ban_no_longer_holds(api):
    from datetime import timedelta

    from kommentar.models import Ban, utcnow

    user = api.register("quinn")
    Ban.create(target=f"u:{user['id']}", kind="ban", until=utcnow() - timedelta(minutes=1))
    assert api.comment("Free again.")["status"] == "published"


class TestHeldCommentsAreTheAuthorsOwn:
    @pytest.fixture
    def settings(self, settings):
        settings["moderation"] = "all"
        return settings

    def test_the_author_sees_their_held_comments_and_nobody_else_does(self, api):
        api.register("rita")
        held = api.comment("Waiting for a moderator.")
        caught = api.comment("Again", website="filled")  # spam: to its author, also waiting
        mine = api.get("/api/mine", url=POST).json["pending"]
        assert [(c["id"], c["status"]) for c in mine] == \
            [(held["id"], "pending"), (caught["id"], "pending")]
        assert mine[0]["text"] == "Waiting for a moderator."
        rita = api.token
        api.register("sam")
        assert api.get("/api/mine", url=POST).json["pending"] == []
        api.token = None
        assert api.get("/api/mine", url=POST).json["pending"] == []
        assert api.get("/api/mine", url=POST, token=rita).json["pending"] != []
