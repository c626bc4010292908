"""The README is part of the product: every setting and every route must be documented."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

README = (Path(__file__).resolve().parents[1] / "README.md").read_text()


def test_every_setting_is_documented_with_its_variable():
    from kommentar.config import SETTINGS

    for setting in SETTINGS:
        row = f"| `{setting.name}` | `KOMMENTAR_{setting.name.upper()}` |"
        assert row in README, f"README lacks a row for {setting.name}"


@pytest.fixture(params=["sqlite"])
def database_url(tmp_path):
    return f"sqlite:///{tmp_path / 'kommentar.db'}"


def test_every_route_is_documented(app):
    documented = set(re.findall(r"`(?:GET|POST|PATCH|DELETE) (/[^` ?]*)", README))
    documented = {re.sub(r"\b(?:ID|NAME)\b", "<id>", path) for path in documented}
    for rule in app.url_map.iter_rules():
        if rule.endpoint.endswith("static") or "<path:" in rule.rule:
            continue  # style sheets, and the admin's catch-all that sends strays to sign-in
        path = re.sub(r"<[^>]+>", "<id>", rule.rule.rstrip("/") or "/")
        assert path in documented, f"README does not document {rule.rule}"
