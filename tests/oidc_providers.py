"""Sign-in providers for the tests to sign in against (issue 14), each a real HTTP server on
127.0.0.1 speaking standard OAuth 2 / OpenID Connect; nothing here knows Kommentar.

- ``RealProvider``: oidc-provider-mock, an OpenID Connect provider built on authlib, in a
  process of its own (tests/oidc_provider_server.py), with PKCE checked as real providers do.
- ``GitHubStandIn``: GitHub's REST API shape (``/user``, ``/user/emails``) in front of a
  ``RealProvider``, for GitHub's OAuth 2 without OpenID Connect.
- ``ForgedProvider``: an OpenID Connect provider whose next ID token the test tampers with,
  for proving that bad ID tokens are refused; it records what the client sent.

conftest.py hands them out as ``oidc_provider``, ``github_api`` and ``forged_provider``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import flask
import httpx
import werkzeug.serving
from joserfc import jwt
from joserfc.jwk import RSAKey

SERVER_SCRIPT = Path(__file__).with_name("oidc_provider_server.py")


def query_of(url: str) -> dict[str, str]:
    """The query parameters of ``url``, one value each (as a callback's code and state)."""
    return {name: values[0] for name, values in parse_qs(urlsplit(url).query).items()}


def s256(verifier: str) -> str:
    """PKCE's S256 code challenge for ``verifier`` (RFC 7636 section 4.2)."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return _b64(digest)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _with_query(url: str, **params: str) -> str:
    parts = urlsplit(url)
    query = "&".join(part for part in (parts.query, urlencode(params)) if part)
    return urlunsplit(parts._replace(query=query))


class _InProcessServer:
    """A Flask app of ``routes`` served on a free port of 127.0.0.1 from a thread of this
    process, from ``start`` to ``stop``; ``http`` is its own client for calls it makes."""

    def __init__(self):
        self.httpd: werkzeug.serving.BaseWSGIServer | None = None
        self.thread: threading.Thread | None = None
        self.http = httpx.Client(timeout=10)  # follows no redirects

    @property
    def url(self) -> str:
        assert self.httpd is not None, "not started"
        return f"http://127.0.0.1:{self.httpd.server_port}"

    def routes(self, app: flask.Flask) -> None:
        """Add the server's endpoints to ``app``: each subclass says its own."""
        raise NotImplementedError

    def start(self):
        """Listen, and return self."""
        app = flask.Flask(type(self).__name__)
        self.routes(app)
        self.httpd = werkzeug.serving.make_server("127.0.0.1", 0, app, threaded=True)
        # A short poll: shutdown() waits for the loop to look, half a second by default.
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,),
                                       daemon=True)
        self.thread.start()
        return self

    def stop(self) -> None:
        """Stop listening and close the client."""
        if self.httpd is not None:
            self.httpd.shutdown()
            self.httpd.server_close()
            self.thread.join()
        self.http.close()


# --- RealProvider ------------------------------------------------------------------------------

