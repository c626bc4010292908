"""Injection in a real browser: the whole XSS corpus (tests/xss/payloads.py) seeded into one
thread as comment bodies and author names, read in the widget on the example blog page and
in the admin route. A tripwire installed before any page script records every ``alert``,
``confirm``, ``prompt`` and ``window.__pwned.push``; it must stay empty, and no handler
attribute, dangerous URL or active element may reach the DOM.
"""

from __future__ import annotations

import json
import re

import pytest
from support import http_json

from xss.payloads import PAYLOADS

from .test_admin import make_admin, sign_in

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture skips (or fails in CI) with the reason
    expect = None

BLOG = "blog-post.html"
TITLE = "<script>alert('title')</script><img src=x onerror=alert('title')>"

TRIPWIRE = """
window.__pwned = [];
for (const name of ["alert", "confirm", "prompt", "print"]) {
  window[name] = (...args) => { window.__pwned.push(name + ": " + String(args[0])); };
}
"""

# The widget shows at most 100 comments a page; fewer clicks on "load more".
PAGE_SIZE = """
new MutationObserver(() => {
  for (const element of document.querySelectorAll("[data-kommentar]")) {
    element.setAttribute("data-page-size", "100");
  }
}).observe(document, {childList: true, subtree: true});
"""

# Everything under a root, shadow roots included, that could run script or does not belong
# in a comment body.
WALKER = """
(root) => {
  const problems = [];
  const urlAttributes = ["href", "src", "action", "formaction", "xlink:href", "data",
                         "srcdoc", "background", "poster"];
  const forbidden = new Set(["script", "iframe", "object", "embed", "svg", "math", "style",
                             "form", "base", "meta", "link", "frame", "frameset", "img",
                             "input", "button", "textarea", "select", "template", "noscript"]);
  const scheme = (value) =>
    value.replace(/[\\u0000-\\u0020\\u007f-\\u009f\\u200b-\\u200f\\u2028-\\u202e\\ufeff]/g, "")
         .toLowerCase();
  const walk = (node, inBody) => {
    for (const element of node.children) {
      const tag = element.localName;
      const here = `<${tag}> in ${inBody ? "a comment body" : "the page"}`;
      for (const attribute of element.attributes) {
        const name = attribute.name.toLowerCase();
        if (name.startsWith("on")) problems.push(`${here} has ${name}="${attribute.value}"`);
        if (urlAttributes.includes(name) &&
            /^(javascript|data|vbscript):/.test(scheme(attribute.value))) {
          problems.push(`${here} has ${name}="${attribute.value}"`);
        }
      }
      const body = inBody || element.getAttribute("part") === "body";
      if (inBody && forbidden.has(tag)) problems.push(here);
      if (element.shadowRoot) walk(element.shadowRoot, false);
      walk(element, body);
    }
  };
  if (root.shadowRoot) walk(root.shadowRoot, false);
  walk(root, false);
  return problems;
}
"""

# Elements the admin (Jinja, no scripts of its own) never has: one would be a payload's.
ACTIVE = "script, iframe, object, embed, svg, math, frame, frameset, base, meta[http-equiv]"


def seed_corpus(seed) -> int:
    """Every payload as a comment body, written under the payload itself as the name where
    the server accepts it as one; returns how many comments the thread has."""
    headers = {"Origin": seed.site.url, "Content-Type": "application/json"}
    for number, payload in enumerate(PAYLOADS):
        body = {"url": seed.url(BLOG), "text": payload, "name": payload}
        if number == 0:
            body["title"] = TITLE
        status, _, answer = http_json("POST", seed.site.server.url + "/api/comments",
                                      json.dumps(body).encode(), headers)
        if status == 400 and answer["error"]["code"] == "invalid_name":
            body["name"] = f"Reader {number}"
            status, _, answer = http_json("POST", seed.site.server.url + "/api/comments",
                                          json.dumps(body).encode(), headers)
        assert status == 201, (payload, status, answer)
        assert answer["status"] == "published", (payload, answer)
    return len(PAYLOADS)


@pytest.fixture(scope="module")
def corpus_site(module_blog):
    """A blog whose one thread holds the whole corpus, and an admin to read it: seeded once,
    as both tests only read it (the admin test counts every comment the server holds)."""
    site, seed = module_blog(ratelimit="off", spam_max_links=1000, spam_duplicate_window=0)
    count = seed_corpus(seed)
    make_admin(site)
    return site, count


@pytest.fixture
def tripped(page):
    """The tab with the tripwire in place; call it to read what was recorded."""
    page.add_init_script(TRIPWIRE)
    return lambda: page.evaluate("window.__pwned")


def test_no_payload_runs_or_survives_in_the_widget(corpus_site, page, tripped):
    site, count = corpus_site
    page.add_init_script(PAGE_SIZE)
    page.goto(f"{site.url}/{BLOG}")
    expect(page.locator("[part=count]")).to_have_text(re.compile(rf"\({count}\)"))
    shown = page.locator(".list > article[part=comment]")
    more = page.locator("[part=load-more]")
    expect(shown).to_have_count(min(count, 100))
    while shown.count() < count:
        before = shown.count()
        more.click()
        expect(shown).not_to_have_count(before)
    expect(shown).to_have_count(count)
    expect(page.locator("[part=body]")).to_have_count(count)
    page.wait_for_load_state("networkidle")  # any image a payload asked for has failed

    # Names are text: a payload used as a name is shown exactly as typed.
    expect(page.locator(".list > article > .self [part=author]").first).to_have_text(
        " ".join(PAYLOADS[0].split()))
    assert tripped() == []
    assert page.evaluate(WALKER, page.locator("[data-kommentar]").element_handle()) == []
    assert tripped() == []

    # The checks are live: the same payload put straight into a body is caught by both.
    page.evaluate("""document.querySelector('[data-kommentar]').shadowRoot
        .querySelector('[part=body]').innerHTML = '<img src=x onerror=alert(1)>'""")
    page.wait_for_function("window.__pwned.length > 0")
    assert tripped() == ["alert: 1"]
    assert page.evaluate(WALKER, page.locator("[data-kommentar]").element_handle()) == [
        '<img> in a comment body has onerror="alert(1)"', "<img> in a comment body"]


def test_no_payload_runs_or_survives_in_the_admin(corpus_site, page, tripped):
    site, count = corpus_site
    sign_in(page, site)
    pages = -(-count // 50)  # the admin lists 50 comments a page
    seen, listed = 0, ""
    for number in range(1, pages + 1):
        response = page.goto(f"{site.server.url}/admin/comments?page={number}")
        expect(page.get_by_role("heading", level=1)).to_have_text("Comments")
        page.wait_for_load_state("networkidle")  # any image a payload asked for has failed
        seen += page.locator("tbody tr[id^=comment-]").count()
        listed += response.text()
        assert "<script" not in response.text().lower()
        assert page.evaluate(WALKER, page.locator("body").element_handle()) == []
        expect(page.locator(ACTIVE)).to_have_count(0)
        assert tripped() == []
    assert seen == count
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in listed  # listed as the text it is

    # The thread's own page shows its title (a payload too).
    page.goto(f"{site.server.url}/admin/comments")
    thread = page.locator("tbody tr[id^=comment-]").first.locator("a[href*='/admin/threads/']")
    response = page.goto(site.server.url + thread.get_attribute("href"))
    page.wait_for_load_state("networkidle")
    assert TITLE in page.title()  # shown as the text it is
    assert "<script" not in response.text().lower()
    assert page.evaluate(WALKER, page.locator("body").element_handle()) == []
    expect(page.locator(ACTIVE)).to_have_count(0)
    assert tripped() == []
