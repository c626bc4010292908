"""The server's own address (``GET /``): a short page for the site owner, with nothing private."""

from __future__ import annotations

import base64
import hashlib
import html
import re

import pytest
from support import SITE

from kommentar.landing import version


@pytest.fixture
def settings(settings):
    """Two sites, so the page lists more than one."""
    return {**settings, "origins": f"{SITE},https://blog.example"}


def page(client, **kwargs) -> str:
    response = client.get("/", **kwargs)
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    return response.get_data(as_text=True)


def test_says_the_server_runs_and_which_version(client):
    text = page(client)
    assert version() == "0.1.0"  # the package's, as pyproject.toml declares it
    assert "This comment server is running: Kommentar 0.1.0." in text


def test_gives_the_snippet_with_this_servers_address(client):
    text = page(client, base_url="https://comments.example.org")
    snippet = ('<script src="https://comments.example.org/embed.js" async></script>\n'
               "<div data-kommentar></div>")
    shown = re.search(r"<pre><code>(.*?)</code></pre>", text, re.S)[1]
    assert "<" not in shown and html.unescape(shown) == snippet  # escaped, and exactly it


def test_a_forwarded_address_is_used_behind_a_trusted_proxy(site_client):
    client = site_client(trusted_proxies=1)
    text = page(client, headers={"X-Forwarded-Proto": "https",
                                 "X-Forwarded-Host": "talk.example.net"})
    assert "https://talk.example.net/embed.js" in html.unescape(text)


def test_a_hostile_host_header_never_becomes_markup(client):
    text = page(client, headers={"Host": 'evil.example"><b>x'})
    assert "<b>" not in text


def test_lists_the_configured_origins_and_links_to_admin(client):
    text = page(client)
    assert re.findall(r"<li><code>([^<]*)</code></li>", text) == [SITE, "https://blog.example"]
    assert '<a href="/admin">' in text


def test_shows_nothing_private(app, client, api):
    api.register("owner")
    api.comment("A comment.")
    text = page(client)
    for private in (app.config["DATABASE_URL"], *app.config["SECRET_KEY"], "owner",
                    "A comment.", "sqlite", "postgres"):
        assert private not in text
    assert not re.search(r"\b[1-9][0-9]* (comments?|accounts?|threads?)\b", text)


def test_the_policy_allows_exactly_the_pages_own_style(client):
    response = client.get("/")
    style = re.search(r"<style>(.*?)</style>", response.get_data(as_text=True), re.S)[1]
    digest = base64.b64encode(hashlib.sha256(style.encode()).digest()).decode()
    assert f"style-src 'sha256-{digest}';" in response.headers["Content-Security-Policy"]


def test_runs_no_script_and_loads_nothing(client):
    response = client.get("/")
    policy = response.headers["Content-Security-Policy"]
    assert policy.startswith("default-src 'none'; style-src 'sha256-")
    assert "script-src" not in policy and "unsafe" not in policy
    assert "<script" not in response.get_data(as_text=True).replace("&lt;script", "")
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Cache-Control"] == "no-store"


@pytest.fixture
def site_client(settings):
    from kommentar import create_app
    from kommentar.db import disconnect

    yield lambda **changes: create_app({**settings, **changes}).test_client()
    disconnect()
