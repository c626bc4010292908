"""A reader's own data: the export holds everything about the account and nothing of anyone
else's, deleting an account leaves every thread consistent, IP hashes go after their
retention period, and every response carries the security headers."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from support import SITE

from kommentar.models import Ban, Comment, Report, Thread, User, Vote, utcnow
from test_openapi import check, error_code

PASSWORD = "correct horse battery"
PAGE = f"{SITE}/post"


def sign_up(api, username: str) -> str:
    """Register an account and return its session token (the Api keeps none)."""
    api.token = None
    response = api.post("/api/auth/register", {"username": username, "password": PASSWORD})
    assert response.status_code == 201, response.json
    return response.json["token"]


def write(api, token: str | None, text: str, **fields) -> int:
    api.token = token
    try:
        return api.comment(text, **fields)["id"]
    finally:
        api.token = None


def vote(api, token: str | None, comment_id: int, value: int) -> None:
    response = api.post(f"/api/comments/{comment_id}/vote", {"value": value}, token=token)
    assert response.status_code == 200, response.json


def report(api, token: str | None, comment_id: int, reason: str, note: str | None = None):
    response = api.post(f"/api/comments/{comment_id}/report", {"reason": reason, "note": note},
                        token=token)
    assert response.status_code == 201, response.json


def delete_me(api, token: str | None, body: dict):
    return api.client.delete("/api/auth/me", json=body, headers=api.headers(token))


def thread_count() -> int:
    return Thread.get(Thread.url == PAGE).count


def published_count() -> int:
    return Comment.select().where(Comment.status == "published").count()


def tallies() -> dict[int, tuple[int, int]]:
    return {c.id: (c.up, c.down) for c in Comment.select()}


# --- export -----------------------------------------------------------------------------------

def test_export_holds_own_comments_and_votes_and_nothing_of_another_account(api):
    bob = sign_up(api, "bob")
    bobs = write(api, bob, "Bob's secret thoughts.")
    alice = sign_up(api, "alice")
    mine = write(api, alice, "Alice writes.")
    reply = write(api, alice, "Alice answers Bob.", parent=bobs)
    vote(api, alice, bobs, 1)
    vote(api, bob, mine, -1)
    vote(api, None, mine, 1)  # an anonymous reader's vote is theirs, not Alice's
    report(api, alice, bobs, "other", "Bob shares  secrets.")
    report(api, bob, mine, "spam")

    response = api.get("/api/auth/me/export", token=alice)
    body = check(response, 200)
    assert response.headers["Content-Disposition"] \
        == 'attachment; filename="kommentar-export-alice.json"'
    assert body["account"]["username"] == "alice"
    assert set(body["account"]) == {"id", "username", "email", "email_verified", "role",
                                    "created"}
    assert [c["id"] for c in body["comments"]] == [mine, reply]
    first, second = body["comments"]
    assert (first["thread"], first["text"], first["parent"], first["status"]) \
        == (PAGE, "Alice writes.", None, "published")
    assert (first["up"], first["down"]) == (1, 1)
    assert second["parent"] == bobs
    assert [(v["comment"], v["value"]) for v in body["votes"]] == [(bobs, 1)]
    assert [(r["comment"], r["reason"], r["note"]) for r in body["reports"]] \
        == [(bobs, "other", "Bob shares secrets.")]
    raw = response.get_data(as_text=True)
    assert "Bob's secret" not in raw and "argon2" not in raw and "ip_hash" not in raw


def test_export_names_a_file_for_a_username_beyond_ascii(api):
    token = sign_up(api, "Åse Ng")
    response = api.get("/api/auth/me/export", token=token)
    check(response, 200)
    assert response.headers["Content-Disposition"] == (
        'attachment; filename="kommentar-export-_se Ng.json"; '
        "filename*=UTF-8''kommentar-export-%C3%85se%20Ng.json")


@pytest.mark.parametrize("token", [None, "s.forged", "v.not-a-session"])
def test_export_without_a_session_is_401(api, token):
    assert error_code(api.get("/api/auth/me/export", token=token), 401) == "unauthorized"


# --- deleting an account ----------------------------------------------------------------------

@pytest.fixture
def busy(api):
    """Alice's account in a busy thread: a comment Bob replied to, a chain of her own, a lone
    comment, a vote on Bob's comment; Bob and an anonymous reader voted on hers."""
    bob = sign_up(api, "bob")
    bobs = write(api, bob, "Bob starts.")
    alice = sign_up(api, "alice")
    answered = write(api, alice, "Alice, answered by Bob.")
    bobs_reply = write(api, bob, "Bob replies to Alice.", parent=answered)
    chain = write(api, alice, "Alice starts a chain.")
    chain_reply = write(api, alice, "Alice continues it.", parent=chain)
    lone = write(api, alice, "Alice alone.")
    vote(api, alice, bobs, 1)
    vote(api, None, bobs, 1)
    vote(api, bob, lone, 1)
    report(api, alice, bobs, "abuse")
    report(api, bob, lone, "spam")
    assert tallies()[bobs] == (2, 0)
    return {"alice": alice, "bob": bob, "bobs": bobs, "answered": answered,
            "bobs_reply": bobs_reply, "chain": chain, "chain_reply": chain_reply, "lone": lone}


