"""Bad requests get a clear JSON error with the right status: never a 500, never a partial write."""

from __future__ import annotations

import pytest
from support import SITE, http_json

POST = f"{SITE}/post"
JSON = {"Origin": SITE, "Content-Type": "application/json"}


@pytest.mark.parametrize("raw, code", [
    (b"", "invalid_json"),
    (b"{", "invalid_json"),
    (b"[1, 2]", "invalid_json"),
    (b'"text"', "invalid_json"),
    (b'{"url": NaN}', "invalid_json"),
    (b'{"text": "\xff\xfe broken utf-8"}', "invalid_json"),
    (b"[" * 30_000 + b"]" * 30_000, "invalid_json"),
])
def test_malformed_bodies_are_400(client, raw, code):
    response = client.post("/api/comments", data=raw, headers=JSON)
    assert response.status_code in (400, 413)
    assert response.json["error"]["code"] in (code, "too_large")


def test_body_over_the_cap_is_413(client):
    response = client.post("/api/comments", data=b'{"text": "' + b"x" * 70_000 + b'"}',
                           headers=JSON)
    assert response.status_code == 413 and response.json["error"]["code"] == "too_large"


def test_write_without_json_content_type_is_415(client):
    response = client.post("/api/comments", data="url=x&text=y",
                           headers={"Origin": SITE,
                                    "Content-Type": "application/x-www-form-urlencoded"})
    assert response.status_code == 415
    assert response.json["error"]["code"] == "unsupported_media_type"


def test_unknown_route_is_a_json_404(client):
    response = client.get("/api/nothing")
    assert response.status_code == 404 and response.json["error"]["code"] == "not_found"


@pytest.mark.parametrize("path, allowed", [
    ("/api/comments", {"POST"}), ("/api/config", {"GET"}), ("/api/counts", {"GET"}),
    ("/api/comments/1", {"GET", "PATCH", "DELETE"}), ("/api/auth/me", {"GET", "PATCH", "DELETE"}),
    ("/api/auth/me/export", {"GET"}), ("/api/auth/logout", {"POST"})])
@pytest.mark.parametrize("content_type", [None, "text/plain", "application/json"])
def test_wrong_method_is_a_json_405_with_allow_before_any_body_check(client, path, allowed,
                                                                      content_type):
    """Routing answers first: a method the path does not have is 405, whatever the body."""
    headers = {"Origin": SITE, **({"Content-Type": content_type} if content_type else {})}
    response = client.put(path, data=b"x" if content_type else None, headers=headers)
    assert response.status_code == 405
    assert response.json["error"]["code"] == "method_not_allowed"
    implicit = {"HEAD", "OPTIONS"} if "GET" in allowed else {"OPTIONS"}
    assert set(response.headers["Allow"].split(", ")) == allowed | implicit


def test_wrong_method_from_a_foreign_origin_is_still_405(client):
    response = client.put("/api/comments/1", headers={"Origin": "https://evil.example"})
    assert response.status_code == 405 and "PATCH" in response.headers["Allow"]


@pytest.mark.parametrize("body, content_type", [
    (None, None), (b"[null, null]", "application/json"), (b"{", "application/json"),
    (b"text=hi", "application/x-www-form-urlencoded")],
    ids=["none", "json-array", "broken-json", "form"])
def test_logout_reads_no_body_so_any_body_is_ignored(api, body, content_type):
    api.register("lena")
    headers = api.headers(**({"Content-Type": content_type} if content_type else {}))
    response = api.client.post("/api/auth/logout", data=body, headers=headers)
    assert response.status_code == 204
    assert api.get("/api/auth/me").status_code == 401  # it did log out


@pytest.mark.parametrize("header", ["Basic dXNlcjpwYXNz", "Bearer", "Bearer ", "token"])
def test_malformed_authorization_is_401(client, header):
    response = client.get("/api/auth/me", headers={"Authorization": header})
    assert response.status_code == 401 and response.json["error"]["code"] == "unauthorized"


def test_repeated_query_parameter_is_400(client):
    response = client.get("/api/threads", query_string=[("url", POST), ("url", POST)])
    assert response.status_code == 400


def test_a_failed_write_leaves_nothing_behind(api):
    """The thread row is created in the same transaction as the comment: a refused reply to
    a missing parent must not leave an empty thread behind."""
    from kommentar.models import Thread

    response = api.post("/api/comments", {"url": f"{SITE}/fresh", "text": "x", "name": "x",
                                          "parent": 12345})
    assert response.status_code == 400
    assert Thread.select().count() == 0


def test_an_over_long_url_is_a_json_414_from_the_real_server_too(start_server):
    """gunicorn's own limit would answer an HTML page; the app answers instead, in JSON."""
    server = start_server()
    status, headers, answer = http_json("GET", f"{server.url}/api/threads?url={POST}?q="
                                        + "x" * 9000)
    assert status == 414 and headers["Content-Type"] == "application/json"
    assert answer["error"]["code"] == "too_long"
    query = "&".join(f"url={POST}/{n}/" + "x" * 200 for n in range(30))
    status, _, _ = http_json("GET", f"{server.url}/api/counts?{query}")
    assert status == 200  # 7,000 bytes: over gunicorn's default 4094-byte line, within 8190
