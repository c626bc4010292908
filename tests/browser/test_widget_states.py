"""The widget's states a reader meets: every button readable in every state and theme (WCAG
AA contrast, read from the computed colours), and what a reader typed kept across signing
in, signing out and a new sort order."""

from __future__ import annotations

import re

import pytest

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture skips (or fails in CI) with the reason
    expect = None

AA_NORMAL_TEXT = 4.5

# The contrast of every piece of text in a button against what is really behind it: the
# nearest background that is not transparent, walking up through the shadow root to the page,
# with semi-transparent layers composited as the browser paints them.
MEASURE = """button => {
    const parse = (css) => {
        const [r, g, b, a = 1] = css.match(/[\\d.]+/g).map(Number);
        return [r, g, b, a];
    };
    const over = (top, below) =>
        [0, 1, 2].map(i => top[i] * top[3] + below[i] * (1 - top[3])).concat(1);
    const backgroundOf = (element) => {
        const layers = [];
        for (let node = element; node; node = node.parentElement || node.getRootNode().host) {
            const colour = parse(getComputedStyle(node).backgroundColor);
            if (colour[3] > 0) layers.push(colour);
            if (colour[3] >= 1) break;
        }
        return layers.reverse().reduce((below, layer) => over(layer, below), [255, 255, 255, 1]);
    };
    const luminance = ([r, g, b]) => {
        const channel = (v) => (v /= 255) <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
        return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b);
    };
    const texts = [button, ...button.querySelectorAll('*')].filter(element =>
        !element.closest('.vh') &&
        [...element.childNodes].some(node => node.nodeType == 3 && node.textContent.trim()));
    return texts.map(element => {
        const background = backgroundOf(element);
        const colour = over(parse(getComputedStyle(element).color), background);
        const [light, dark] = [luminance(colour), luminance(background)].sort((a, b) => b - a);
        const rgb = (values) => values.slice(0, 3).map(Math.round);
        return {text: element.textContent.trim(), ratio: (light + 0.05) / (dark + 0.05),
                colour: rgb(colour), background: rgb(background)};
    });
}"""


def open_thread(page, site, name: str = "blog-post.html", count: int | None = None):
    page.goto(f"{site.url}/{name}")
    heading = page.locator("[part=count]")
    number = r"\d+" if count is None else str(count)
    expect(heading).to_have_text(re.compile(rf"\({number}\)"))
    return heading


def rest(page):
    """No hover, no focus, no button held down."""
    page.mouse.move(0, 0)
    page.evaluate("document.activeElement && document.activeElement.blur()")


# A button as the report names it, and whether WCAG asks anything of it (not of disabled ones).
DESCRIBE = """button => ({name: (button.getAttribute('part') || button.innerText).trim(),
    pressed: button.getAttribute('aria-pressed') == 'true', disabled: button.disabled})"""

# Normal and focused, read in one call (neither needs the pointer), and where the pointer
# goes for the rest: the button's middle, once it is scrolled into view.
AT_REST_AND_FOCUSED = f"""button => {{
    const measure = {MEASURE};
    button.scrollIntoView({{block: 'center'}});
    const normal = measure(button);
    button.focus();
    const focus = measure(button);
    button.blur();
    const box = button.getBoundingClientRect();
    return {{normal, focus, middle: [box.x + box.width / 2, box.y + box.height / 2]}};
}}"""


def readings(page, button) -> dict[str, list[dict]]:
    """The button's text contrasts in each state: normal, focus, hover, and active (held
    down, then let go elsewhere, so nothing is clicked). The pointer starts and ends away."""
    measured = button.evaluate(AT_REST_AND_FOCUSED)
    page.mouse.move(*measured.pop("middle"))
    measured["hover"] = button.evaluate(MEASURE)
    page.mouse.down()
    measured["active"] = button.evaluate(MEASURE)
    page.mouse.move(0, 0)
    page.mouse.up()
    return measured


