"""The embed widget in a real browser: the example pages served from one origin, the
Kommentar server from another, Debian's Chromium driven by Playwright."""

from __future__ import annotations

import json
import re

import pytest
from support import axe_violations

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture skips (or fails in CI) with the reason
    expect = None

def comments(page):
    """Top-level comments, in the order shown."""
    return page.locator(".list > article[part=comment]")


def authors(page):
    return page.locator(".list > article > .self [part=author]")


def article(page, comment: dict):
    return page.locator(f"article#comment-{comment['id']}")


def main_form(page):
    return page.locator(".compose form")


def open_page(page, site, name: str = "blog-post.html", count: int | None = None):
    page.goto(f"{site.url}/{name}")
    heading = page.locator("[part=count]")
    if count is None:
        expect(heading).to_have_text(re.compile(r"\(\d+\)"))
    else:
        expect(heading).to_have_text(re.compile(rf"\({count}\)"))
    return heading


def with_attributes(page, selector: str, **attributes: str):
    """Give the page's elements matching `selector` these attributes as the parser adds them,
    before the widget's script can run: a site owner's variant of an example page."""
    page.add_init_script(f"""
        new MutationObserver(() => {{
            for (const element of document.querySelectorAll({json.dumps(selector)})) {{
                for (const [name, value] of Object.entries({json.dumps(attributes)})) {{
                    element.setAttribute(name, value);
                }}
            }}
        }}).observe(document, {{childList: true, subtree: true}});
    """)


def post_anonymously(page, name: str, text: str):
    form = main_form(page)
    form.get_by_label("Name").fill(name)
    form.get_by_label("Your comment").fill(text)
    form.get_by_role("button", name="Post comment").click()


DISCUSSIONS = {
    "en": [
        ("Ingrid Sørensen", "We switched to a stiff starter last spring and the crumb got so much "
         "more even. Feeding it twice a day at a 1:5:5 ratio was the trick for us.", None),
        ("Tom Hald", "> Feeding it twice a day at a 1:5:5 ratio\n\nDo you keep it at room "
         "temperature? Ours gets far too sour in summer.", 0),
        ("Ingrid Sørensen", "Room temperature, but out of direct sun. In July we feed it a third "
         "time in the evening.", 1),
        ("Pia Lind", "There is a good write-up on hydration here: "
         "https://bread.example.org/articles/understanding-hydration-in-sourdough-baking-for-"
         "beginners-and-professionals\n\nIt changed how I think about *wet* doughs.", None),
        ("Karsten M.", "Please bring back the rye loaf on Saturdays!", None),
    ],
    "da": [
        ("Bente Kjær", "Det lyder som et bedre overblik, men hvem har adgang til det samlede "
         "billede? Det svarer artiklen ikke på.", None),
        ("Ole Dahl", "> hvem har adgang til det samlede billede?\n\nDet står i forslaget, at "
         "det er sagsbehandlerne, men også at kredsen kan udvides senere.", 0),
        ("Bente Kjær", "Så er det jo netop den udvidelse, vi bør diskutere nu.", 1),
        ("Mads Friis", "Datatilsynet har skrevet om samkøring før: "
         "https://www.datatilsynet.example/vejledninger/samkoersel-af-registre-i-kommunerne-"
         "og-regionerne-2024\n\nDen er værd at læse, før man tager stilling.", None),
        ("Lene Holm", "Godt at det bliver dækket. Jeg havde ikke hørt om forslaget.", None),
    ],
}


def seed_discussion(seed, name: str = "blog-post.html", accounts: bool = False) -> list[dict]:
    """A thread that looks like a real one: replies, a quote, a long link, votes."""
    made: list[dict] = []
    tokens: dict[str, str] = {}
    for author, text, parent in DISCUSSIONS["da" if name.endswith("-da.html") else "en"]:
        if accounts and author not in tokens:
            tokens[author] = seed.account(re.sub(r"\W", "", author.lower()))
        made.append(seed.comment(name, text, name=author, token=tokens.get(author),
                                 parent=made[parent]["id"] if parent is not None else None))
    voters = [seed.account(f"voter{i}") for i in range(3)]
    for token in voters:
        seed.vote(made[0]["id"], 1, token)
    seed.vote(made[3]["id"], 1, voters[0])
    seed.vote(made[3]["id"], -1, voters[1])
    return made


# --- reading -----------------------------------------------------------------------------------

