"""Signing in with a provider from the widget, end to end in Chromium (issue 14): the button
opens the server's sign-in in a popup (or, blocked, in the tab), the test approves a person at
a real OpenID Connect provider (oidc-provider-mock, the ``oidc_provider`` fixture), and the
reader comes back signed in under the provider's name. Linking and unlinking a second
provider, Danish, a site without passwords, and what the page must never believe or fetch."""

from __future__ import annotations

import json
import re
from urllib.parse import urlencode

import pytest
from support import axe_violations

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture skips these tests with the reason
    pass

LABEL = "Test ID"
OTHER_LABEL = "Other ID"


def providers(provider, *names: str) -> str:
    """KOMMENTAR_AUTH_PROVIDERS for providers of these names (with their labels), all at
    ``provider``: two names at one issuer are two providers to the server."""
    labels = {"testid": LABEL, "otherid": OTHER_LABEL}
    return json.dumps({name: {**provider.settings(f"kommentar-{name}"), "label": labels[name]}
                       for name in names})


@pytest.fixture
def signin_site(blog, oidc_provider, context):
    """A site whose server offers the test provider (``blog``'s settings as keywords, and
    ``names``: the providers), with the provider's page styled without the CDN it links."""
    context.route(re.compile(r"https://cdn\.jsdelivr\.net/.*"), lambda route: route.abort())

    def make(names=("testid",), **settings):
        return blog(auth_providers=providers(oidc_provider, *names), **settings)
    return make


def open_thread(page, site, name: str = "blog-post.html"):
    page.goto(f"{site.url}/{name}")
    expect(page.locator("[part=count]")).to_have_text(re.compile(r"\(\d+\)"))
    return page.locator(".compose")


def approve(window, sub: str):
    """Sign in as ``sub`` on the provider's consent page, as a person would."""
    window.locator("input[name=sub]").fill(sub)
    window.get_by_role("button", name="Authorize").click()


def sign_in_in_popup(page, compose, sub: str, label: str = LABEL, verb: str = "Log in with"):
    """Press the provider's button, approve ``sub`` in the popup, and wait for it to close."""
    with page.expect_popup() as opening:
        compose.get_by_role("button", name=f"{verb} {label}").click()
    popup = opening.value
    with popup.expect_event("close"):  # it may close before a later wait would listen
        approve(popup, sub)


def test_popup_sign_in_posts_under_the_providers_name(signin_site, oidc_provider, page):
    site, _ = signin_site(anonymous=False)
    oidc_provider.set_user("popup-ada", {"name": "Ada Popup", "email": "ada@popup.example"})
    compose = open_thread(page, site)
    button = compose.locator("[part=provider]")
    expect(button).to_have_text(f"Log in with {LABEL}")
    expect(button).to_have_attribute("data-provider", "testid")

    button.focus()
    with page.expect_popup() as opening:
        page.keyboard.press("Enter")  # a real button: the keyboard opens the popup too
    popup = opening.value
    expect(popup.locator("input[name=sub]")).to_be_visible()  # the provider's own form
    with popup.expect_event("close"):
        approve(popup, "popup-ada")

    expect(compose).to_contain_text("Signed in as Ada Popup")
    expect(compose.locator("[part=textarea]")).to_be_focused()
    compose.locator("[part=textarea]").fill("Signed in with a provider.")
    compose.locator("[part=submit]").click()
    mine = page.locator("article[part=comment]", has_text="Signed in with a provider.")
    expect(mine.locator("[part=author]")).to_have_text("Ada Popup")
    page.reload()  # the session was kept as a log-in's is
    expect(page.locator(".compose")).to_contain_text("Signed in as Ada Popup")


def test_blocked_popup_signs_in_in_the_tab_and_clears_the_fragment(signin_site, oidc_provider,
                                                                   page):
    site, _ = signin_site(anonymous=False)
    oidc_provider.set_user("redirect-bo", {"name": "Bo Redirect"})
    page.add_init_script("window.open = () => null")  # as a popup blocker answers
    compose = open_thread(page, site)
    compose.get_by_role("button", name=f"Log in with {LABEL}").click()
    page.wait_for_url(f"{oidc_provider.issuer}/**")
    approve(page, "redirect-bo")

    page.wait_for_url(f"{site.url}/blog-post.html*")
    expect(page.locator(".compose")).to_contain_text("Signed in as Bo Redirect")
    assert page.url == f"{site.url}/blog-post.html"  # no #kommentar-token left behind
    assert page.evaluate("location.hash") == ""


