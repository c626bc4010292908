"""A thread that stays current while it is read (widget/live.js, widget/polling.js): new
comments offered in a bar, revalidated with ETags, slower while hidden, stopped when idle;
marks of what is new since the last visit; permalinks that land on any page; count badges
that follow; the thread's feed linked. Time is Playwright's clock: no test waits 30 s."""

from __future__ import annotations

import re
import time
import urllib.request

import pytest
from support import axe_violations

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture skips (or fails in CI) with the reason
    expect = None

from .test_widget import article, open_page, with_attributes

LATEST = "/api/threads/latest"


def bar(page):
    return page.locator("[part=live]")


def asks(page) -> list:
    """Record the widget's askings for the thread's latest comments, as responses."""
    seen: list = []
    page.on("response", lambda response: seen.append(response) if LATEST in response.url else None)
    return seen


def open_live(page, site, name: str = "blog-post.html"):
    """Open a page with the clock under the test's control, once the widget has asked for
    what the thread held when the reader came (the baseline of what is new)."""
    page.clock.install()
    with page.expect_response(lambda response: LATEST in response.url) as baseline:
        page.goto(f"{site.url}/{name}")
    settled(page, baseline.value)
    page.clock.pause_at((page.evaluate("Date.now()") + 1000) / 1000)  # seconds, to Playwright


def settled(page, answer) -> None:
    """Let the page finish handling ``answer`` (reading its body, setting its next timer)
    before the test moves the paused clock: the response event comes as the headers arrive,
    and a page under load may set the next asking's timer after a ``run_for`` that was meant
    to reach it. Turns of the page's event loop through a message channel, which the fake
    clock does not hold."""
    answer.finished()
    page.evaluate("""async () => {
      for (let turn = 0; turn < 5; turn++) {
        await new Promise((done) => {
          const channel = new MessageChannel();
          channel.port1.onmessage = () => done();
          channel.port2.postMessage(0);
        });
      }
    }""")


def tick(page, seconds: float):
    """Let `seconds` of the page's time pass, and wait for the asking that falls due."""
    with page.expect_response(lambda response: LATEST in response.url):
        page.clock.run_for(int(seconds * 1000))


# --- new comments while reading ------------------------------------------------------------------

def test_new_comments_wait_in_a_bar_and_show_marked_when_asked(blog, page):
    site, seed = blog()
    seed.comment("blog-post.html", "First!", name="Anna")
    open_live(page, site)
    expect(page.locator("[part=count]")).to_have_text("Comments (1)")
    arrived = seed.comment("blog-post.html", "Just read this. Good piece.", name="Bo")
    tick(page, 30)
    expect(bar(page)).to_have_text("1 new comment")
    expect(page.get_by_role("status")).to_have_text("1 new comment")
    expect(article(page, arrived)).to_have_count(0)  # nothing moves under the reader's eyes
    bar(page).click()
    expect(article(page, arrived)).to_contain_text("Just read this.")
    expect(article(page, arrived).locator("[part=new]")).to_have_text("New")
    expect(article(page, arrived)).to_be_focused()
    expect(bar(page)).to_be_hidden()
    expect(page.locator("[part=count]")).to_have_text("Comments (2) · 1 new")
    expect(page.get_by_role("status")).to_have_text("1 new comment shown")


def test_an_unchanged_thread_is_revalidated_with_its_etag_and_costs_a_304(blog, page):
    site, seed = blog()
    seed.comment("blog-post.html", "Quiet thread.", name="Anna")
    answers = asks(page)
    open_live(page, site)
    tick(page, 30)
    assert [answer.status for answer in answers] == [200, 304]
    first, second = answers
    assert second.request.headers["if-none-match"] == first.headers["etag"]
    expect(bar(page)).to_be_hidden()


def test_the_bar_counts_replies_and_shows_them_under_their_parents(blog, page):
    site, seed = blog()
    anna = seed.comment("blog-post.html", "Which flour?", name="Anna")
    open_live(page, site)
    bo = seed.comment("blog-post.html", "Type 00.", name="Bo", parent=anna["id"])
    seed.comment("blog-post.html", "Thanks!", name="Anna", parent=bo["id"])
    tick(page, 30)
    expect(bar(page)).to_have_text("2 new comments")
    bar(page).click()
    expect(article(page, anna).locator(".replies article")).to_have_count(2)
    expect(page.locator("[part=new]")).to_have_count(2)


