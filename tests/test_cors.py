"""Cross-origin rules: only configured origins may read, and writes check Origin too."""

from __future__ import annotations

import pytest
from support import SITE

POST = f"{SITE}/post"


def test_configured_origin_may_read(client):
    response = client.get("/api/threads", query_string={"url": POST}, headers={"Origin": SITE})
    assert response.headers["Access-Control-Allow-Origin"] == SITE
    assert "Origin" in response.headers["Vary"]
    assert "Retry-After" in response.headers["Access-Control-Expose-Headers"]


@pytest.mark.parametrize("origin", [
    "https://evil.example", "null", "http://127.0.0.1:8001", "https://127.0.0.1:8000",
    "http://127.0.0.1:8000.evil.example", "http://127.0.0.1",
])
def test_other_origins_get_no_cors_headers(client, origin):
    response = client.get("/api/threads", query_string={"url": POST}, headers={"Origin": origin})
    assert response.status_code == 200
    assert "Access-Control-Allow-Origin" not in response.headers
    assert "Origin" in response.headers["Vary"]


def test_origin_match_ignores_default_port_and_case(client):
    response = client.get("/api/config", headers={"Origin": "HTTP://127.0.0.1:8000"})
    assert response.headers["Access-Control-Allow-Origin"] == "HTTP://127.0.0.1:8000"


def test_preflight_is_answered_for_configured_origins(client):
    response = client.options("/api/comments", headers={
        "Origin": SITE, "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization, content-type"})
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == SITE
    assert "POST" in response.headers["Access-Control-Allow-Methods"]
    allowed = response.headers["Access-Control-Allow-Headers"].lower()
    assert "authorization" in allowed and "content-type" in allowed


def test_preflight_from_elsewhere_is_not_allowed(client):
    response = client.options("/api/comments", headers={
        "Origin": "https://evil.example", "Access-Control-Request-Method": "POST"})
    assert "Access-Control-Allow-Origin" not in response.headers


@pytest.mark.parametrize("method, path", [
    ("post", "/api/comments"), ("patch", "/api/comments/1"), ("delete", "/api/comments/1"),
    ("post", "/api/comments/1/vote"), ("post", "/api/auth/register"), ("post", "/api/auth/login"),
])
def test_writes_from_a_foreign_origin_are_403(client, method, path):
    response = getattr(client, method)(path, json={"url": POST, "text": "x", "name": "x"},
                                       headers={"Origin": "https://evil.example"})
    assert response.status_code == 403 and response.json["error"]["code"] == "origin_not_allowed"


def test_simple_cross_site_form_post_is_refused(client):
    """A form on another site can POST without a preflight; it cannot send JSON."""
    response = client.post("/api/comments", data={"url": POST, "text": "x", "name": "x"},
                           headers={"Origin": "null"})
    assert response.status_code == 403


def test_no_cookie_is_ever_set(api):
    api.register("mona")
    api.comment("hello")
    for response in (api.get("/api/auth/me"), api.get("/api/threads", url=POST)):
        assert "Set-Cookie" not in response.headers
