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
