""""E-mail me when someone replies" in a real browser: offered by the comment form when the
server sends mail, with an address field once ticked; the post asks for the address's
confirmation, which the server mails (delivered in the background of ``kommentar serve``) to
a real SMTP server on 127.0.0.1."""

from __future__ import annotations

import pytest

from .test_widget import main_form, open_page

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture skips (or fails in CI) with the reason
    expect = None


@pytest.fixture
def mailing_blog(own_blog, mail_server):
    site, seed = own_blog(**mail_server.settings())
    return site, seed, mail_server


def test_ticking_the_box_asks_for_an_address_and_mails_a_confirmation(mailing_blog, page,
                                                                      screenshots):
    site, _, mail_server = mailing_blog
    open_page(page, site, count=0)
    form = main_form(page)
    form.get_by_label("Your comment").fill("Tell me when someone answers.")
    box = form.get_by_label("E-mail me when someone replies")
    expect(box).to_be_visible()
    address = form.get_by_label("Your e-mail address")
    expect(address).to_be_hidden()
    box.check()
    expect(address).to_be_visible()
    form.get_by_label("Name").fill("Ann")
    form.get_by_role("button", name="Post comment").click()
    expect(form.locator(".err")).to_have_text("Give the address replies should go to.")
    expect(address).to_be_focused()
    page.screenshot(path=str(screenshots / "reply-mail-address.png"), full_page=True)

    address.fill("ann@example.org")
    form.get_by_role("button", name="Post comment").click()
    expect(page.locator("article[part=comment] > .self > p.note")).to_have_text(
        "Check your e-mail: replies are sent once you have confirmed your address.")
    page.screenshot(path=str(screenshots / "reply-mail-confirm.png"), full_page=True)
    [letter] = mail_server.wait_for(1, timeout=20)
    assert letter.recipients == ["ann@example.org"]
    assert letter.message["Subject"] == "Confirm your address for replies"


def test_without_mail_the_box_is_not_offered(blog, page):
    site, _ = blog()
    open_page(page, site, count=0)
    form = main_form(page)
    form.get_by_label("Your comment").fill("No mail here.")
    expect(page.locator("[part=actions], [part=count]").first).to_be_visible()
    form.get_by_label("Name").fill("Ann")
    form.get_by_role("button", name="Post comment").click()
    expect(page.locator("article[part=comment]")).to_have_count(1)
    expect(form.get_by_label("E-mail me when someone replies")).to_have_count(0)
