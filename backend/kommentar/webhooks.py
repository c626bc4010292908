"""Webhooks: each configured receiver gets the comment events it lists (``events``) as JSON
signed the way the Standard Webhooks specification says, or in the shape of Slack's
incoming webhooks, through the outbox, so a receiver that is away gets them later.

The body is fixed when the event is queued; the signature is made when it is sent, over
``webhook-id.webhook-timestamp.body`` with the hook's ``whsec_`` secret, so a retry hours
later carries a fresh timestamp (receivers refuse old ones) and the same ``webhook-id``
(receivers drop repeats by it).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import http.client
import json
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from . import outbox
from .events import (
    COMMENT_DELETED,
    COMMENT_PENDING,
    COMMENT_PUBLISHED,
    EVENTS,
    Events,
    described,
    listeners,
)
from .models import SPAM, utcnow

KIND = "webhook"
FORMATS = ("standard", "slack")
SECRET_PREFIX = "whsec_"  # noqa: S105 - the prefix, not a secret
SECRET_BYTES = (24, 64)  # the specification's advice for a secret's length
TIMEOUT = 10  # seconds to connect, and to wait for each part of the answer
USER_AGENT = "Kommentar-Webhooks"
EXCERPT = 200  # characters of a comment in a Slack line

_hooks: tuple[Hook, ...] = ()  # the configured ones, which ``queue`` writes messages for


@dataclass(frozen=True)
class Hook:
    """One receiver: where it is, how its calls are signed, which events it wants, in
    which shape."""

    url: str
    secret: bytes | None = field(repr=False)  # the key, decoded from whsec_...
    events: frozenset[str]
    format: str = "standard"


def parse(value: Any) -> tuple[Hook, ...]:
    """The ``webhooks`` setting: a list of ``{url, secret, events, format}`` tables (JSON in
    the environment). ValueError names the hook and what is wrong, never the secret."""
    if isinstance(value, str):
        try:
            value = json.loads(value) if value.strip() else []
        except json.JSONDecodeError as error:
            raise ValueError(f"not a JSON list of webhooks: {error}") from None
    if not isinstance(value, list | tuple):
        raise ValueError("must be a list of { url, secret, events, format } tables")
    hooks = tuple(_hook(number, entry) for number, entry in enumerate(value, start=1))
    urls = [hook.url for hook in hooks]
    for url in urls:
        if urls.count(url) > 1:
            raise ValueError(f"{url} is listed twice: give each receiver one entry")
    return hooks


def _hook(number: int, entry: Any) -> Hook:
    where = f"webhook {number}"
    if not isinstance(entry, dict):
        raise ValueError(f"{where}: must be a table of url, secret, events and format")
    unknown = sorted(set(entry) - {"url", "secret", "events", "format"})
    if unknown:
        raise ValueError(f"{where}: unknown keys {', '.join(unknown)}")
    url = entry.get("url")
    parts = urlsplit(url) if isinstance(url, str) else None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname \
            or any(ch.isspace() for ch in url):
        raise ValueError(f"{where}: url must be an http:// or https:// address")
    format_ = entry.get("format", "standard")
    if format_ not in FORMATS:
        raise ValueError(f"{where}: format must be one of {', '.join(FORMATS)}")
    events = entry.get("events", list(EVENTS))
    if isinstance(events, str):
        events = [name.strip() for name in events.split(",") if name.strip()]
    if not isinstance(events, list | tuple) or not events \
            or not set(events) <= set(EVENTS):
        raise ValueError(f"{where}: events must name some of {', '.join(EVENTS)}")
    secret = entry.get("secret")
    if secret is None and format_ == "standard":
        raise ValueError(f"{where}: a secret is required to sign its calls (whsec_...)")
    return Hook(url=url, secret=None if secret is None else _key(where, secret),
                events=frozenset(events), format=format_)


def _key(where: str, secret: Any) -> bytes:
    """The signing key a ``whsec_<base64>`` secret stands for."""
    low, high = SECRET_BYTES
    refused = ValueError(
        f"{where}: secret must be whsec_ and then {low} to {high} random bytes in base64, "
        "as Standard Webhooks secrets are; make one with: python3 -c \"import base64, "
        "secrets; print('whsec_' + base64.b64encode(secrets.token_bytes(32)).decode())\"")
    if not isinstance(secret, str) or not secret.startswith(SECRET_PREFIX):
        raise refused
    try:
        key = base64.b64decode(secret[len(SECRET_PREFIX):], validate=True)
    except binascii.Error:
        raise refused from None
    if not low <= len(key) <= high:
        raise refused
    return key


def init_app(app) -> None:
    """Listen with the configured hooks, and send webhook messages from the outbox."""
    configure(app.config["WEBHOOKS"])
    outbox.deliverers[KIND] = send
    if queue not in listeners:
        listeners.append(queue)


def configure(hooks: tuple[Hook, ...]) -> None:
    """Set the hooks ``queue`` writes messages for (those of the latest app built)."""
    global _hooks
    _hooks = tuple(hooks)


def queue(events: Events, now: datetime | None = None) -> None:
    """Queue one call per hook for each ``(event, comment id)`` it listens to, in the
    caller's transaction: a query for the comments and an INSERT for the calls, and no
    statement at all when no hook listens."""
    wanted = [(hook, event, comment_id) for event, comment_id in events
              for hook in _hooks if event in hook.events]
    if not wanted:
        return
    now = now or utcnow()
    comments = described({comment_id for _, _, comment_id in wanted})
    outbox.queue(((KIND, event, hook.url, {"content-type": "application/json",
                                           "webhook-id": f"msg_{uuid.uuid4().hex}"},
                   body(hook.format, event, comments[comment_id], now))
                  for hook, event, comment_id in wanted if comment_id in comments), now)


def body(format_: str, event: str, comment: dict[str, Any], now: datetime) -> str:
    """What a hook of this format is sent for an event about a comment."""
    if format_ == "slack":
        return _json({"text": slack_line(event, comment)})
    return _json({"type": event, "timestamp": now.isoformat(timespec="microseconds") + "Z",
                  "data": comment})


def _json(document: dict[str, Any]) -> str:
    return json.dumps(document, ensure_ascii=False, separators=(",", ":"))


SLACK_LINES = {  # by event, and status where it makes a difference
    COMMENT_PUBLISHED: "New comment by {author} on {page}",
    COMMENT_PENDING: "Comment by {author} on {page} waits for approval",
    COMMENT_DELETED: "Comment by {author} on {page} was deleted",
    (COMMENT_DELETED, SPAM): "Comment by {author} on {page} was marked as spam",
}


def slack_line(event: str, comment: dict[str, Any]) -> str:
    """A line for a chat channel: what happened, by whom, where (linked), and the text's
    start, escaped so that nothing a commenter writes becomes a link or a mention."""
    words = " ".join(comment["text"].split())
    if len(words) > EXCERPT:
        words = words[:EXCERPT - 1] + "…"
    title = comment["thread"]["title"] or comment["thread"]["url"].split("://", 1)[-1]
    page = f"<{_slack(comment['permalink'])}|{_slack(title).replace('|', '¦')}>"
    line = SLACK_LINES.get((event, comment["status"]), SLACK_LINES[event])
    line = line.format(author=_slack(comment["author"]["name"]), page=page)
    return f"{line}: {_slack(words)}" if words else line


def _slack(text: str) -> str:
    """Text as Slack's message format wants it: ``&``, ``<`` and ``>`` escaped."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def signature(key: bytes, message_id: str, timestamp: str, payload: bytes) -> str:
    """The ``webhook-signature`` header: ``v1,`` and the base64 HMAC-SHA256 of
    ``id.timestamp.body``."""
    signed = f"{message_id}.{timestamp}.".encode() + payload
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A receiver's redirect is a failure: a POST must not turn into a GET elsewhere."""

    def redirect_request(self, *args, **kwargs):
        return None