def test_first_render_shows_the_thread_and_its_count(blog, page):
    site, seed = blog()
    first = seed.comment("blog-post.html", "Lovely **crust** on that loaf.", name="Anna")
    seed.comment("blog-post.html", "Agreed!", name="Bo", parent=first["id"])
    seed.comment("blog-post.html", "What flour do you use?", name="Cai")

    heading = open_page(page, site)
    expect(heading).to_have_text("Comments (3)")
    expect(page.get_by_role("status")).to_have_text("3 comments")
    expect(authors(page)).to_have_text(["Anna", "Cai"])
    anna = article(page, first)
    expect(anna.locator("[part=body] strong").first).to_have_text("crust")
    expect(anna.locator(".replies [part=author]")).to_have_text("Bo")
    time = anna.locator("[part=time]").first
    expect(time).to_have_attribute("datetime", first["created"])
    expect(time).to_have_attribute("title", re.compile(r"\d{4}"))
    expect(time).to_have_text(re.compile(r"now|second|minute"))
    permalink = anna.locator(".meta a").first
    expect(permalink).to_have_attribute(
        "href", re.compile(rf"/blog-post\.html#kommentar-{first['id']}$"))
    for part in ("thread", "header", "count", "sort", "comment", "author", "time", "body",
                 "vote-up", "vote-down", "score", "reply", "quote", "form", "name", "textarea",
                 "submit", "login", "register"):
        assert page.locator(f"[part~={part}]").count() > 0, part


def test_an_empty_thread_invites_the_first_comment(blog, page):
    site, _ = blog()
    open_page(page, site, count=0)
    expect(page.get_by_text("No comments yet")).to_be_visible()
    expect(page.get_by_role("button", name="Show more comments")).to_be_hidden()


@pytest.mark.parametrize(("sort", "expected"), [
    ("Oldest first", ["Anna", "Bo", "Cai"]),
    ("Newest first", ["Cai", "Bo", "Anna"]),
    ("Best first", ["Bo", "Cai", "Anna"]),
])
def test_each_sort_order(blog, page, sort, expected):
    site, seed = blog()
    anna = seed.comment("blog-post.html", "One", name="Anna")
    bo = seed.comment("blog-post.html", "Two", name="Bo")
    cai = seed.comment("blog-post.html", "Three", name="Cai")
    voters = [seed.account(f"voter{i}") for i in range(3)]
    for token in voters:
        seed.vote(bo["id"], 1, token)
    seed.vote(cai["id"], 1, voters[0])
    seed.vote(anna["id"], -1, voters[0])

    open_page(page, site, count=3)
    choice = page.locator("[part=sort]").get_by_role("button", name=sort)
    choice.click()
    expect(choice).to_have_attribute("aria-pressed", "true")
    expect(authors(page)).to_have_text(expected)
    expect(page.locator("[part=sort] [aria-pressed=true]")).to_have_count(1)


def test_the_sort_choice_is_remembered_across_reloads(blog, page):
    site, seed = blog()
    seed.comment("blog-post.html", "One", name="Anna")
    seed.comment("blog-post.html", "Two", name="Bo")
    open_page(page, site, count=2)
    page.get_by_role("button", name="Newest first").click()
    expect(authors(page)).to_have_text(["Bo", "Anna"])
    page.reload()
    newest = page.get_by_role("button", name="Newest first")
    expect(newest).to_have_attribute("aria-pressed", "true")
    expect(authors(page)).to_have_text(["Bo", "Anna"])


def test_load_more_fetches_the_next_page(blog, page):
    site, seed = blog()
    for index in range(5):
        seed.comment("blog-post.html", f"Comment {index}", name=f"Reader {index}")
    with_attributes(page, "[data-kommentar]", **{"data-page-size": "2"})
    open_page(page, site, count=5)
    expect(comments(page)).to_have_count(2)
    more = page.get_by_role("button", name="Show more comments")
    more.click()
    expect(comments(page)).to_have_count(4)
    more.click()
    expect(comments(page)).to_have_count(5)
    expect(more).to_be_hidden()
    expect(authors(page)).to_have_text([f"Reader {index}" for index in range(5)])


