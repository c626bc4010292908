"""Account addresses and forgotten passwords, by mail to a real SMTP server on 127.0.0.1:
verification links (registration and ``PATCH /api/auth/me``), ``POST /api/auth/password-reset``
answering 202 whatever it finds, the quiet mail limits, and the pages the links open, with
every way a link is refused. Time is moved with itsdangerous' clock, never by waiting."""

from __future__ import annotations

import re

import itsdangerous.timed
import pytest
from mail_server import PUBLIC_URL
from support import SITE, Api, Clock

from kommentar import outbox, tokens
from kommentar.models import OutboxMessage, User

PASSWORD = "correct horse battery"
NEW_PASSWORD = "a brand new passphrase"
ADDRESS = "alice@example.org"
LINK = re.compile(re.escape(PUBLIC_URL) + r"/mail/(verify|reset)/(\S+)")


@pytest.fixture
def settings(settings, mail_server):
    """The test app with mail on, through ``mail_server``."""
    return {**settings, **mail_server.settings()}


def deliver(app) -> int:
    """Send what is queued; how many went."""
    with app.app_context():
        return outbox.deliver_due(app.config).sent


def account(api: Api, username="alice", email: str | None = ADDRESS, **extra) -> dict:
    """Register an account (signed in on ``api``) and return the answer's user."""
    body = {"username": username, "password": PASSWORD, **extra}
    if email is not None:
        body["email"] = email
    response = api.post("/api/auth/register", body)
    assert response.status_code == 201, response.json
    api.token = response.json["token"]
    return response.json["user"]


def link_in(received) -> tuple[str, str]:
    """The (action, path) of the one link in a letter, the same in both of its parts."""
    [(action, token)] = LINK.findall(received.text())
    assert f"{PUBLIC_URL}/mail/{action}/{token}" in received.html()
    return action, f"/mail/{action}/{token}"


def verified(app, api: Api, mail_server, username="alice", address=ADDRESS) -> dict:
    """An account whose address has been verified through its link; its user."""
    account(api, username, address)
    deliver(app)
    _, path = link_in(mail_server.received[-1])
    assert api.client.post(path).status_code == 200
    return api.get("/api/auth/me").json["user"]


def ask_reset(api: Api, login: str, **extra):
    response = api.post("/api/auth/password-reset", {"login": login, **extra}, token=None)
    assert response.status_code == 202, response.json
    assert response.data == b""
    return response


def reset_link(app, api: Api, mail_server, login="alice", **extra) -> str:
    ask_reset(api, login, **extra)
    assert deliver(app) == 1
    action, path = link_in(mail_server.received[-1])
    assert action == "reset"
    return path


def stored(username="alice") -> User:
    return User.get(User.username == username)


# --- verifying an address -----------------------------------------------------------------------

def test_registration_with_an_address_mails_its_verification_link(app, api, mail_server):
    user = account(api)
    assert user["email"] == ADDRESS and user["email_verified"] is None
    assert deliver(app) == 1
    [letter] = mail_server.received
    assert letter.recipients == [ADDRESS]
    assert letter.message["Subject"] == "Confirm your address for your comments account"
    assert "Hello alice," in letter.text()
    action, path = link_in(letter)
    assert action == "verify" and path.startswith("/mail/verify/a.")
    assert ADDRESS not in path  # the link carries a keyed fingerprint, not the address

    page = api.client.get(path)  # opening it changes nothing
    assert page.status_code == 200 and "<form method=\"post\">" in page.text
    assert api.get("/api/auth/me").json["user"]["email_verified"] is None

    done = api.client.post(path)
    assert done.status_code == 200 and "your address is confirmed" in done.text
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ",
                        api.get("/api/auth/me").json["user"]["email_verified"])


def test_a_danish_reader_gets_a_danish_letter_and_page(app, api, mail_server):
    account(api, lang="da-DK")
    deliver(app)
    [letter] = mail_server.received
    assert letter.message["Subject"] == "Bekræft din adresse til din kommentarkonto"
    _, path = link_in(letter)
    page = api.client.get(path, headers={"Accept-Language": "en"})  # the link's language
    assert '<html lang="da">' in page.text and "Bekræft min adresse" in page.text


def test_registration_without_an_address_sends_nothing(app, api, mail_server):
    account(api, email=None)
    assert deliver(app) == 0


