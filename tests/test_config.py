"""Loading settings: defaults, then the TOML file, then the environment, then the caller's
mapping; values parsed from text; a configuration that cannot run a server refused at once."""

from __future__ import annotations

import os

import pytest

from kommentar import config
from kommentar.config import ConfigError

REQUIRED = {"KOMMENTAR_SECRET_KEY": "k", "KOMMENTAR_ORIGINS": "https://blog.example"}


@pytest.fixture
def instance(tmp_path):
    return str(tmp_path / "instance")


@pytest.fixture
def toml(tmp_path):
    """Write a config file and return its path."""

    def write(text: str) -> str:
        path = tmp_path / "kommentar.toml"
        path.write_text(text, encoding="utf-8")
        return str(path)

    return write


def load(instance, overrides=None, **environ):
    return config.load(instance, overrides, environ={**REQUIRED, **environ})


def test_defaults_fill_every_setting(instance):
    loaded = load(instance)
    assert loaded["SECRET_KEY"] == ["k"]
    assert loaded["ORIGINS"] == ["https://blog.example"]
    assert loaded["DATABASE_URL"] == "sqlite:///" + os.path.join(instance, "kommentar.db")
    for setting in config.SETTINGS:
        if setting.name not in ("secret_key", "origins", "database_url"):
            assert loaded[setting.name.upper()] == setting.default, setting.name
    assert loaded["ANONYMOUS"] is True and loaded["RATELIMIT"] is True
    assert loaded["RATELIMIT_STORAGE"] == "memory://"
    assert loaded["TRUSTED_PROXIES"] == 0


def test_every_setting_is_documented():
    for setting in config.SETTINGS:
        assert setting.doc.strip(), setting.name


@pytest.mark.parametrize("text, expected", [
    ("false", False), ("off", False), ("0", False), ("no", False), (" FALSE ", False),
    ("true", True), ("on", True), ("1", True), ("yes", True), ("On", True),
])
def test_boolean_from_the_environment(instance, text, expected):
    assert load(instance, KOMMENTAR_ANONYMOUS=text)["ANONYMOUS"] is expected
    assert load(instance, KOMMENTAR_RATELIMIT=text)["RATELIMIT"] is expected


def test_origins_from_the_environment_are_normalised(instance):
    loaded = load(instance, KOMMENTAR_ORIGINS=" https://Blog.Example/ , HTTP://example.org:80/,"
                                              "https://x.example:8443,, https://y.example:443")
    assert loaded["ORIGINS"] == ["https://blog.example", "http://example.org",
                                 "https://x.example:8443", "https://y.example"]


def test_secret_key_list_from_the_environment(instance):
    assert load(instance, KOMMENTAR_SECRET_KEY="new, old")["SECRET_KEY"] == ["new", "old"]


def test_whole_numbers_and_choices_from_the_environment(instance):
    loaded = load(instance, KOMMENTAR_EDIT_WINDOW=" 60 ", KOMMENTAR_VOTING="Accounts",
                  KOMMENTAR_LIMIT_POST="3/minute", KOMMENTAR_RATELIMIT_KEY_PREFIX="blog")
    assert loaded["EDIT_WINDOW"] == 60
    assert loaded["VOTING"] == "accounts"
    assert loaded["LIMIT_POST"] == "3/minute"
    assert loaded["RATELIMIT_KEY_PREFIX"] == "blog"


def test_file_is_read_from_the_config_override(instance, toml):
    path = toml('secret_key = ["a", "b"]\norigins = ["https://blog.example"]\n'
                'anonymous = false\nedit_window = 60\nlimit_post = "1/minute"\n')
    loaded = config.load(instance, {"config": path}, environ={})
    assert loaded["SECRET_KEY"] == ["a", "b"]
    assert loaded["ANONYMOUS"] is False
    assert loaded["EDIT_WINDOW"] == 60
    assert loaded["LIMIT_POST"] == "1/minute"


def test_file_is_read_from_kommentar_config(instance, toml):
    path = toml('secret_key = ["a"]\norigins = ["https://blog.example"]\nvoting = "accounts"\n')
    loaded = config.load(instance, {}, environ={"KOMMENTAR_CONFIG": path})
    assert loaded["VOTING"] == "accounts"


def test_environment_overrides_the_file(instance, toml):
    path = toml('secret_key = ["from-file"]\norigins = ["https://file.example"]\n'
                "anonymous = true\nratelimit = true\n")
    loaded = load(instance, KOMMENTAR_CONFIG=path, KOMMENTAR_SECRET_KEY="from-env",
                  KOMMENTAR_ANONYMOUS="off", KOMMENTAR_ORIGINS="https://env.example")
    assert loaded["SECRET_KEY"] == ["from-env"]
    assert loaded["ANONYMOUS"] is False
    assert loaded["ORIGINS"] == ["https://env.example"]
    assert loaded["RATELIMIT"] is True  # what the environment leaves alone comes from the file


