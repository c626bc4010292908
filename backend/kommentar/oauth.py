"""Talking to sign-in providers, through Authlib's OAuth 2 client and its JOSE library
(joserfc): the authorization address with PKCE (S256) and, for OpenID Connect, a nonce;
the code exchanged for tokens; the ID token's signature (the provider's JWKS, found by
discovery), issuer, audience, nonce and times checked; GitHub's profile read from its API.

What comes out is a ``Profile``: the provider's stable subject, a display name, and an
e-mail address only when the provider says it is verified. The provider's access token is
used here to read the profile and then dropped: nothing here stores anything.
Discovery documents and key sets are kept per process for an hour; a key id the cached set
lacks fetches it again (the provider rotated its keys).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any

import requests
from authlib.integrations.base_client.errors import OAuthError
from authlib.integrations.requests_client import OAuth2Session
from authlib.oauth2.rfc6749.errors import OAuth2Error
from joserfc import jwt
from joserfc.errors import InvalidKeyIdError, JoseError
from joserfc.jwk import KeySet

from .providers import Provider

TIMEOUT = 10  # seconds for each request to a provider
CACHE_SECONDS = 3600
LEEWAY = 60  # seconds of clock difference allowed in an ID token's times
# Asymmetric signatures only: "none" proves nothing, and HS256 would be keyed by our secret.
ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512",
              "EdDSA")
MAX_BODY = 1_000_000  # bytes read from a provider's answer


class ProviderFailed(Exception):
    """The provider could not be reached, refused, or sent something that fails a check.
    The message is for the server's log; the reader is told only that sign-in failed."""


@dataclass(frozen=True)
class Profile:
    """Who the provider says the reader is."""

    subject: str
    name: str | None
    email: str | None  # only an address the provider reports as verified


_cache: dict[str, tuple[float, Any]] = {}
_cache_lock = threading.Lock()


def _get_json(url: str, *, headers: dict[str, str] | None = None, fresh: bool = False) -> Any:
    """A provider's JSON document at ``url``; cached for an hour unless ``headers`` (an
    access token: personal) are sent or ``fresh`` is asked."""
    if headers is None and not fresh:
        with _cache_lock:
            cached = _cache.get(url)
        if cached and cached[0] > time.monotonic():
            return cached[1]
    try:
        response = requests.get(url, headers=headers, timeout=TIMEOUT, allow_redirects=False)
        if response.status_code != 200:
            raise ProviderFailed(f"{url} answered {response.status_code}")
        if len(response.content) > MAX_BODY:
            raise ProviderFailed(f"{url} answered more than {MAX_BODY} bytes")
        document = response.json()
    except requests.RequestException as error:
        raise ProviderFailed(f"{url}: {error.__class__.__name__}") from None
    except ValueError:
        raise ProviderFailed(f"{url} did not answer JSON") from None
    if headers is None:
        with _cache_lock:
            _cache[url] = (time.monotonic() + CACHE_SECONDS, document)
    return document


def metadata(provider: Provider) -> dict[str, Any]:
    """Where the provider's endpoints are: discovery for OpenID Connect (its ``issuer`` must
    be exactly the configured one), the configured addresses for GitHub."""
    if not provider.openid:
        return dict(provider.endpoints)
    document = _get_json(f"{provider.issuer}/.well-known/openid-configuration")
    if not isinstance(document, dict) or document.get("issuer") != provider.issuer:
        raise ProviderFailed(f"{provider.name}: the discovery document names another issuer")
    try:
        return {"authorize_url": _text(document, "authorization_endpoint"),
                "token_url": _text(document, "token_endpoint"),
                "jwks_uri": _text(document, "jwks_uri"),
                "userinfo_url": document.get("userinfo_endpoint"),
                "algorithms": document.get("id_token_signing_alg_values_supported")
                or ["RS256"]}
    except KeyError as error:
        raise ProviderFailed(f"{provider.name}: discovery lacks {error}") from None


def _text(document: dict[str, Any], key: str) -> str:
    value = document.get(key)
    if not isinstance(value, str) or not value:
        raise KeyError(key)
    return value


def _client(provider: Provider, redirect_uri: str) -> OAuth2Session:
    return OAuth2Session(provider.client_id, provider.client_secret,
                         scope=" ".join(provider.scopes), redirect_uri=redirect_uri,
                         code_challenge_method="S256")


def authorize_url(provider: Provider, redirect_uri: str, *, state: str, verifier: str,
                  nonce: str) -> str:
    """The provider's address to send the reader to, asking for a code for ``redirect_uri``
    with this state, the S256 challenge of ``verifier`` and (OpenID Connect) this nonce."""
    endpoints = metadata(provider)
    extra = {"nonce": nonce} if provider.openid else {}
    with _client(provider, redirect_uri) as client:
        url, _ = client.create_authorization_url(endpoints["authorize_url"], state=state,
                                                 code_verifier=verifier, **extra)
    return url