def test_a_deep_link_scrolls_to_and_highlights_the_comment(blog, page):
    site, seed = blog()
    made = [seed.comment("blog-post.html", f"Comment number {i}.\n\n" + "More text. " * 40,
                         name=f"Reader {i}") for i in range(6)]
    target = made[4]
    page.goto(f"{site.url}/blog-post.html#kommentar-{target['id']}")  # as mail links it
    expect(article(page, target)).to_have_attribute("data-highlighted", "")
    expect(article(page, target)).to_be_focused()
    expect(article(page, target)).to_be_in_viewport()
    other = made[1]
    article(page, other).locator(".meta a").first.click()
    expect(article(page, other)).to_have_attribute("data-highlighted", "")
    expect(article(page, target)).not_to_have_attribute("data-highlighted", "")
    assert page.url.endswith(f"#kommentar-{other['id']}")


def test_long_links_are_shortened_but_keep_their_address(blog, page):
    site, seed = blog()
    address = "https://bread.example.org/articles/" + "very-long-path-segment-" * 5 + "end.html"
    seed.comment("blog-post.html", f"See {address} for more.", name="Anna")
    open_page(page, site, count=1)
    link = page.locator("[part=body] a")
    expect(link).to_have_attribute("href", address)
    expect(link).to_have_text(re.compile(r"^bread\.example\.org/articles/.*…$"))
    assert len(link.inner_text()) <= 48


def test_deep_reply_chains_stop_indenting(blog, page):
    site, seed = blog()
    parent = None
    chain = []
    for depth in range(6):
        parent = seed.comment("blog-post.html", f"Depth {depth}", name=f"Person {depth}",
                              parent=parent["id"] if parent else None)
        chain.append(parent)
    open_page(page, site, count=6)
    left = [article(page, c).locator("[part=body]").first.bounding_box()["x"] for c in chain]
    assert left[0] < left[1] < left[2] < left[3]
    assert left[3] == left[4] == left[5]
    expect(article(page, chain[4]).locator(".meta").first).to_contain_text("In reply to Person 3")


def test_a_page_with_only_count_badges_gets_counts_and_no_thread(blog, page):
    site, seed = blog()
    seed.comment("blog-post.html", "One", name="Anna")
    seed.comment("blog-post.html", "Two", name="Bo")
    seed.comment("dark.html", "Three", name="Cai")
    requests = []
    page.on("request", lambda request: requests.append(request.url))
    page.goto(f"{site.url}/listing.html")
    badges = page.locator("[data-kommentar-count]")
    expect(badges).to_have_text(["2 comments", "1 comment", "0 comments"])
    api_calls = [url for url in requests if "/api/" in url]
    assert len(api_calls) == 1 and "/api/counts?" in api_calls[0], api_calls
    assert page.locator("[data-kommentar]").count() == 0
    shadow_roots = "[...document.querySelectorAll('*')].filter(e => e.shadowRoot).length"
    assert page.evaluate(shadow_roots) == 0


# --- writing -----------------------------------------------------------------------------------

def test_posting_shows_the_comment_at_once_then_the_servers_version(blog, page):
    site, _ = blog()
    open_page(page, site, count=0)
    held = []
    page.route("**/api/comments", lambda route: held.append(route)
               if route.request.method == "POST" else route.continue_())
    post_anonymously(page, "Dana", "My *first* comment.")
    draft = page.locator(".list > article").first
    expect(draft).to_contain_text("Posting…")
    expect(draft).to_contain_text("My *first* comment.")  # shown as typed, never as HTML
    expect(main_form(page).get_by_label("Your comment")).to_have_value("")
    held[0].continue_()
    posted = page.locator(".list > article[id^=comment-]")
    expect(posted.locator("[part=body] em")).to_have_text("first")
    expect(posted).not_to_contain_text("Posting…")
    expect(page.locator("[part=count]")).to_have_text("Comments (1)")
    expect(page.get_by_role("status")).to_have_text("Your comment was posted.")
    page.reload()
    expect(posted.locator("[part=author]")).to_have_text("Dana")
    expect(main_form(page).get_by_label("Name")).to_have_value("Dana")