def test_a_popup_cut_off_by_the_provider_still_signs_the_page_in(signin_site, oidc_provider,
                                                                 context, page):
    """A provider page with Cross-Origin-Opener-Policy cuts the popup's link to its opener:
    the popup then goes back to the page itself, and the page that opened it takes the
    session from the store they share."""
    site, _ = signin_site(anonymous=False)
    oidc_provider.set_user("cut-off-cy", {"name": "Cy Cutoff"})

    def isolate(route):
        response = route.fetch()
        route.fulfill(response=response, headers={**response.headers,
                                                  "cross-origin-opener-policy": "same-origin"})

    context.route(f"{oidc_provider.issuer}/oauth2/authorize*", isolate)
    compose = open_thread(page, site)
    with page.expect_popup() as opening:
        compose.get_by_role("button", name=f"Log in with {LABEL}").click()
    popup = opening.value
    popup.wait_for_url(f"{oidc_provider.issuer}/**")
    approve(popup, "cut-off-cy")
    expect(compose).to_contain_text("Signed in as Cy Cutoff")
    assert page.url == f"{site.url}/blog-post.html"


def test_refusing_at_the_provider_is_told_in_the_account_line(signin_site, oidc_provider, page):
    site, _ = signin_site(anonymous=False)
    page.add_init_script("window.open = () => null")
    compose = open_thread(page, site)
    compose.get_by_role("button", name=f"Log in with {LABEL}").click()
    page.wait_for_url(f"{oidc_provider.issuer}/**")
    page.get_by_role("button", name="Deny").click()

    page.wait_for_url(f"{site.url}/blog-post.html*")
    error = page.locator(".compose .providers [part=error]")
    expect(error).to_have_text("You cancelled signing in.")
    assert page.evaluate("location.hash") == ""
    page.locator(".compose [part=login]").click()  # another way in: the reason stays in view
    expect(page.locator(".compose [part=form]")).to_be_visible()
    expect(error).to_have_text("You cancelled signing in.")
    page.reload()  # told once
    expect(page.locator(".compose [part=provider]")).to_be_visible()
    expect(page.locator(".compose [part=error]")).to_have_count(1)
    expect(page.locator(".compose [part=error]")).to_have_text("")


def test_danish_buttons(signin_site, page):
    site, _ = signin_site(anonymous=False)
    compose = open_thread(page, site, "news-da.html")
    expect(compose.locator("[part=provider]")).to_have_text(f"Log ind med {LABEL}")
    expect(compose.locator("[part=login]")).to_have_text("Log ind")


def test_site_without_passwords_offers_only_providers(signin_site, page):
    site, _ = signin_site(anonymous=False, local_accounts=False)
    compose = open_thread(page, site)
    expect(compose.locator("[part=provider]")).to_have_text(f"Log in with {LABEL}")
    expect(compose).to_contain_text("Log in to comment:")
    for part in ("login", "register", "form", "textarea"):
        expect(compose.locator(f"[part={part}]")).to_have_count(0)


def test_site_without_passwords_still_takes_anonymous_comments(signin_site, page):
    site, _ = signin_site(anonymous=True, local_accounts=False)
    compose = open_thread(page, site)
    expect(compose.locator("[part=provider]")).to_be_visible()
    expect(compose.locator("[part=textarea]")).to_be_visible()
    expect(compose.locator("[part=login]")).to_have_count(0)
    expect(compose.locator("[part=register]")).to_have_count(0)


def test_a_reader_renames_what_the_provider_named_them(signin_site, oidc_provider, page):
    site, _ = signin_site(anonymous=False)
    oidc_provider.set_user("rename-di", {"name": "Provider Given"})
    compose = open_thread(page, site)
    sign_in_in_popup(page, compose, "rename-di")
    expect(compose).to_contain_text("Signed in as Provider Given")
    compose.locator("[part=textarea]").fill("Before the new name.")
    compose.locator("[part=submit]").click()
    mine = page.locator("article[part=comment]", has_text="Before the new name.")
    expect(mine.locator("[part=author]")).to_have_text("Provider Given")

    compose.locator("[part=methods]").click()
    name = compose.get_by_label("Your name in the comments")
    expect(name).to_have_value("Provider Given")
    name.fill("Chosen Name")
    name.press("Enter")
    expect(compose).to_contain_text("Signed in as Chosen Name")
    expect(compose.locator("[role=status]")).to_contain_text("Your comments now show Chosen Name.")
    page.reload()
    expect(page.locator("article[part=comment]", has_text="Before the new name.")
           .locator("[part=author]")).to_have_text("Chosen Name")