def test_changing_the_address_sends_a_new_link_and_voids_the_old_one(app, api, mail_server):
    account(api)
    deliver(app)
    _, old_link = link_in(mail_server.received[0])

    response = api.patch("/api/auth/me", {"email": "Alice@Example.NET"})
    assert response.status_code == 200
    assert response.json["user"]["email"] == "Alice@Example.NET"
    assert response.json["user"]["email_verified"] is None
    assert deliver(app) == 1
    assert mail_server.received[1].recipients == ["Alice@Example.NET"]

    stale = api.client.post(old_link)
    assert stale.status_code == 400 and "no longer has" in stale.text
    assert api.get("/api/auth/me").json["user"]["email_verified"] is None
    _, new_link = link_in(mail_server.received[1])
    assert api.client.post(new_link).status_code == 200
    assert api.get("/api/auth/me").json["user"]["email_verified"] is not None


def test_setting_the_verified_address_again_keeps_it_verified(app, api, mail_server):
    verified(app, api, mail_server)
    response = api.patch("/api/auth/me", {"email": ADDRESS.upper()})
    assert response.json["user"]["email_verified"] is not None
    assert response.json["user"]["email"] == ADDRESS
    assert deliver(app) == 0


def test_an_unverified_address_set_again_is_sent_its_link_again(app, api, mail_server):
    account(api)
    api.patch("/api/auth/me", {"email": ADDRESS})
    assert deliver(app) == 2


@pytest.mark.parametrize("empty", [None, ""])
def test_removing_the_address_forgets_it_and_its_verification(app, api, mail_server, empty):
    verified(app, api, mail_server)
    response = api.patch("/api/auth/me", {"email": empty})
    assert response.status_code == 200
    assert response.json["user"]["email"] is None
    assert response.json["user"]["email_verified"] is None
    assert deliver(app) == 0


@pytest.mark.parametrize("body, status, code", [
    ({}, 400, "invalid_input"),
    ({"email": "not an address"}, 400, "invalid_email"),
    ({"email": 5}, 400, "invalid_email"),
    ({"email": ADDRESS, "lang": 5}, 400, "invalid_lang"),
])
def test_a_bad_address_change_is_400_and_changes_nothing(app, api, body, status, code):
    account(api)
    response = api.patch("/api/auth/me", body)
    assert response.status_code == status and response.json["error"]["code"] == code
    assert api.get("/api/auth/me").json["user"]["email"] == ADDRESS


def test_changing_the_address_needs_a_session(api):
    response = api.patch("/api/auth/me", {"email": ADDRESS})
    assert response.status_code == 401


def test_with_mail_off_the_address_is_kept_unverified_and_nothing_is_queued(api, settings):
    from kommentar import create_app

    off = Api(create_app({**settings, "smtp_host": None}).test_client())
    assert account(off)["email_verified"] is None
    assert off.patch("/api/auth/me", {"email": "other@example.org"}).status_code == 200
    ask_reset(off, "alice")
    assert OutboxMessage.select().count() == 0


def test_the_address_is_only_in_its_owners_answers(app, api, mail_server):
    account(api)
    comment = api.comment("Mine.")
    other = Api(api.client)
    assert ADDRESS not in other.thread().__repr__()
    assert ADDRESS not in api.client.get(f"/api/comments/{comment['id']}").text
    assert ADDRESS in api.get("/api/auth/me").text


def test_the_export_has_the_address_and_whether_it_is_verified(app, api, mail_server):
    user = verified(app, api, mail_server)
    exported = api.get("/api/auth/me/export").json["account"]
    assert exported["email"] == ADDRESS
    assert exported["email_verified"] == user["email_verified"] is not None


def test_deleting_the_account_deletes_the_letters_kept_for_it(app, api, mail_server):
    verified(app, api, mail_server)
    ask_reset(api, "alice")  # queued, not yet sent
    assert OutboxMessage.select().where(OutboxMessage.destination == ADDRESS).count() == 2
    response = api.client.delete("/api/auth/me", json={"password": PASSWORD,
                                                       "comments": "delete"},
                                 headers=api.headers())
    assert response.status_code == 204
    assert OutboxMessage.select().where(OutboxMessage.destination == ADDRESS).count() == 0


# --- asking for a reset -------------------------------------------------------------------------

@pytest.mark.parametrize("login, mailed", [
    ("alice", True),
    ("ALICE", True),
    ("Alice@Example.org", True),
    ("bob", False),  # an unverified address
    ("bob@example.org", False),
    ("nobody", False),
    ("nobody@example.org", False),
])
def test_a_reset_is_202_whatever_the_login_and_mails_only_a_verified_address(
        app, api, mail_server, login, mailed):
    verified(app, api, mail_server)
    account(Api(api.client), "bob", "bob@example.org")
    deliver(app)
    before = len(mail_server.received)
    ask_reset(api, login)
    assert deliver(app) == int(mailed)
    if mailed:
        assert mail_server.received[before].recipients == [ADDRESS]


