"""Every setting, its default and its meaning, and how they are loaded.

Settings come, in this order, from the defaults below, a TOML file (named by
``--config`` or ``KOMMENTAR_CONFIG``), the environment (``KOMMENTAR_<NAME>``)
and finally the mapping a test passes to ``create_app``. A missing secret key or
origin list stops the server at start-up rather than at the first request.
"""

from __future__ import annotations

import json
import os
import ssl
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from limits import parse_many

from . import providers, webhooks
from .errors import KommentarError
from .mail import address
from .urls import normalise_origin, normalise_url


def _bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in {"1", "true", "yes", "on"}:
        return True
    if text in {"0", "false", "no", "off"}:
        return False
    raise ValueError(f"not a boolean: {value!r}")


def _text(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"not text: {value!r}")
    return value.strip()


def _int(value: Any) -> int:
    # Only text and integers: int() would quietly cut a TOML 1.5 down to 1.
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValueError(f"not a whole number: {value!r}")
    try:
        number = int(value)
    except ValueError:
        raise ValueError(f"not a whole number: {value!r}") from None
    if number < 0:
        raise ValueError(f"must not be negative: {number}")
    return number


def _at_least(minimum: int) -> Callable[[Any], int]:
    def parse(value: Any) -> int:
        number = _int(value)
        if number < minimum:
            raise ValueError(f"must be at least {minimum}: {number}")
        return number

    return parse


def _rate(value: Any) -> str:
    # Flask-Limiter skips a limit it cannot parse, which would switch it off without a word.
    text = str(value).strip()
    parse_many(text)
    return text


def _list(value: Any) -> list[str]:
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return [str(part).strip() for part in value if str(part).strip()]


def _origins(value: Any) -> list[str]:
    try:
        return [normalise_origin(origin) for origin in _list(value)]
    except KommentarError as error:
        raise ValueError(error.message) from None


def _sites(value: Any) -> dict[str, dict[str, Any]]:
    if isinstance(value, str):  # from the environment: a JSON object
        value = json.loads(value) if value.strip() else {}
    if not isinstance(value, dict):
        raise ValueError("must be a table of origin = { setting = value }")
    sites = {}
    for origin, overrides in value.items():
        if not isinstance(overrides, dict) or set(overrides) - set(SITE_SETTINGS):
            raise ValueError(f"{origin}: only {', '.join(SITE_SETTINGS)} may differ per site")
        sites[_origins([origin])[0]] = {name: BY_NAME[name].parse(v)
                                        for name, v in overrides.items()}
    return sites


def _port(value: Any) -> int:
    number = _at_least(1)(value)
    if number > 65535:
        raise ValueError(f"not a port number (1 to 65535): {number}")
    return number


def _secret(value: Any) -> str:
    # Never in a message, not even when it is refused: it is a password.
    if not isinstance(value, str) or not value:
        raise ValueError("must be text (the value is not shown: it is a secret)")
    return value


def _public_url(value: Any) -> str:
    # Links in mail are built as public_url + "/path": no query or fragment to put them after.
    text = _text(value)
    if "?" in text or "#" in text:
        raise ValueError(f"{text!r} must not have a query or a fragment")
    try:
        return normalise_url(text).rstrip("/")
    except KommentarError as error:
        raise ValueError(f"{text!r}: {error.message}") from None


def _mail_from(value: Any) -> str:
    return str(address(_text(value)))


def _ca_file(value: Any) -> str:
    # Loaded now, so that a wrong path stops the server at start-up, not at the first mail.
    path = _text(value)
    try:
        ssl.create_default_context(cafile=path)
    except OSError as error:  # FileNotFoundError, or ssl.SSLError for a file without a PEM
        reason = getattr(error, "reason", None) or error.strerror or str(error)
        raise ValueError(f"cannot load certificates from {path}: {reason}") from None
    return path


def _choice(*allowed: str) -> Callable[[Any], str]:
    def parse(value: Any) -> str:
        text = str(value).strip().lower()
        if text not in allowed:
            raise ValueError(f"{value!r} is not one of {', '.join(allowed)}")
        return text

    return parse


@dataclass(frozen=True)
class Setting:
    """One setting: its name (as in TOML, upper-cased for Flask and the environment)."""

    name: str
    default: Any
    parse: Callable[[Any], Any]
    doc: str