def test_a_failed_post_keeps_the_text_and_says_why(blog, page):
    site, _ = blog()
    open_page(page, site, count=0)
    form = main_form(page)
    form.get_by_role("button", name="Post comment").click()
    expect(form.locator("[part=error]")).to_have_text("Please give your name.")
    form.get_by_label("Name").fill("Dana")
    form.get_by_role("button", name="Post comment").click()
    expect(form.locator("[part=error]")).to_have_text("Write something first.")
    page.route("**/api/comments", lambda route: route.fulfill(
        status=403, content_type="application/json",
        headers={"Access-Control-Allow-Origin": site.url},
        body='{"error": {"code": "thread_locked", "message": "Closed."}}'))
    form.get_by_label("Your comment").fill("Too late?")
    form.get_by_role("button", name="Post comment").click()
    expect(form.locator("[part=error]")).to_have_text("Comments are closed.")
    expect(form.get_by_label("Your comment")).to_have_value("Too late?")
    expect(comments(page)).to_have_count(0)


def test_reply_nests_under_its_parent(blog, page):
    site, seed = blog()
    parent = seed.comment("blog-post.html", "Which oven do you use?", name="Anna")
    open_page(page, site, count=1)
    article(page, parent).get_by_role("button", name="Reply").click()
    form = article(page, parent).locator("form")
    expect(form.get_by_label("In reply to Anna")).to_be_focused()
    form.get_by_label("Name").fill("Bo")
    form.get_by_label("In reply to Anna").fill("A deck oven, second hand.")
    form.get_by_role("button", name="Post reply").click()
    reply = article(page, parent).locator(".replies > article[id^=comment-]")
    expect(reply.locator("[part=body]")).to_have_text("A deck oven, second hand.")
    expect(form).to_have_count(0)
    expect(page.locator("[part=count]")).to_have_text("Comments (2)")
    page.reload()
    expect(article(page, parent).locator(".replies [part=author]")).to_have_text("Bo")


def test_quote_puts_the_whole_comment_into_the_form_as_a_blockquote(blog, page):
    site, seed = blog()
    quoted = seed.comment("blog-post.html", "Rye needs a long rest.\n\nAnd wet hands.", name="Anna")
    open_page(page, site, count=1)
    article(page, quoted).get_by_role("button", name="Quote").click()
    text = main_form(page).get_by_label("Your comment")
    expect(text).to_be_focused()
    expect(text).to_have_value("> Rye needs a long rest.\n>\n> And wet hands.\n\n")


def test_quote_takes_only_the_selected_words(blog, page):
    site, seed = blog()
    quoted = seed.comment("blog-post.html", "Rye needs a long rest before baking.", name="Anna")
    open_page(page, site, count=1)
    body = article(page, quoted).locator("[part=body] p")
    body.evaluate("""paragraph => {
        const text = paragraph.firstChild, range = document.createRange();
        range.setStart(text, 10);
        range.setEnd(text, 21);
        getSelection().removeAllRanges();
        getSelection().addRange(range);
    }""")
    article(page, quoted).get_by_role("button", name="Quote").click()
    expect(main_form(page).get_by_label("Your comment")).to_have_value("> a long rest\n\n")


def test_edit_own_comment(blog, page):
    site, seed = blog()
    other = seed.comment("blog-post.html", "Not yours.", name="Anna")
    open_page(page, site, count=1)
    post_anonymously(page, "Dana", "I bake at 230 degrees.")
    mine = page.locator(".list > article[id^=comment-]").last
    expect(mine.locator("[part=body]")).to_have_text("I bake at 230 degrees.")
    expect(article(page, other).get_by_role("button", name="Edit")).to_have_count(0)
    mine.get_by_role("button", name="Edit").click()
    editor = mine.get_by_label("Edit")
    expect(editor).to_be_focused()
    expect(editor).to_have_value("I bake at 230 degrees.")
    editor.fill("I bake at **250** degrees.")
    mine.get_by_role("button", name="Save").click()
    expect(mine.locator("[part=body] strong")).to_have_text("250")
    expect(mine.locator(".meta")).to_contain_text("edited")
    page.reload()
    expect(mine.locator("[part=body]")).to_have_text("I bake at 250 degrees.")
    mine.get_by_role("button", name="Edit").click()  # the edit token was kept
    # After a reload the thread has only HTML: the form fetches the Markdown as written.
    expect(mine.get_by_label("Edit")).to_have_value("I bake at **250** degrees.")


