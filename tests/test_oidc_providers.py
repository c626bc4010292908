"""The sign-in providers of tests/oidc_providers.py behave like real ones: plain HTTP and
joserfc against each, no Kommentar."""

from __future__ import annotations

import secrets
from urllib.parse import urlencode

import httpx
import pytest
from joserfc import errors, jwt
from joserfc.jwk import KeySet
from oidc_providers import query_of, s256

CALLBACK = "http://127.0.0.1:9/auth/test/callback"  # never called: the tests read the redirect
# One client for the module: making one costs 20 ms (its TLS context), as much as a sign-in.
HTTP = httpx.Client(timeout=10)


@pytest.fixture(scope="module", autouse=True)
def _close_http():
    yield
    HTTP.close()


def verified_claims(id_token: str, discovery: dict, client_id: str, nonce: str) -> dict:
    """The ID token's claims once its signature (by the provider's JWKS, RS256 only), issuer,
    audience, nonce and times check out, as a relying party must check them; a joserfc
    error otherwise."""
    jwks = HTTP.get(discovery["jwks_uri"]).json()
    token = jwt.decode(id_token, KeySet.import_key_set(jwks), algorithms=["RS256"])
    jwt.JWTClaimsRegistry(
        iss={"essential": True, "value": discovery["issuer"]},
        aud={"essential": True, "value": client_id},
        nonce={"essential": True, "value": nonce},
        sub={"essential": True}, exp={"essential": True}, iat={"essential": True},
    ).validate(token.claims)
    return token.claims


def sign_in_request(discovery: dict, client_id: str, scope: str = "openid profile email",
                    **extra: str) -> tuple[str, dict]:
    """An authorization URL as a relying party builds it, with state, nonce and PKCE S256,
    and the secrets it keeps for the callback."""
    kept = {"state": secrets.token_urlsafe(16), "nonce": secrets.token_urlsafe(16),
            "verifier": secrets.token_urlsafe(48)}
    query = {"response_type": "code", "client_id": client_id, "redirect_uri": CALLBACK,
             "scope": scope, "state": kept["state"], "nonce": kept["nonce"],
             "code_challenge": s256(kept["verifier"]), "code_challenge_method": "S256", **extra}
    return f"{discovery['authorization_endpoint']}?{urlencode(query)}", kept


def exchange(discovery: dict, code: str, verifier: str | None, client=("client", "secret"),
             redirect_uri: str = CALLBACK) -> httpx.Response:
    """The token request for ``code``, the client authenticating with HTTP Basic."""
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri}
    if verifier is not None:
        form["code_verifier"] = verifier
    return HTTP.post(discovery["token_endpoint"], data=form, auth=client)


# --- RealProvider ------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def discovery(oidc_provider) -> dict:
    return HTTP.get(oidc_provider.discovery_url).json()


def approved_code(oidc_provider, discovery, sub: str, **extra) -> tuple[str, dict]:
    url, kept = sign_in_request(discovery, "client", **extra)
    back = query_of(oidc_provider.approve(url, sub))
    assert back["state"] == kept["state"]
    return back["code"], kept


def test_real_provider_discovery_names_itself_at_127_0_0_1(oidc_provider, discovery):
    assert discovery["issuer"] == oidc_provider.issuer
    assert oidc_provider.issuer.startswith("http://127.0.0.1:")
    assert discovery["token_endpoint"] == oidc_provider.token_url
    assert "S256" in discovery["code_challenge_methods_supported"]
    assert discovery["id_token_signing_alg_values_supported"] == ["RS256"]


def test_real_provider_signs_in_with_code_pkce_and_nonce(oidc_provider, discovery):
    sub = f"ada-{secrets.token_hex(4)}"
    oidc_provider.set_user(sub, {"name": "Ada Lovelace", "email": f"{sub}@example.org",
                                 "email_verified": True})
    url, kept = sign_in_request(discovery, "client")
    location = oidc_provider.approve(url, sub)
    assert location.startswith(CALLBACK + "?")
    back = query_of(location)
    assert back["state"] == kept["state"]

    answer = exchange(discovery, back["code"], kept["verifier"])
    assert answer.status_code == 200, answer.text
    tokens = answer.json()
    claims = verified_claims(tokens["id_token"], discovery, "client", kept["nonce"])
    assert (claims["sub"], claims["email"], claims["name"]) == \
        (sub, f"{sub}@example.org", "Ada Lovelace")
    info = HTTP.get(discovery["userinfo_endpoint"],
                     headers={"Authorization": f"Bearer {tokens['access_token']}"}).json()
    assert info["sub"] == sub and info["email_verified"] is True


