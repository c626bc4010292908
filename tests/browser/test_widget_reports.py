"""Reader reports and Markdown preview in the widget, in Chromium: the Report button and its
dialog (reasons, the note "other" needs, withdrawing, a comment the reports hold leaving the
thread), and the Preview toggle of the comment, reply and edit forms, shown exactly as the
server renders and sanitises the text; keyboard-only, in English and Danish, axe-core clean."""

from __future__ import annotations

import re

import pytest
from support import axe_violations

from .test_widget import article, main_form, open_page, post_anonymously

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture skips (or fails in CI) with the reason
    expect = None

ROOT = "document.querySelector('[data-kommentar]').shadowRoot"


def focused(page) -> dict | None:
    """The element with the focus inside the widget: its tag, part, text and whether it is
    inside the open dialog."""
    return page.evaluate(f"""() => {{
        const element = {ROOT}.activeElement;
        return element && {{tag: element.tagName.toLowerCase(), part: element.getAttribute('part'),
            text: element.textContent.trim(), name: element.getAttribute('name'),
            value: element.value, inDialog: !!element.closest('dialog')}};
    }}""")


def tab_to(page, part: str, presses: int = 30) -> None:
    """Press Tab until the widget's element of ``part`` has the focus, as a keyboard user."""
    for _ in range(presses):
        page.keyboard.press("Tab")
        if (focused(page) or {}).get("part") == part:
            return
    pytest.fail(f"Tab never reached [part={part}]")


def report(page, comment: dict, reason: str, note: str | None = None) -> None:
    """Report ``comment`` through its dialog as a reader does: open it, choose the reason
    (its label), write the note if any, send."""
    report_button(page, comment).click()
    dialog(page).get_by_label(reason).check()
    if note is not None:
        dialog(page).get_by_label("Note for the moderators").fill(note)
    dialog(page).get_by_role("button", name="Send report").click()


def report_button(page, comment: dict):
    return article(page, comment).locator(":scope > .self [part=report]")


def dialog(page):
    return page.get_by_role("dialog")


def mine(seed, page, site) -> dict:
    """What the server says is this browser's own on the thread (with its voter or session
    token), as the widget asks for it."""
    stored = page.evaluate(f"JSON.parse(localStorage.getItem('kommentar:{site.server.url}/'))")
    token = stored.get("token") or stored.get("voter")
    return seed.call("GET", f"/api/mine?url={seed.url('blog-post.html')}", token=token)


def sign_in_as(page, site, token: str) -> None:
    """Open the page already signed in with a session token, as after an earlier visit."""
    page.goto(f"{site.url}/blog-post.html")
    page.evaluate("""([server, token]) => localStorage.setItem('kommentar:' + server + '/',
                                                            JSON.stringify({token}))""",
                  [site.server.url, token])


# --- reporting -----------------------------------------------------------------------------------

def test_a_reader_reports_a_comment_for_a_reason_and_the_button_says_so(blog, page):
    site, seed = blog()
    spam = seed.comment("blog-post.html", "Cheap watches at watches.example!", name="Bot")
    open_page(page, site, count=1)
    button = report_button(page, spam)
    expect(button).to_have_text("Report")
    expect(button).to_have_attribute("aria-pressed", "false")
    button.click()
    expect(dialog(page)).to_be_visible()
    expect(dialog(page).get_by_role("heading")).to_have_text("Report this comment")
    reasons = dialog(page).get_by_role("radio")
    expect(reasons).to_have_count(4)
    for label in ("Spam or advertising", "Abusive, hateful or harassing", "Off topic",
                  "Something else"):
        expect(dialog(page).get_by_label(label)).to_be_visible()
    expect(dialog(page).get_by_label("Note for the moderators")).to_have_attribute(
        "maxlength", "300")
    dialog(page).get_by_role("button", name="Send report").click()
    expect(dialog(page).locator("[part=error]")).to_have_text(
        "Choose what is wrong with the comment.")
    dialog(page).get_by_label("Spam or advertising").check()
    with page.expect_response("**/report") as answer:
        dialog(page).get_by_role("button", name="Send report").click()
    assert answer.value.status == 201
    assert answer.value.request.post_data_json == {"reason": "spam"}
    expect(dialog(page)).to_have_count(0)
    expect(button).to_have_text("Reported")
    expect(button).to_have_attribute("aria-pressed", "true")
    expect(button).to_be_focused()
    expect(page.get_by_role("status")).to_have_text(
        "Thank you. The moderators will look at the comment.")
    assert mine(seed, page, site)["reports"] == [spam["id"]]  # with the voter token it kept
    open_page(page, site, count=1)  # the next visit knows
    expect(report_button(page, spam)).to_have_text("Reported")