def test_deleting_an_account_with_its_comments_keeps_threads_consistent(api, busy):
    alice = User.get(User.username == "alice").id
    check(delete_me(api, busy["alice"], {"password": PASSWORD, "comments": "delete"}), 204)

    assert User.get_or_none(User.id == alice) is None
    assert not Vote.select().where(Vote.voter == f"u:{alice}").exists()
    assert not Report.select().where(Report.reporter == f"u:{alice}").exists()
    assert Report.select().count() == 0  # Bob's report of her comment went with it
    assert tallies()[busy["bobs"]] == (1, 0)  # Alice's vote gone, the anonymous one stays
    remaining = {c.id: c for c in Comment.select()}
    assert set(remaining) == {busy["bobs"], busy["answered"], busy["bobs_reply"]}
    placeholder = remaining[busy["answered"]]
    assert (placeholder.status, placeholder.text, placeholder.html, placeholder.name,
            placeholder.author_id, placeholder.ip_hash) == ("deleted", "", "", "", None, None)
    assert thread_count() == published_count() == 2

    page = api.thread()
    assert page["thread"]["count"] == 2
    shown = {c["id"]: c for c in page["comments"]}
    assert shown[busy["answered"]]["deleted"] is True
    assert [r["id"] for r in shown[busy["answered"]]["replies"]] == [busy["bobs_reply"]]
    assert error_code(api.get("/api/auth/me", token=busy["alice"]), 401) == "session_expired"
    assert error_code(api.get("/api/auth/me/export", token=busy["alice"]), 401) \
        == "session_expired"
    assert api.get("/api/auth/me", token=busy["bob"]).status_code == 200


def test_anonymising_keeps_the_comments_without_any_link_to_the_account(api, busy):
    before = thread_count()
    check(delete_me(api, busy["alice"], {"password": PASSWORD, "comments": "anonymise"}), 204)

    assert User.get_or_none(User.username_key == "alice") is None
    assert tallies()[busy["bobs"]] == (1, 0)
    for key in ("answered", "chain", "chain_reply", "lone"):
        kept = Comment.get_by_id(busy[key])
        assert (kept.author_id, kept.name, kept.ip_hash, kept.status) \
            == (None, "deleted user", None, "published")
    assert tallies()[busy["lone"]] == (1, 0)  # others' votes on her comments stay
    assert [(r.comment_id, r.reporter) for r in Report.select()] \
        == [(busy["lone"], f"u:{User.get(User.username_key == 'bob').id}")]  # and reports
    assert thread_count() == published_count() == before == 6
    names = {c["author"]["name"] for c in api.thread()["comments"]}
    assert "alice" not in names and "deleted user" in names
    assert error_code(api.get("/api/auth/me", token=busy["alice"]), 401) == "session_expired"


def test_a_wrong_password_deletes_nothing(api, busy):
    before = (tallies(), Vote.select().count(), thread_count())
    response = delete_me(api, busy["alice"], {"password": "not my password", "comments": "delete"})
    assert error_code(response, 401) == "invalid_credentials"
    assert (tallies(), Vote.select().count(), thread_count()) == before
    assert api.get("/api/auth/me", token=busy["alice"]).status_code == 200


@pytest.mark.parametrize("body, code", [
    ({"password": PASSWORD}, "invalid_choice"),
    ({"password": PASSWORD, "comments": "keep"}, "invalid_choice"),
    ({"password": PASSWORD, "comments": ["delete"]}, "invalid_choice"),
    ({"comments": "delete"}, "invalid_input"),
    ({"password": 12345678, "comments": "anonymise"}, "invalid_input"),
])
def test_a_bad_deletion_request_is_400_and_deletes_nothing(api, body, code):
    token = sign_up(api, "alice")
    assert error_code(delete_me(api, token, body), 400) == code
    assert api.get("/api/auth/me", token=token).status_code == 200


@pytest.mark.parametrize("token", [None, "s.forged"])
def test_deleting_without_a_session_is_401(api, token):
    sign_up(api, "alice")
    response = delete_me(api, token, {"password": PASSWORD, "comments": "delete"})
    assert error_code(response, 401) == "unauthorized"
    assert User.select().count() == 1


def test_deleting_an_account_lifts_its_bans(api):
    token = sign_up(api, "alice")
    user = User.get(User.username == "alice")
    Ban.create(target=f"u:{user.id}", kind="ban")
    check(delete_me(api, token, {"password": PASSWORD, "comments": "delete"}), 204)
    assert Ban.select().count() == 0


# --- IP hash retention ------------------------------------------------------------------------