def test_the_reset_letter_has_a_one_hour_link_in_the_readers_language(app, api, mail_server):
    verified(app, api, mail_server)
    path = reset_link(app, api, mail_server, lang="da")
    letter = mail_server.received[-1]
    assert letter.message["Subject"] == "Vælg en ny adgangskode til din kommentarkonto"
    assert "i 60 minutter" in letter.text()
    assert path.startswith("/mail/reset/r.")
    page = api.client.get(path)
    assert '<html lang="da">' in page.text and "Ny adgangskode til" in page.text
    assert page.headers["Referrer-Policy"] == "no-referrer"
    assert "form-action 'self'" in page.headers["Content-Security-Policy"]


@pytest.mark.parametrize("body, code", [
    ({}, "invalid_login"),
    ({"login": ""}, "invalid_login"),
    ({"login": 5}, "invalid_login"),
    ({"login": "alice", "lang": ["da"]}, "invalid_lang"),
])
def test_a_reset_without_a_login_is_400(api, body, code):
    response = api.post("/api/auth/password-reset", body)
    assert response.status_code == 400 and response.json["error"]["code"] == code


@pytest.fixture
def limited(settings):
    """Rate limits on, at their defaults for mail (3 an hour per address)."""
    return {**settings, "ratelimit": True, "limit_login": "100/minute",
            "limit_register": "100/minute"}


def test_the_fourth_reset_in_an_hour_sends_nothing_but_still_answers_202(limited, mail_server):
    from kommentar import create_app

    app = create_app(limited)
    api = Api(app.test_client())
    verified(app, api, mail_server)
    before = len(mail_server.received)
    for login in ("alice", ADDRESS, "alice"):
        ask_reset(api, login)
    assert deliver(app) == 3
    ask_reset(api, "ALICE")
    assert deliver(app) == 0
    assert len(mail_server.received) == before + 3


def test_one_client_cannot_mail_more_than_its_limit(limited, mail_server):
    from kommentar import create_app

    app = create_app({**limited, "limit_mail_client": "3/hour"})
    api = Api(app.test_client())
    for name in ("anna", "bert", "carl", "dora"):
        account(api, name, f"{name}@example.org")
    assert deliver(app) == 3  # the fourth verification letter went over the client's limit


def test_the_reset_route_is_rate_limited_like_log_in(settings, mail_server):
    from kommentar import create_app

    api = Api(create_app({**settings, "ratelimit": True, "limit_login": "2/minute"})
              .test_client())
    for _ in range(2):
        ask_reset(api, "nobody")
    response = api.post("/api/auth/password-reset", {"login": "nobody"})
    assert response.status_code == 429 and response.json["error"]["code"] == "rate_limited"


# --- the reset page -----------------------------------------------------------------------------

def test_opening_the_reset_link_changes_nothing(app, api, mail_server):
    verified(app, api, mail_server)
    path = reset_link(app, api, mail_server)
    before = stored().password_hash
    page = api.client.get(path)
    assert page.status_code == 200
    assert 'name="password"' in page.text and 'autocomplete="new-password"' in page.text
    assert stored().password_hash == before
    assert api.get("/api/auth/me").status_code == 200


@pytest.mark.parametrize("password, rule", [
    ("short", "at least 8 characters"),
    ("x" * 1025, "at most 1,024 characters"),
    ("", "at least 8 characters"),
])
def test_a_weak_password_shows_the_rule_and_keeps_the_link(app, api, mail_server, password,
                                                           rule):
    verified(app, api, mail_server)
    path = reset_link(app, api, mail_server)
    before = stored().password_hash
    page = api.client.post(path, data={"password": password})
    assert page.status_code == 400 and rule in page.text
    assert stored().password_hash == before
    assert api.client.post(path, data={"password": NEW_PASSWORD}).status_code == 200


def test_the_username_as_password_is_refused(app, api, mail_server):
    verified(app, api, mail_server, username="alice-in-wonderland")
    path = reset_link(app, api, mail_server, login="alice-in-wonderland")
    page = api.client.post(path, data={"password": "ALICE-IN-WONDERLAND"})
    assert page.status_code == 400 and "other than your username" in page.text


