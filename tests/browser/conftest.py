"""Browser fixtures: Debian's Chromium driven by Playwright, and a helper that seeds a
thread through the real API the way another reader would.

The example pages are served from one origin and the Kommentar server from another
(``start_site`` in tests/conftest.py). Without /usr/bin/chromium these tests skip with the
reason, unless KOMMENTAR_REQUIRE_SERVICES=1 makes a missing browser a failure.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path

import pytest
from support import http_json, missing

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = Path(__file__).resolve().parents[1] / "screenshots"


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium for the session; every test gets a fresh context (profile)."""
    if not CHROMIUM.exists():
        missing(f"{CHROMIUM} not found: apt-get install chromium to run the browser tests")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing("the playwright Python package is not installed")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def context(browser):
    """A fresh browser profile: no localStorage, no session, English unless a test says."""
    context = browser.new_context(locale="en-US", viewport={"width": 1000, "height": 900})
    yield context
    context.close()


@pytest.fixture
def page(context):
    """A tab that fails the test on any uncaught script error or CSP violation."""
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(f"uncaught: {error}"))
    page.on("console", lambda message: problems.append(message.text)
            if message.type == "error" and "Content-Security-Policy" in message.text else None)
    page.set_default_timeout(10_000)
    yield page
    assert not problems, problems


class Seed:
    """Writes to a running Kommentar server as other readers would, from the site's origin."""

    def __init__(self, site):
        self.site = site

    def url(self, page: str) -> str:
        """The address of an example page, which is also its thread's URL."""
        return f"{self.site.url}/{page}"

    def _send(self, method: str, path: str, body: dict | None, token: str | None):
        headers = {"Origin": self.site.url}
        data = None
        if body is not None:
            headers["Content-Type"] = "application/json"
            data = json.dumps(body).encode()
        if token:
            headers["Authorization"] = f"Bearer {token}"
        return http_json(method, self.site.server.url + path, data, headers)

    def call(self, method: str, path: str, body: dict | None = None, token: str | None = None):
        """A request that must succeed; its JSON answer."""
        status, _, answer = self._send(method, path, body, token)
        assert status < 400, f"{method} {path}: {status} {answer!r}"
        return answer

    def status(self, method: str, path: str, token: str | None = None) -> int:
        """The HTTP status of a request without a body, for checking what a token may do."""
        return self._send(method, path, None, token)[0]

    def comment(self, page: str, text: str, name: str = "Reader", parent: int | None = None,
                token: str | None = None) -> dict:
        body = {"url": self.url(page), "text": text, "parent": parent}
        if token is None:
            body["name"] = name
        return self.call("POST", "/api/comments", body, token)

    def account(self, username: str, password: str = "a long enough password") -> str:
        """Register an account and return a session token for it. The server may be shared
        with earlier tests of the module: an account one of them made is signed in to."""
        credentials = {"username": username, "password": password}
        status, _, answer = self._send("POST", "/api/auth/register", credentials, None)
        if status == 409:
            answer = self.call("POST", "/api/auth/login", credentials)
        else:
            assert status == 201, f"POST /api/auth/register: {status} {answer!r}"
        return answer["token"]

    def vote(self, comment: int, value: int, token: str) -> dict:
        return self.call("POST", f"/api/comments/{comment}/vote", {"value": value}, token)


# The module's tests seed the same long texts, each on threads of its own: on a shared server
# that is no spam wave (a test of the duplicate check names its window).
SHARED = {"spam_duplicate_window": 0}


def _blog(start_site, **settings) -> tuple:
    settings.setdefault("ratelimit", False)
    site = start_site(**settings)
    return site, Seed(site)


@pytest.fixture
def blog(shared_sites):
    """An examples site of the test's own (a fresh origin: new threads, empty storage) on a
    server the module's tests with the same settings share; returns (site, seed). Settings
    as keywords. What is not a thread (accounts, bans, the admin's lists) is the server's."""
    return functools.partial(_blog, shared_sites.take, **SHARED)


@pytest.fixture(scope="module")
def module_blog(shared_sites):
    """``blog`` for a module-scoped fixture: a site several tests read, seeded once."""
    return functools.partial(_blog, shared_sites.take, **SHARED)


@pytest.fixture
def own_blog(start_site):
    """``blog`` on a server of the test's own, for tests that read what the whole server
    holds (the admin's lists, the audit log)."""
    return functools.partial(_blog, start_site)


@pytest.fixture(scope="session")
def screenshots():
    SCREENSHOTS.mkdir(exist_ok=True)
    return SCREENSHOTS

