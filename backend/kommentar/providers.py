"""The sign-in providers a site owner configures (issue 14): `[auth.providers.NAME]` tables
in the config file, or ``KOMMENTAR_AUTH_PROVIDERS``, a JSON object keyed by NAME. Each is
any OpenID Connect provider, found by its ``issuer`` (discovery), or one of the built-in
kinds with their known endpoints and scopes: GitHub (OAuth 2, not OpenID Connect), Google
and GitLab (OpenID Connect at their own issuers; a self-hosted GitLab names its own).

Read and checked once, at start-up: a mistake stops the server with the provider's name and
what is wrong, never its secret. Nothing here talks to a provider.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any
from urllib.parse import urlsplit

OIDC = "oidc"
GITHUB, GOOGLE, GITLAB = "github", "google", "gitlab"
OIDC_SCOPES = ("openid", "profile", "email")

# GitHub's OAuth 2 endpoints, each overridable (tests point them at a local provider).
GITHUB_ENDPOINTS = {
    "authorize_url": "https://github.com/login/oauth/authorize",
    "token_url": "https://github.com/login/oauth/access_token",
    "userinfo_url": "https://api.github.com/user",
    "emails_url": "https://api.github.com/user/emails",
}
# The OpenID Connect kinds' issuers; `issuer` overrides them.
ISSUERS = {GOOGLE: "https://accounts.google.com", GITLAB: "https://gitlab.com"}
SCOPES = {GITHUB: ("read:user", "user:email"), GOOGLE: OIDC_SCOPES, GITLAB: OIDC_SCOPES,
          OIDC: OIDC_SCOPES}

NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,31}")
KEYS = {"client_id", "client_secret", "issuer", "kind", "label", "scopes", *GITHUB_ENDPOINTS}
LOOPBACK = {"127.0.0.1", "localhost", "::1"}
MAX_LABEL = 40


@dataclass(frozen=True)
class Provider:
    """One configured provider: its ``name`` (in /auth/NAME/… addresses), the ``label`` on
    its button, the client registered with it, and how to reach it: ``issuer`` for OpenID
    Connect (every kind but GitHub), ``endpoints`` for GitHub."""

    name: str
    label: str
    kind: str
    client_id: str
    client_secret: str = field(repr=False)
    scopes: tuple[str, ...]
    issuer: str | None = None
    endpoints: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))

    @property
    def openid(self) -> bool:
        """Whether it speaks OpenID Connect (ID tokens, discovery), as all but GitHub do."""
        return self.kind != GITHUB


def parse(value: Any) -> dict[str, Provider]:
    """The ``auth_providers`` setting: providers by name, from a TOML table of tables or a
    JSON object. ValueError names the provider and what is wrong, never its secret."""
    if isinstance(value, str):
        try:
            value = json.loads(value) if value.strip() else {}
        except json.JSONDecodeError as error:
            raise ValueError(f"not a JSON object of providers: {error}") from None
    if not isinstance(value, dict):
        raise ValueError("must be a table of providers by name, e.g. [auth.providers.github]")
    return {name: _provider(name, entry) for name, entry in value.items()}


def _provider(name: Any, entry: Any) -> Provider:
    if not isinstance(name, str) or not NAME.fullmatch(name):
        raise ValueError(f"provider {name!r}: a name is 1-32 lower-case letters, digits, "
                         "- or _, starting with a letter or digit")
    where = f"provider {name}"
    if not isinstance(entry, dict):
        raise ValueError(f"{where}: must be a table of client_id, client_secret and issuer "
                         "or kind")
    unknown = sorted(set(entry) - KEYS)
    if unknown:
        raise ValueError(f"{where}: unknown keys {', '.join(unknown)}")
    client_id, client_secret = (_required(where, entry, key)
                                for key in ("client_id", "client_secret"))
    kind = entry.get("kind")
    issuer = entry.get("issuer")
    if kind is None:
        if issuer is None:
            raise ValueError(f"{where}: give its issuer (OpenID Connect) or a kind: "
                             f"{GITHUB}, {GOOGLE} or {GITLAB}")
        kind = OIDC
    elif kind not in SCOPES or kind == OIDC:
        raise ValueError(f"{where}: kind must be {GITHUB}, {GOOGLE} or {GITLAB}")
    overrides = sorted(key for key in GITHUB_ENDPOINTS if key in entry)
    if kind == GITHUB:
        if issuer is not None:
            raise ValueError(f"{where}: GitHub has no issuer (it is not OpenID Connect)")
        endpoints = {key: _url(where, key, entry.get(key, url))
                     for key, url in GITHUB_ENDPOINTS.items()}
    elif overrides:
        raise ValueError(f"{where}: {', '.join(overrides)} only apply to kind = \"{GITHUB}\"; "
                         "an OpenID Connect provider is found from its issuer")
    else:
        endpoints = {}
        issuer = _url(where, "issuer", issuer if issuer is not None else ISSUERS[kind])
    return Provider(name=name, label=_label(where, entry.get("label", name.capitalize())),
                    kind=kind, client_id=client_id, client_secret=client_secret,
                    scopes=_scopes(where, entry.get("scopes", SCOPES[kind]), kind),
                    issuer=issuer if kind != GITHUB else None,
                    endpoints=MappingProxyType(endpoints))


def _required(where: str, entry: dict, key: str) -> str:
    value = entry.get(key)
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{where}: {key} is required")
    return value.strip()


def _url(where: str, key: str, value: Any) -> str:
    """An https:// address; http:// only on this machine (a provider run by the tests)."""
    parts = urlsplit(value) if isinstance(value, str) else None
    local = parts is not None and parts.scheme == "http" and parts.hostname in LOOPBACK
    if parts is None or not parts.hostname or any(ch.isspace() for ch in value) \
            or (parts.scheme != "https" and not local):
        raise ValueError(f"{where}: {key} must be an https:// address")
    return value.rstrip("/") if key == "issuer" else value


def _label(where: str, value: Any) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > MAX_LABEL:
        raise ValueError(f"{where}: label must be text of 1-{MAX_LABEL} characters")
    return value.strip()


def _scopes(where: str, value: Any, kind: str) -> tuple[str, ...]:
    scopes = value.split() if isinstance(value, str) else value
    if not isinstance(scopes, list | tuple) or not scopes \
            or not all(isinstance(scope, str) and scope and not re.search(r"\s", scope)
                       for scope in scopes):
        raise ValueError(f"{where}: scopes must be a list of scope names, or one string of them")
    if kind != GITHUB and "openid" not in scopes:
        raise ValueError(f"{where}: an OpenID Connect provider's scopes must include openid")
    return tuple(dict.fromkeys(scopes))
