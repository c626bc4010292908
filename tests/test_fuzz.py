"""Property-based fuzzing of the API from its own OpenAPI document (schemathesis): whatever
it sends, no 500, and every response matches the document. ``KOMMENTAR_FUZZ_EXAMPLES``
sets how many cases per operation: 25, the same every run, by default (what ``make test``
runs); ``make fuzz`` runs 500 fresh random ones per operation."""

from __future__ import annotations

import os
import shutil
import tempfile

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import checks
from support import CHEAP_ARGON2, SITE

from kommentar import create_app, db

EXAMPLES = int(os.environ.get("KOMMENTAR_FUZZ_EXAMPLES", "25"))
SEEDED = EXAMPLES <= 25  # the quick run repeats the same cases: CI never flakes on luck


FOLDER = tempfile.mkdtemp(prefix="kommentar-fuzz-")
app = create_app({"secret_key": "fuzz", "origins": SITE, "ratelimit": False,
                  "spam_min_seconds": 0, **CHEAP_ARGON2,
                  "database_url": f"sqlite:///{os.path.join(FOLDER, 'fuzz.db')}"})
schema = schemathesis.openapi.from_wsgi("/api/openapi.json", app)


@pytest.fixture(autouse=True, scope="module")
def fuzz_database():
    """Point the database back at this module's app (other tests' apps moved it since
    collection), and remove its folder afterwards."""
    db.database.initialize(db.open_database(app.config["DATABASE_URL"]))
    yield
    db.disconnect()
    shutil.rmtree(FOLDER, ignore_errors=True)


# What the document promises: no 500, and statuses, headers, content types and bodies as
# documented. Not whether a request is accepted: a JSON Schema cannot say which URLs belong
# to a configured site or are too long once normalised (the server is stricter there), and
# some fields it leaves looser than the server (tests/test_openapi.py records which).
CHECKS = [checks.not_a_server_error, checks.status_code_conformance,
          checks.content_type_conformance, checks.response_headers_conformance,
          checks.response_schema_conformance]


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, derandomize=SEEDED,
          suppress_health_check=list(HealthCheck))
def test_api_answers_every_generated_request_as_documented(case):
    response = case.call_and_validate(headers={"Origin": SITE}, checks=CHECKS)  # raises on any
    assert response.status_code < 500  # failed check; the server error, spelled out