def test_more_new_comments_than_one_asking_holds_show_the_thread_again(blog, page):
    site, seed = blog()
    seed.comment("blog-post.html", "The one before the rush.", name="Anna")
    open_live(page, site)
    for i in range(51):
        seed.comment("blog-post.html", f"Rush {i}.", name=f"Reader {i}")
    tick(page, 30)
    expect(bar(page)).to_have_text("50+ new comments")  # the latest 50 are all it was told
    bar(page).click()
    expect(page.locator("[part=count]")).to_have_text(re.compile(r"^Comments \(52\)"))
    expect(page.locator(".list > article")).to_have_count(20)  # the first page, in order
    expect(page.locator(".list > article").first).to_contain_text("The one before the rush.")
    expect(page.locator("[part=count]")).to_be_focused()
    expect(page.locator(".list > article:last-child [part=new]")).to_have_text("New")


def test_new_comments_leave_an_open_draft_alone(blog, page):
    site, seed = blog()
    anna = seed.comment("blog-post.html", "Which flour do you use?", name="Anna")
    open_live(page, site)
    article(page, anna).locator("[part=reply]").click()
    draft = article(page, anna).get_by_label("In reply to Anna")
    draft.fill("I use a half-finished tho")
    draft.evaluate("(area) => { area.kommentarMark = 'the same element'; "
                   "area.setSelectionRange(5, 8); }")
    seed.comment("blog-post.html", "Type 00 here.", name="Bo", parent=anna["id"])
    seed.comment("blog-post.html", "Lovely loaf.", name="Cai")
    tick(page, 30)
    expect(bar(page)).to_have_text("2 new comments")
    expect(draft).to_be_focused()  # the bar takes nothing from the writer
    bar(page).click()
    expect(article(page, anna).locator(".replies article")).to_have_count(1)
    assert draft.evaluate("(area) => [area.kommentarMark, area.value, area.selectionStart]") == [
        "the same element", "I use a half-finished tho", 5]


def test_showing_new_comments_keeps_what_the_reader_looks_at_in_place(blog, page):
    site, seed = blog()
    made = [seed.comment("blog-post.html", f"Comment {i}.\n\n" + "Some more words. " * 30,
                         name=f"Reader {i}") for i in range(8)]
    with_attributes(page, "[data-kommentar]", **{"data-sort": "newest"})
    open_live(page, site)
    reading = article(page, made[3])
    reading.scroll_into_view_if_needed()
    # A little further, at once: a wheel's smooth scroll could still be moving when measured.
    page.evaluate("window.scrollBy({top: 120, behavior: 'instant'})")
    expect(reading).to_be_in_viewport()
    arrived = seed.comment("blog-post.html", "A new one, at the top in this order.", name="Dan")
    tick(page, 30)
    expect(bar(page)).to_be_in_viewport()  # stuck to the top of the window
    before = reading.bounding_box()["y"]
    # Pressed where it shows: Playwright's own click may scroll a sticky element to where it
    # would sit unstuck (it retries with other scroll alignments), moving the page itself.
    box = bar(page).bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    expect(article(page, arrived)).to_have_count(1)
    assert page.locator(".list > article").first.get_attribute("id") == f"comment-{arrived['id']}"
    page.clock.run_for(100)  # a few frames, under the page's clock, for the layout to settle
    assert abs(reading.bounding_box()["y"] - before) <= 1


def test_the_bar_is_reached_and_used_with_the_keyboard_alone(blog, page):
    site, seed = blog()
    seed.comment("blog-post.html", "First.", name="Anna")
    open_live(page, site)
    arrived = seed.comment("blog-post.html", "Second.", name="Bo")
    tick(page, 30)
    expect(bar(page)).to_be_visible()
    for _ in range(12):
        page.keyboard.press("Tab")
        if bar(page).evaluate("(element) => element.getRootNode().activeElement == element"):
            break
    expect(bar(page)).to_be_focused()
    page.keyboard.press("Enter")
    expect(article(page, arrived)).to_be_focused()


def test_a_danish_reader_is_told_in_danish(blog, page):
    site, seed = blog(anonymous=False)
    sofie = seed.account("sofie")
    seed.comment("news-da.html", "Godt skrevet.", token=sofie)
    open_live(page, site, "news-da.html")
    seed.comment("news-da.html", "Enig.", token=sofie)
    seed.comment("news-da.html", "Jeg er uenig.", token=seed.account("ole"))
    tick(page, 30)
    expect(bar(page)).to_have_text("2 nye kommentarer")
    bar(page).click()
    expect(page.locator("[part=new]").first).to_have_text("Ny")
    expect(page.locator("[part=count]")).to_have_text("Kommentarer (3) · 2 nye")
    expect(page.get_by_role("status")).to_have_text("2 nye kommentarer vist")