def test_the_callers_mapping_overrides_the_environment(instance):
    loaded = load(instance, {"anonymous": True, "ORIGINS": "https://mapping.example"},
                  KOMMENTAR_ANONYMOUS="false")
    assert loaded["ANONYMOUS"] is True
    assert loaded["ORIGINS"] == ["https://mapping.example"]


def test_unknown_keys_in_the_mapping_pass_through_to_flask(instance):
    assert load(instance, {"testing": True})["TESTING"] is True


@pytest.mark.parametrize("environ, message", [
    ({}, "secret_key"),
    ({"KOMMENTAR_ORIGINS": "https://blog.example"}, "secret_key"),
    ({"KOMMENTAR_SECRET_KEY": "k"}, "origins"),
    ({"KOMMENTAR_SECRET_KEY": " , ", "KOMMENTAR_ORIGINS": "https://blog.example"}, "secret_key"),
    ({"KOMMENTAR_SECRET_KEY": "k", "KOMMENTAR_ORIGINS": ""}, "origins"),
])
def test_missing_secret_or_origins_is_refused(instance, environ, message):
    with pytest.raises(ConfigError, match=message) as raised:
        config.load(instance, {}, environ=environ)
    assert "not set" in str(raised.value)


def test_unknown_setting_in_the_file_is_refused(instance, toml):
    path = toml('secret_key = ["k"]\norigins = ["https://blog.example"]\nanonymus = false\n')
    with pytest.raises(ConfigError, match="unknown settings anonymus"):
        config.load(instance, {"config": path}, environ={})


@pytest.mark.parametrize("text, message", [
    ("secret_key = [", "not valid TOML"),
    ("", "secret_key is not set"),
])
def test_broken_file_is_refused(instance, toml, text, message):
    with pytest.raises(ConfigError, match=message):
        config.load(instance, {"config": toml(text)}, environ={})


def test_missing_file_is_refused(instance, tmp_path):
    with pytest.raises(ConfigError, match="cannot read config file"):
        config.load(instance, {"config": str(tmp_path / "absent.toml")}, environ={})


@pytest.mark.parametrize("name, value", [
    ("anonymous", "maybe"),
    ("ratelimit", "sometimes"),
    ("account_edit", ""),
    ("edit_window", "soon"),
    ("edit_window", "1.5"),
    ("edit_window", "-1"),
    ("trusted_proxies", "-1"),
    ("max_length", "1e4"),
    ("voting", "everyone"),
    ("limit_post", "lots"),
    ("limit_login_account", "10 per fortnight"),
    ("argon2_time_cost", "0"),
    ("argon2_memory_cost", "7"),
    ("argon2_parallelism", "0"),
])
def test_bad_value_in_the_environment_names_the_setting(instance, name, value):
    with pytest.raises(ConfigError, match=f"^{name}: "):
        load(instance, **{f"KOMMENTAR_{name.upper()}": value})


@pytest.mark.parametrize("name, value", [
    ("anonymous", "'maybe'"),
    ("edit_window", "true"),
    ("edit_window", "1.5"),
    ("max_depth", "'3 levels'"),
    ("origins", "5"),
    ("origins", "['https://blog.example/path']"),
    ("limit_vote", "'often'"),
])
def test_bad_value_in_the_file_names_the_setting(instance, toml, name, value):
    lines = {"secret_key": '["k"]', "origins": '["https://blog.example"]', name: value}
    path = toml("".join(f"{key} = {text}\n" for key, text in lines.items()))
    with pytest.raises(ConfigError, match=f"^{name}: "):
        config.load(instance, {"config": path}, environ={})


def test_argon2_memory_must_cover_every_lane(instance):
    with pytest.raises(ConfigError, match=r"^argon2_memory_cost: .* lane .* \(32\)"):
        load(instance, KOMMENTAR_ARGON2_MEMORY_COST="31", KOMMENTAR_ARGON2_PARALLELISM="4")
    assert load(instance, KOMMENTAR_ARGON2_MEMORY_COST="32",
                KOMMENTAR_ARGON2_PARALLELISM="4")["ARGON2_MEMORY_COST"] == 32


@pytest.mark.parametrize("origin", [
    "https://blog.example/comments",
    "https://blog.example?x=1",
    "https://blog.example#top",
    "null",
    "ftp://blog.example",
    "blog.example",
    "javascript:alert(1)",
])
def test_invalid_origin_is_refused(instance, origin):
    with pytest.raises(ConfigError, match="^origins: "):
        load(instance, KOMMENTAR_ORIGINS=f"https://good.example,{origin}")


def test_default_database_is_in_the_instance_folder(instance):
    assert load(instance)["DATABASE_URL"] == f"sqlite:///{instance}/kommentar.db"
    given = load(instance, KOMMENTAR_DATABASE_URL="postgresql://db/kommentar")
    assert given["DATABASE_URL"] == "postgresql://db/kommentar"