def test_delete_own_comment(blog, page):
    site, seed = blog()
    seed.comment("blog-post.html", "Stays.", name="Anna")
    open_page(page, site, count=1)
    post_anonymously(page, "Dana", "Oops, wrong thread.")
    mine = page.locator(".list > article[id^=comment-]").last
    expect(mine.get_by_role("button", name="Delete")).to_be_visible()
    expect(page.locator("[part=count]")).to_have_text("Comments (2)")
    page.once("dialog", lambda dialog: dialog.accept())
    mine.get_by_role("button", name="Delete").click()
    expect(page.get_by_text("Oops, wrong thread.")).to_have_count(0)
    expect(page.locator("[part=count]")).to_have_text("Comments (1)")
    expect(page.get_by_role("status")).to_have_text("Comment deleted.")
    page.reload()
    expect(comments(page)).to_have_count(1)


def test_deleting_a_comment_with_replies_leaves_a_placeholder(blog, page):
    site, seed = blog()
    open_page(page, site, count=0)
    post_anonymously(page, "Dana", "Parent comment.")
    mine = page.locator(".list > article[id^=comment-]")
    comment_id = int(mine.get_attribute("id").split("-")[1])
    seed.comment("blog-post.html", "A reply.", name="Anna", parent=comment_id)
    page.reload()
    page.once("dialog", lambda dialog: dialog.accept())
    mine.locator(":scope > .self").get_by_role("button", name="Delete").click()
    expect(mine.locator(":scope > .self")).to_have_text("This comment was deleted.")
    expect(mine.locator(".replies [part=body]")).to_have_text("A reply.")


def test_cancelled_delete_keeps_the_comment(blog, page):
    site, _ = blog()
    open_page(page, site, count=0)
    post_anonymously(page, "Dana", "Keep me.")
    page.once("dialog", lambda dialog: dialog.dismiss())
    page.get_by_role("button", name="Delete").click()
    expect(page.locator("[part=body]")).to_have_text("Keep me.")


def cast(page, button) -> None:
    """Press a vote button and wait for the server's answer: the widget shows the vote at once,
    and a reload before the answer would cancel the request."""
    with page.expect_response(re.compile(r"/api/comments/\d+/vote$")):
        button.click()


def test_vote_and_change_vote(blog, page):
    site, seed = blog()
    target = seed.comment("blog-post.html", "Vote on me.", name="Anna")
    open_page(page, site, count=1)
    up = article(page, target).locator("[part=vote-up]")
    down = article(page, target).locator("[part=vote-down]")
    expect(up).to_have_attribute("aria-pressed", "false")
    cast(page, up)
    expect(up).to_have_attribute("aria-pressed", "true")
    expect(up).to_have_accessible_name("Up-vote 1")
    cast(page, down)
    expect(up).to_have_attribute("aria-pressed", "false")
    expect(down).to_have_attribute("aria-pressed", "true")
    expect(up.locator("[part=score]")).to_have_text("0")
    expect(down.locator("[part=score]")).to_have_text("1")
    page.reload()  # the voter token remembers the vote
    expect(down).to_have_attribute("aria-pressed", "true")
    expect(down.locator("[part=score]")).to_have_text("1")
    cast(page, down)  # pressing it again withdraws it
    expect(down).to_have_attribute("aria-pressed", "false")
    expect(down.locator("[part=score]")).to_have_text("0")
    page.reload()
    expect(down).to_have_attribute("aria-pressed", "false")
    expect(down.locator("[part=score]")).to_have_text("0")


def test_voting_for_accounts_only_asks_anonymous_readers_to_log_in(blog, page):
    site, seed = blog(voting="accounts")
    target = seed.comment("blog-post.html", "Vote on me.", name="Anna")
    open_page(page, site, count=1)
    up = article(page, target).locator("[part=vote-up]")
    up.click()
    expect(article(page, target).locator("[part=error]")).to_have_text(re.compile("Log in|log in"))
    expect(up).to_have_attribute("aria-pressed", "false")
    expect(up.locator("[part=score]")).to_have_text("0")


def test_rate_limited_posting_says_how_long_to_wait(blog, page):
    site, _ = blog(ratelimit=True, limit_post="1/minute")
    open_page(page, site, count=0)
    post_anonymously(page, "Dana", "First.")
    expect(page.locator(".list > article[id^=comment-]")).to_have_count(1)
    form = main_form(page)
    form.get_by_label("Your comment").fill("Second, too soon.")
    form.get_by_role("button", name="Post comment").click()
    expect(form.locator("[part=error]")).to_have_text(
        re.compile(r"^Too many requests, try again in \d+ seconds?\.$"))
    expect(form.get_by_label("Your comment")).to_have_value("Second, too soon.")
    expect(comments(page)).to_have_count(1)