def test_the_reason_other_needs_a_short_note(blog, page):
    site, seed = blog()
    odd = seed.comment("blog-post.html", "A comment copied from elsewhere.", name="Eve")
    open_page(page, site, count=1)
    report_button(page, odd).click()
    dialog(page).get_by_label("Something else").check()
    note = dialog(page).get_by_label("Note for the moderators")
    note.fill("   ")
    dialog(page).get_by_role("button", name="Send report").click()
    expect(dialog(page).locator("[part=error]")).to_have_text("Say in a few words what is wrong.")
    expect(note).to_be_focused()
    note.fill("Word for word from the bakery's own blog.")
    with page.expect_response("**/report") as answer:
        dialog(page).get_by_role("button", name="Send report").click()
    assert answer.value.request.post_data_json == {
        "reason": "other", "note": "Word for word from the bakery's own blog."}
    expect(report_button(page, odd)).to_have_text("Reported")


def test_reporting_with_the_keyboard_alone(blog, page):
    site, seed = blog()
    rude = seed.comment("blog-post.html", "You are all idiots.", name="Troll")
    open_page(page, site, count=1)
    tab_to(page, "report")
    # Escape closes the dialog and the focus is back on the Report button.
    page.keyboard.press("Enter")
    expect(dialog(page)).to_be_visible()
    assert focused(page)["inDialog"]
    page.keyboard.press("Escape")
    expect(dialog(page)).to_have_count(0)
    assert focused(page)["part"] == "report"
    # The focus stays in the dialog, whatever Tab does.
    page.keyboard.press("Enter")
    expect(dialog(page)).to_be_visible()
    for _ in range(12):
        page.keyboard.press("Tab")
        now = focused(page)
        assert now is None or now["inDialog"], now
    # Arrow keys choose a reason; Tab on to the note and the Send button.
    dialog(page).get_by_label("Spam or advertising").focus()
    page.keyboard.press("ArrowDown")
    expect(dialog(page).get_by_label("Abusive, hateful or harassing")).to_be_checked()
    page.keyboard.press("Tab")
    assert focused(page)["name"] == "note"
    page.keyboard.type("Insults every reader.")
    page.keyboard.press("Tab")
    assert focused(page)["text"] == "Send report"
    page.keyboard.press("Enter")
    expect(dialog(page)).to_have_count(0)
    expect(report_button(page, rude)).to_have_text("Reported")
    expect(report_button(page, rude)).to_be_focused()


def test_a_reader_withdraws_their_report(blog, page):
    site, seed = blog()
    comment = seed.comment("blog-post.html", "Strong words, but fair ones.", name="Bo")
    open_page(page, site, count=1)
    report(page, comment, "Off topic")
    expect(report_button(page, comment)).to_have_text("Reported")
    report_button(page, comment).click()
    expect(dialog(page).get_by_role("heading")).to_have_text("You reported this comment")
    expect(dialog(page).get_by_role("radio")).to_have_count(0)
    dialog(page).get_by_role("button", name="Cancel").click()  # changed their mind again
    expect(report_button(page, comment)).to_have_text("Reported")
    report_button(page, comment).click()
    with page.expect_response(lambda response: response.request.method == "DELETE") as answer:
        dialog(page).get_by_role("button", name="Withdraw report").click()
    assert answer.value.status == 204
    expect(report_button(page, comment)).to_have_text("Report")
    expect(report_button(page, comment)).to_have_attribute("aria-pressed", "false")
    expect(report_button(page, comment)).to_be_focused()
    expect(page.get_by_role("status")).to_have_text("Your report is withdrawn.")
    assert mine(seed, page, site)["reports"] == []