class RealProvider:
    """oidc-provider-mock on 127.0.0.1:``port`` in a process of its own, its output in ``log``.

    Any client id and secret are accepted (by HTTP Basic or the form), any redirect URI;
    ``nonce`` is required, PKCE is checked when the authorization asked for it. A person
    approves as any ``sub``: an unknown one gets ``{"email": sub}`` as claims."""

    def __init__(self, port: int, log: Path):
        self.issuer = f"http://127.0.0.1:{port}"  # the mock names itself after the Host asked
        self.discovery_url = f"{self.issuer}/.well-known/openid-configuration"
        self.authorize_url = f"{self.issuer}/oauth2/authorize"
        self.token_url = f"{self.issuer}/oauth2/token"
        self.userinfo_url = f"{self.issuer}/userinfo"
        self.log = log
        self.claims: dict[str, dict] = {}  # what set_user stored, by sub (GitHubStandIn reads it)
        self.process: subprocess.Popen | None = None
        self.http = httpx.Client(timeout=10)

    def start(self, timeout: float = 20) -> RealProvider:
        """Start the process and return once its discovery document answers."""
        with open(self.log, "wb") as output:
            self.process = subprocess.Popen(
                [sys.executable, str(SERVER_SCRIPT), self.issuer.rsplit(":", 1)[1]],
                stdout=output, stderr=subprocess.STDOUT,
                env={**os.environ, "AUTHLIB_INSECURE_TRANSPORT": "1"})
        deadline = time.monotonic() + timeout
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"oidc-provider-mock exited with {self.process.returncode}"
                                   f": {self.log.read_text(errors='replace')[-2000:]}")
            try:
                if self.http.get(self.discovery_url).status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"oidc-provider-mock did not answer in {timeout} s")
            time.sleep(0.05)  # polling for readiness, not papering over a race

    def stop(self) -> None:
        """End the process: politely, then by force."""
        self.http.close()
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def settings(self, client_id: str = "kommentar", client_secret: str = "secret") -> dict:
        """A provider's table for Kommentar's ``auth_providers`` (any client is welcome)."""
        return {"issuer": self.issuer, "client_id": client_id, "client_secret": client_secret}

    def set_user(self, sub: str, claims: dict) -> None:
        """Make (or replace) the person ``sub`` with these claims. Standard claims (name,
        email, ...) come back for the scopes that cover them, others (GitHub's ``id``,
        ``login``) always."""
        response = self.http.put(f"{self.issuer}/users/{sub}", json=claims)
        assert response.status_code == 204, response.text
        self.claims[sub] = dict(claims)

    def approve(self, authorize_url: str, sub: str) -> str:
        """Sign in as ``sub`` at the consent page the client sent the browser to, as a person
        would; return where the provider sends the browser back (``redirect_uri?code&state``,
        or with ``error=...`` when the request was bad)."""
        return self._consent(authorize_url, {"sub": sub})

    def deny(self, authorize_url: str) -> str:
        """Refuse at the consent page; return the redirect back (``error=access_denied``)."""
        return self._consent(authorize_url, {"action": "deny"})

    def _consent(self, authorize_url: str, form: dict) -> str:
        page = self.http.get(authorize_url)
        if page.status_code in (302, 303):  # refused before any form, e.g. no nonce
            return page.headers["Location"]
        assert page.status_code == 200, f"{page.status_code}: {page.text[:500]}"
        # The consent forms have no action: they post back to the page's own address.
        answer = self.http.post(authorize_url, data=form)
        assert answer.status_code in (302, 303), f"{answer.status_code}: {answer.text[:500]}"
        return answer.headers["Location"]


# --- GitHubStandIn -----------------------------------------------------------------------------

class GitHubStandIn(_InProcessServer):
    """``api.github.com``'s ``/user`` and ``/user/emails`` for the people of ``provider``: a
    request's bearer token (or GitHub's ``token TOKEN``) must be one the provider issued, as
    its ``/userinfo`` decides, or the answer is GitHub's 401. The person's claims are reshaped:
    ``id``, ``login``, ``name`` and ``email`` for ``/user``; ``email`` and ``email_verified``
    as the one (primary) address of ``/user/emails``, or the claim ``emails`` as it is (a list
    in GitHub's shape) for a test that needs several. Like GitHub, it wants a User-Agent."""

    def __init__(self, provider: RealProvider):
        super().__init__()
        self.provider = provider
        self.requests: list[dict] = []  # the headers of each request, for tests to check

    @property
    def userinfo_url(self) -> str:
        """Where GitHub's ``/user`` is: a provider's ``userinfo_url``."""
        return f"{self.url}/user"

    @property
    def emails_url(self) -> str:
        """Where GitHub's ``/user/emails`` is: a provider's ``emails_url``."""
        return f"{self.url}/user/emails"

    def endpoints(self) -> dict[str, str]:
        """GitHub's four endpoints for a provider of kind github: OAuth 2 at the provider,
        the API here."""
        return {"authorize_url": self.provider.authorize_url,
                "token_url": self.provider.token_url,
                "userinfo_url": self.userinfo_url, "emails_url": self.emails_url}

    def settings(self, client_id: str = "kommentar", client_secret: str = "secret") -> dict:
        """A provider's table for Kommentar's ``auth_providers``: kind github, at these
        endpoints."""
        return {"kind": "github", "client_id": client_id, "client_secret": client_secret,
                **self.endpoints()}

    def routes(self, app: flask.Flask) -> None:
        app.add_url_rule("/user", "user", lambda: self._answer(self._user))
        app.add_url_rule("/user/emails", "emails", lambda: self._answer(self._emails))

    def _answer(self, shape):
        request = flask.request
        self.requests.append(dict(request.headers))
        if not request.headers.get("User-Agent"):
            return flask.jsonify(message="Request forbidden by administrative rules. Please "
                                         "make sure your request has a User-Agent header"), 403
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() not in ("bearer", "token") or not token:
            return flask.jsonify(message="Requires authentication"), 401
        info = self.http.get(self.provider.userinfo_url,
                             headers={"Authorization": f"Bearer {token}"})
        if info.status_code != 200:
            return flask.jsonify(message="Bad credentials"), 401
        # GitHub's scopes are not OpenID Connect's, so the mock's /userinfo leaves out the
        # standard claims (name, email): those come from what set_user stored.
        claims = {**self.provider.claims.get(info.json()["sub"], {}), **info.json()}
        return flask.jsonify(shape(claims))

    @staticmethod
    def _user(claims: dict) -> dict:
        return {"id": int(claims["id"]), "login": claims["login"], "type": "User",
                "name": claims.get("name"), "email": claims.get("email"),
                "html_url": f"https://github.com/{claims['login']}",
                "avatar_url": f"https://avatars.githubusercontent.com/u/{claims['id']}?v=4"}

    @staticmethod
    def _emails(claims: dict) -> list[dict]:
        if "emails" in claims:
            return claims["emails"]
        if not claims.get("email"):
            return []
        return [{"email": claims["email"], "primary": True,
                 "verified": bool(claims.get("email_verified")), "visibility": "public"}]


