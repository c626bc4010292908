"""Sign-in with providers (issue 14) through the API and the sign-in pages, against real
providers on 127.0.0.1 (tests/oidc_providers.py): the flow a popup or a redirected tab goes
through, what it refuses (states, codes, ID tokens, origins), and the accounts it makes,
finds and links."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import secrets
from datetime import timedelta
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
from support import SITE, Api

OTHER_SITE = "http://127.0.0.1:8001"  # configured too: a page there may sign in, for itself
OUTCOME = re.compile(r'<script type="application/json" id="outcome">(.*?)</script>', re.S)


def _query(url: str) -> dict[str, str]:
    return {name: values[0] for name, values in parse_qs(urlsplit(url).query).items()}


def _local(url: str) -> str:
    """A URL on the app under test as its test client asks for it: path and query."""
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}" if parts.query else parts.path


@pytest.fixture
def configure(settings):
    """Set the providers (and any other settings) of the app the test builds next."""

    def set_up(providers: dict, **more):
        settings.update(auth_providers=providers, origins=f"{SITE},{OTHER_SITE}", **more)

    return set_up


@pytest.fixture
def real(configure, oidc_provider):
    """An app with one OpenID Connect provider, "test", at the real provider."""
    configure({"test": {"issuer": oidc_provider.issuer, "client_id": "kommentar",
                        "client_secret": "s3cret", "label": "Test ID"},
               "second": {"issuer": oidc_provider.issuer, "client_id": "kommentar-2",
                          "client_secret": "s3cret"}})
    return oidc_provider


def person(provider, **claims) -> str:
    """A new person at the real provider; their subject."""
    sub = "person-" + secrets.token_hex(6)
    provider.set_user(sub, {"name": "Ada Lovelace", "email": f"{sub}@example.org",
                            "email_verified": True, **claims})
    return sub


class SignIn:
    """One reader's browser going through the sign-in pages (the test client's cookies)."""

    def __init__(self, client):
        self.client = client

    def start(self, name="test", origin=SITE, **params):
        return self.client.get(f"/auth/{name}/start", query_string={"origin": origin, **params})

    def to_provider(self, name="test", **params) -> str:
        response = self.start(name, **params)
        assert response.status_code == 303, response.get_data(as_text=True)
        return response.headers["Location"]

    def back(self, callback_url: str):
        return self.client.get(_local(callback_url))


def outcome(response) -> dict | None:
    """What the popup page hands its opener: {origin, message, back}, or None."""
    found = OUTCOME.search(response.get_data(as_text=True))
    assert found, response.get_data(as_text=True)
    return json.loads(found.group(1))


def popup_sign_in(client, provider, sub, **params) -> dict:
    browser = SignIn(client)
    page = browser.back(provider.approve(browser.to_provider(**params), sub))
    assert page.status_code == 200, page.get_data(as_text=True)
    told = outcome(page)
    assert told["message"]["type"] == "kommentar:signed-in"
    return told["message"]


def link(client, api, provider, sub, name="test", token=None) -> dict:
    """Link ``sub`` at ``provider`` to the account of ``token`` (or the api's) as the widget
    does: a ticket, the sign-in in a popup, then the proof it hands over, confirmed with the
    account's session. The account as the confirmation answers it."""
    ticket = api.post(f"/api/auth/me/providers/{name}", token=token)
    assert ticket.status_code == 200, ticket.json
    browser = SignIn(client)
    page = browser.back(provider.approve(browser.to_provider(name, link=ticket.json["ticket"]),
                                         sub))
    message = outcome(page)["message"]
    assert message["type"] == "kommentar:link-ready", message
    assert message["provider"] == name and "token" not in message
    confirmed = api.client.put(f"/api/auth/me/providers/{name}", json={"proof": message["proof"]},
                               headers=api.headers(token))
    assert confirmed.status_code == 200, confirmed.json
    return confirmed.json["user"]


# --- the flow ------------------------------------------------------------------------------------

def test_start_sends_the_reader_to_the_provider_with_state_pkce_and_nonce(real, app, client):
    response = SignIn(client).start()
    assert response.status_code == 303
    location = response.headers["Location"]
    assert location.startswith(f"{real.issuer}/oauth2/authorize?")
    query = _query(location)
    assert query["client_id"] == "kommentar"
    assert query["response_type"] == "code"
    assert query["redirect_uri"] == "http://localhost/auth/test/callback"
    assert query["code_challenge_method"] == "S256"
    assert len(query["code_challenge"]) == 43
    assert len(query["state"]) >= 40 and len(query["nonce"]) >= 30
    assert set(query["scope"].split()) == {"openid", "profile", "email"}
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/auth/" in cookie
    assert query["state"] not in cookie  # the cookie binds the browser; the state is elsewhere


def test_popup_sign_in_makes_an_account_from_the_profile_and_tells_only_the_page_origin(
        real, app, client, api):
    sub = person(real, name="Ada Lovelace")
    browser = SignIn(client)
    page = browser.back(real.approve(browser.to_provider(origin=OTHER_SITE), sub))
    assert page.status_code == 200
    assert page.headers["Cache-Control"] == "no-store"
    assert "script-src 'sha256-" in page.headers["Content-Security-Policy"]
    told = outcome(page)
    assert told["origin"] == OTHER_SITE  # postMessage's target: the checked origin, never *
    message = told["message"]
    assert message["type"] == "kommentar:signed-in"
    assert message["user"]["username"] == "Ada Lovelace"
    assert message["user"]["email"] == f"{sub}@example.org"
    assert message["user"]["email_verified"] is not None
    assert message["user"]["password"] is False
    assert message["user"]["providers"] == [{"name": "test", "label": "Test ID"}]
    me = api.get("/api/auth/me", token=message["token"])
    assert me.status_code == 200 and me.json["user"]["id"] == message["user"]["id"]
    posted = api.client.post("/api/comments", json={"url": f"{SITE}/post", "text": "Hello"},
                             headers=api.headers(message["token"]))
    assert posted.status_code == 201
    assert posted.json["author"]["name"] == "Ada Lovelace"


def test_the_popup_page_posts_to_its_opener_at_the_checked_origin_only(real, app, client):
    sub = person(real)
    browser = SignIn(client)
    response = browser.back(real.approve(browser.to_provider(), sub))
    page = response.get_data(as_text=True)
    assert "postMessage(outcome.message, outcome.origin)" in page
    assert '"*"' not in page and "'*'" not in page
    # Its one script runs under its Content-Security-Policy: allowed by that script's hash.
    [script] = re.findall(r"<script>(.*?)</script>", page, re.S)
    digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
    assert f"script-src 'sha256-{digest}'" in response.headers["Content-Security-Policy"]


def test_signing_in_again_opens_the_same_account(real, app, client):
    sub = person(real)
    first = popup_sign_in(client, real, sub)
    again = popup_sign_in(client, real, sub)
    assert again["user"]["id"] == first["user"]["id"]


def test_redirect_sign_in_returns_to_the_page_with_the_token_in_the_fragment(
        real, app, client, api):
    sub = person(real)
    browser = SignIn(client)
    back = browser.back(real.approve(browser.to_provider(
        mode="redirect", **{"return": f"{SITE}/post?x=1#old"}), sub))
    assert back.status_code == 303
    page, fragment = back.headers["Location"].split("#", 1)
    assert page == f"{SITE}/post?x=1"
    assert fragment.startswith("kommentar-token=")
    token = unquote(fragment.removeprefix("kommentar-token="))
    assert api.get("/api/auth/me", token=token).status_code == 200


def test_a_reader_who_says_no_at_the_provider_is_told_it_was_cancelled(real, app, client):
    browser = SignIn(client)
    back = browser.back(real.deny(browser.to_provider(mode="redirect",
                                                      **{"return": f"{SITE}/post"})))
    assert back.status_code == 303
    assert back.headers["Location"] == f"{SITE}/post#kommentar-error=sign_in_cancelled"


def test_a_provider_that_cannot_be_reached_stores_nothing(app, client):
    from kommentar.models import SignInAttempt

    app.config["AUTH_PROVIDERS"] = _providers({"down": {
        "issuer": "http://127.0.0.1:9", "client_id": "x", "client_secret": "y"}})
    response = SignIn(client).start("down")
    assert response.status_code == 400
    assert outcome(response) is None
    assert "did not work" in response.get_data(as_text=True)
    assert SignInAttempt.select().count() == 0


def _providers(table: dict):
    from kommentar import providers

    return providers.parse(table)


# --- what the start refuses ----------------------------------------------------------------------

@pytest.mark.parametrize("params", [
    {"origin": "https://evil.example"},
    {"origin": ""},
    {"origin": "not an origin"},
    {"origin": SITE, "mode": "redirect", "return": "https://evil.example/post"},
    {"origin": SITE, "mode": "redirect", "return": "javascript:alert(1)"},
    {"origin": SITE, "mode": "redirect"},
    {"origin": SITE, "mode": "sideways"},
    {"origin": SITE, "link": "l.forged"},
], ids=["foreign-origin", "no-origin", "garbage-origin", "foreign-return", "script-return",
        "no-return", "bad-mode", "forged-link-ticket"])
def test_a_start_that_is_not_from_a_configured_page_goes_nowhere(real, app, client, params):
    from kommentar.models import SignInAttempt

    response = client.get("/auth/test/start", query_string=params)
    assert response.status_code == 400
    assert "Location" not in response.headers
    assert outcome(response) is None  # nobody to tell: the page itself says it failed
    assert SignInAttempt.select().count() == 0


def test_an_unknown_provider_is_refused(real, app, client):
    response = SignIn(client).start("nosuch")
    assert response.status_code == 400
    assert outcome(response) is None


# --- what the callback refuses --------------------------------------------------------------------

def test_a_state_works_once(real, app, client, api):
    sub = person(real)
    browser = SignIn(client)
    callback = real.approve(browser.to_provider(), sub)
    assert outcome(browser.back(callback))["message"]["type"] == "kommentar:signed-in"
    again = browser.back(callback)
    assert again.status_code == 400
    assert outcome(again) is None
    assert "token" not in again.get_data(as_text=True).lower().split("outcome")[-1]


@pytest.mark.parametrize("state", ["", "x" * 43, "a-state-nobody-issued-at-all-1234567890"])
def test_a_state_nobody_issued_is_refused(real, app, client, state):
    response = client.get("/auth/test/callback", query_string={"state": state, "code": "abc"})
    assert response.status_code == 400
    assert outcome(response) is None


def test_a_state_carried_to_another_browser_is_refused(real, app, client):
    sub = person(real)
    callback = real.approve(SignIn(client).to_provider(), sub)
    stranger = app.test_client()  # no cookie from the start: a login CSRF
    response = SignIn(stranger).back(callback)
    assert response.status_code == 400
    told = outcome(response)
    assert told["message"] == {"type": "kommentar:sign-in-failed", "code": "sign_in_expired",
                               "message": told["message"]["message"]}
    # ... and the state is spent: the browser that started cannot use it after that either
    assert outcome(SignIn(client).back(callback)) is None


def test_a_sign_in_older_than_ten_minutes_is_refused(real, app, client):
    from kommentar.models import SignInAttempt, utcnow

    sub = person(real)
    browser = SignIn(client)
    callback = real.approve(browser.to_provider(), sub)
    SignInAttempt.update(created=utcnow() - timedelta(minutes=11)).execute()
    told = outcome(browser.back(callback))
    assert told["message"]["code"] == "sign_in_expired"


def test_a_code_replayed_with_a_new_state_is_refused_by_the_provider(real, app, client):
    sub = person(real)
    browser = SignIn(client)
    first = real.approve(browser.to_provider(), sub)
    assert outcome(browser.back(first))["message"]["type"] == "kommentar:signed-in"
    used_code = _query(first)["code"]
    fresh_state = _query(browser.to_provider())["state"]  # a new attempt, the old code
    response = client.get("/auth/test/callback",
                          query_string={"state": fresh_state, "code": used_code})
    assert response.status_code == 400
    assert outcome(response)["message"]["code"] == "sign_in_failed"


def test_a_callback_for_another_provider_is_refused(real, app, client):
    sub = person(real)
    browser = SignIn(client)
    callback = real.approve(browser.to_provider("test"), sub)
    response = browser.back(callback.replace("/auth/test/", "/auth/second/"))
    assert outcome(response)["message"]["code"] == "sign_in_expired"


# --- ID tokens that fail a check ------------------------------------------------------------------

@pytest.fixture
def forged(configure, forged_provider):
    configure({"forged": {"issuer": forged_provider.issuer,
                          "client_id": forged_provider.client_id,
                          "client_secret": forged_provider.client_secret}})
    return forged_provider


def forged_sign_in(client, forged) -> dict:
    browser = SignIn(client)
    return outcome(browser.back(forged.approve(browser.to_provider("forged"))))["message"]


def test_a_correct_id_token_signs_in_and_pkce_was_used(forged, app, client):
    message = forged_sign_in(client, forged)
    assert message["type"] == "kommentar:signed-in", message
    assert message["user"]["username"] == "Forged Person"
    from oidc_providers import s256

    assert forged.last_authorize["code_challenge_method"] == "S256"
    assert forged.last_authorize["code_challenge"] == \
        s256(forged.last_token_request["code_verifier"])
    assert forged.last_authorize["nonce"]


@pytest.mark.parametrize("tampering", [
    {"aud": "another-client"},
    {"aud": ["another-client", "kommentar-test"]},  # several audiences and no azp for us
    {"nonce": "not-the-nonce-we-sent"},
    {"omit": ("nonce",)},
    {"iss": "http://127.0.0.1:1"},
    {"signed_with_other_key": True},
    {"alg": "none"},
    {"alg": "HS256"},
    {"exp_offset": -3600},
    {"iat_offset": 3600},
    {"omit": ("sub",)},
], ids=["other-audience", "shared-audience", "wrong-nonce", "no-nonce", "wrong-issuer",
        "other-key", "unsigned", "hmac", "expired", "issued-in-future", "no-subject"])
def test_an_id_token_that_fails_a_check_signs_nobody_in(forged, app, client, tampering):
    from kommentar.models import Identity, User

    forged.next_token(**tampering)
    message = forged_sign_in(client, forged)
    assert message["type"] == "kommentar:sign-in-failed"
    assert message["code"] == "sign_in_failed"
    assert "token" not in message
    assert User.select().count() == 0 and Identity.select().count() == 0


# --- accounts -------------------------------------------------------------------------------------

def test_an_address_an_account_already_has_is_not_taken_over(real, app, client, api):
    alice = api.register("alice")
    api.patch("/api/auth/me", {"email": "alice@example.org"})
    sub = person(real, name="alice", email="ALICE@example.org")
    message = popup_sign_in(client, real, sub)
    assert message["user"]["id"] != alice["id"]
    assert message["user"]["username"] == "alice 2"  # the name is taken too: made unique
    assert message["user"]["email"] is None


def test_an_unverified_address_is_not_kept(real, app, client):
    sub = person(real, email_verified=False)
    assert popup_sign_in(client, real, sub)["user"]["email"] is None


@pytest.mark.parametrize("name, expected", [
    ("Ada Lovelace", "Ada Lovelace"),
    ("  Ada   <b>Lovelace</b>!! ", "Ada b Lovelace b"),
    ("Å", "Reader"),
    ("", "Reader"),
    ("x" * 80, "x" * 40),
])
def test_usernames_come_from_the_display_name(name, expected):
    from kommentar.identities import display_name

    assert display_name(name) == expected


def test_colliding_names_are_numbered(real, app, client):
    names = [popup_sign_in(client, real, person(real, name="Sam"))["user"]["username"]
             for _ in range(3)]
    assert names == ["Sam", "Sam 2", "Sam 3"]


def test_a_provider_only_account_cannot_log_in_with_any_password(real, app, client, api):
    message = popup_sign_in(client, real, person(real, name="Nopass"))
    for password in ("not a real password", "", "anything-at-all"):
        response = api.post("/api/auth/login", {"username": message["user"]["username"],
                                                "password": password})
        assert response.status_code in (400, 401), response.json


def test_linking_a_second_provider_to_a_local_account(real, app, client, api):
    local = api.register("bob")
    sub = person(real, name="Robert")
    user = link(client, api, real, sub, name="second")
    assert user["id"] == local["id"]
    assert user["username"] == "bob"
    assert user["providers"] == [{"name": "second", "label": "Second"}]
    assert user["email"] == f"{sub}@example.org"  # it had none: the provider's verified one
    # the provider now opens that account on its own
    assert popup_sign_in(client, real, sub, name="second")["user"]["id"] == local["id"]


def test_an_identity_that_opens_another_account_cannot_be_linked(real, app, client, api):
    sub = person(real)
    popup_sign_in(client, real, sub)
    api.register("carol")
    ticket = api.post("/api/auth/me/providers/test").json["ticket"]
    browser = SignIn(client)
    told = outcome(browser.back(real.approve(browser.to_provider(link=ticket), sub)))
    assert told["message"]["code"] == "identity_taken"


def test_a_link_started_with_someone_elses_ticket_links_nothing(real, app, client, api):
    """A link CSRF: the attacker sends their own start address (with their ticket) to a
    reader, who signs in at the provider. The proof reaches the reader's page, never the
    attacker's, and the reader's session cannot confirm it for the attacker's account."""
    from kommentar.models import Identity

    attacker = Api(app.test_client())
    attacker.register("mallory")
    ticket = attacker.post("/api/auth/me/providers/test").json["ticket"]
    victim = SignIn(client)  # the reader's browser opens the address the attacker sent
    page = victim.back(real.approve(victim.to_provider(link=ticket), person(real)))
    message = outcome(page)["message"]
    assert message["type"] == "kommentar:link-ready"
    assert Identity.select().count() == 0  # nothing linked by the sign-in itself
    api.register("victim")  # the reader's own session
    theirs = api.client.put("/api/auth/me/providers/test", json={"proof": message["proof"]},
                            headers=api.headers())
    assert theirs.status_code == 403
    assert theirs.json["error"]["code"] == "link_for_another_account"
    nobody = api.client.put("/api/auth/me/providers/test", json={"proof": message["proof"]},
                            headers={"Origin": SITE})
    assert nobody.status_code == 401
    assert Identity.select().count() == 0


@pytest.mark.parametrize("proof", [None, 5, "p.forged", "l.a-ticket-not-a-proof"])
def test_a_link_is_made_only_with_a_real_proof(real, app, api, proof):
    api.register("hal")
    response = api.client.put("/api/auth/me/providers/test", json={"proof": proof},
                              headers=api.headers())
    assert response.status_code in (400, 401)
    from kommentar.models import Identity

    assert Identity.select().count() == 0


def test_a_proof_is_for_one_provider_and_one_session(real, app, client, api):
    api.register("ivy")
    ticket = api.post("/api/auth/me/providers/test").json["ticket"]
    browser = SignIn(client)
    proof = outcome(browser.back(real.approve(browser.to_provider(link=ticket),
                                              person(real))))["message"]["proof"]
    other = api.client.put("/api/auth/me/providers/second", json={"proof": proof},
                           headers=api.headers())
    assert other.status_code == 400
    api.post("/api/auth/logout")
    relogged = api.post("/api/auth/login", {"username": "ivy",
                                            "password": "correct horse battery"}).json["token"]
    stale = api.client.put("/api/auth/me/providers/test", json={"proof": proof},
                           headers=api.headers(relogged))
    assert stale.status_code == 403


def test_a_link_ticket_is_for_one_provider_and_one_session(real, app, client, api):
    api.register("dan")
    ticket = api.post("/api/auth/me/providers/test").json["ticket"]
    assert SignIn(client).start("second", link=ticket).status_code == 400
    api.post("/api/auth/logout")
    assert SignIn(client).start("test", link=ticket).status_code == 400


def test_unlinking_keeps_a_way_in(real, app, client, api):
    message = popup_sign_in(client, real, person(real))
    token = message["token"]
    last = api.delete("/api/auth/me/providers/test", token=token)
    assert last.status_code == 409 and last.json["error"]["code"] == "last_sign_in"
    link(client, api, real, person(real), name="second", token=token)
    gone = api.delete("/api/auth/me/providers/test", token=token)
    assert gone.status_code == 200
    assert gone.json["user"]["providers"] == [{"name": "second", "label": "Second"}]
    again = api.delete("/api/auth/me/providers/test", token=token)
    assert again.status_code == 404 and again.json["error"]["code"] == "not_linked"


def test_an_account_with_a_password_can_unlink_its_only_provider(real, app, client, api):
    api.register("erin")
    link(client, api, real, person(real))
    assert api.delete("/api/auth/me/providers/test").status_code == 200


@pytest.mark.parametrize("method, path", [
    ("post", "/api/auth/me/providers/nosuch"), ("delete", "/api/auth/me/providers/nosuch")])
def test_unknown_providers_are_404(real, app, api, method, path):
    api.register("fay")
    response = getattr(api, method)(path)
    assert response.status_code == 404 and response.json["error"]["code"] == "unknown_provider"


@pytest.mark.parametrize("method, path", [
    ("post", "/api/auth/me/providers/test"), ("delete", "/api/auth/me/providers/test")])
def test_linking_needs_a_session(real, app, api, method, path):
    assert getattr(api, method)(path).status_code == 401


def test_deleting_a_provider_only_account_needs_a_recent_sign_in(real, app, client, api,
                                                                  monkeypatch):
    import time

    message = popup_sign_in(client, real, person(real))
    token = message["token"]
    later = time.time() + 11 * 60
    monkeypatch.setattr(time, "time", lambda: later)
    stale = api.client.delete("/api/auth/me", json={"comments": "delete"},
                              headers=api.headers(token))
    assert stale.status_code == 401 and stale.json["error"]["code"] == "sign_in_again"
    monkeypatch.undo()
    fresh = api.client.delete("/api/auth/me", json={"comments": "delete"},
                              headers=api.headers(token))
    assert fresh.status_code == 204
    from kommentar.models import Identity

    assert Identity.select().count() == 0


# --- the site's choices ---------------------------------------------------------------------------

def test_without_providers_config_lists_none_and_local_accounts(app, api):
    response = api.get("/api/config")
    assert response.json["providers"] == []
    assert response.json["local_accounts"] is True


def test_a_site_with_providers_only_refuses_passwords(configure, oidc_provider, request):
    configure({"test": {"issuer": oidc_provider.issuer, "client_id": "k",
                        "client_secret": "s", "label": "Test ID"}},
              sites={SITE: {"local_accounts": False}})
    api = request.getfixturevalue("api")
    config = api.get("/api/config").json
    assert config["local_accounts"] is False
    assert config["providers"] == [{"name": "test", "label": "Test ID"}]
    for path in ("/api/auth/register", "/api/auth/login"):
        response = api.post(path, {"username": "gus", "password": "correct horse battery"})
        assert response.status_code == 403
        assert response.json["error"]["code"] == "local_accounts_off"


# --- the built-in kinds, at the same local provider -----------------------------------------------

@pytest.mark.parametrize("kind", ["google", "gitlab"])
def test_the_openid_kinds_use_their_issuer(configure, oidc_provider, kind, request):
    configure({kind: {"kind": kind, "issuer": oidc_provider.issuer, "client_id": "k",
                      "client_secret": "s"}})
    client = request.getfixturevalue("app").test_client()
    sub = person(oidc_provider, name=f"{kind} person")
    message = popup_sign_in(client, oidc_provider, sub, name=kind)
    assert message["user"]["username"] == f"{kind} person"
    assert message["user"]["providers"] == [{"name": kind, "label": kind.capitalize()}]


def test_github_signs_in_by_its_numeric_id(configure, oidc_provider, github_api, request):
    configure({"github": {"kind": "github", "client_id": "k", "client_secret": "s",
                          "label": "GitHub", **github_api.endpoints()}})
    client = request.getfixturevalue("app").test_client()
    sub = person(oidc_provider, id=4242, login="octo", name="Octo Cat",
                 email="octo@example.org", email_verified=True)
    browser = SignIn(client)
    authorize = browser.to_provider("github")
    assert "nonce" not in _query(authorize)  # OAuth 2, not OpenID Connect
    assert _query(authorize)["code_challenge_method"] == "S256"
    told = outcome(browser.back(oidc_provider.approve(authorize, sub)))
    message = told["message"]
    assert message["type"] == "kommentar:signed-in", message
    assert message["user"]["username"] == "Octo Cat"
    assert message["user"]["email"] == "octo@example.org"
    from kommentar.models import Identity

    assert Identity.get().subject == "4242"



def test_the_admin_page_of_an_account_says_how_it_signs_in(real, app, client):
    from kommentar import accounts
    from kommentar.models import User

    password = "correct horse battery"
    boss = accounts.register("boss", password, hasher=accounts.hasher(app.config))
    User.update(role="admin").where(User.id == boss.id).execute()
    reader = popup_sign_in(client, real, person(real, name="Linked Reader"))["user"]
    admin = app.test_client()
    signed_in = admin.post("/admin/login", data={"username": "boss", "password": password,
                                                  "next": "/admin"})
    assert signed_in.status_code == 302
    page = admin.get(f"/admin/users/{reader['id']}").get_data(as_text=True)
    assert "Signs in with: Test ID." in page
    assert "Signs in with: a password." in admin.get(f"/admin/users/{boss.id}") \
        .get_data(as_text=True)


def test_the_export_lists_the_identities(real, app, client, api):
    sub = person(real)
    token = popup_sign_in(client, real, sub)["token"]
    export = api.get("/api/auth/me/export", token=token).json
    [identity] = export["sign_in_providers"]
    assert (identity["provider"], identity["subject"]) == ("test", sub)


def test_a_ban_holds_the_account_whichever_provider_it_signs_in_with(real, app, client, api):
    from kommentar import moderation
    from kommentar.accounts import account_key

    first = popup_sign_in(client, real, person(real))
    second_sub = person(real)
    link(client, api, real, second_sub, name="second", token=first["token"])
    moderation.ban(None, account_key(first["user"]["id"]), None)
    second = popup_sign_in(client, real, second_sub, name="second")
    assert second["user"]["id"] == first["user"]["id"]
    for token in (first["token"], second["token"]):
        posted = api.client.post("/api/comments", json={"url": f"{SITE}/post", "text": "Hi"},
                                 headers=api.headers(token))
        assert posted.status_code == 201 and posted.json["status"] == "pending"


def test_attempts_nobody_finished_are_forgotten(real, app, client):
    from kommentar.models import SignInAttempt, utcnow
    from kommentar.signin import forget_attempts

    SignIn(client).to_provider()
    SignIn(client).to_provider()
    SignInAttempt.update(created=utcnow() - timedelta(minutes=11)) \
        .where(SignInAttempt.state == SignInAttempt.select(SignInAttempt.state).limit(1)).execute()
    assert forget_attempts(utcnow()) == 1
    assert SignInAttempt.select().count() == 1


def test_starts_are_rate_limited_per_client(configure, oidc_provider, request):
    configure({"test": {"issuer": oidc_provider.issuer, "client_id": "k", "client_secret": "s"}},
              ratelimit=True, limit_login="2/minute")
    client = request.getfixturevalue("app").test_client()
    statuses = [SignIn(client).start().status_code for _ in range(3)]
    assert statuses == [303, 303, 429]


def test_a_reader_renames_the_account_a_provider_named(real, app, client, api):
    message = popup_sign_in(client, real, person(real, name="Provider Name"))
    token = message["token"]
    posted = api.client.post("/api/comments", json={"url": f"{SITE}/post", "text": "Mine"},
                             headers=api.headers(token))
    assert posted.status_code == 201
    api.thread()  # cached with the old name
    renamed = api.patch("/api/auth/me", {"username": "Chosen Name"}, token=token)
    assert renamed.status_code == 200
    assert renamed.json["user"]["username"] == "Chosen Name"
    [shown] = api.thread()["comments"]
    assert shown["author"]["name"] == "Chosen Name"


@pytest.mark.parametrize("body, status, code", [
    ({"username": "taken"}, 409, "username_taken"),
    ({"username": "TAKEN"}, 409, "username_taken"),
    ({"username": "x"}, 400, "invalid_username"),
    ({"username": "ok name", "email": "not an address"}, 400, "invalid_email"),
    ({"username": "ok name", "lang": 5}, 400, "invalid_lang"),
    ({}, 400, "invalid_input"),
])
def test_a_rename_that_cannot_be_done_changes_nothing(real, app, client, api, body, status,
                                                      code):
    api.register("taken")
    api.token = None
    message = popup_sign_in(client, real, person(real, name="Keeps Name"))
    response = api.patch("/api/auth/me", body, token=message["token"])
    assert response.status_code == status and response.json["error"]["code"] == code
    me = api.get("/api/auth/me", token=message["token"]).json["user"]
    assert (me["username"], me["email"]) == ("Keeps Name", message["user"]["email"])