def profile(provider: Provider, redirect_uri: str, *, code: str, verifier: str,
            nonce: str) -> Profile:
    """Exchange the code (with the PKCE verifier) and read who signed in: from the checked
    ID token (and userinfo, for what it lacks) or, for GitHub, from its API."""
    endpoints = metadata(provider)
    with _client(provider, redirect_uri) as client:
        try:
            token = client.fetch_token(endpoints["token_url"], grant_type="authorization_code",
                                       code=code, code_verifier=verifier, timeout=TIMEOUT,
                                       headers={"Accept": "application/json"})
        except (OAuth2Error, OAuthError) as error:
            raise ProviderFailed(f"{provider.name}: the token request failed: "
                                 f"{error.error}") from None
        except (requests.RequestException, ValueError) as error:
            raise ProviderFailed(f"{provider.name}: the token request failed: "
                                 f"{error.__class__.__name__}") from None
    access_token = token.get("access_token")
    if not isinstance(access_token, str) or not access_token:
        raise ProviderFailed(f"{provider.name}: no access token came back")
    bearer = {"Authorization": f"Bearer {access_token}", "Accept": "application/json"}
    if not provider.openid:
        return _github(provider, bearer)
    claims = id_token_claims(provider, endpoints, token.get("id_token"), nonce)
    if endpoints.get("userinfo_url") and not ("name" in claims and "email" in claims):
        try:
            extra = _get_json(endpoints["userinfo_url"], headers=bearer)
        except ProviderFailed:  # a name and an address are conveniences: sign in without them
            extra = None
        if isinstance(extra, dict) and extra.get("sub") == claims["sub"]:  # OIDC Core 5.3.2
            claims = {**extra, **claims}
    name = next((claims[key] for key in ("name", "preferred_username", "nickname")
                 if isinstance(claims.get(key), str) and claims[key].strip()), None)
    email = claims.get("email") if claims.get("email_verified") is True else None
    return Profile(subject=claims["sub"], name=name,
                   email=email if isinstance(email, str) else None)


def id_token_claims(provider: Provider, endpoints: dict[str, Any], id_token: Any,
                    nonce: str) -> dict[str, Any]:
    """The claims of an ID token whose signature, issuer, audience, nonce and times check
    out; ProviderFailed naming the first that does not."""
    if not isinstance(id_token, str):
        raise ProviderFailed(f"{provider.name}: no ID token came back")
    allowed = [alg for alg in endpoints["algorithms"] if alg in ALGORITHMS] or ["RS256"]
    try:
        decoded = _decode(id_token, endpoints["jwks_uri"], allowed)
        jwt.JWTClaimsRegistry(
            leeway=LEEWAY,
            iss={"essential": True, "value": provider.issuer},
            sub={"essential": True},
            aud={"essential": True},
            exp={"essential": True},
            iat={"essential": True},
            nonce={"essential": True, "value": nonce},
        ).validate(decoded.claims)
    except (JoseError, ValueError, TypeError, KeyError) as error:  # also a malformed key set
        raise ProviderFailed(f"{provider.name}: the ID token was refused: {error}") from None
    claims = decoded.claims
    audience = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
    if provider.client_id not in audience:
        raise ProviderFailed(f"{provider.name}: the ID token is for another client")
    if len(audience) > 1 and claims.get("azp") != provider.client_id:  # OIDC Core 3.1.3.7
        raise ProviderFailed(f"{provider.name}: the ID token was issued to another party")
    if not isinstance(claims["sub"], str) or not 1 <= len(claims["sub"]) <= 255:
        raise ProviderFailed(f"{provider.name}: the ID token's subject is not usable")
    return claims


def _decode(id_token: str, jwks_uri: str, algorithms: list[str]) -> jwt.Token:
    """The token, its signature checked against the provider's keys; once more against
    freshly fetched keys when it names a key the cached set lacks (a rotation)."""
    for fresh in (False, True):
        keys = KeySet.import_key_set(_get_json(jwks_uri, fresh=fresh))
        try:
            return jwt.decode(id_token, keys, algorithms=algorithms)
        except InvalidKeyIdError:
            if fresh:
                raise
    raise AssertionError("unreachable")


def _github(provider: Provider, bearer: dict[str, str]) -> Profile:
    """GitHub's profile: its numeric id is the subject (a login can be renamed and reused),
    its name or login the display name, its primary address if verified."""
    headers = {**bearer, "Accept": "application/vnd.github+json"}
    user = _get_json(provider.endpoints["userinfo_url"], headers=headers)
    if not isinstance(user, dict) or not isinstance(user.get("id"), int) \
            or isinstance(user.get("id"), bool):
        raise ProviderFailed(f"{provider.name}: the profile has no numeric id")
    name = next((user[key] for key in ("name", "login")
                 if isinstance(user.get(key), str) and user[key].strip()), None)
    email = None
    if "user:email" in provider.scopes:
        try:
            emails = _get_json(provider.endpoints["emails_url"], headers=headers)
        except ProviderFailed:  # the address is a convenience: sign in without it
            emails = []
        email = next((entry["email"] for entry in emails if isinstance(entry, dict)
                      and entry.get("primary") is True and entry.get("verified") is True
                      and isinstance(entry.get("email"), str)), None) \
            if isinstance(emails, list) else None
    return Profile(subject=str(user["id"]), name=name, email=email)