SETTINGS: tuple[Setting, ...] = (
    Setting("database_url", None, _text,
            "peewee database URL; default SQLite, kommentar.db beside the config file"),
    Setting("secret_key", None, _list,
            "signing keys, comma-separated: the first signs, all verify (rotation). Required"),
    Setting("origins", None, _origins,
            "site origins allowed to embed and post, comma-separated. Required"),
    Setting("sites", {}, _sites,
            "per-site differences: a TOML table of origin = { anonymous, voting, ... }"),
    Setting("moderation", "none", _choice("none", "first", "all"),
            "hold new comments for approval: none, first (first-time commenters) or all"),
    Setting("anonymous", True, _bool,
            "allow comments without an account (with a name); false requires log-in"),
    Setting("voting", "anyone", _choice("anyone", "accounts"),
            "who may vote: anyone (one vote per voter token and IP hash) or accounts"),
    Setting("report_threshold", 3, _int,
            "distinct readers whose reports hold a comment for review at once (0: reports off)"),
    Setting("local_accounts", True, _bool,
            "usernames and passwords; false leaves only the sign-in providers"),
    Setting("account_edit", True, _bool,
            "let account holders edit and delete their own comments at any time"),
    # OWASP's first argon2id choice: less memory per log-in than argon2-cffi's 64 MiB default,
    # so a small server survives a burst of log-ins (README, "Tokens, not cookies").
    Setting("argon2_time_cost", 2, _at_least(1), "argon2id passes over memory per password hash"),
    Setting("argon2_memory_cost", 19 * 1024, _at_least(8),
            "argon2id memory per password hash, in KiB (at least 8 per lane)"),
    Setting("argon2_parallelism", 1, _at_least(1), "argon2id lanes (threads) per password hash"),
    Setting("edit_window", 900, _int,
            "seconds an anonymous author may edit or delete with the edit token"),
    Setting("session_max_age", 30 * 24 * 3600, _int, "seconds a sign-in token stays valid"),
    Setting("max_length", 10_000, _int, "longest comment, in characters"),
    Setting("max_depth", 12, _int, "deepest reply chain (a top-level comment is depth 0)"),
    Setting("max_page_size", 1000, _int, "largest limit a thread fetch may ask for"),
    Setting("max_request_bytes", 64 * 1024, _int, "largest request body, in bytes"),
    Setting("thread_max_age", 10, _int,
            "seconds browsers, proxies and CDNs may reuse a thread without asking again"),
    Setting("thread_stale", 60, _int,
            "further seconds they may show it while they fetch it again (stale-while-revalidate)"),
    Setting("thread_cache_mb", 64, _int,
            "megabytes of encoded thread documents each worker keeps in memory (0: none)"),
    Setting("spam_min_seconds", 3, _int,
            "posts sooner than this after the form opened are spam (0: no form timestamp)"),
    Setting("spam_max_links", 5, _int, "comments with more links are spam"),
    Setting("spam_duplicate_window", 600, _int,
            "seconds in which the same text (30+ characters) posted again is spam"),
    Setting("blocked_words", [], _list, "words that make a comment spam, comma-separated"),
    Setting("blocked_domains", [], _list,
            "link domains (and their subdomains) that make a comment spam"),
    Setting("undo_window", 7 * 24 * 3600, _int,
            "seconds a moderator can undo a deletion; then it is purged"),
    Setting("ip_hash_retention", 30 * 24 * 3600, _int,
            "seconds comments and votes keep their client IP hash (0: for good)"),
    Setting("admin_idle_timeout", 30 * 60, _int,
            "seconds of inactivity after which an admin session ends"),
    Setting("admin_absolute_limit", 12 * 3600, _int,
            "seconds after sign-in at which an admin session ends regardless"),
    Setting("webhooks", (), webhooks.parse,
            "receivers of comment events: a list of { url, secret, events, format } tables"),
    Setting("trusted_proxies", 0, _int,
            "reverse proxies in front that set X-Forwarded-For (0: use the socket address)"),
    Setting("ratelimit", True, _bool, "rate limiting on or off"),
    Setting("ratelimit_storage", "memory://", _text,
            "where limit counters live: memory:// (one process) or redis://host:port"),
    Setting("ratelimit_key_prefix", "kommentar", _text,
            "prefix of the counters' keys, so several servers can share one Redis"),
    Setting("limit_post", "5/minute;60/hour", _rate, "new comments, per account or client"),
    Setting("limit_edit", "20/minute", _rate, "edits and deletions, per account or client"),
    Setting("limit_vote", "60/minute", _rate, "votes, per account or client"),
    Setting("limit_report", "10/hour;30/day", _rate,
            "reports of comments and their withdrawals, per account or client"),
    Setting("limit_preview", "30/minute", _rate, "previews of a comment, per account or client"),
    Setting("limit_register", "5/hour", _rate, "new accounts, per client"),
    Setting("limit_login", "10/minute", _rate, "log-in attempts, per client"),
    Setting("limit_login_account", "10/hour", _rate,
            "failed log-in attempts per account name (credential stuffing)"),
    Setting("limit_mail_address", "3/hour;10/day", _rate,
            "mails asked for through a form (confirmations, resets), per address"),
    Setting("limit_mail_client", "10/hour", _rate,
            "mails asked for through a form (confirmations, resets), per client"),
    Setting("public_url", None, _public_url,
            "this server's address as readers reach it, for links in mail; required with mail"),
    Setting("smtp_host", None, _text, "SMTP server to send mail through; mail is on when set"),
    Setting("smtp_port", 587, _port, "SMTP port: 587 for starttls, usually 465 for tls"),
    Setting("smtp_security", "starttls", _choice("starttls", "tls", "none"),
            "starttls (upgrade a plain connection), tls (TLS from the start) or none"),
    Setting("smtp_username", None, _text, "SMTP log-in name; none: send without logging in"),
    Setting("smtp_password", None, _secret, "SMTP password, set together with smtp_username"),
    Setting("smtp_timeout", 10, _at_least(1), "seconds to wait for the SMTP server at each step"),
    Setting("smtp_ca_file", None, _ca_file,
            "PEM file of the CA certificates to trust instead of the system's (a private CA)"),
    Setting("mail_from", None, _mail_from,
            "sender of every mail, e.g. Kommentar <comments@blog.example>; required with mail"),
    Setting("notify_moderators", "pending", _choice("none", "pending", "all"),
            "mail admins with a verified address: none, pending (held comments) or all"),
    Setting("auth_providers", {}, providers.parse,
            "sign-in providers: [auth.providers.NAME] tables of client_id, client_secret and "
            "issuer or kind (github, google, gitlab), and optional label and scopes"),
)

