"""embed.js loads the rest of the widget from its server when a reader needs it: languages,
the actions, the account forms, the count badges. These tests watch what is
fetched when, check it under the strict Content-Security-Policy example, and make chunks
fail to show that a reader always gets words, never a blank section."""

from __future__ import annotations

import json
import re
from pathlib import Path

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture skips (or fails in CI) with the reason
    expect = None

DANISH = json.loads((Path(__file__).resolve().parents[2] / "widget/i18n/da.json").read_text())

# Every text the widget ever shows, recorded from the moment its shadow root exists.
RECORD_TEXTS = """
window.kommentarTexts = [];
const attach = Element.prototype.attachShadow;
Element.prototype.attachShadow = function (init) {
    const root = attach.call(this, init);
    new MutationObserver(() => window.kommentarTexts.push(root.textContent))
        .observe(root, {childList: true, subtree: true, characterData: true});
    return root;
};
"""


def chunks_fetched(page) -> list[str]:
    """Record the widget's chunks (embed/<name>.js) as the page asks for them."""
    fetched: list[str] = []
    page.on("request", lambda request: fetched.extend(
        re.findall(r"/embed/([a-z-]+)\.js", request.url)))
    return fetched


def fail(page, chunk: str):
    """Make the server unreachable for one chunk, as a dropped connection would."""
    page.route(re.compile(rf"/embed/{chunk}\.js"), lambda route: route.abort())


def test_an_english_first_render_loads_no_chunk_and_reading_waits_for_nothing(blog, page):
    site, seed = blog()
    anna = seed.comment("blog-post.html", "Good bread.", name="Anna")
    fetched = chunks_fetched(page)
    page.goto(f"{site.url}/blog-post.html")
    expect(page.locator("[part=count]")).to_have_text("Comments (1)")
    # widget/size.mjs budgets embed.js alone for this render; what keeps the thread current
    # (live) loads after it, and nothing waits for that.
    assert set(fetched) <= {"live"}
    expect(page.locator("[part=thread]")).to_have_css("line-height", re.compile(r"px"))
    # The actions load when the pointer reaches the thread, and a vote works at once.
    up = page.locator(f"#comment-{anna['id']} [part=vote-up]")
    up.click()
    expect(up).to_have_attribute("aria-pressed", "true")
    assert "actions" in fetched
    assert "account" not in fetched and "da" not in fetched and "en-errors" not in fetched


def test_a_danish_page_never_shows_english(blog, page):
    site, seed = blog(anonymous=False)
    sofie = seed.account("sofie")
    seed.comment("news-da.html", "Hvem holder øje med dem, der kigger?", token=sofie)
    page.add_init_script(RECORD_TEXTS)
    fetched = chunks_fetched(page)
    page.goto(f"{site.url}/news-da.html")
    expect(page.locator("[part=count]")).to_have_text("Kommentarer (1)")
    assert "da" in fetched
    seen = " ".join(page.evaluate("window.kommentarTexts"))
    for english in ("Loading comments", "Comments (", "Oldest first", "create an account", "Reply"):
        assert english not in seen, english
    assert DANISH["loading"] in seen  # the first words shown were Danish already


def test_a_danish_readers_reply_form_and_its_words_come_with_the_actions_in_danish(blog, page):
    """The words only the controls say are built into the actions chunk, every language's."""
    site, seed = blog()
    seed.comment("news-da.html", "Hvem holder øje med dem, der kigger?", name="Sofie")
    page.add_init_script(RECORD_TEXTS)
    page.goto(f"{site.url}/news-da.html")
    expect(page.locator("[part=count]")).to_have_text("Kommentarer (1)")
    page.locator("[part=reply]").click()
    form = page.locator("article form")
    words = DANISH["actions"]
    expect(form.get_by_role("button", name=words["submitReply"])).to_be_visible()
    form.get_by_role("button", name=words["cancel"]).click()
    expect(form).to_have_count(0)
    expect(page.locator("[part=reply]")).to_be_focused()
    seen = " ".join(page.evaluate("window.kommentarTexts"))
    for english in ("Post reply", "Cancel"):
        assert english not in seen, english


def test_the_chunks_work_under_the_strict_csp_example(blog, page):
    site, seed = blog()
    anna = seed.comment("strict-csp.html", "Still here under a strict policy.", name="Anna")
    seed.account("ingrid", "bread and butter pudding")
    fetched = chunks_fetched(page)
    page.goto(f"{site.url}/strict-csp.html")
    expect(page.locator("[part=count]")).to_have_text("Comments (1)")
    expect(page.locator("[part=thread]")).to_have_css("line-height", re.compile(r"px"))
    up = page.locator(f"#comment-{anna['id']} [part=vote-up]")
    up.click()
    expect(up).to_have_attribute("aria-pressed", "true")
    compose = page.locator(".compose")
    compose.locator("[part=login]").click()
    compose.get_by_label("Username").fill("ingrid")
    compose.get_by_label("Password").fill("bread and butter pudding")
    compose.locator("form").get_by_role("button", name="Log in").click()
    expect(compose).to_contain_text("Signed in as ingrid")
    assert {"actions", "account"} <= set(fetched)
    # the page fixture fails the test on any Content-Security-Policy violation