def test_linking_and_unlinking_a_second_provider(signin_site, oidc_provider, page):
    site, _ = signin_site(("testid", "otherid"), anonymous=False)
    oidc_provider.set_user("link-cy", {"name": "Cy Linker"})
    oidc_provider.set_user("link-cy-other", {"name": "Cy Elsewhere"})
    compose = open_thread(page, site)
    sign_in_in_popup(page, compose, "link-cy")
    expect(compose).to_contain_text("Signed in as Cy Linker")

    compose.locator("[part=methods]").click()
    methods = compose.locator("form.methods")
    expect(methods.locator("li")).to_have_text([f"{LABEL}your only way to log in"])
    expect(methods.locator("[part=unlink]")).to_have_count(0)  # the last way in stays
    expect(methods.get_by_role("button", name=f"Link {OTHER_LABEL}")).to_be_focused()
    sign_in_in_popup(page, methods, "link-cy-other", OTHER_LABEL, verb="Link")

    # Back in the same account, its sign-in methods open again with the new one.
    expect(methods.get_by_role("status")).to_have_text(
        f"{OTHER_LABEL} is linked: you can log in with it too.")
    expect(compose).to_contain_text("Signed in as Cy Linker")
    expect(methods.locator("li")).to_have_text([f"{LABEL}Unlink", f"{OTHER_LABEL}Unlink"])
    expect(methods.locator("[part=unlink]").first).to_be_focused()
    methods.get_by_role("button", name=f"Unlink {OTHER_LABEL}").click()
    expect(methods.get_by_role("status")).to_have_text(
        f"{OTHER_LABEL} is unlinked: you no longer log in with it.")
    expect(methods.locator("li")).to_have_text([f"{LABEL}your only way to log in"])
    expect(methods.get_by_role("button", name=f"Link {OTHER_LABEL}")).to_be_focused()


def test_a_link_started_with_someone_elses_ticket_is_refused(signin_site, oidc_provider, page):
    """A link CSRF: another account's start address, opened by a signed-in reader who then
    signs in at the provider, comes back with a proof the reader's session cannot confirm."""
    site, seed = signin_site(anonymous=False)
    server = site.server.url
    attacker = seed.account("link-mallory")
    ticket = seed.call("POST", "/api/auth/me/providers/testid", {}, attacker)
    oidc_provider.set_user("csrf-reader", {"name": "Rae Reader"})
    compose = open_thread(page, site)
    sign_in_in_popup(page, compose, "csrf-reader")
    expect(compose).to_contain_text("Signed in as Rae Reader")

    page.goto(f"{server}/auth/testid/start?" + urlencode({
        "origin": site.url, "mode": "redirect", "return": f"{site.url}/blog-post.html",
        "link": ticket["ticket"]}))
    approve(page, "csrf-reader-elsewhere")
    page.wait_for_url(f"{site.url}/blog-post.html")
    compose = page.locator(".compose")
    expect(compose.locator("[part=error]").first).to_have_text(
        "That link was started for another account, so nothing was linked.")
    expect(compose).to_contain_text("Signed in as Rae Reader")
    me = seed.call("GET", "/api/auth/me", None, attacker)
    assert me["user"]["providers"] == []  # the attacker's account got nothing


def test_linking_in_the_tab_when_popups_are_blocked(signin_site, oidc_provider, page):
    site, _ = signin_site(("testid", "otherid"), anonymous=False)
    oidc_provider.set_user("tab-gus", {"name": "Gus Tabbed"})
    oidc_provider.set_user("tab-gus-other", {"name": "Gus Elsewhere"})
    page.add_init_script("window.open = () => null")
    compose = open_thread(page, site)
    compose.get_by_role("button", name=f"Log in with {LABEL}").click()
    page.wait_for_url(f"{oidc_provider.issuer}/**")
    approve(page, "tab-gus")
    expect(page.locator(".compose")).to_contain_text("Signed in as Gus Tabbed")

    compose.locator("[part=methods]").click()
    compose.get_by_role("button", name=f"Link {OTHER_LABEL}").click()
    page.wait_for_url(f"{oidc_provider.issuer}/**")
    approve(page, "tab-gus-other")
    page.wait_for_url(f"{site.url}/blog-post.html")
    expect(compose).to_contain_text("Signed in as Gus Tabbed")
    compose.locator("[part=methods]").click()
    expect(compose.locator("form.methods li")).to_have_text(
        [f"{LABEL}Unlink", f"{OTHER_LABEL}Unlink"])