def unreadable(page) -> list[str]:
    """Every button text in the widget below AA contrast, in each state, described."""
    rest(page)
    problems = []
    buttons = page.locator("[data-kommentar] button:visible")
    for index in range(buttons.count()):
        button = buttons.nth(index)
        about = button.evaluate(DESCRIBE)
        if about["disabled"]:
            continue  # WCAG exempts inactive controls
        for state, texts in readings(page, button).items():
            problems += [f"{about['name']}{' (pressed)' if about['pressed'] else ''} {state}: "
                         f"{text['text']!r} {text['colour']} on {text['background']} "
                         f"= {text['ratio']:.2f}" for text in texts
                         if text["ratio"] < AA_NORMAL_TEXT]
    return problems


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_every_button_is_readable_in_every_state(blog, page, screenshots, scheme):
    site, seed = blog(anonymous=True)
    seed.comment("blog-post.html", "One for a second page.", name="Anna")
    seed.comment("blog-post.html", "Another one.", name="Bo")
    other = seed.comment("blog-post.html", "A comment to vote on and reply to.", name="Cai")
    page.emulate_media(color_scheme=scheme)
    page.add_init_script("""new MutationObserver(() => {
        for (const host of document.querySelectorAll('[data-kommentar]')) {
            host.dataset.pageSize = '2';
        }
    }).observe(document, {childList: true, subtree: true});""")
    open_thread(page, site, count=3)
    # Every kind of button at once: own comment (edit, delete), a pressed vote, the pressed
    # sort order, an open reply form (submit, cancel), log-in links and "show more".
    main = page.locator(".compose form")
    main.get_by_label("Name").fill("Dana")
    main.get_by_label("Your comment").fill("Mine, to edit.")
    main.get_by_role("button", name="Post comment").click()
    expect(page.get_by_role("button", name="Edit")).to_be_visible()
    page.get_by_role("button", name="Newest first").click()
    expect(page.get_by_role("button", name="Newest first")).to_have_attribute(
        "aria-pressed", "true")
    page.locator(f"#comment-{other['id']} [part=vote-up]").click()
    expect(page.locator(f"#comment-{other['id']} [part=vote-up]")).to_have_attribute(
        "aria-pressed", "true")
    page.locator(f"#comment-{other['id']} [part=reply]").click()
    expect(page.get_by_role("button", name="Post reply")).to_be_visible()
    expect(page.get_by_role("button", name="Show more comments")).to_be_visible()
    for part in ("vote-up", "vote-down", "reply", "quote", "edit", "delete", "submit", "login",
                 "register", "load-more"):
        assert page.locator(f"[data-kommentar] button[part={part}]:visible").count(), part
    problems = unreadable(page)
    page.get_by_role("button", name="Newest first").hover()
    page.screenshot(path=str(screenshots / f"states-{scheme}.png"), full_page=True)
    assert problems == [], "\n".join(problems)


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_chosen_sort_order_stays_readable_under_the_pointer(blog, page, screenshots, scheme):
    """The reported case: "Bedste først" on the Danish example, hovered after clicking it."""
    site, seed = blog(anonymous=False)
    seed.comment("news-da.html", "Hvem holder øje med dem, der kigger?",
                 token=seed.account("sofie"))
    page.emulate_media(color_scheme=scheme)
    open_thread(page, site, "news-da.html", count=1)
    best = page.get_by_role("button", name="Bedste først")
    best.click()
    expect(best).to_have_attribute("aria-pressed", "true")
    best.hover()
    [label] = best.evaluate(MEASURE)
    page.locator("[part=header]").screenshot(path=str(screenshots / f"sort-hover-da-{scheme}.png"))
    assert label["ratio"] >= AA_NORMAL_TEXT, label
    assert unreadable(page) == []


# --- what a reader typed ---------------------------------------------------------------------

def log_in(page, username: str, password: str):
    compose = page.locator(".compose")
    compose.locator("[part=login]").click()
    compose.get_by_label("Username").fill(username)
    compose.get_by_label("Password").fill(password)
    compose.locator("form").get_by_role("button", name="Log in").click()
    expect(compose).to_contain_text(f"Signed in as {username}")