def test_a_comment_the_reports_hold_leaves_the_thread_at_once(blog, page):
    site, seed = blog(report_threshold=1)
    kept = seed.comment("blog-post.html", "A fine loaf.", name="Anna")
    alone = seed.comment("blog-post.html", "Buy followers here.", name="Bot")
    answered = seed.comment("blog-post.html", "Flour is a scam.", name="Crank")
    seed.comment("blog-post.html", "It is not.", name="Anna", parent=answered["id"])
    heading = open_page(page, site, count=4)
    report(page, alone, "Spam or advertising")
    expect(article(page, alone)).to_have_count(0)
    expect(heading).to_have_text("Comments (3)")
    expect(page.get_by_role("status")).to_have_text(
        "Thank you. The comment is hidden until a moderator has looked at it.")
    expect(heading).to_be_focused()  # where the comment was is gone; the count is next
    # One with a reply leaves a placeholder that keeps the reply's place, as the server does.
    report(page, answered, "Something else", "Spreads nonsense on purpose.")
    expect(article(page, answered).locator(":scope > .self")).to_have_text(
        "This comment was deleted.")
    expect(article(page, answered).locator(".replies [part=body]")).to_have_text("It is not.")
    expect(heading).to_have_text("Comments (2)")
    expect(article(page, answered)).to_be_focused()
    page.reload()  # and the server agrees
    expect(heading).to_have_text("Comments (2)")
    expect(article(page, alone)).to_have_count(0)
    expect(report_button(page, kept)).to_have_text("Report")


def test_a_failed_report_is_told_under_its_comment(blog, page):
    site, seed = blog()
    gone = seed.comment("blog-post.html", "Soon deleted by its author.", name="Ann")
    open_page(page, site, count=1)
    seed.call("DELETE", f"/api/comments/{gone['id']}", token=gone["edit_token"])
    report(page, gone, "Spam or advertising")
    expect(article(page, gone).locator(":scope > .self > [part=error]")).to_have_text(
        "That comment is gone.")
    expect(report_button(page, gone)).to_have_text("Report")


def test_too_many_reports_are_told_with_the_wait(blog, page):
    site, seed = blog(ratelimit=True, limit_report="1/hour")
    first = seed.comment("blog-post.html", "Spam one.", name="Bot")
    second = seed.comment("blog-post.html", "Spam two.", name="Bot")
    open_page(page, site, count=2)
    for comment in (first, second):
        report(page, comment, "Spam or advertising")
    expect(report_button(page, first)).to_have_text("Reported")
    expect(article(page, second).locator(":scope > .self > [part=error]")).to_have_text(
        re.compile(r"^Too many requests, try again in \d+ seconds\.$"))
    expect(report_button(page, second)).to_have_text("Report")


def test_ones_own_comments_offer_no_report(blog, page):
    site, seed = blog()
    token = seed.account("mette")
    signed = seed.comment("blog-post.html", "Written with my account.", token=token)
    other = seed.comment("blog-post.html", "Someone else's.", name="Bo")
    sign_in_as(page, site, token)
    open_page(page, site, count=2)
    expect(report_button(page, other)).to_be_visible()
    expect(report_button(page, signed)).to_have_count(0)
    page.get_by_role("button", name="Sign out").click()
    expect(report_button(page, signed)).to_be_visible()  # signed out, it is another's
    post_anonymously(page, "Dana", "Mine, with an edit token.")
    own = page.locator(".list > article[id^=comment-]").last
    expect(own.get_by_role("button", name="Edit")).to_be_visible()
    expect(own.locator("[part=report]")).to_have_count(0)