# --- accounts ----------------------------------------------------------------------------------

def test_register_then_comment_as_the_new_account(blog, page):
    site, _ = blog(anonymous=False)
    open_page(page, site, count=0)
    compose = page.locator(".compose")
    expect(compose).to_contain_text("Log in or create an account to comment")
    expect(compose.locator("textarea")).to_have_count(0)
    compose.get_by_role("button", name="create an account").click()
    expect(compose.get_by_label("Username")).to_be_focused()
    compose.get_by_label("Username").fill("maren")
    compose.get_by_label("Password").fill("short")
    compose.get_by_role("button", name="Create account").click()
    expect(compose.locator("[part=error]")).to_have_text(re.compile(r"\w"))
    compose.get_by_label("Password").fill("a long enough password")
    compose.get_by_role("button", name="Create account").click()
    expect(compose).to_contain_text("Signed in as maren")
    expect(compose.get_by_label("Your comment")).to_be_focused()
    expect(compose.get_by_label("Name")).to_have_count(0)
    compose.get_by_label("Your comment").fill("Written with an account.")
    compose.get_by_role("button", name="Post comment").click()
    mine = page.locator(".list > article[id^=comment-]")
    expect(mine.locator("[part=author]")).to_have_text("maren")
    expect(mine.get_by_role("button", name="Edit")).to_be_visible()
    expect(mine.locator("[part=vote-up]")).to_be_disabled()  # no votes on one's own comment
    page.reload()
    expect(compose).to_contain_text("Signed in as maren")


def log_in(page, username, password):
    """Open the log-in form in the compose area, fill it and submit; return the area."""
    compose = page.locator(".compose")
    compose.locator("[part=login]").click()
    compose.get_by_label("Username").fill(username)
    compose.get_by_label("Password").fill(password)
    compose.locator("form").get_by_role("button", name="Log in").click()
    return compose


def test_log_in_with_wrong_then_right_password(blog, page):
    site, seed = blog(anonymous=False)
    seed.account("ingrid", "bread and butter pudding")
    open_page(page, site, count=0)
    compose = log_in(page, "ingrid", "wrong password entirely")
    expect(compose.locator("[part=error]")).to_have_text("Wrong username or password.")
    compose.get_by_label("Password").fill("bread and butter pudding")
    compose.locator("form").get_by_role("button", name="Log in").click()
    expect(compose).to_contain_text("Signed in as ingrid")
    expect(page.get_by_role("status")).to_have_text("Signed in as ingrid")


def test_log_out_forgets_the_session(blog, page):
    site, seed = blog(anonymous=False)
    seed.account("ingrid", "bread and butter pudding")
    open_page(page, site, count=0)
    compose = log_in(page, "ingrid", "bread and butter pudding")
    expect(compose).to_contain_text("Signed in as ingrid")
    stored = f"JSON.parse(localStorage.getItem('kommentar:{site.server.url}/'))"
    token = page.evaluate(stored)["token"]
    assert seed.status("GET", "/api/auth/me", token) == 200
    with page.expect_response("**/api/auth/logout") as logout:
        compose.get_by_role("button", name="Sign out").click()
    assert logout.value.status == 204
    expect(compose).to_contain_text("Log in or create an account to comment")
    expect(compose.get_by_role("button", name="Log in")).to_be_focused()
    assert "token" not in page.evaluate(stored)
    assert seed.status("GET", "/api/auth/me", token) == 401  # ended on the server too
    page.reload()
    expect(compose).to_contain_text("Log in or create an account to comment")


def test_a_dropped_session_falls_back_to_signed_out(blog, page):
    site, _ = blog(anonymous=False)
    page.goto(f"{site.url}/blog-post.html")
    page.evaluate("""server => localStorage.setItem('kommentar:' + server + '/',
                                                   JSON.stringify({token: 'not-a-real-token'}))""",
                  site.server.url)
    open_page(page, site, count=0)
    expect(page.locator(".compose")).to_contain_text("Log in or create an account to comment")


