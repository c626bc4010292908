"""Sign-in providers in the configuration (issue 14): `[auth.providers.NAME]` tables or
KOMMENTAR_AUTH_PROVIDERS, checked at start-up, with errors that name the provider and what
is wrong and never its secret."""

from __future__ import annotations

import json

import pytest

from kommentar import config, providers
from kommentar.config import ConfigError

REQUIRED = {"KOMMENTAR_SECRET_KEY": "k", "KOMMENTAR_ORIGINS": "https://blog.example"}
SECRET = "s3cret-never-shown"


def client(**fields) -> dict:
    return {"client_id": "kommentar", "client_secret": SECRET, **fields}


def test_no_providers_by_default(tmp_path):
    loaded = config.load(str(tmp_path), None, environ=REQUIRED)
    assert loaded["AUTH_PROVIDERS"] == {}


def test_tables_in_the_config_file(tmp_path):
    path = tmp_path / "kommentar.toml"
    path.write_text(f"""
secret_key = "k"
origins = "https://blog.example"

[auth.providers.github]
kind = "github"
label = "GitHub"
client_id = "Iv1.abc"
client_secret = "{SECRET}"

[auth.providers.work]
issuer = "https://sso.example.com/realms/staff/"
label = "Example staff"
client_id = "kommentar"
client_secret = "{SECRET}"
scopes = ["openid", "email"]
""", encoding="utf-8")
    loaded = config.load(str(tmp_path), {"config": str(path)}, environ={})
    github, work = loaded["AUTH_PROVIDERS"]["github"], loaded["AUTH_PROVIDERS"]["work"]
    assert (github.kind, github.label, github.openid, github.issuer) == (
        "github", "GitHub", False, None)
    assert github.endpoints["authorize_url"] == "https://github.com/login/oauth/authorize"
    assert github.scopes == ("read:user", "user:email")
    assert (work.kind, work.issuer, work.scopes, work.openid) == (
        "oidc", "https://sso.example.com/realms/staff", ("openid", "email"), True)


def test_a_json_object_in_the_environment(tmp_path):
    value = json.dumps({"google": client(kind="google"),
                        "gitlab": client(kind="gitlab", issuer="https://git.example.org")})
    loaded = config.load(str(tmp_path), None,
                         environ={**REQUIRED, "KOMMENTAR_AUTH_PROVIDERS": value})
    google, gitlab = loaded["AUTH_PROVIDERS"]["google"], loaded["AUTH_PROVIDERS"]["gitlab"]
    assert (google.issuer, google.label, google.scopes) == (
        "https://accounts.google.com", "Google", ("openid", "profile", "email"))
    assert gitlab.issuer == "https://git.example.org"  # a self-hosted GitLab


def test_endpoints_may_point_at_a_provider_on_this_machine():
    local = "http://127.0.0.1:8765"
    github = providers.parse({"github": client(
        kind="github", authorize_url=local + "/authorize", token_url=local + "/token",
        userinfo_url=local + "/user", emails_url=local + "/emails")})["github"]
    assert github.endpoints["token_url"] == local + "/token"
    work = providers.parse({"work": client(issuer=local)})["work"]
    assert work.issuer == local


def test_the_secret_is_kept_out_of_the_providers_repr():
    assert SECRET not in repr(providers.parse({"work": client(issuer="https://sso.example")}))


@pytest.mark.parametrize(("name", "entry", "message"), [
    ("GitHub", client(kind="github"), "'GitHub': a name is 1-32 lower-case"),
    ("x" * 33, client(kind="github"), "a name is 1-32"),
    ("work", "https://sso.example", "work: must be a table"),
    ("work", client(issuer="https://sso.example", secret="x"), "work: unknown keys secret"),
    ("work", {"client_secret": SECRET, "issuer": "https://sso.example"},
     "work: client_id is required"),
    ("work", client(client_secret=" ", issuer="https://sso.example"),
     "work: client_secret is required"),
    ("work", client(), "work: give its issuer (OpenID Connect) or a kind"),
    ("work", client(kind="facebook"), "work: kind must be github, google or gitlab"),
    ("work", client(kind="oidc", issuer="https://sso.example"), "kind must be github"),
    ("work", client(issuer="http://sso.example"), "work: issuer must be an https:// address"),
    ("work", client(issuer="https://"), "issuer must be an https:// address"),
    ("github", client(kind="github", issuer="https://github.com"), "GitHub has no issuer"),
    ("github", client(kind="github", token_url="ftp://x"), "token_url must be an https://"),
    ("google", client(kind="google", token_url="https://t.example"),
     "token_url only apply to kind = \"github\""),
    ("work", client(issuer="https://sso.example", scopes="profile email"),
     "scopes must include openid"),
    ("work", client(issuer="https://sso.example", scopes=[]), "scopes must be a list"),
    ("work", client(issuer="https://sso.example", scopes=["open id"]), "scopes must be a list"),
    ("work", client(issuer="https://sso.example", label=""), "label must be text"),
    ("work", client(issuer="https://sso.example", label="x" * 41), "label must be text"),
])
def test_a_mistake_names_the_provider_and_never_the_secret(tmp_path, name, entry, message):
    value = json.dumps({name: entry})
    with pytest.raises(ConfigError) as raised:
        config.load(str(tmp_path), None, environ={**REQUIRED, "KOMMENTAR_AUTH_PROVIDERS": value})
    assert str(raised.value).startswith("auth_providers: ")
    assert message in str(raised.value)
    assert SECRET not in str(raised.value)


@pytest.mark.parametrize("value", ["[1, 2]", "{not json", '"github"'])
def test_the_environment_must_hold_a_json_object(tmp_path, value):
    with pytest.raises(ConfigError, match="auth_providers: "):
        config.load(str(tmp_path), None, environ={**REQUIRED, "KOMMENTAR_AUTH_PROVIDERS": value})


def test_an_auth_table_holds_only_providers(tmp_path):
    path = tmp_path / "kommentar.toml"
    path.write_text('secret_key = "k"\norigins = "https://blog.example"\n'
                    '[auth]\nlocal = false\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"\[auth\] holds only \[auth.providers.NAME\]"):
        config.load(str(tmp_path), {"config": str(path)}, environ={})