def test_a_hidden_page_asks_less_and_less_often_and_at_once_when_shown(blog, page):
    site, seed = blog()
    page.add_init_script("""
        Object.defineProperty(Document.prototype, 'hidden', {get: () => !!window.kommentarHidden});
        window.hide = (hidden) => {
            window.kommentarHidden = hidden;
            document.dispatchEvent(new Event('visibilitychange'));
        };
    """)
    answers = asks(page)
    open_live(page, site)
    page.evaluate("hide(true)")
    tick(page, 30)  # due as usual; hidden, the next waits twice as long
    page.clock.run_for(59_000)
    assert len(answers) == 2
    tick(page, 1)
    page.clock.run_for(119_000)
    assert len(answers) == 3
    seed.comment("blog-post.html", "Written while the tab was hidden.", name="Anna")
    with page.expect_response(lambda response: LATEST in response.url):
        page.evaluate("hide(false)")  # overdue: asked at once
    expect(bar(page)).to_have_text("1 new comment")
    page.clock.run_for(29_000)
    assert len(answers) == 4
    tick(page, 1)  # back to the usual pace


def test_an_idle_reader_stops_the_asking_until_they_move(blog, page):
    site, seed = blog()
    answers = asks(page)
    open_live(page, site)
    with page.expect_response(lambda response: LATEST in response.url):
        page.clock.fast_forward(59 * 60 * 1000)  # what was due is asked for, 59 minutes on
    tick(page, 30)
    page.clock.run_for(30_000)  # an hour without a sign of the reader: no more asking
    page.clock.run_for(30 * 60 * 1000)
    assert len(answers) == 3
    with page.expect_response(lambda response: LATEST in response.url):
        page.keyboard.press("Shift")
    page.clock.run_for(29_000)
    assert len(answers) == 4
    tick(page, 1)


@pytest.mark.parametrize(("live", "every"), [("off", None), ("10", 10)])
def test_data_live_turns_the_asking_off_or_sets_its_pace(blog, page, live, every):
    site, seed = blog()
    seed.comment("blog-post.html", "Hello.", name="Anna")
    with_attributes(page, "[data-kommentar]", **{"data-live": live})
    answers = asks(page)
    page.clock.install()
    page.goto(f"{site.url}/blog-post.html")
    expect(page.locator("[part=count]")).to_have_text("Comments (1)")
    expect(page.locator("[part=feed]")).to_be_attached()  # the chunk is there
    if every is None:
        page.clock.run_for(5 * 60 * 1000)
        assert answers == []
        return
    expect(bar(page)).to_be_attached()
    page.clock.pause_at((page.evaluate("Date.now()") + 100) / 1000)
    while len(answers) < 1:
        page.wait_for_timeout(50)  # the baseline asking is under way
    settled(page, answers[0])
    tick(page, every)
    assert len(answers) == 2


# --- since the last visit ------------------------------------------------------------------------

def test_comments_since_the_last_visit_are_marked_and_counted(blog, page):
    site, seed = blog()
    old = seed.comment("blog-post.html", "Old news.", name="Anna")
    open_page(page, site, count=1)
    expect(page.locator("[part=feed]")).to_be_attached()  # the visit is remembered
    expect(page.locator("[part=new]")).to_have_count(0)
    page.get_by_label("Name").fill("Me")
    page.get_by_label("Your comment").fill("My own, posted on this visit.")
    page.get_by_role("button", name="Post comment").click()
    expect(page.locator("[part=count]")).to_have_text("Comments (2)")
    stored = "JSON.parse(Object.values(localStorage)[0]).seen"
    seen = page.evaluate(f"Math.max(...Object.values({stored}))")
    page.goto("about:blank")
    past_the_second_of(seen)
    later = [seed.comment("blog-post.html", f"Later {i}.", name="Bo") for i in range(2)]
    reply = seed.comment("blog-post.html", "A late reply.", name="Cai", parent=old["id"])
    open_page(page, site, count=5)
    expect(page.locator("article:has(> .self [part=new])")).to_have_count(3)
    for comment in (*later, reply):
        expect(article(page, comment).locator("> .self [part=new]")).to_have_text("New")
    expect(page.locator("[part=count]")).to_have_text("Comments (5) · 3 new")


