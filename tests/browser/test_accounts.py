"""A forgotten password, end to end in Chromium: "Forgot your password?" in the widget's
log-in form, the letter as the SMTP server received it, the page its link opens, and
signing in with the new password; the link refused once used, expired or made elsewhere.
And the signed-in reader's address in the account line. The server delivers its own mail
to the test's aiosmtpd server (tests/mail_server.py)."""

from __future__ import annotations

import re

import pytest
from mail_server import PUBLIC_URL
from support import Clock

from kommentar import tokens

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture skips these tests with the reason
    pass

OLD_PASSWORD = "bread and butter pudding"
NEW_PASSWORD = "a much better passphrase"
ADDRESS = "sigrid@example.org"
LINK = re.compile(re.escape(PUBLIC_URL) + r"(/mail/(?:verify|reset)/\S+)")


def link_in(received) -> str:
    """The path of the one link in a letter (its server is the test server, not PUBLIC_URL)."""
    [path] = LINK.findall(received.text())
    return path


@pytest.fixture
def mail_site(blog, mail_server, page):
    """A site whose server sends mail to ``mail_server``, and an account whose address was
    verified through its link, in the browser: (site, seed, account's session token)."""
    site, seed = blog(anonymous=False, **mail_server.settings())
    token = seed.account("sigrid", OLD_PASSWORD)
    seed.call("PATCH", "/api/auth/me", {"email": ADDRESS}, token)
    [letter] = mail_server.wait_for(1)
    page.goto(site.server.url + link_in(letter))
    page.get_by_role("button", name="Confirm my address").click()
    expect(page.locator(".done")).to_have_text("Thank you: your address is confirmed.")
    assert seed.call("GET", "/api/auth/me", token=token)["user"]["email_verified"]
    return site, seed, token


def open_thread(page, site):
    page.goto(f"{site.url}/blog-post.html")
    expect(page.locator("[part=count]")).to_have_text(re.compile(r"\(\d+\)"))
    return page.locator(".compose")


def test_forgotten_password_from_the_widget_to_signing_in_again(mail_site, mail_server, page,
                                                                screenshots):
    site, seed, old_session = mail_site
    compose = open_thread(page, site)
    compose.locator("[part=login]").click()
    compose.locator("[part=forgot]").click()
    expect(compose.get_by_label("Username or email")).to_be_focused()
    compose.get_by_label("Username or email").fill(ADDRESS.upper())
    page.screenshot(path=str(screenshots / "account-forgot-password.png"), full_page=True)
    compose.get_by_role("button", name="Send link").click()
    expect(compose.locator("form.reset [role=status]")).to_have_text(
        "If an account with a verified address matches, a link is on its way. "
        "It works for one hour.")

    letter = mail_server.wait_for(2)[1]
    assert letter.recipients == [ADDRESS]
    assert letter.message["Subject"] == "Set a new password for your comments account"
    path = link_in(letter)
    reset = f"{site.server.url}{path}"

    page.goto(reset)
    expect(page.get_by_role("heading")).to_have_text("Set a new password")
    page.get_by_label("New password for").fill("short")
    page.get_by_label("New password for").evaluate("input => input.removeAttribute('minlength')")
    page.get_by_role("button", name="Set password").click()
    expect(page.locator(".error")).to_have_text("Choose at least 8 characters.")
    page.get_by_label("New password for").fill(NEW_PASSWORD)
    page.screenshot(path=str(screenshots / "account-reset-page.png"), full_page=True)
    page.get_by_role("button", name="Set password").click()
    expect(page.locator(".done")).to_contain_text("Your new password is set")
    page.screenshot(path=str(screenshots / "account-reset-done.png"), full_page=True)
    assert seed.status("GET", "/api/auth/me", old_session) == 401  # every session ended

    page.goto(reset)  # the same link again
    expect(page.locator(".error")).to_have_text("It has been used already: each link works once.")
    page.screenshot(path=str(screenshots / "account-reset-used.png"), full_page=True)

    compose = open_thread(page, site)
    compose.locator("[part=login]").click()
    compose.get_by_label("Username").fill("sigrid")
    compose.get_by_label("Password").fill(OLD_PASSWORD)
    compose.locator("form").get_by_role("button", name="Log in").click()
    expect(compose.locator("[part=error]")).to_have_text("Wrong username or password.")
    compose.get_by_label("Password").fill(NEW_PASSWORD)
    compose.locator("form").get_by_role("button", name="Log in").click()
    expect(compose).to_contain_text("Signed in as sigrid")


def test_an_expired_or_foreign_reset_link_is_refused(mail_site, page, monkeypatch):
    site, _, _ = mail_site
    payload = {"u": 1, "p": "0" * 32, "l": "en"}
    own = tokens.Signer([site.server.env["KOMMENTAR_SECRET_KEY"]])
    monkeypatch.setattr("itsdangerous.timed.time", Clock(-2 * 3600))
    expired = own.sign(tokens.RESET, payload)
    monkeypatch.undo()
    foreign = tokens.Signer(["another server's key"]).sign(tokens.RESET, payload)

    page.goto(f"{site.server.url}/mail/reset/{expired}")
    expect(page.locator(".error")).to_contain_text("It has expired.")
    page.goto(f"{site.server.url}/mail/reset/{foreign}")
    expect(page.locator(".error")).to_contain_text("It is not complete or not valid.")


def test_the_signed_in_reader_sees_and_changes_their_address(mail_site, mail_server, page,
                                                             screenshots):
    site, _, _ = mail_site
    compose = open_thread(page, site)
    compose.locator("[part=login]").click()
    compose.get_by_label("Username").fill("sigrid")
    compose.get_by_label("Password").fill(OLD_PASSWORD)
    compose.locator("form").get_by_role("button", name="Log in").click()
    compose.locator("[part=address]").click()
    status = compose.locator("form.address [role=status]")
    expect(status).to_have_text(f"{ADDRESS} is confirmed.")
    compose.get_by_label("Email address").fill("sigrid@example.net")
    compose.get_by_role("button", name="Save address").click()
    expect(status).to_have_text(
        "Saved. A link to confirm the address is on its way.")
    page.screenshot(path=str(screenshots / "account-address.png"), full_page=True)
    letter = mail_server.wait_for(2)[1]
    assert letter.recipients == ["sigrid@example.net"]
    assert letter.message["Subject"] == "Confirm your address for your comments account"


def test_without_mail_there_is_no_forgotten_password(blog, page):
    site, _ = blog(anonymous=False)
    compose = open_thread(page, site)
    compose.locator("[part=login]").click()
    expect(compose.get_by_label("Password")).to_be_visible()
    expect(compose.locator("[part=forgot]")).to_have_count(0)