def test_a_new_password_ends_every_session_and_opens_the_account(app, api, mail_server):
    verified(app, api, mail_server)
    old_session = api.token
    path = reset_link(app, api, mail_server)

    done = api.client.post(path, data={"password": NEW_PASSWORD})
    assert done.status_code == 200 and "Your new password is set" in done.text

    assert api.get("/api/auth/me", token=old_session).json["error"]["code"] == "session_expired"
    assert api.post("/api/auth/login", {"username": "alice", "password": PASSWORD},
                    token=None).status_code == 401
    assert api.post("/api/auth/login", {"username": "alice", "password": NEW_PASSWORD},
                    token=None).status_code == 200


def test_a_used_link_is_410_and_says_so(app, api, mail_server):
    verified(app, api, mail_server)
    path = reset_link(app, api, mail_server)
    assert api.client.post(path, data={"password": NEW_PASSWORD}).status_code == 200
    for again in (api.client.get(path), api.client.post(path, data={"password": "another one!"})):
        assert again.status_code == 410 and "It has been used already" in again.text
    assert api.post("/api/auth/login", {"username": "alice", "password": NEW_PASSWORD},
                    token=None).status_code == 200


def test_any_password_change_voids_an_earlier_link(app, api, mail_server, monkeypatch):
    verified(app, api, mail_server)
    monkeypatch.setattr(itsdangerous.timed, "time", Clock(-60))  # a minute ago
    first = reset_link(app, api, mail_server)
    monkeypatch.undo()
    second = reset_link(app, api, mail_server)
    assert first != second
    assert api.client.post(second, data={"password": NEW_PASSWORD}).status_code == 200
    refused = api.client.post(first, data={"password": "yet another password"})
    assert refused.status_code == 410 and "It has expired" in refused.text
    assert api.client.get(first).status_code == 410


def test_a_link_past_its_hour_is_410(app, api, mail_server, monkeypatch):
    verified(app, api, mail_server)
    path = reset_link(app, api, mail_server)
    monkeypatch.setattr(itsdangerous.timed, "time", Clock(3600 - 60))
    assert api.client.get(path).status_code == 200
    monkeypatch.setattr(itsdangerous.timed, "time", Clock(3600 + 2))
    for refused in (api.client.get(path), api.client.post(path, data={"password": NEW_PASSWORD})):
        assert refused.status_code == 410 and "It has expired" in refused.text
    assert stored().session_version == 0


def test_a_verification_link_past_two_days_is_410(app, api, mail_server, monkeypatch):
    account(api)
    deliver(app)
    _, path = link_in(mail_server.received[0])
    monkeypatch.setattr(itsdangerous.timed, "time", Clock(2 * 86400 + 2))
    assert api.client.post(path).status_code == 410
    assert api.get("/api/auth/me").json["user"]["email_verified"] is None


def test_a_link_for_another_purpose_is_400(app, api, mail_server):
    account(api)
    deliver(app)
    _, verify_path = link_in(mail_server.received[0])
    token = verify_path.rsplit("/", 1)[1]
    for path in (f"/mail/reset/{token}", f"/mail/reset/r.{token[2:]}"):
        refused = api.client.post(path, data={"password": NEW_PASSWORD})
        assert refused.status_code == 400 and "not valid" in refused.text


def test_a_link_made_with_another_servers_key_is_400(app, api, mail_server):
    verified(app, api, mail_server)
    user = stored()
    other = tokens.Signer(["another server's key"])
    with app.app_context():
        from kommentar import addresses

        payload = {"u": user.id, "p": addresses.password_fingerprint(user), "l": "en"}
    forged = other.sign(tokens.RESET, payload)
    for refused in (api.client.get(f"/mail/reset/{forged}"),
                    api.client.post(f"/mail/reset/{forged}", data={"password": NEW_PASSWORD})):
        assert refused.status_code == 400 and "not valid" in refused.text
    assert stored().password_hash == user.password_hash


def test_addresses_stay_out_of_the_logs(app, api, mail_server, caplog):
    verified(app, api, mail_server)
    ask_reset(api, ADDRESS)
    deliver(app)
    assert ADDRESS not in caplog.text


def test_pages_of_links_are_not_for_other_sites(app, api, mail_server):
    verified(app, api, mail_server)
    path = reset_link(app, api, mail_server)
    page = api.client.get(path, headers={"Origin": SITE})
    assert "Access-Control-Allow-Origin" not in page.headers
    assert page.headers["X-Frame-Options"] == "DENY"