def test_the_report_dialog_is_not_offered_reply_mail(own_blog, mail_server, page):
    site, seed = own_blog(**mail_server.settings())
    comment = seed.comment("blog-post.html", "Replies to this one are mailed.", name="Ann")
    open_page(page, site, count=1)
    main_form(page).get_by_label("Your comment").focus()
    expect(main_form(page).get_by_label("E-mail me when someone replies")).to_be_visible()
    report_button(page, comment).click()
    dialog(page).get_by_label("Note for the moderators").focus()
    dialog(page).get_by_label("Spam or advertising").focus()
    expect(dialog(page).locator("[name=notify]")).to_have_count(0)


def test_no_report_button_where_reports_are_off(blog, page):
    site, seed = blog(report_threshold=0)
    seed.comment("blog-post.html", "Nothing to report here.", name="Anna")
    open_page(page, site, count=1)
    expect(page.locator("[part=reply]")).to_be_visible()
    expect(page.locator("[part=report]")).to_have_count(0)


def test_a_danish_reader_reports_in_danish(blog, page):
    site, seed = blog()
    spam = seed.comment("news-da.html", "Billige ure på ure.example!", name="Bot")
    open_page(page, site, "news-da.html", count=1)
    button = article(page, spam).locator(":scope > .self [part=report]")
    expect(button).to_have_text("Anmeld")
    button.click()
    expect(dialog(page).get_by_role("heading")).to_have_text("Anmeld denne kommentar")
    expect(dialog(page).get_by_role("group")).to_contain_text("Hvad er der galt med den?")
    dialog(page).get_by_role("button", name="Send anmeldelse").click()
    expect(dialog(page).locator("[part=error]")).to_have_text(
        "Vælg, hvad der er galt med kommentaren.")
    dialog(page).get_by_label("Noget andet").check()
    dialog(page).get_by_role("button", name="Send anmeldelse").click()
    expect(dialog(page).locator("[part=error]")).to_have_text("Skriv med få ord, hvad der er galt.")
    dialog(page).get_by_label("Spam eller reklame").check()
    dialog(page).get_by_role("button", name="Send anmeldelse").click()
    expect(button).to_have_text("Anmeldt")
    expect(page.get_by_role("status")).to_have_text("Tak. Moderatorerne ser på kommentaren.")
    button.click()
    expect(dialog(page).get_by_role("heading")).to_have_text("Du har anmeldt denne kommentar")
    dialog(page).get_by_role("button", name="Træk anmeldelsen tilbage").click()
    expect(button).to_have_text("Anmeld")
    expect(page.get_by_role("status")).to_have_text("Din anmeldelse er trukket tilbage.")


# --- preview -------------------------------------------------------------------------------------

MARKDOWN = ("Try **this** and *that*:\n\n> a quote\n\n"
            "- one\n- two\n\n[the recipe](https://bread.example/rye) and `code`")


def test_the_preview_shows_the_text_as_the_server_publishes_it(blog, page):
    site, seed = blog()
    open_page(page, site, count=0)
    form = main_form(page)
    form.get_by_label("Name").fill("Dana")
    form.get_by_label("Your comment").fill(MARKDOWN)
    toggle = form.locator("[part=preview]")
    expect(toggle).to_have_text("Preview")
    expect(toggle).to_have_attribute("aria-pressed", "false")
    toggle.click()
    shown = form.get_by_role("region", name="Preview of your comment")
    expect(shown).to_be_visible()
    expect(toggle).to_have_attribute("aria-pressed", "true")
    expect(form.get_by_role("textbox", name="Your comment")).to_be_hidden()
    expect(shown.locator("strong")).to_have_text("this")
    expect(shown.locator("blockquote")).to_have_text("a quote")
    expect(shown.locator("li")).to_have_text(["one", "two"])
    expect(shown.get_by_role("link", name="the recipe")).to_have_attribute(
        "href", "https://bread.example/rye")
    previewed = shown.evaluate("element => element.innerHTML")
    form.get_by_role("button", name="Post comment").click()  # posted from the preview
    posted = page.locator(".list > article[id^=comment-] > .self > [part=body]")
    expect(posted).to_contain_text("a quote")
    assert posted.evaluate("element => element.innerHTML") == previewed
    expect(shown).to_have_count(0)  # the form is back to writing, empty
    expect(form.get_by_label("Your comment")).to_have_value("")
    expect(toggle).to_have_attribute("aria-pressed", "false")