_opener = urllib.request.build_opener(_NoRedirects)


def send(message: outbox.Message, config: Mapping[str, Any]) -> None:
    """The outbox's deliverer for webhook calls: sign and POST one; DeliveryFailed for no
    answer within ``TIMEOUT``, an answer other than 2xx, or a receiver no longer configured."""
    hook = next((hook for hook in config["WEBHOOKS"] if hook.url == message.destination), None)
    if hook is None:
        raise outbox.DeliveryFailed("no webhook with this URL is configured any more",
                                    permanent=True)
    payload = message.payload.encode()
    headers = {**message.headers, "user-agent": USER_AGENT}
    if hook.secret is not None:
        stamp = str(int(time.time()))  # the real clock: receivers compare it with theirs
        headers["webhook-timestamp"] = stamp
        headers["webhook-signature"] = signature(hook.secret, headers["webhook-id"], stamp,
                                                 payload)
    # parse() allowed only http and https addresses
    request = urllib.request.Request(hook.url, data=payload, headers=headers,  # noqa: S310
                                     method="POST")
    try:
        with _opener.open(request, timeout=TIMEOUT) as response:
            response.read(64 * 1024)
    except urllib.error.HTTPError as error:
        answer = error.read(200).decode("utf-8", "replace").strip()
        reason = f"the receiver answered HTTP {error.code} {error.reason}"
        if 300 <= error.code < 400:
            reason += " (redirects are not followed: configure the address it points to)"
        raise outbox.DeliveryFailed(reason + (f": {answer}" if answer else "")) from None
    except TimeoutError:
        raise outbox.DeliveryFailed(f"no answer within {TIMEOUT} seconds") from None
    except urllib.error.URLError as error:
        if isinstance(error.reason, TimeoutError):
            raise outbox.DeliveryFailed(f"no answer within {TIMEOUT} seconds") from None
        raise outbox.DeliveryFailed(f"cannot connect: {error.reason}") from None
    except (OSError, http.client.HTTPException) as error:  # broke off, or the answer was not HTTP
        raise outbox.DeliveryFailed(f"the connection failed: {error}") from None