@pytest.fixture
def aged(api):
    """Two comments, two anonymous votes and reports, one of each 31 days old; four IP bans
    and holds."""
    old, new = write(api, None, "Written long ago."), write(api, None, "Written today.")
    vote(api, None, old, 1)
    api.client.environ_base["REMOTE_ADDR"] = "192.0.2.7"  # a second voter
    vote(api, None, new, 1)
    report(api, None, old, "spam")
    report(api, None, new, "spam")
    long_ago = utcnow() - timedelta(days=31)
    Comment.update(created=long_ago).where(Comment.id == old).execute()
    Vote.update(created=long_ago).where(Vote.comment == old).execute()
    Report.update(created=long_ago).where(Report.comment == old).execute()
    now = utcnow()
    Ban.create(target="ip:aaaa", kind="ban", until=now - timedelta(hours=1))
    Ban.create(target="ip:bbbb", kind="spam", until=now - timedelta(days=2))
    Ban.create(target="ip:cccc", kind="ban", until=None)
    Ban.create(target="ip:dddd", kind="ban", until=now + timedelta(days=1))
    Ban.create(target="u:1", kind="ban", until=now - timedelta(hours=1))
    return old, new


def hashes() -> tuple[dict[int, str | None], ...]:
    return ({c.id: c.ip_hash for c in Comment.select()},
            {v.comment_id: v.ip_hash for v in Vote.select()},
            {r.comment_id: r.ip_hash for r in Report.select()})


def test_purge_ip_hashes_clears_old_hashes_only(run, aged):
    old, new = aged
    result = run("purge-ip-hashes")
    assert result.exit_code == 0, result.output
    assert result.output == ("cleared 1 comment, 1 vote and 1 report IP hashes; "
                             "removed 2 ended IP bans\n")
    comments, votes, reports = hashes()
    assert comments[old] is None and comments[new] is not None
    assert votes[old] is None and votes[new] is not None
    assert reports[old] is None and reports[new] is not None
    assert sorted(b.target for b in Ban.select()) == ["ip:cccc", "ip:dddd", "u:1"]
    assert run("purge-ip-hashes").output == ("cleared 0 comment, 0 vote and 0 report IP "
                                             "hashes; removed 0 ended IP bans\n")


def test_purge_ip_hashes_follows_the_retention_setting_and_option(run, aged):
    old, new = aged
    kept = run("purge-ip-hashes", KOMMENTAR_IP_HASH_RETENTION="0")
    assert kept.output.startswith("cleared 0 comment, 0 vote and 0 report IP hashes (retention 0")
    assert all(hashes()[0].values())
    assert run("purge-ip-hashes", KOMMENTAR_IP_HASH_RETENTION=str(40 * 86400)).output \
        .startswith("cleared 0 comment, 0 vote and 0 report IP hashes;")
    assert run("purge-ip-hashes", "--retention", "0s").output \
        .startswith("cleared 0 comment")  # 0s is "keep", as in the setting
    assert run("purge-ip-hashes", "--retention", "1d").output \
        .startswith("cleared 1 comment, 1 vote and 1 report IP hashes;")
    comments, votes, reports = hashes()
    assert comments[new] is not None and votes[new] is not None and reports[new] is not None


# --- security headers -------------------------------------------------------------------------

def assert_secure(response):
    assert response.headers.get_all("X-Content-Type-Options") == ["nosniff"]
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"


@pytest.mark.parametrize("method, path, status", [
    ("get", "/api/config", 200),
    ("get", "/api/openapi.json", 200),
    ("get", f"/api/threads?url={PAGE}", 200),
    ("get", "/api/comments/4242", 404),
    ("get", "/api/threads", 400),
    ("get", "/api/auth/me", 401),
    ("get", "/api/nowhere", 404),
])
def test_json_responses_carry_the_security_headers(api, method, path, status):
    response = api.client.open(path, method=method.upper(), headers=api.headers())
    assert response.status_code == status
    assert_secure(response)


def test_errors_before_the_view_carry_the_security_headers(api):
    response = api.client.post("/api/comments", data=b"{}", headers={
        "Origin": "https://elsewhere.example", "Content-Type": "application/json"})
    assert response.status_code == 403
    assert_secure(response)


def test_the_embed_script_carries_the_security_headers(client):
    response = client.get("/embed.js")
    assert response.status_code == 200
    assert_secure(response)


def test_the_admin_route_keeps_its_own_stricter_headers(client):
    response = client.get("/admin/login")
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert "style-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers.get_all("Referrer-Policy") == ["same-origin"]


def test_the_export_is_not_cached(api):
    token = sign_up(api, "alice")
    response = api.get("/api/auth/me/export", token=token)
    assert_secure(response)
    assert response.headers["Cache-Control"] == "no-store"
    assert json.loads(response.data)["account"]["username"] == "alice"


def test_json_answers_forbid_everything_if_rendered(api):
    for response in (api.get("/api/config"), api.get("/api/nothing-here")):
        assert response.headers["Content-Security-Policy"] == \
            "default-src 'none'; frame-ancestors 'none'"
