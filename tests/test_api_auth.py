"""Accounts over HTTP: registering, logging in and out, and what a session token is worth."""

from __future__ import annotations

import itsdangerous.timed
import pytest
from argon2 import PasswordHasher
from support import CHEAP_ARGON2, SITE, Api, Clock

from kommentar import accounts, config, create_app

PASSWORD = "correct horse battery"
OWASP_ARGON2ID = "$argon2id$v=19$m=19456,t=2,p=1$"  # OWASP's first choice for argon2id
CHEAP_ARGON2ID = (  # what the test apps are configured with
    "$argon2id$v=19$m={ARGON2_MEMORY_COST},t={ARGON2_TIME_COST},p={ARGON2_PARALLELISM}$"
    .format(**CHEAP_ARGON2))


def register(api, username="alice", password=PASSWORD, **extra):
    return api.post("/api/auth/register", {"username": username, "password": password, **extra})


def login(api, username="alice", password=PASSWORD):
    return api.post("/api/auth/login", {"username": username, "password": password})


def me(api, token):
    return api.get("/api/auth/me", token=token)


def assert_error(response, status, code):
    assert response.status_code == status, response.json
    assert response.json["error"]["code"] == code
    assert response.json["error"]["message"]


def stored_hash(username="alice"):
    from kommentar.models import User

    return User.get(User.username_key == username).password_hash


# --- registering ------------------------------------------------------------------------------

def test_register_returns_a_session_token_and_the_account(api):
    response = register(api, "Alice", email="alice@example.org")
    assert response.status_code == 201
    body = response.json
    assert body["token"].startswith("s.")
    assert body["user"]["username"] == "Alice"
    assert body["user"]["email"] == "alice@example.org"
    assert body["user"]["role"] == "user"
    assert set(body["user"]) == {"id", "username", "created", "email", "email_verified", "role",
                                 "password", "providers"}
    assert body["user"]["email_verified"] is None  # mail is off: nothing verifies it
    assert me(api, body["token"]).json["user"]["id"] == body["user"]["id"]


@pytest.mark.parametrize("first, second", [
    ("alice", "alice"),
    ("Alice", "alice"),
    ("alice", "ALICE"),
    ("Åse", "åse"),
    ("A\u030ase", "åse"),  # decomposed Å: the same name to a reader
    ("alice", "  alice "),
])
def test_a_taken_username_is_409_whatever_its_case_or_form(api, first, second):
    assert register(api, first).status_code == 201
    assert_error(register(api, second, password="another good password"), 409, "username_taken")


@pytest.mark.parametrize("body, code", [
    ({"password": PASSWORD}, "invalid_username"),
    ({"username": None, "password": PASSWORD}, "invalid_username"),
    ({"username": 42, "password": PASSWORD}, "invalid_username"),
    ({"username": ["alice"], "password": PASSWORD}, "invalid_username"),
    ({"username": "", "password": PASSWORD}, "invalid_username"),
    ({"username": "   ", "password": PASSWORD}, "invalid_username"),
    ({"username": "a", "password": PASSWORD}, "invalid_username"),
    ({"username": "a" * 41, "password": PASSWORD}, "invalid_username"),
    ({"username": "ß" * 21, "password": PASSWORD}, "invalid_username"),  # folds to 42 characters
    ({"username": "ali/ce", "password": PASSWORD}, "invalid_username"),
    ({"username": "<script>", "password": PASSWORD}, "invalid_username"),
    ({"username": "two  spaces", "password": PASSWORD}, "invalid_username"),
    ({"username": "line\nbreak", "password": PASSWORD}, "invalid_username"),
    ({"username": "alice"}, "weak_password"),
    ({"username": "alice", "password": None}, "weak_password"),
    ({"username": "alice", "password": 12345678}, "weak_password"),
    ({"username": "alice", "password": ""}, "weak_password"),
    ({"username": "alice", "password": "7chars!"}, "weak_password"),
    ({"username": "alice-smith", "password": "alice-smith"}, "weak_password"),
    ({"username": "alice-smith", "password": "ALICE-SMITH"}, "weak_password"),
    ({"username": "alice", "password": "x" * 1025}, "weak_password"),
    ({"username": "alice", "password": PASSWORD, "email": "not an address"}, "invalid_email"),
    ({"username": "alice", "password": PASSWORD, "email": 5}, "invalid_email"),
    # A control character Python counts as space but JSON Schema patterns do not: the
    # document and the server refuse it alike (an outside fuzzer found them disagreeing).
    ({"username": "alice", "password": PASSWORD, "email": "a@b.c\x1cd"}, "invalid_email"),
    ({"username": "alice", "password": PASSWORD, "email": "a\ufeff@b.cd"}, "invalid_email"),
])
def test_invalid_registration_is_400_and_leaves_the_name_free(api, body, code):
    assert_error(api.post("/api/auth/register", body), 400, code)
    assert register(api, "alice").status_code == 201  # nothing half-written


def test_longest_password_is_accepted(api):
    longest = "p" * 1024
    assert register(api, password=longest).status_code == 201
    assert login(api, password=longest).status_code == 200


def test_a_server_left_at_its_defaults_hashes_at_owasps_cost():
    # The one test that hashes at full cost; every other one runs at CHEAP_ARGON2.
    defaults = config.load(".", {"secret_key": "k", "origins": SITE}, environ={})
    password_hash = accounts.hasher(defaults).hash(PASSWORD)
    assert password_hash.startswith(OWASP_ARGON2ID)
    assert accounts.password_matches(password_hash, PASSWORD)


def test_password_is_stored_as_an_argon2id_hash_at_the_configured_cost(api):
    register(api, password=PASSWORD)
    password_hash = stored_hash()
    assert password_hash.startswith(CHEAP_ARGON2ID)
    assert PASSWORD not in password_hash