def past_the_second_of(moment_ms: float):
    """Wait until the clock is past the second of ``moment_ms``: the API gives times to the
    second, and a comment written in the second the reader last saw the thread counts as
    seen. The server runs on this machine's clock."""
    while time.time() * 1000 < (moment_ms // 1000 + 1) * 1000:
        time.sleep(0.05)


# --- permalinks ----------------------------------------------------------------------------------

def test_a_comments_time_links_to_its_permalink(blog, page):
    site, seed = blog()
    anna = seed.comment("blog-post.html", "Link me.", name="Anna")
    open_page(page, site, count=1)
    link = article(page, anna).locator("a:has([part=time])")
    expect(link).to_have_attribute("href", f"{site.url}/blog-post.html#kommentar-{anna['id']}")


def test_a_permalink_lands_on_a_reply_on_a_later_page_in_one_step(blog, page):
    site, seed = blog()
    made = [seed.comment("blog-post.html", f"Top-level {i}.", name=f"Reader {i}") for i in range(7)]
    reply = seed.comment("blog-post.html", "Deep in the thread.", name="Bo", parent=made[5]["id"])
    deeper = seed.comment("blog-post.html", "Deeper still.", name="Cai", parent=reply["id"])
    with_attributes(page, "[data-kommentar]", **{"data-page-size": "2"})
    pages = []
    page.on("request", lambda request: pages.append(request.url)
            if "/api/threads?" in request.url else None)
    page.goto(f"{site.url}/blog-post.html#kommentar-{deeper['id']}")
    target = article(page, deeper)
    expect(target).to_have_attribute("data-highlighted", "")
    expect(target).to_be_focused()
    expect(target).to_be_in_viewport()
    assert len(pages) == 2  # the first page, then the one that holds it: no walk through the rest
    expect(page.locator(".list > article")).to_have_count(2)
    start = page.get_by_role("button", name="Show the thread from its first comment")
    start.click()
    expect(page.locator(".list > article").first).to_contain_text("Top-level 0.")
    expect(start).to_have_count(0)


def test_a_permalink_to_a_deleted_or_held_comment_says_so(blog, page):
    site, seed = blog(moderation="all")
    held = seed.comment("blog-post.html", "Waiting for a moderator.", name="Anna")
    page.goto(f"{site.url}/blog-post.html#kommentar-{held['id']}")
    expect(page.locator("[part=error]").first).to_have_text(
        "The comment this link goes to is waiting for a moderator.")

    site, seed = blog()
    gone = seed.comment("blog-post.html", "Soon gone.", name="Bo")
    seed.call("DELETE", f"/api/comments/{gone['id']}", token=gone["edit_token"])
    page.goto(f"{site.url}/blog-post.html#kommentar-{gone['id']}")
    expect(page.locator("[part=error]").first).to_have_text(
        "The comment this link goes to was deleted.")


def test_a_danish_reader_is_told_in_danish_where_a_permalink_went(blog, page):
    site, seed = blog(anonymous=False)
    sofie = seed.account("sofie")
    gone = seed.comment("news-da.html", "Fortryder det her.", token=sofie)
    seed.call("DELETE", f"/api/comments/{gone['id']}", token=sofie)
    page.goto(f"{site.url}/news-da.html#kommentar-{gone['id']}")
    expect(page.locator("[part=error]").first).to_have_text(
        "Kommentaren, som linket fører til, er slettet.")


# --- badges and the feed -------------------------------------------------------------------------

def test_count_badges_follow_new_comments(blog, page):
    site, seed = blog()
    seed.comment("blog-post.html", "One.", name="Anna")
    page.clock.install()
    page.goto(f"{site.url}/listing.html")
    badges = page.locator("[data-kommentar-count]")
    expect(badges.first).to_have_text("1 comment")
    seed.comment("blog-post.html", "Two.", name="Bo")
    page.clock.run_for(30_000)
    expect(badges.first).to_have_text("2 comments")


def test_the_threads_feed_is_linked_under_it(blog, page):
    site, seed = blog()
    seed.comment("blog-post.html", "Feed me.", name="Anna")
    open_page(page, site, count=1)
    feed = page.locator("[part=feed]")
    expect(feed).to_have_text("Comment feed (Atom)")
    with urllib.request.urlopen(feed.get_attribute("href"), timeout=10) as answer:
        assert answer.headers["Content-Type"].startswith("application/atom+xml")
        assert b"Feed me." in answer.read()


# --- how it looks --------------------------------------------------------------------------------

@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_bar_and_marks_are_accessible_and_look_right(blog, page, screenshots, scheme):
    site, seed = blog()
    page.emulate_media(color_scheme=scheme)
    first = seed.comment("blog-post.html", "The proofing times in the recipe are spot on.",
                         name="Ingrid Sørensen")
    open_live(page, site)
    seed.comment("blog-post.html", "Agreed, and the crust was perfect.", name="Tom Hald",
                 parent=first["id"])
    seed.comment("blog-post.html", "Could you post the rye version too?", name="Pia Lind")
    tick(page, 30)
    expect(bar(page)).to_have_text("2 new comments")
    page.clock.resume()  # axe-core keeps time with timers of its own
    serious = [v for v in axe_violations(page) if v["impact"] in ("serious", "critical")]
    assert serious == [], serious
    page.locator("[data-kommentar]").screenshot(path=str(screenshots / f"live-bar-{scheme}.png"))
    bar(page).click()
    expect(page.locator("[part=new]")).to_have_count(2)
    page.clock.run_for(4000)  # past the highlight's fading
    serious = [v for v in axe_violations(page) if v["impact"] in ("serious", "critical")]
    assert serious == [], serious
    page.locator("[data-kommentar]").screenshot(path=str(screenshots / f"live-new-{scheme}.png"))

