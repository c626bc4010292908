"""Schemathesis hooks for ``make fuzz`` (loaded through ``SCHEMATHESIS_HOOKS``): a real
account, signed in the way the widget signs in, so the fuzzer reaches past the 401s.

The account is registered once; every token is fetched by logging in. When the fuzzer
logs the account out (which voids every session token it holds), the next 401 makes
schemathesis ask for a fresh token, which is another log-in.
"""

from __future__ import annotations

import os
import secrets

import requests
import schemathesis

SERVER = os.environ["KOMMENTAR_FUZZ_SERVER"]  # set by tests/fuzz/live.py
ORIGIN = os.environ["KOMMENTAR_FUZZ_ORIGIN"]
ACCOUNT = {"username": "fuzzer", "password": secrets.token_urlsafe(16)}


def _post(path: str) -> requests.Response:
    return requests.post(f"{SERVER}{path}", json=ACCOUNT, headers={"Origin": ORIGIN}, timeout=30)


@schemathesis.auth()
class SessionToken:
    """A session token of the fuzzer's own account, as ``Authorization: Bearer``."""

    registered = False

    def get(self, case, context):
        """Register the account the first time, then log in for a fresh session token."""
        if not SessionToken.registered:
            response = _post("/api/auth/register")
            if response.status_code != 201:
                raise RuntimeError(f"registering the fuzz account: {response.status_code}")
            SessionToken.registered = True
        response = _post("/api/auth/login")
        if response.status_code != 200:
            raise RuntimeError(f"logging in the fuzz account: {response.status_code}")
        return response.json()["token"]

    def set(self, case, data, context):
        """Send the token the way the widget does."""
        case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}


def _on_the_site(url):
    """The same URL moved onto the configured site: its path and query kept, no longer."""
    if not isinstance(url, str) or "://" not in url[:8]:
        return url
    rest = url.split("://", 1)[1]
    cut = min((rest.find(mark) for mark in "/?#" if mark in rest), default=len(rest))
    return (ORIGIN + rest[cut:])[:max(len(url), len(ORIGIN))]


@schemathesis.hook
def map_case(context, case):
    """Shape valid cases into what a reader's browser could send, which the server must then
    accept: pages of the configured site (past the 403 every other site gets, and giving the
    stateful phase comments to follow), no reply to a made-up comment and no cursor the
    server never handed out (a schema cannot say which ids and cursors exist), and the
    honeypot left empty as people leave it. Invalid cases stay as generated: they must be
    refused whatever they hold."""
    if case.meta is None or not case.meta.generation.mode.is_positive:
        return case
    if isinstance(case.body, dict):
        body = {**case.body}
        if "url" in body:
            body["url"] = _on_the_site(body["url"])
        if case.operation.path == "/api/comments":
            body.pop("parent", None)
            body.pop("website", None)
        case.body = body
    if case.query:
        query = {**case.query}
        url = query.get("url")
        if url is not None:
            query["url"] = [_on_the_site(u) for u in url] if isinstance(url, list) \
                else _on_the_site(url)
        query.pop("after", None)
        case.query = query
    return case