# --- ForgedProvider ----------------------------------------------------------------------------

@dataclass
class Tampering:
    """What is wrong with an ID token: each field left as None (or empty) is correct."""

    iss: str | None = None
    aud: str | list[str] | None = None
    nonce: str | None = None
    sub: str | None = None
    exp_offset: int | None = None  # seconds from now; correct is +300
    iat_offset: int | None = None  # seconds from now; correct is 0
    signed_with_other_key: bool = False  # a fresh RSA key, the header still naming ours
    kid: str | None = None  # the header's kid
    alg: str | None = None  # "none" (unsigned) or "HS256" (keyed with our public PEM)
    omit: tuple[str, ...] = ()  # claims to leave out
    claims: dict = field(default_factory=dict)  # further claims, or other values


@dataclass
class _Grant:
    client_id: str
    redirect_uri: str
    nonce: str | None
    scope: str
    code_challenge: str | None
    code_challenge_method: str | None


class ForgedProvider(_InProcessServer):
    """An OpenID Connect provider on 127.0.0.1, in this process, for one client
    (``client_id``, ``client_secret``), whose ID tokens are correct until the test asks for
    one that is not (``next_token``). It approves at once (no consent page), checks the code
    exchange strictly (single-use codes, redirect_uri, client credentials, PKCE S256), and
    records the last authorization request and token request it saw."""

    def __init__(self, client_id: str = "kommentar-test", client_secret: str | None = None):
        super().__init__()
        self.client_id = client_id
        self.client_secret = client_secret or secrets.token_urlsafe(16)
        self.key = RSAKey.generate_key(2048, parameters={"kid": "forged-1"}, private=True)
        self.user_sub = "forged-user"
        self.user_claims: dict = {"name": "Forged Person", "email": "person@forged.test",
                                  "email_verified": True}
        self.tampering = Tampering()
        self.last_authorize: dict[str, str] | None = None
        self.last_token_request: dict[str, str] | None = None
        self.last_id_token: str | None = None
        self.grants: dict[str, _Grant] = {}  # by code, until exchanged
        self.tokens: dict[str, str] = {}  # access token -> sub

    @property
    def issuer(self) -> str:
        return self.url

    def settings(self) -> dict:
        """A provider's table for Kommentar's ``auth_providers``: its issuer and its one
        client."""
        return {"issuer": self.issuer, "client_id": self.client_id,
                "client_secret": self.client_secret}

    def next_token(self, **tampering) -> None:
        """Make the next ID token wrong as ``Tampering(**tampering)`` says; the one after is
        correct again."""
        self.tampering = Tampering(**tampering)

    def approve(self, authorize_url: str) -> str:
        """Follow the client's authorization URL; return where it redirects the browser."""
        response = self.http.get(authorize_url)
        assert response.status_code in (302, 303), f"{response.status_code}: {response.text}"
        return response.headers["Location"]

    def routes(self, app: flask.Flask) -> None:
        app.add_url_rule("/.well-known/openid-configuration", view_func=self._discovery)
        app.add_url_rule("/jwks", view_func=self._jwks)
        app.add_url_rule("/authorize", view_func=self._authorize)
        app.add_url_rule("/token", view_func=self._token, methods=["POST"])
        app.add_url_rule("/userinfo", view_func=self._userinfo, methods=["GET", "POST"])

    # The endpoints.

    def _discovery(self):
        return flask.jsonify({
            "issuer": self.issuer, "authorization_endpoint": f"{self.issuer}/authorize",
            "token_endpoint": f"{self.issuer}/token",
            "userinfo_endpoint": f"{self.issuer}/userinfo", "jwks_uri": f"{self.issuer}/jwks",
            "response_types_supported": ["code"], "subject_types_supported": ["public"],
            "scopes_supported": ["openid", "profile", "email"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic",
                                                      "client_secret_post"],
            "code_challenge_methods_supported": ["S256"],
            "id_token_signing_alg_values_supported": ["RS256"]})

    def _jwks(self):
        return flask.jsonify({"keys": [self.key.as_dict(private=False)]})

    def _authorize(self):
        query = flask.request.args.to_dict()
        self.last_authorize = query
        redirect_uri = query.get("redirect_uri")
        if query.get("client_id") != self.client_id or not redirect_uri:
            # Never redirect for an unknown client or no redirect_uri: an open redirector.
            return "unknown client or no redirect_uri", 400
        back = {"state": query["state"]} if "state" in query else {}
        if query.get("response_type") != "code":
            return flask.redirect(_with_query(redirect_uri, error="unsupported_response_type",
                                              **back))
        if "code_challenge" in query and query.get("code_challenge_method") != "S256":
            return flask.redirect(_with_query(redirect_uri, error="invalid_request", **back))
        code = secrets.token_urlsafe(24)
        self.grants[code] = _Grant(self.client_id, redirect_uri, query.get("nonce"),
                                   query.get("scope", ""), query.get("code_challenge"),
                                   query.get("code_challenge_method"))
        return flask.redirect(_with_query(redirect_uri, code=code, **back))

    def _token(self):
        form = flask.request.form.to_dict()
        self.last_token_request = form
        auth = flask.request.authorization
        client_id, client_secret = ((auth.username, auth.password) if auth and auth.type ==
                                    "basic" else (form.get("client_id"), form.get("client_secret")))
        if client_id != self.client_id or not hmac.compare_digest(
                (client_secret or "").encode(), self.client_secret.encode()):
            return _error("invalid_client", 401)
        if form.get("grant_type") != "authorization_code":
            return _error("unsupported_grant_type")
        grant = self.grants.pop(form.get("code", ""), None)  # single use, even when refused
        if grant is None or grant.redirect_uri != form.get("redirect_uri"):
            return _error("invalid_grant")
        verifier = form.get("code_verifier")
        if grant.code_challenge is None:
            if verifier:  # RFC 9700 section 4.8.2
                return _error("invalid_request")
        elif not verifier or s256(verifier) != grant.code_challenge:
            return _error("invalid_grant")
        access_token = secrets.token_urlsafe(24)
        self.tokens[access_token] = self.user_sub
        answer = {"access_token": access_token, "token_type": "Bearer", "expires_in": 3600,
                  "scope": grant.scope}
        if "openid" in grant.scope.split():
            answer["id_token"] = self.last_id_token = self._id_token(grant)
        response = flask.jsonify(answer)
        response.headers["Cache-Control"] = "no-store"
        return response

    def _userinfo(self):
        auth = flask.request.authorization
        sub = self.tokens.get(auth.token) if auth and auth.type == "bearer" else None
        if sub is None:
            response = _error("invalid_token", 401)
            response.headers["WWW-Authenticate"] = 'Bearer error="invalid_token"'
            return response
        return flask.jsonify({**self.user_claims, "sub": sub})

    # The ID token.

    def _id_token(self, grant: _Grant) -> str:
        wrong, self.tampering = self.tampering, Tampering()
        now = int(time.time())
        claims = {"iss": self.issuer, "sub": self.user_sub, "aud": grant.client_id,
                  "iat": now, "exp": now + 300, "auth_time": now, **self.user_claims}
        if grant.nonce is not None:
            claims["nonce"] = grant.nonce
        claims.update({name: value for name, value in
                       (("iss", wrong.iss), ("aud", wrong.aud), ("nonce", wrong.nonce),
                        ("sub", wrong.sub)) if value is not None})
        if wrong.exp_offset is not None:
            claims["exp"] = now + wrong.exp_offset
        if wrong.iat_offset is not None:
            claims["iat"] = now + wrong.iat_offset
        claims.update(wrong.claims)
        for name in wrong.omit:
            claims.pop(name, None)
        header = {"alg": wrong.alg or "RS256", "typ": "JWT", "kid": wrong.kid or self.key.kid}
        if header["alg"] == "none":
            del header["kid"]
            return f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}."
        if header["alg"] == "HS256":  # the old confusion: the public key used as an HMAC secret
            signing_input = f"{_b64(json.dumps(header).encode())}." \
                            f"{_b64(json.dumps(claims).encode())}"
            mac = hmac.new(self.key.as_pem(private=False), signing_input.encode(),
                           hashlib.sha256).digest()
            return f"{signing_input}.{_b64(mac)}"
        key = RSAKey.generate_key(2048, private=True) if wrong.signed_with_other_key else self.key
        return jwt.encode(header, claims, key, algorithms=[header["alg"]])


def _error(error: str, status: int = 400) -> flask.Response:
    response = flask.jsonify(error=error)
    response.status_code = status
    return response