def test_real_provider_takes_client_credentials_in_the_form_too(oidc_provider, discovery):
    code, kept = approved_code(oidc_provider, discovery, f"form-{secrets.token_hex(4)}")
    answer = HTTP.post(discovery["token_endpoint"], data={
        "grant_type": "authorization_code", "code": code, "redirect_uri": CALLBACK,
        "code_verifier": kept["verifier"], "client_id": "client", "client_secret": "secret"})
    assert answer.status_code == 200, answer.text
    verified_claims(answer.json()["id_token"], discovery, "client", kept["nonce"])


def test_real_provider_refuses_a_reused_code(oidc_provider, discovery):
    code, kept = approved_code(oidc_provider, discovery, f"twice-{secrets.token_hex(4)}")
    assert exchange(discovery, code, kept["verifier"]).status_code == 200
    again = exchange(discovery, code, kept["verifier"])
    assert (again.status_code, again.json()["error"]) == (400, "invalid_grant")


@pytest.mark.parametrize(("verifier", "error"), [
    ("a-different-verifier-of-fifty-characters-and-more-xx", "invalid_grant"),
    (None, "invalid_request"),
])
def test_real_provider_refuses_a_wrong_or_missing_code_verifier(oidc_provider, discovery,
                                                                verifier, error):
    code, kept = approved_code(oidc_provider, discovery, f"pkce-{secrets.token_hex(4)}")
    answer = exchange(discovery, code, verifier)
    assert (answer.status_code, answer.json()["error"]) == (400, error)
    # Refused before the code was spent: the right verifier still gets it.
    assert exchange(discovery, code, kept["verifier"]).status_code == 200


def test_real_provider_refuses_a_verifier_when_none_was_challenged(oidc_provider, discovery):
    url, _ = sign_in_request(discovery, "client")
    url = url.split("&code_challenge=")[0]  # the challenge and its method come last
    code = query_of(oidc_provider.approve(url, f"plain-{secrets.token_hex(4)}"))["code"]
    answer = exchange(discovery, code, "a-verifier-nobody-asked-for-of-fifty-characters-x")
    assert (answer.status_code, answer.json()["error"]) == (400, "invalid_request")


def test_real_provider_sends_access_denied_back_when_the_person_refuses(oidc_provider,
                                                                        discovery):
    url, kept = sign_in_request(discovery, "client")
    back = query_of(oidc_provider.deny(url))
    assert (back["error"], back["state"]) == ("access_denied", kept["state"])


def test_real_provider_refuses_a_sign_in_without_nonce(oidc_provider, discovery):
    url, _ = sign_in_request(discovery, "client")
    url = url.replace("&nonce=", "&not-nonce=")
    location = oidc_provider.approve(url, f"nonce-{secrets.token_hex(4)}")
    assert query_of(location)["error"] == "invalid_request"
    assert "code" not in query_of(location)


# --- GitHubStandIn -----------------------------------------------------------------------------

GITHUB_SCOPE = "read:user user:email"


def github_token(oidc_provider, github_api, sub: str, claims: dict) -> str:
    """A GitHub-style sign-in: OAuth 2 with GitHub's scopes, no ID token; the access token."""
    oidc_provider.set_user(sub, claims)
    endpoints = github_api.endpoints()
    verifier = secrets.token_urlsafe(48)
    url = endpoints["authorize_url"] + "?" + urlencode({
        "response_type": "code", "client_id": "gh-client", "redirect_uri": CALLBACK,
        "scope": GITHUB_SCOPE, "state": "s", "code_challenge": s256(verifier),
        "code_challenge_method": "S256"})
    code = query_of(oidc_provider.approve(url, sub))["code"]
    answer = HTTP.post(endpoints["token_url"], headers={"Accept": "application/json"},
                        data={"grant_type": "authorization_code", "code": code,
                              "redirect_uri": CALLBACK, "code_verifier": verifier},
                        auth=("gh-client", "gh-secret"))
    assert answer.status_code == 200, answer.text
    assert "id_token" not in answer.json()
    return answer.json()["access_token"]