def test_sign_in_forms_that_cannot_load_say_so_in_danish_and_load_on_the_next_try(blog, page):
    site, _ = blog(anonymous=False)
    fail(page, "account")
    page.goto(f"{site.url}/news-da.html")
    expect(page.locator("[part=count]")).to_have_text("Kommentarer (0)")
    compose = page.locator(".compose")
    compose.locator("[part=login]").click()
    expect(compose.locator("[part=error]")).to_have_text(
        "Denne del af kommentarerne kunne ikke hentes. Prøv igen.")
    page.unroute(re.compile(r"/embed/account\.js"))
    compose.locator("[part=login]").click()
    expect(compose.get_by_label("Brugernavn")).to_be_focused()
    expect(compose.locator("[part=error]")).to_have_count(1)  # the form's own, empty
    expect(compose.locator("[part=error]")).to_have_text("")


def test_a_vote_whose_actions_cannot_load_says_so_and_works_on_the_next_try(blog, page):
    site, seed = blog()
    anna = seed.comment("blog-post.html", "Vote on me.", name="Anna")
    fail(page, "actions")
    page.goto(f"{site.url}/blog-post.html")
    expect(page.locator("[part=count]")).to_have_text("Comments (1)")
    comment = page.locator(f"#comment-{anna['id']}")
    comment.locator("[part=vote-up]").click()
    expect(comment.locator("[part=error]")).to_have_text(
        "This part of the comments could not be loaded. Try again.")
    expect(comment.locator("[part=vote-up]")).to_have_attribute("aria-pressed", "false")
    page.unroute(re.compile(r"/embed/actions\.js"))
    comment.locator("[part=vote-up]").click()
    expect(comment.locator("[part=vote-up]")).to_have_attribute("aria-pressed", "true")


def test_a_comment_whose_form_cannot_be_sent_says_so_keeps_the_text_and_posts_next_time(
        blog, page):
    site, _ = blog()
    fail(page, "actions")
    page.goto(f"{site.url}/blog-post.html")
    expect(page.locator("[part=count]")).to_have_text("Comments (0)")
    form = page.locator(".compose form")
    form.get_by_label("Name").fill("Dana")
    form.get_by_label("Your comment").fill("Sent once the page can.")
    form.get_by_role("button", name="Post comment").click()
    expect(form.locator("[part=error]")).to_have_text(
        "This part of the comments could not be loaded. Try again.")
    expect(form.get_by_label("Your comment")).to_have_value("Sent once the page can.")
    page.unroute(re.compile(r"/embed/actions\.js"))
    form.get_by_role("button", name="Post comment").click()
    expect(page.locator("[part=count]")).to_have_text("Comments (1)")
    expect(page.locator("[part=comment] [part=body]")).to_have_text("Sent once the page can.")


def test_a_language_that_cannot_load_falls_back_to_english(blog, page):
    site, seed = blog(anonymous=False)
    seed.comment("news-da.html", "Hvem holder øje?", token=seed.account("sofie"))
    fail(page, "da")
    page.goto(f"{site.url}/news-da.html")
    expect(page.locator("[part=count]")).to_have_text("Comments (1)")
    expect(page.get_by_text("Hvem holder øje?")).to_be_visible()


def test_english_error_messages_load_with_the_first_error(blog, page):
    site, _ = blog()
    fetched = chunks_fetched(page)
    page.goto(f"{site.url}/blog-post.html")
    expect(page.locator("[part=count]")).to_have_text("Comments (0)")
    form = page.locator(".compose form")
    form.get_by_label("Name").fill("Dana")
    form.get_by_role("button", name="Post comment").click()
    expect(form.locator("[part=error]")).to_have_text("Write something first.")
    assert fetched.count("en-errors") == 1


def test_count_badges_load_their_code_and_nothing_else(blog, page):
    site, seed = blog()
    seed.comment("blog-post.html", "One.", name="Anna")
    fetched = chunks_fetched(page)
    page.goto(f"{site.url}/listing.html")
    expect(page.locator("[data-kommentar-count]").first).to_have_text(re.compile(r"\d+ comments?"))
    assert fetched == ["counts"]


def test_a_thread_whose_live_part_cannot_load_reads_and_works_as_before(blog, page):
    site, seed = blog()
    anna = seed.comment("blog-post.html", "Good bread.", name="Anna")
    fail(page, "live")
    page.goto(f"{site.url}/blog-post.html")
    expect(page.locator("[part=count]")).to_have_text("Comments (1)")
    up = page.locator(f"#comment-{anna['id']} [part=vote-up]")
    up.click()
    expect(up).to_have_attribute("aria-pressed", "true")
    expect(page.locator("[part=error]:not(:empty)")).to_have_count(0)  # nothing to tell