def test_no_script_or_html_gets_through_the_preview(blog, page):
    site, _ = blog()
    open_page(page, site, count=0)
    form = main_form(page)
    form.get_by_label("Your comment").fill(
        "<script>window.pwned = 1</script><img src=x onerror=\"window.pwned = 2\">"
        "<b onclick=\"window.pwned = 3\">bold?</b> [click](javascript:window.pwned=4)")
    form.locator("[part=preview]").click()
    shown = form.get_by_role("region", name="Preview of your comment")
    expect(shown).to_be_visible()
    assert shown.locator("script, img, [onerror], [onclick], b").count() == 0
    assert shown.locator("a[href^=javascript]").count() == 0
    shown.get_by_text("click").click()
    assert page.evaluate("window.pwned") is None


def test_back_to_writing_keeps_the_text_and_the_caret(blog, page):
    site, _ = blog()
    open_page(page, site, count=0)
    text = main_form(page).get_by_label("Your comment")
    text.fill("Rye needs more water.")
    text.focus()
    page.keyboard.press("End")
    for _ in range(len(" water.")):
        page.keyboard.press("ArrowLeft")
    toggle = main_form(page).locator("[part=preview]")
    toggle.click()
    expect(main_form(page).get_by_role("region")).to_contain_text("Rye needs more water.")
    toggle.click()
    expect(main_form(page).get_by_role("region")).to_have_count(0)
    expect(text).to_be_visible()
    expect(text).to_be_focused()
    page.keyboard.type(" hot")
    expect(text).to_have_value("Rye needs more hot water.")


def test_a_quote_ends_the_preview_and_joins_the_text(blog, page):
    site, seed = blog()
    quoted = seed.comment("blog-post.html", "Rye likes it warm.", name="Pia")
    open_page(page, site, count=1)
    form = main_form(page)
    form.get_by_label("Your comment").fill("Agreed.")
    form.locator("[part=preview]").click()
    expect(form.get_by_role("region")).to_be_visible()
    article(page, quoted).get_by_role("button", name="Quote").click()
    expect(form.get_by_role("region")).to_have_count(0)
    expect(form.get_by_role("textbox", name="Your comment")).to_have_value(
        "Agreed.\n\n> Rye likes it warm.\n\n")


def test_previewing_with_the_keyboard_alone(blog, page):
    site, _ = blog()
    open_page(page, site, count=0)
    text = main_form(page).get_by_label("Your comment")
    text.fill("Only **keys**.")
    text.focus()
    tab_to(page, "preview", presses=5)
    page.keyboard.press("Enter")
    expect(main_form(page).get_by_role("region").locator("strong")).to_have_text("keys")
    assert focused(page)["part"] == "preview"  # the toggle keeps the focus: press it again
    page.keyboard.press("Space")
    expect(text).to_be_focused()
    expect(text).to_have_value("Only **keys**.")


def test_an_empty_text_has_nothing_to_preview(blog, page):
    site, _ = blog()
    open_page(page, site, count=0)
    main_form(page).locator("[part=preview]").click()
    expect(main_form(page).locator("[part=error]")).to_have_text("Write something first.")
    expect(main_form(page).get_by_role("region")).to_have_count(0)