def github_get(url: str, authorization: str | None) -> httpx.Response:
    headers = {"Accept": "application/vnd.github+json"}
    if authorization:
        headers["Authorization"] = authorization
    return HTTP.get(url, headers=headers)


@pytest.mark.parametrize("scheme", ["Bearer", "token"])
def test_github_stand_in_answers_user_and_emails_for_a_real_token(oidc_provider, github_api,
                                                                  scheme):
    sub = f"gh-{secrets.token_hex(4)}"
    token = github_token(oidc_provider, github_api, sub, {
        "id": 583231, "login": "octocat", "name": "The Octocat",
        "email": "octocat@github.test", "email_verified": True})

    user = github_get(github_api.userinfo_url, f"{scheme} {token}")
    assert user.status_code == 200, user.text
    assert {key: user.json()[key] for key in ("id", "login", "name", "email")} == {
        "id": 583231, "login": "octocat", "name": "The Octocat", "email": "octocat@github.test"}
    emails = github_get(github_api.emails_url, f"{scheme} {token}")
    assert emails.json() == [{"email": "octocat@github.test", "primary": True,
                              "verified": True, "visibility": "public"}]


def test_github_stand_in_gives_null_name_and_email_and_several_addresses(oidc_provider,
                                                                          github_api):
    addresses = [{"email": "old@github.test", "primary": True, "verified": False,
                  "visibility": None},
                 {"email": "new@github.test", "primary": False, "verified": True,
                  "visibility": "private"}]
    token = github_token(oidc_provider, github_api, f"gh-{secrets.token_hex(4)}",
                         {"id": 7, "login": "quiet", "emails": addresses})
    user = github_get(github_api.userinfo_url, f"Bearer {token}").json()
    assert (user["name"], user["email"]) == (None, None)
    assert github_get(github_api.emails_url, f"Bearer {token}").json() == addresses


@pytest.mark.parametrize("authorization", [None, "Bearer not-a-token-it-issued",
                                           "Basic dXNlcjpwYXNz"])
def test_github_stand_in_refuses_bad_credentials(github_api, authorization):
    for url in (github_api.userinfo_url, github_api.emails_url):
        answer = github_get(url, authorization)
        assert answer.status_code == 401
        assert answer.json()["message"] in ("Bad credentials", "Requires authentication")


def test_github_stand_in_wants_a_user_agent_as_github_does(oidc_provider, github_api):
    token = github_token(oidc_provider, github_api, f"gh-{secrets.token_hex(4)}",
                         {"id": 8, "login": "agentless"})
    answer = HTTP.get(github_api.userinfo_url, headers={"Authorization": f"Bearer {token}",
                                                        "User-Agent": ""})
    assert answer.status_code == 403


# --- ForgedProvider ----------------------------------------------------------------------------

def forged_sign_in(forged, **extra) -> tuple[httpx.Response, dict, dict]:
    """A whole sign-in at the forged provider: (token response, discovery, kept secrets)."""
    discovery = HTTP.get(f"{forged.issuer}/.well-known/openid-configuration").json()
    url, kept = sign_in_request(discovery, forged.client_id, **extra)
    back = query_of(forged.approve(url))
    assert back["state"] == kept["state"]
    answer = exchange(discovery, back["code"], kept["verifier"],
                      client=(forged.client_id, forged.client_secret))
    return answer, discovery, kept