def test_a_refused_link_is_told_and_its_popup_closed(signin_site, oidc_provider, page):
    site, _ = signin_site(("testid", "otherid"), anonymous=False)
    oidc_provider.set_user("taken-ida", {"name": "Ida Taken"})
    oidc_provider.set_user("taken-jo", {"name": "Jo Linker"})
    compose = open_thread(page, site)
    sign_in_in_popup(page, compose, "taken-ida", OTHER_LABEL)  # an account of its own
    expect(compose).to_contain_text("Signed in as Ida Taken")
    compose.locator("[part=logout]").click()
    sign_in_in_popup(page, compose, "taken-jo")
    expect(compose).to_contain_text("Signed in as Jo Linker")

    compose.locator("[part=methods]").click()
    methods = compose.locator("form.methods")
    sign_in_in_popup(page, methods, "taken-ida", OTHER_LABEL, verb="Link")  # closed by the widget
    expect(methods.locator("[part=error]")).to_have_text(
        "That account is already linked to another reader here.")
    expect(methods.locator("li")).to_have_text([f"{LABEL}your only way to log in"])


def test_no_request_reaches_the_provider_before_the_click(signin_site, oidc_provider, context,
                                                          page):
    site, _ = signin_site(anonymous=False)
    oidc_provider.set_user("quiet-di", {"name": "Di Quiet"})
    asked: list[str] = []
    context.on("request", lambda request: asked.append(request.url))
    compose = open_thread(page, site)
    expect(compose.locator("[part=provider]")).to_be_visible()
    compose.locator("[part=login]").click()  # the log-in form too
    expect(compose.locator("[part=form]")).to_be_visible()
    before = [url for url in asked if not url.startswith((site.url, site.server.url))]
    assert before == [], before

    sign_in_in_popup(page, compose, "quiet-di")
    expect(compose).to_contain_text("Signed in as Di Quiet")
    assert any(url.startswith(oidc_provider.issuer) for url in asked)  # the click did


def test_only_the_servers_answer_in_the_popup_is_believed(signin_site, oidc_provider, context,
                                                          page):
    site, seed = signin_site(anonymous=False)
    forged_token = seed.account("mallory")
    forged = {"type": "kommentar:signed-in", "token": forged_token,
              "user": {"id": 999, "username": "mallory", "created": "2026-01-01T00:00:00Z"}}
    oidc_provider.set_user("true-eve", {"name": "Eve Genuine"})
    carried: list[str] = []
    context.on("request", lambda request: carried.append(request.headers.get("authorization", "")))
    compose = open_thread(page, site)

    with page.expect_popup() as opening:
        compose.get_by_role("button", name=f"Log in with {LABEL}").click()
    popup = opening.value
    expect(popup.locator("input[name=sub]")).to_be_visible()
    # The page itself (another origin), the popup while at the provider, and another window
    # of the server's origin all say "signed in" with a real token.
    page.evaluate("message => postMessage(message, '*')", forged)
    popup.evaluate("message => opener.postMessage(message, '*')", forged)
    with page.expect_popup() as opening:
        page.evaluate("url => { window.open(url, 'another') }", site.server.url + "/")
    another = opening.value
    another.wait_for_load_state()
    another.evaluate("message => opener.postMessage(message, '*')", forged)
    another.close()

    with popup.expect_event("close"):
        approve(popup, "true-eve")
    expect(compose).to_contain_text("Signed in as Eve Genuine")
    assert f"Bearer {forged_token}" not in carried
    stored = page.evaluate("JSON.stringify(localStorage)")
    assert forged_token not in stored


@pytest.mark.parametrize(("example", "theme"), [("blog-post.html", "light"),
                                                ("dark.html", "dark")])
def test_buttons_are_accessible_in_both_themes(signin_site, page, screenshots, example, theme):
    site, _ = signin_site(anonymous=False)
    compose = open_thread(page, site, example)
    expect(compose.locator("[part=provider]")).to_be_visible()
    compose.locator("[part=login]").click()
    expect(compose.locator("[part=form]")).to_be_visible()
    result = axe_violations(page)
    serious = [v for v in result if v["impact"] in ("serious", "critical")]
    assert serious == [], serious
    compose.screenshot(path=str(screenshots / f"signin-buttons-{theme}.png"))


def test_sign_in_methods_are_accessible(signin_site, oidc_provider, page, screenshots):
    site, _ = signin_site(("testid", "otherid"), anonymous=False)
    oidc_provider.set_user("axe-fa", {"name": "Fa Methods"})
    compose = open_thread(page, site, "dark.html")
    sign_in_in_popup(page, compose, "axe-fa")
    compose.locator("[part=methods]").click()
    expect(compose.locator("form.methods")).to_be_visible()
    result = axe_violations(page)
    serious = [v for v in result if v["impact"] in ("serious", "critical")]
    assert serious == [], serious
    compose.screenshot(path=str(screenshots / "signin-methods-dark.png"))
