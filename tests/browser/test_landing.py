"""The server's own page (``GET /``) in Chromium: styled under its strict CSP (the page
fixture fails on any CSP violation), readable in both colour schemes, and screenshotted."""

from __future__ import annotations

import pytest
from support import SITE


@pytest.fixture
def landing(start_server):
    return start_server(origins=f"{SITE},https://blog.example")


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_landing_page_is_styled_and_shows_the_snippet(landing, context, page, screenshots,
                                                      scheme):
    page.emulate_media(color_scheme=scheme)
    page.goto(f"{landing.url}/")
    snippet = page.locator("pre code").inner_text()
    assert snippet == (f'<script src="{landing.url}/embed.js" async></script>\n'
                       "<div data-kommentar></div>")
    # The inline style applied, so the CSP hash matched: the code block has its border.
    assert page.locator("pre").evaluate("e => getComputedStyle(e).borderTopStyle") == "solid"
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background == ("rgb(255, 255, 255)" if scheme == "light" else "rgb(13, 17, 23)")
    assert page.locator("li code").all_inner_texts() == [SITE, "https://blog.example"]
    page.get_by_role("link", name="Open the admin pages").click()
    page.wait_for_url(f"{landing.url}/admin/login**")
    page.go_back()
    page.screenshot(path=str(screenshots / f"landing-{scheme}.png"), full_page=True)