def test_anonymous_mode_asks_for_a_name_and_remembers_it(blog, page):
    site, _ = blog(anonymous=True)
    open_page(page, site, count=0)
    form = main_form(page)
    expect(form.get_by_label("Name")).to_be_visible()
    expect(page.locator(".compose")).to_contain_text("Have an account?")
    post_anonymously(page, "Dana", "Hello without an account.")
    expect(page.locator(".list > article[id^=comment-] [part=author]")).to_have_text("Dana")
    expect(form.get_by_label("Name")).to_have_value("Dana")
    page.reload()
    expect(form.get_by_label("Name")).to_have_value("Dana")


# --- languages, themes, security, accessibility ------------------------------------------------

def test_danish_article_speaks_danish_and_requires_an_account(blog, context, page):
    site, seed = blog(anonymous=False)
    token = seed.account("sofie")
    seed.comment("news-da.html", "Hvem holder øje med dem, der kigger?", token=token)
    open_page(page, site, "news-da.html", count=1)
    expect(page.locator("[part=count]")).to_have_text("Kommentarer (1)")
    expect(page.get_by_role("status")).to_have_text("1 kommentar")
    expect(page.locator("[part=sort] button")).to_have_text(
        ["Ældste først", "Nyeste først", "Bedste først"])
    expect(page.locator(".compose")).to_contain_text("Log ind eller Opret konto for at kommentere")
    expect(page.locator("[part=reply]")).to_have_text("Svar")
    expect(page.locator("[part=vote-up]")).to_have_accessible_name("Stem op 0")


def test_danish_plurals_on_count_badges(blog, page):
    site, seed = blog()
    seed.comment("blog-post.html", "En", name="A")
    seed.comment("blog-post.html", "To", name="B")
    seed.comment("dark.html", "Tre", name="C")
    with_attributes(page, "html", lang="da")
    page.goto(f"{site.url}/listing.html")
    expect(page.locator("[data-kommentar-count]")).to_have_text(
        ["2 kommentarer", "1 kommentar", "0 kommentarer"])


def test_dark_theme(blog, page):
    site, seed = blog()
    seed.comment("dark.html", "Night owls unite.", name="Jonas")
    open_page(page, site, "dark.html", count=1)
    thread = page.locator("[part=thread]")
    expect(thread).to_have_attribute("data-theme", "dark")
    expect(thread).to_have_css("background-color", "rgb(22, 25, 29)")
    expect(page.locator("[part=body]")).to_have_css("color", "rgb(232, 234, 237)")


def test_auto_theme_follows_the_readers_colour_scheme(blog, page):
    site, _ = blog()
    page.emulate_media(color_scheme="dark")
    open_page(page, site, count=0)
    expect(page.locator("[part=thread]")).to_have_css("background-color", "rgb(22, 25, 29)")
    page.emulate_media(color_scheme="light")
    expect(page.locator("[part=thread]")).to_have_css("background-color", "rgb(255, 255, 255)")


def test_keyboard_only_posting(blog, page):
    site, seed = blog()
    seed.comment("blog-post.html", "Say hello.", name="Anna")
    open_page(page, site, count=1)
    focused_part = ("document.querySelector('[data-kommentar]')"
                    ".shadowRoot.activeElement?.getAttribute('part')")
    for _ in range(40):
        page.keyboard.press("Tab")
        if page.evaluate(focused_part) == "name":
            break
    assert page.evaluate(focused_part) == "name"
    page.keyboard.type("Keys Only")
    page.keyboard.press("Tab")
    assert page.evaluate(focused_part) == "textarea"
    page.keyboard.type("Posted without a mouse.")
    page.keyboard.press("Tab")
    assert page.evaluate(focused_part) == "submit"
    outline = page.evaluate("""() => getComputedStyle(
        document.querySelector('[data-kommentar]').shadowRoot.activeElement).outlineStyle""")
    assert outline != "none"  # the focus is visible
    page.keyboard.press("Enter")
    expect(page.get_by_text("Posted without a mouse.")).to_be_visible()
    expect(page.locator("[part=count]")).to_have_text("Comments (2)")


def test_strict_csp_page_works(blog, page):
    site, seed = blog()
    seed.comment("strict-csp.html", "Still here under a strict policy.", name="Anna")
    open_page(page, site, "strict-csp.html", count=1)
    root = "document.querySelector('[data-kommentar]').shadowRoot"
    assert page.evaluate(f"{root}.adoptedStyleSheets.length") >= 1  # chunks adopt their own
    assert page.evaluate(f"{root}.querySelectorAll('style, [style]').length") == 0
    expect(page.locator("[part=thread]")).to_have_css("line-height", re.compile(r"px"))
    post_anonymously(page, "Dana", "Posting works too.")
    expect(page.get_by_text("Posting works too.")).to_be_visible()
    # the page fixture fails the test on any Content-Security-Policy violation


