"""Voting: one vote per voter per comment, changed or withdrawn, never counted twice."""

from __future__ import annotations

import pytest
from support import SITE

POST = f"{SITE}/post"


def vote(api, comment_id, value, token=None, address="10.0.0.1"):
    return api.client.post(f"/api/comments/{comment_id}/vote", json={"value": value},
                           headers=api.headers(token), environ_base={"REMOTE_ADDR": address})


@pytest.fixture
def comment(api):
    return api.comment("Vote on me")


def test_first_anonymous_vote_mints_a_voter_token(api, comment):
    response = vote(api, comment["id"], 1)
    assert response.status_code == 200
    assert response.json["up"] == 1 and response.json["down"] == 0 and response.json["mine"] == 1
    assert response.json["voter_token"].startswith("v.")


def test_second_vote_replaces_the_first(api, comment):
    token = vote(api, comment["id"], 1).json["voter_token"]
    again = vote(api, comment["id"], 1, token)
    assert again.json == {"up": 1, "down": 0, "mine": 1}
    changed = vote(api, comment["id"], -1, token)
    assert changed.json == {"up": 0, "down": 1, "mine": -1}
    withdrawn = vote(api, comment["id"], 0, token)
    assert withdrawn.json == {"up": 0, "down": 0, "mine": 0}
    assert api.thread()["comments"][0]["down"] == 0


def test_the_tally_follows_every_change_of_every_voter(api, comment):
    """A vote moves the stored tally by its change: after any mix of first votes, changes,
    repeats and withdrawals it matches each reader's latest vote."""
    tokens, latest = {}, {}
    for reader, value in [(0, 1), (1, 1), (2, -1), (0, -1), (1, 0), (2, -1), (3, 1), (0, 0),
                          (3, -1), (1, 1), (1, 1), (4, 0)]:
        response = vote(api, comment["id"], value, tokens.get(reader), f"10.0.2.{reader}")
        tokens.setdefault(reader, response.json.get("voter_token"))
        latest[reader] = value
        expected = (list(latest.values()).count(1), list(latest.values()).count(-1))
        assert (response.json["up"], response.json["down"]) == expected
    assert (api.thread()["comments"][0]["up"], api.thread()["comments"][0]["down"]) == expected


def test_dropping_the_voter_token_does_not_buy_a_second_vote(api, comment):
    vote(api, comment["id"], 1)
    second = vote(api, comment["id"], 1)  # same address, no token
    assert second.json["up"] == 1


def test_readers_at_different_addresses_each_count(api, comment):
    for n in range(3):
        vote(api, comment["id"], 1, address=f"10.0.0.{n + 1}")
    last = vote(api, comment["id"], -1, address="10.0.1.1").json
    assert (last["up"], last["down"], last["mine"]) == (3, 1, -1)
    thread = api.thread()["comments"][0]
    assert (thread["up"], thread["down"]) == (3, 1)


def test_accounts_vote_once_each(api, comment):
    api.register("ivy")
    vote(api, comment["id"], 1)
    vote(api, comment["id"], 1)
    api.register("jack")
    assert vote(api, comment["id"], 1).json == {"up": 2, "down": 0, "mine": 1}


def test_reader_sees_their_own_votes(api):
    a, b, c = (api.comment(t)["id"] for t in "abc")
    token = vote(api, a, 1).json["voter_token"]
    vote(api, b, -1, token)
    response = api.get("/api/mine", url=POST, token=token)
    assert response.status_code == 200
    assert response.json == {"votes": {str(a): 1, str(b): -1}, "pending": [],
                             "reports": []}
    assert str(c) not in response.json["votes"]


def test_votes_without_a_token_are_empty(api, comment):
    assert api.get("/api/mine", url=POST).json == {"votes": {}, "pending": [],
                                                       "reports": []}


def test_account_cannot_vote_on_its_own_comment(api):
    api.register("kim")
    mine = api.comment("mine")
    response = vote(api, mine["id"], 1, api.token)
    assert response.status_code == 403 and response.json["error"]["code"] == "own_comment"


@pytest.mark.parametrize("value", [2, -2, "1", True, None, 1.5])
def test_invalid_vote_values_are_400(api, comment, value):
    response = vote(api, comment["id"], value)
    assert response.status_code == 400 and response.json["error"]["code"] == "invalid_vote"
    assert api.thread()["comments"][0]["up"] == 0


def test_vote_on_unknown_or_deleted_comment_is_404(api, comment):
    assert vote(api, 10**9, 1).status_code == 404
    api.delete(f"/api/comments/{comment['id']}", token=comment["edit_token"])
    assert vote(api, comment["id"], 1).status_code == 404


def test_forged_voter_token_is_401(api, comment):
    response = vote(api, comment["id"], 1, token="v.forged.token.value")
    assert response.status_code == 401


def test_best_order_follows_votes(api):
    low, high = api.comment("low")["id"], api.comment("high")["id"]
    for n in range(3):
        vote(api, high, 1, address=f"10.1.0.{n}")
    vote(api, low, 1, address="10.2.0.1")
    assert [c["id"] for c in api.thread(sort="best")["comments"]] == [high, low]


class TestAccountsOnlyVoting:
    @pytest.fixture
    def settings(self, settings):
        settings["voting"] = "accounts"
        return settings

    def test_anonymous_vote_asks_to_log_in(self, api, comment):
        response = vote(api, comment["id"], 1)
        assert response.status_code == 401 and response.json["error"]["code"] == "login_required"

    def test_account_votes(self, api, comment):
        api.register("lena")
        assert vote(api, comment["id"], 1).json == {"up": 1, "down": 0, "mine": 1}


def _vote_via_proxy(api, comment_id, forwarded_for):
    return api.client.post(f"/api/comments/{comment_id}/vote", json={"value": 1},
                           headers={**api.headers(), "X-Forwarded-For": forwarded_for},
                           environ_base={"REMOTE_ADDR": "192.0.2.1"})


def test_forwarded_addresses_are_ignored_without_trusted_proxies(api, comment):
    _vote_via_proxy(api, comment["id"], "10.9.0.1")
    assert _vote_via_proxy(api, comment["id"], "10.9.0.2").json["up"] == 1


class TestBehindAProxy:
    @pytest.fixture
    def settings(self, settings):
        settings["trusted_proxies"] = 1
        return settings

    def test_each_forwarded_client_counts(self, api, comment):
        _vote_via_proxy(api, comment["id"], "10.9.0.1")
        assert _vote_via_proxy(api, comment["id"], "10.9.0.2").json["up"] == 2
        assert _vote_via_proxy(api, comment["id"], "10.9.0.2").json["up"] == 2


def test_no_request_opens_a_cookie_session(api, comment):
    """Flask's cookie session is never opened: the API is stateless and the admin signs its
    own cookie, so a request pays for no signature check it has no use for."""
    from flask import session
    from flask.sessions import NullSession

    with api.client:
        response = vote(api, comment["id"], 1)
        assert isinstance(session._get_current_object(), NullSession)
    assert "Set-Cookie" not in response.headers
