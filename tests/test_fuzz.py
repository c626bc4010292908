"""Property-based fuzzing of the API from its own OpenAPI document (schemathesis), in
process: whatever it sends, no 500, and every check schemathesis has holds (the same
``--checks all`` that ``make fuzz`` runs against a live server, tests/fuzz/live.py):
statuses, headers, content types and bodies as documented, valid requests accepted,
invalid ones refused, and a 405 with ``Allow`` for methods a path does not have.

25 cases per operation, the same every run, so CI never flakes on luck;
``KOMMENTAR_FUZZ_EXAMPLES`` asks for more (fresh random ones above 25). Requests are
signed in as a real account, as the widget would be.
"""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.config import SchemathesisConfig
from support import CHEAP_ARGON2, SITE

EXAMPLES = int(os.environ.get("KOMMENTAR_FUZZ_EXAMPLES", "25"))
SEEDED = EXAMPLES <= 25
CONFIG = Path(__file__).with_name("fuzz") / "schemathesis.toml"  # make fuzz's, the same rules


@pytest.fixture(scope="module")
def fuzz_app(tmp_path_factory):
    """A server app on its own SQLite file, built when the module's tests start (not at
    collection, which would point the shared database proxy at it under other modules)."""
    from kommentar import create_app
    from kommentar.db import disconnect

    folder = tmp_path_factory.mktemp("fuzz")
    app = create_app({"secret_key": "fuzz", "origins": SITE, "ratelimit": False,
                      "spam_min_seconds": 0, **CHEAP_ARGON2,
                      "database_url": f"sqlite:///{folder / 'fuzz.db'}"})
    yield app
    disconnect()


ACCOUNT = {"username": "fuzzer", "password": "a fuzzing password"}


@pytest.fixture(scope="module")
def sign_in(fuzz_app):
    """Log the fuzzer's account in (registering it the first time): a fresh session token."""
    client = fuzz_app.test_client()
    response = client.post("/api/auth/register", json=ACCOUNT, headers={"Origin": SITE})
    assert response.status_code == 201, response.json

    def log_in() -> str:
        response = client.post("/api/auth/login", json=ACCOUNT, headers={"Origin": SITE})
        assert response.status_code == 200, response.json
        return response.json["token"]

    return log_in


@pytest.fixture(scope="module")
def session(sign_in) -> dict[str, str]:
    """The session most cases use; log-out cases end it, and sign in again after."""
    return {"token": sign_in()}


# Read from the file, not from an app, so collecting this module builds no app: the app is
# the fixture's, handed to every call.
DOCUMENT = resources.files("kommentar.api").joinpath("openapi.json")
schema = schemathesis.openapi.from_path(str(DOCUMENT), config=SchemathesisConfig.from_path(CONFIG))


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, derandomize=SEEDED,
          suppress_health_check=list(HealthCheck))
def test_api_answers_every_generated_request_as_documented(case, fuzz_app, sign_in, session):
    # Schemathesis asks for gzip as requests does, but its WSGI transport never unpacks it.
    headers = {"Origin": SITE, "Accept-Encoding": "identity",
               "Authorization": f"Bearer {session['token']}"}
    # The operation was made at collection, before the app existed: it gets it now, so the
    # checks that send requests of their own (no auth, undeclared methods) reach it too.
    case.operation.app = case.operation.schema.app = fuzz_app
    response = case.call_and_validate(headers=headers)  # raises on any failed check
    assert response.status_code < 500  # the server error, spelled out
    if case.operation.path == "/api/auth/logout" and response.status_code == 204:
        session["token"] = sign_in()  # log-out voided every token of the account