def test_forged_provider_gives_a_correct_id_token_by_default(forged_provider):
    answer, discovery, kept = forged_sign_in(forged_provider)
    assert answer.status_code == 200, answer.text
    assert discovery["code_challenge_methods_supported"] == ["S256"]
    id_token = answer.json()["id_token"]
    claims = verified_claims(id_token, discovery, forged_provider.client_id, kept["nonce"])
    assert claims["sub"] == forged_provider.user_sub
    assert jwt.decode(id_token, KeySet.import_key_set(HTTP.get(discovery["jwks_uri"]).json())
                      ).header["kid"] == forged_provider.key.kid
    info = HTTP.get(discovery["userinfo_endpoint"], headers={
        "Authorization": f"Bearer {answer.json()['access_token']}"}).json()
    assert info == {**forged_provider.user_claims, "sub": forged_provider.user_sub}


def test_forged_provider_records_what_the_client_sent(forged_provider):
    _, _, kept = forged_sign_in(forged_provider)
    asked, sent = forged_provider.last_authorize, forged_provider.last_token_request
    assert (asked["code_challenge_method"], asked["code_challenge"]) == \
        ("S256", s256(kept["verifier"]))
    assert (asked["nonce"], asked["state"], asked["scope"]) == \
        (kept["nonce"], kept["state"], "openid profile email")
    assert sent["code_verifier"] == kept["verifier"]
    assert sent["redirect_uri"] == asked["redirect_uri"] == CALLBACK


@pytest.mark.parametrize(("tampering", "refusal"), [
    ({"aud": "some-other-client"}, errors.InvalidClaimError),
    ({"iss": "http://evil.test"}, errors.InvalidClaimError),
    ({"nonce": "not-the-one-asked-for"}, errors.InvalidClaimError),
    ({"omit": ("nonce",)}, errors.MissingClaimError),
    ({"exp_offset": -3600}, errors.ExpiredTokenError),
    ({"iat_offset": 3600}, errors.InvalidTokenError),
    ({"signed_with_other_key": True}, errors.BadSignatureError),
    ({"alg": "none"}, errors.UnsupportedAlgorithmError),
    ({"alg": "HS256"}, errors.UnsupportedAlgorithmError),
], ids=lambda value: "-".join(map(str, value)) if isinstance(value, dict) else None)
def test_forged_provider_spoils_the_next_id_token_as_asked(forged_provider, tampering, refusal):
    forged_provider.next_token(**tampering)
    answer, discovery, kept = forged_sign_in(forged_provider)
    assert answer.status_code == 200, answer.text
    with pytest.raises(refusal):
        verified_claims(answer.json()["id_token"], discovery, forged_provider.client_id,
                        kept["nonce"])
    # Once: the next sign-in's token is correct again.
    answer, discovery, kept = forged_sign_in(forged_provider)
    verified_claims(answer.json()["id_token"], discovery, forged_provider.client_id,
                    kept["nonce"])


def test_forged_provider_refuses_a_wrong_verifier_a_reused_code_and_a_wrong_secret(
        forged_provider):
    discovery = HTTP.get(f"{forged_provider.issuer}/.well-known/openid-configuration").json()
    client = (forged_provider.client_id, forged_provider.client_secret)

    def code() -> tuple[str, dict]:
        url, kept = sign_in_request(discovery, forged_provider.client_id)
        return query_of(forged_provider.approve(url))["code"], kept

    first, kept = code()
    wrong = exchange(discovery, first, "a-different-verifier-of-fifty-characters-and-more-x",
                     client=client)
    assert (wrong.status_code, wrong.json()["error"]) == (400, "invalid_grant")
    second, kept = code()
    assert exchange(discovery, second, kept["verifier"], client=client).status_code == 200
    again = exchange(discovery, second, kept["verifier"], client=client)
    assert (again.status_code, again.json()["error"]) == (400, "invalid_grant")
    third, kept = code()
    stranger = exchange(discovery, third, kept["verifier"], client=(client[0], "not-it"))
    assert (stranger.status_code, stranger.json()["error"]) == (401, "invalid_client")
    elsewhere = exchange(discovery, third, kept["verifier"], client=client,
                         redirect_uri="http://127.0.0.1:9/elsewhere")
    assert (elsewhere.status_code, elsewhere.json()["error"]) == (400, "invalid_grant")