def test_reply_and_edit_forms_preview_too_in_danish(blog, page):
    site, seed = blog()
    seed.comment("news-da.html", "Hvad med **rugbrød**?", name="Bente")
    open_page(page, site, "news-da.html", count=1)
    page.get_by_role("button", name="Svar").click()
    reply = page.locator("article form")
    reply.get_by_label("Navn").fill("Ole")
    reply.get_by_label("Svar til Bente").fill("Med *surdej*, tak.")
    reply.get_by_role("button", name="Forhåndsvis").click()
    shown = reply.get_by_role("region", name="Forhåndsvisning af din kommentar")
    expect(shown.locator("em")).to_have_text("surdej")
    reply.get_by_role("button", name="Send svar").click()
    expect(page.locator(".replies [part=body] em")).to_have_text("surdej")
    reply_article = page.locator(".replies > article")
    reply_article.get_by_role("button", name="Ret").click()
    edit = reply_article.locator("form")
    expect(edit.get_by_label("Ret")).to_have_value("Med *surdej*, tak.")
    edit.get_by_label("Ret").fill("Med *surdej* og ~~gær~~, tak.")
    edit.get_by_role("button", name="Forhåndsvis").click()
    expect(edit.get_by_role("region").locator("em")).to_have_text("surdej")
    edit.get_by_role("button", name="Forhåndsvis").click()
    expect(edit.get_by_label("Ret")).to_have_value("Med *surdej* og ~~gær~~, tak.")


# --- accessibility and looks ---------------------------------------------------------------------

def serious(page) -> list[dict]:
    return [v for v in axe_violations(page) if v["impact"] in ("serious", "critical")]


# The light theme on the light example page, the dark one on the dark page.
EXAMPLES = {"light": "blog-post.html", "dark": "dark.html"}


def around(page, locator, margin: int = 24) -> dict:
    """The page's area of `locator` with a margin: a screenshot with some of the page."""
    box = locator.bounding_box()
    return {"x": max(box["x"] - margin, 0), "y": max(box["y"] - margin, 0),
            "width": box["width"] + 2 * margin, "height": box["height"] + 2 * margin}


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_report_dialog_is_accessible_and_readable(blog, page, screenshots, scheme):
    site, seed = blog()
    example = EXAMPLES[scheme]
    seed.comment(example, "We switched to a stiff starter last spring and the crumb "
                 "got so much more even.", name="Ingrid Sørensen")
    spam = seed.comment(example, "Best prices on kitchen scales, follow the link "
                        "https://scales.example/deal for 70% off today only!!!", name="DealsBot")
    page.emulate_media(color_scheme=scheme)
    open_page(page, site, example, count=2)
    report(page, spam, "Something else")  # the error shows too
    expect(dialog(page).locator("[part=error]")).to_be_visible()
    dialog(page).get_by_label("Spam or advertising").check()
    assert serious(page) == []
    page.screenshot(path=str(screenshots / f"report-dialog-{scheme}.png"))


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_preview_is_accessible_and_readable(blog, page, screenshots, scheme):
    site, seed = blog()
    example = EXAMPLES[scheme]
    seed.comment(example, "How long do you proof the rye?", name="Pia Lind")
    page.emulate_media(color_scheme=scheme)
    open_page(page, site, example, count=1)
    form = main_form(page)
    form.get_by_label("Name").fill("Tom Hald")
    form.get_by_label("Your comment").fill(
        "> How long do you proof the rye?\n\nOvernight in the **fridge**, then two hours at "
        "room temperature. The method is on [our baking page](https://bread.example/rye).\n\n"
        "- 70% hydration\n- 20% starter")
    form.locator("[part=preview]").click()
    expect(form.get_by_role("region")).to_be_visible()
    assert serious(page) == []
    compose = page.locator(".compose")
    compose.scroll_into_view_if_needed()
    page.screenshot(path=str(screenshots / f"preview-{scheme}.png"), clip=around(page, compose))