def test_no_cookies_and_no_third_party_requests(blog, context, page):
    site, seed = blog()
    seed_discussion(seed)
    hosts = set()
    page.on("request", lambda request: hosts.add(re.match(r"https?://[^/]+", request.url)[0]))
    open_page(page, site)
    post_anonymously(page, "Dana", "Anything.")
    expect(page.get_by_text("Anything.")).to_be_visible()
    assert hosts <= {site.url, site.server.url}, hosts
    assert context.cookies() == []


@pytest.mark.parametrize("example", ["blog-post.html", "dark.html", "news-da.html"])
def test_no_serious_accessibility_violations(blog, page, example):
    accounts = example == "news-da.html"
    site, seed = blog(anonymous=not accounts)
    seed_discussion(seed, example, accounts)
    open_page(page, site, example)
    page.locator("[part=reply]").first.click()  # an open reply form is scanned too
    result = axe_violations(page)
    serious = [v for v in result if v["impact"] in ("serious", "critical")]
    assert serious == [], serious


# --- how it looks --------------------------------------------------------------------------------

@pytest.mark.parametrize(("example", "width"), [
    ("blog-post.html", 1000), ("dark.html", 1000), ("news-da.html", 1000), ("blog-post.html", 390),
])
def test_screenshots_of_the_example_pages(blog, page, screenshots, example, width):
    accounts = example == "news-da.html"
    site, seed = blog(anonymous=not accounts)
    seed_discussion(seed, example, accounts)
    page.set_viewport_size({"width": width, "height": 900})
    open_page(page, site, example, count=5)
    expect(page.locator("article[id^=comment-]")).to_have_count(5)
    name = example.removesuffix(".html") + ("-phone" if width < 600 else "")
    page.screenshot(path=str(screenshots / f"{name}.png"), full_page=True)


def test_a_held_comment_shows_to_its_author_as_awaiting_moderation(blog, page):
    site, seed = blog(moderation="all")
    heading = open_page(page, site, count=0)
    post_anonymously(page, "Dana", "Will a moderator let this through?")
    mine = page.locator(".list > article[id^=comment-]").last
    expect(mine).to_contain_text("Awaiting moderation")
    expect(page.get_by_role("status")).to_have_text("Awaiting moderation")
    expect(heading).to_have_text("Comments (0)")  # not counted until approved
    stored = seed.call("GET", f"/api/threads?url={seed.url('blog-post.html')}")
    assert stored["comments"] == []  # and nobody else sees it


def test_the_honeypot_is_out_of_a_readers_way(blog, page):
    site, _ = blog()
    open_page(page, site)
    trap = main_form(page).locator("input[name=website]")
    expect(trap).to_have_attribute("tabindex", "-1")
    expect(trap).to_have_attribute("aria-hidden", "true")
    # Clipped away: nothing of it can be seen or clicked where it sits.
    hidden = trap.evaluate("""trap => {
        const box = trap.getBoundingClientRect();
        const [x, y] = [box.x + box.width / 2, box.y + box.height / 2];
        return trap.getRootNode().elementFromPoint(x, y) !== trap;
    }""")
    assert hidden


def test_an_accounts_held_comments_stay_visible_to_it_after_a_reload(blog, context, page):
    site, seed = blog(anonymous=False, moderation="all")
    seed.account("ingrid", "bread and butter pudding")
    open_page(page, site, count=0)
    compose = log_in(page, "ingrid", "bread and butter pudding")
    expect(compose).to_contain_text("Signed in as ingrid")
    compose.get_by_label("Your comment").fill("Held until a moderator reads it.")
    compose.get_by_role("button", name="Post comment").click()
    held = page.locator(".list > article[id^=comment-]")
    expect(held).to_contain_text("Awaiting moderation")
    page.reload()
    expect(held).to_contain_text("Held until a moderator reads it.")
    expect(held).to_contain_text("Awaiting moderation")
    expect(page.locator("[part=count]")).to_have_text("Comments (0)")
    stranger = context.browser.new_context().new_page()  # another reader, no session
    open_page(stranger, site, count=0)
    expect(stranger.locator(".list > article")).to_have_count(0)
    stranger.context.close()
