"""The widget's files over HTTP: embed.js and the chunks it loads, cacheable and open to any
page, and a clear 404 for a name that is not a chunk."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CHUNKS = sorted(path.name for path in (ROOT / "embed").glob("*.js"))


@pytest.fixture(params=["sqlite"])
def database_url(tmp_path):
    return f"sqlite:///{tmp_path / 'kommentar.db'}"


@pytest.mark.parametrize("chunk", CHUNKS)
def test_a_chunk_is_served_as_built_with_its_tag_and_caching(client, chunk):
    answer = client.get(f"/embed/{chunk}", query_string={"v": "anything"})
    assert answer.status_code == 200
    assert answer.data == (ROOT / "embed" / chunk).read_bytes()
    assert answer.mimetype == "text/javascript"
    assert answer.headers["Cache-Control"] == "public, max-age=3600"
    # Chunks are ES modules: a page on another origin fetches them with CORS.
    assert answer.headers["Access-Control-Allow-Origin"] == "*"
    assert answer.headers["X-Content-Type-Options"] == "nosniff"
    again = client.get(f"/embed/{chunk}", headers={"If-None-Match": answer.headers["ETag"]})
    assert again.status_code == 304


def test_a_chunk_is_gzipped_for_who_accepts_it(client):
    answer = client.get("/embed/da.js", headers={"Accept-Encoding": "gzip"})
    assert answer.headers["Content-Encoding"] == "gzip"
    assert answer.headers["ETag"].endswith('.gz"')


@pytest.mark.parametrize("name", ["nope.js", "da.json", "..%2Fembed.js", "DA.js", "da"])
def test_anything_else_under_embed_is_a_json_404(client, name):
    answer = client.get(f"/embed/{name}")
    assert answer.status_code == 404
    assert answer.get_json()["error"]["code"] == "not_found"


def test_embed_js_names_every_chunk_it_may_load_with_the_version_of_its_bytes():
    script = (ROOT / "embed.js").read_text()
    for chunk in CHUNKS:
        name = re.escape(chunk.removesuffix(".js"))
        version = hashlib.sha256((ROOT / "embed" / chunk).read_bytes()).hexdigest()[:12]
        # esbuild quotes a name only when it is not an identifier: da:"…", "da-errors":"…"
        assert re.search(rf'[{{,](?:{name}|"{name}"):"{version}"', script), chunk