def test_hash_at_another_cost_still_opens_and_is_replaced_on_login(api):
    from kommentar.models import User

    register(api)
    old = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1).hash(PASSWORD)
    User.update(password_hash=old).where(User.username_key == "alice").execute()

    assert login(api).status_code == 200
    rehashed = stored_hash()
    assert rehashed != old and rehashed.startswith(CHEAP_ARGON2ID)
    assert login(api).status_code == 200


# --- logging in -------------------------------------------------------------------------------

def test_login_token_opens_me(api):
    user = register(api).json["user"]
    response = login(api, "ALICE")  # names are matched the way they are kept unique
    assert response.status_code == 200
    assert response.json["user"] == user
    assert me(api, response.json["token"]).json == {"user": user}


def test_wrong_password_and_unknown_user_look_the_same(api):
    register(api)
    wrong = login(api, password="incorrect horse")
    unknown = login(api, username="mallory")
    too_long = login(api, password="x" * 5000)
    for response in (wrong, unknown, too_long):
        assert_error(response, 401, "invalid_credentials")
    assert wrong.json == unknown.json == too_long.json


@pytest.mark.parametrize("body", [
    {},
    {"username": "alice"},
    {"password": PASSWORD},
    {"username": 5, "password": PASSWORD},
    {"username": "alice", "password": ["list"]},
])
def test_login_without_text_credentials_is_400(api, body):
    register(api)
    assert_error(api.post("/api/auth/login", body), 400, "invalid_input")


# --- logging out and what a token is worth ---------------------------------------------------

def test_logout_ends_every_session_of_the_account(api):
    register(api)
    laptop = login(api).json["token"]
    phone = login(api).json["token"]
    assert api.post("/api/auth/logout", token=laptop).status_code == 204
    for token in (laptop, phone):
        assert_error(me(api, token), 401, "session_expired")
    fresh = login(api).json["token"]
    assert me(api, fresh).status_code == 200


def test_logout_leaves_other_accounts_signed_in(api):
    alice = register(api, "alice").json["token"]
    bob = register(api, "bob").json["token"]
    api.post("/api/auth/logout", token=alice)
    assert me(api, bob).status_code == 200


def test_logout_without_a_session_is_401(api):
    assert_error(api.post("/api/auth/logout"), 401, "unauthorized")


def _flip(text: str, index: int) -> str:
    return text[:index] + ("A" if text[index] != "A" else "B") + text[index + 1:]


@pytest.mark.parametrize("tamper", [
    pytest.param(lambda t: _flip(t, len(t) - 10), id="signature"),
    pytest.param(lambda t: _flip(t, 4), id="payload"),
    pytest.param(lambda t: "e." + t[2:], id="edit-prefix"),
    pytest.param(lambda t: "v." + t[2:], id="voter-prefix"),
    pytest.param(lambda t: t[2:], id="no-prefix"),
    pytest.param(lambda t: t.rsplit(".", 1)[0], id="no-signature"),
    pytest.param(lambda t: "s.garbage", id="garbage"),
])
def test_tampered_token_is_401(api, tamper):
    token = register(api).json["token"]
    forged = tamper(token)
    assert forged != token
    assert_error(me(api, forged), 401, "unauthorized")


def test_token_signed_with_another_key_is_401(api, settings):
    token = register(api).json["token"]
    other = Api(create_app({**settings, "secret_key": "someone-else"}).test_client())
    assert_error(me(other, token), 401, "unauthorized")


@pytest.mark.parametrize("header", ["Basic x", "Bearer", "Bearer  ", "Token abc", "s.abc"])
def test_authorization_that_is_not_bearer_is_401(client, header):
    response = client.get("/api/auth/me", headers={"Authorization": header})
    assert_error(response, 401, "unauthorized")


def test_me_without_a_token_is_401(api):
    assert_error(me(api, None), 401, "unauthorized")


@pytest.fixture
def settings(settings):
    return {**settings, "session_max_age": 3600}


def test_session_token_expires_after_session_max_age(api, monkeypatch):
    token = register(api).json["token"]
    monkeypatch.setattr(itsdangerous.timed, "time", Clock(3600 - 60))
    assert me(api, token).status_code == 200
    monkeypatch.setattr(itsdangerous.timed, "time", Clock(3600 + 2))
    assert_error(me(api, token), 401, "session_expired")


def test_edit_and_voter_tokens_are_not_sessions(api):
    comment = api.comment()
    voted = api.post(f"/api/comments/{comment['id']}/vote", {"value": 1}).json
    for token in (comment["edit_token"], voted["voter_token"]):
        assert_error(me(api, token), 401, "unauthorized")


def test_session_token_is_not_an_edit_token(api):
    comment = api.comment()
    session = register(api).json["token"]
    response = api.patch(f"/api/comments/{comment['id']}", {"text": "hijacked"}, token=session)
    assert response.status_code == 403
    assert api.thread()["comments"][0]["html"] == "<p>A comment.</p>"


# --- key rotation -----------------------------------------------------------------------------

def test_rotated_key_keeps_old_tokens_until_the_old_key_is_dropped(settings):
    signed_before = Api(create_app({**settings, "secret_key": ["old"]}).test_client())
    token = register(signed_before).json["token"]

    rotated = Api(create_app({**settings, "secret_key": ["new", "old"]}).test_client())
    assert me(rotated, token).status_code == 200
    new_token = login(rotated).json["token"]
    assert me(rotated, new_token).status_code == 200

    dropped = Api(create_app({**settings, "secret_key": ["new"]}).test_client())
    assert_error(me(dropped, token), 401, "unauthorized")
    assert me(dropped, new_token).status_code == 200  # the new key signs from the start