def test_drafts_survive_signing_in_and_out(blog, page):
    site, seed = blog(anonymous=True)
    seed.account("ingrid", "bread and butter pudding")
    anna = seed.comment("blog-post.html", "Which flour do you use?", name="Anna")
    open_thread(page, site, count=1)
    main = page.locator(".compose form").first
    main.get_by_label("Name").fill("Dana")
    main.get_by_label("Your comment").fill("Mine, to be edited.")
    main.get_by_role("button", name="Post comment").click()
    mine = page.locator(".list > article[id^=comment-]").last
    expect(mine.get_by_role("button", name="Edit")).to_be_visible()
    # Three drafts at once: an edit, a reply and a new comment, all half written.
    mine.get_by_role("button", name="Edit").click()
    mine.get_by_label("Edit").fill("Mine, edited halfway")
    thread = page.locator(f"#comment-{anna['id']}")
    thread.get_by_role("button", name="Reply").click()
    thread.get_by_label("In reply to Anna").fill("Rye, mostly, and a little")
    main.get_by_label("Your comment").fill("A new thought, not finished")

    log_in(page, "ingrid", "bread and butter pudding")
    expect(thread.get_by_label("In reply to Anna")).to_have_value("Rye, mostly, and a little")
    expect(mine.get_by_label("Edit")).to_have_value("Mine, edited halfway")
    main = page.locator(".compose form")
    expect(main.get_by_label("Your comment")).to_have_value("A new thought, not finished")

    page.locator(".compose").get_by_role("button", name="Sign out").click()
    expect(page.locator(".compose")).to_contain_text("Have an account?")
    expect(thread.get_by_label("In reply to Anna")).to_have_value("Rye, mostly, and a little")
    expect(mine.get_by_label("Edit")).to_have_value("Mine, edited halfway")
    expect(page.locator(".compose form").get_by_label("Your comment")).to_have_value(
        "A new thought, not finished")

    # And the kept reply still posts, under its parent.
    thread.get_by_role("button", name="Post reply").click()
    expect(thread.locator(".replies [part=body]")).to_have_text("Rye, mostly, and a little")
    expect(thread.locator("form")).to_have_count(0)


def test_a_reply_draft_survives_a_new_sort_order(blog, page):
    site, seed = blog(anonymous=True)
    anna = seed.comment("blog-post.html", "First.", name="Anna")
    seed.comment("blog-post.html", "Second.", name="Bo")
    open_thread(page, site, count=2)
    thread = page.locator(f"#comment-{anna['id']}")
    thread.get_by_role("button", name="Reply").click()
    reply = thread.get_by_label("In reply to Anna")
    reply.fill("Typed before sorting")
    page.get_by_role("button", name="Newest first").click()
    expect(page.locator(".list > article [part=author]").first).to_have_text("Bo")
    expect(reply).to_have_value("Typed before sorting")
    page.get_by_role("button", name="Oldest first").click()
    expect(page.locator(".list > article [part=author]").first).to_have_text("Anna")
    expect(reply).to_have_value("Typed before sorting")


def test_voting_keeps_the_focus_and_an_open_reply(blog, page):
    """A vote draws its comment again from the state: the reader's place stays."""
    site, seed = blog(anonymous=True)
    anna = seed.comment("blog-post.html", "Vote on me.", name="Anna")
    open_thread(page, site, count=1)
    thread = page.locator(f"#comment-{anna['id']}")
    thread.get_by_role("button", name="Reply").click()
    thread.get_by_label("In reply to Anna").fill("Half a reply")
    up = thread.locator(":scope > .self [part=vote-up]")
    up.focus()
    page.keyboard.press("Enter")
    expect(up).to_have_attribute("aria-pressed", "true")
    expect(up).to_be_focused()
    expect(thread.get_by_label("In reply to Anna")).to_have_value("Half a reply")