BY_NAME = {setting.name: setting for setting in SETTINGS}
SITE_SETTINGS = ("moderation", "anonymous", "voting", "account_edit", "max_length", "max_depth",
                 "report_threshold", "local_accounts")


class ConfigError(Exception):
    """The configuration cannot run a server; the message says which setting and why."""


def load(instance_path: str, overrides: Mapping[str, Any] | None = None,
         environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Merge defaults, the TOML file, the environment and ``overrides`` into Flask config keys."""
    environ = os.environ if environ is None else environ
    raw: dict[str, Any] = {s.name: s.default for s in SETTINGS}
    overrides = {k.lower(): v for k, v in (overrides or {}).items()}

    path = overrides.pop("config", None) or environ.get("KOMMENTAR_CONFIG")
    if path:
        raw.update(_read_toml(path))
    for setting in SETTINGS:
        key = "KOMMENTAR_" + setting.name.upper()
        if key in environ:
            raw[setting.name] = environ[key]
    extra = {k: v for k, v in overrides.items() if k not in BY_NAME}
    raw.update({k: v for k, v in overrides.items() if k in BY_NAME})

    config: dict[str, Any] = {}
    for setting in SETTINGS:
        value = raw[setting.name]
        if value is not None:
            try:
                value = setting.parse(value)
            except (ValueError, TypeError) as error:
                raise ConfigError(f"{setting.name}: {error}") from None
        config[setting.name.upper()] = value

    if config["ARGON2_MEMORY_COST"] < 8 * config["ARGON2_PARALLELISM"]:
        raise ConfigError("argon2_memory_cost: must be at least 8 KiB per lane of "
                          f"argon2_parallelism ({8 * config['ARGON2_PARALLELISM']})")
    if not config["SECRET_KEY"]:
        raise ConfigError("secret_key is not set: run `kommentar init` or set KOMMENTAR_SECRET_KEY")
    config["ORIGINS"] = list(dict.fromkeys([*(config["ORIGINS"] or []), *config["SITES"]]))
    if not config["ORIGINS"]:
        raise ConfigError("origins is not set: name the site origins, e.g. https://blog.example")
    _check_mail(config)
    if not config["DATABASE_URL"]:  # beside the config file, else in Flask's instance folder
        folder = os.path.dirname(os.path.abspath(path)) if path else instance_path
        config["DATABASE_URL"] = "sqlite:///" + os.path.join(folder, "kommentar.db")
    config.update({k.upper(): v for k, v in extra.items()})
    return config


def _check_mail(config: dict[str, Any]) -> None:
    """Mail is on when smtp_host is set; then it needs a sender, and links need an address."""
    if bool(config["SMTP_USERNAME"]) != bool(config["SMTP_PASSWORD"]):
        raise ConfigError("smtp_username and smtp_password: set both (to log in) or neither")
    if not config["SMTP_HOST"]:
        return
    if not config["PUBLIC_URL"]:
        raise ConfigError("public_url is not set: mail is on (smtp_host), and links in mail "
                          "need this server's address, e.g. https://comments.blog.example")
    if not config["MAIL_FROM"]:
        raise ConfigError("mail_from is not set: mail is on (smtp_host), and needs a sender, "
                          "e.g. Kommentar <comments@blog.example>")


def _read_toml(path: str) -> dict[str, Any]:
    try:
        with open(path, "rb") as file:
            data = tomllib.load(file)
    except OSError as error:
        raise ConfigError(f"cannot read config file {path}: {error.strerror}") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"config file {path} is not valid TOML: {error}") from None
    if "auth" in data:  # [auth.providers.NAME] tables are the auth_providers setting
        auth = data.pop("auth")
        if not isinstance(auth, dict) or set(auth) - {"providers"}:
            raise ConfigError(f"config file {path}: [auth] holds only [auth.providers.NAME] "
                              "tables")
        data["auth_providers"] = auth.get("providers", {})
    unknown = sorted(set(data) - set(BY_NAME))
    if unknown:
        raise ConfigError(f"config file {path}: unknown settings {', '.join(unknown)}")
    return data
