"""Comment Markdown to safe HTML."""

import re
from html.parser import HTMLParser

import pytest

from kommentar.render import render, sanitise

# What a comment may hold, written out here rather than imported from the code under test,
# so that widening the allow-list in render.py fails these tests until they agree.
ALLOWED = {"p": set(), "br": set(), "em": set(), "strong": set(), "del": set(), "code": set(),
           "pre": set(), "blockquote": set(), "ul": set(), "ol": {"start"}, "li": set(),
           "a": {"href", "rel"}}
REL = 'rel="nofollow ugc noopener noreferrer"'


@pytest.mark.parametrize(
    ("source", "html"),
    [
        ("Hello there.", "<p>Hello there.</p>"),
        ("One.\n\nTwo.", "<p>One.</p>\n<p>Two.</p>"),
        ("first line\nsecond line", "<p>first line<br>\nsecond line</p>"),
        ("*soft* and **loud**", "<p><em>soft</em> and <strong>loud</strong></p>"),
        ("~~wrong~~ right", "<p><del>wrong</del> right</p>"),
        ("use `pip install`", "<p>use <code>pip install</code></p>"),
        ("```python\nprint('hi')\n```", "<pre><code>print('hi')\n</code></pre>"),
        ("    indented code", "<pre><code>indented code\n</code></pre>"),
        (
            "> quoted earlier comment\n\nmy reply",
            "<blockquote>\n<p>quoted earlier comment</p>\n</blockquote>\n<p>my reply</p>",
        ),
        ("- one\n- two", "<ul>\n<li>one</li>\n<li>two</li>\n</ul>"),
        ("1. one\n2. two", "<ol>\n<li>one</li>\n<li>two</li>\n</ol>"),
        ("3. three\n4. four", '<ol start="3">\n<li>three</li>\n<li>four</li>\n</ol>'),
        ('Quotes "stay" -- as typed...', '<p>Quotes "stay" -- as typed...</p>'),
    ],
)
def test_markdown_renders_to_comment_html(source, html):
    assert render(source) == html


@pytest.mark.parametrize(
    ("source", "html"),
    [
        (
            "see https://example.com/a?b=1.",
            f'<p>see <a href="https://example.com/a?b=1" {REL}>https://example.com/a?b=1</a>.</p>',
        ),
        (
            "see www.example.com",
            f'<p>see <a href="http://www.example.com" {REL}>www.example.com</a></p>',
        ),
        (
            "write to someone@example.com",
            f'<p>write to <a href="mailto:someone@example.com" {REL}>someone@example.com</a></p>',
        ),
        (
            "[the docs](https://example.com/docs)",
            f'<p><a href="https://example.com/docs" {REL}>the docs</a></p>',
        ),
        (
            "<https://example.com>",
            f'<p><a href="https://example.com" {REL}>https://example.com</a></p>',
        ),
        (
            "[mail me](mailto:someone@example.com)",
            f'<p><a href="mailto:someone@example.com" {REL}>mail me</a></p>',
        ),
    ],
)
def test_links_are_kept_with_a_forced_rel(source, html):
    assert render(source) == html


def test_link_rel_and_title_written_by_the_author_are_replaced():
    html = render('[x](https://example.com "a title")')
    assert html == f'<p><a href="https://example.com" {REL}>x</a></p>'


@pytest.mark.parametrize("source", ["edit config.py", "see README.md", "example.com"])
def test_bare_names_without_www_are_not_linked(source):
    assert "<a" not in render(source)


@pytest.mark.parametrize(
    "source",
    ["[x](/relative/path)", "[x](#fragment)", "[x](//example.com)", "[x](ftp://example.com)"],
)
def test_links_outside_the_allowed_schemes_stay_as_text(source):
    assert render(source) == f"<p>{source}</p>"


@pytest.mark.parametrize(
    ("source", "html"),
    [
        ("# Big news", "<p><strong>Big news</strong></p>"),
        ("###### small *news*", "<p><strong>small <em>news</em></strong></p>"),
        ("Big news\n========", "<p><strong>Big news</strong></p>"),
    ],
)
def test_headings_become_bold_paragraphs(source, html):
    assert render(source) == html


@pytest.mark.parametrize(
    ("source", "html"),
    [
        (
            "![a cat](https://example.com/cat.png)",
            f'<p><a href="https://example.com/cat.png" {REL}>a cat</a></p>',
        ),
        (
            "![](https://example.com/cat.png)",
            f'<p><a href="https://example.com/cat.png" {REL}>https://example.com/cat.png</a></p>',
        ),
    ],
)
def test_images_become_links(source, html):
    assert render(source) == html


@pytest.mark.parametrize("source", ["a | b\n--|--\n1 | 2", "---", "***"])
def test_tables_and_rules_stay_as_typed(source):
    html = render(source)
    assert not re.search(r"<(table|tr|td|th|hr)\b", html)


@pytest.mark.parametrize(
    ("source", "html"),
    [
        ("<b>x</b>", "<p>&lt;b&gt;x&lt;/b&gt;</p>"),
        ("a < b > c & d", "<p>a &lt; b &gt; c &amp; d</p>"),
        ("`<script>`", "<p><code>&lt;script&gt;</code></p>"),
        ("&lt;b&gt;", "<p>&lt;b&gt;</p>"),
    ],
)
def test_html_in_a_comment_is_shown_as_text(source, html):
    assert render(source) == html


HOSTILE = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "<img src=x onerror=alert(1)>",
    "<svg onload=alert(1)>",
    "<math><mi>x</mi></math>",
    "<svg><script>alert(1)</script></svg>",
    "<math><mtext><script>alert(1)</script></mtext></math>",
    "<style>body{display:none}</style>",
    "<iframe src=https://evil.example></iframe>",
    '<a href="javascript:alert(1)">x</a>',
    '<a href="https://example.com" onclick="alert(1)" class="x" id="y">x</a>',
    '<p class="x" id="y" style="color:red">x</p>',
    '"><script>alert(1)</script>',
    "'><img src=x onerror=alert(1)>",
    "<!-- <script>alert(1)</script> -->",
    "[x](javascript:alert(1))",
    "[x](JaVaScRiPt:alert(1))",
    "[x](&#106;avascript:alert(1))",
    "[x](&#x6A;avascript:alert(1))",
    "[x](java&#x09;script:alert(1))",
    "[x]( javascript:alert(1))",
    "[x](<javascript:alert(1)>)",
    "[x](vbscript:msgbox(1))",
    "[x](VBScript:msgbox(1))",
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "[x](data:text/html,<script>alert(1)</script>)",
    "[x](file:///etc/passwd)",
    "<javascript:alert(1)>",
    "<data:text/html,x>",
    "javascript:alert(1)",
    "![x](javascript:alert(1))",
    "![x](data:image/png;base64,iVBORw0KGgo=)",
    "![x](https://example.com/a.png){onerror=alert(1)}",
    '[x](https://example.com/"onmouseover="alert(1))',
    'https://example.com/"onmouseover="alert(1)',
    "[x][ref]\n\n[ref]: javascript:alert(1)",
    "[<img src=x onerror=alert(1)>](https://example.com)",
    "**<svg onload=alert(1)>**",
    "> <script>alert(1)</script>",
    "```\n</code></pre><script>alert(1)</script>\n```",
    "# <script>alert(1)</script>",
    "x\u2028<script>alert(1)</script>",
    "<a href=javascript&colon;alert(1)>x</a>",
]

# Raw markup that must never reach the page. Escaped text ("&lt;script") cannot match.
FORBIDDEN_MARKUP = ["<script", "<img", "<svg", "<math", "<style", "<iframe", "<!--"]


class _Elements(HTMLParser):
    """Collects the elements of an HTML fragment as (tag, attributes) pairs."""

    def __init__(self, html):
        super().__init__(convert_charrefs=True)
        self.elements = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))


def assert_harmless(html):
    """Fail if the HTML holds markup, an attribute or a link target a comment may not have."""
    for markup in FORBIDDEN_MARKUP:
        assert markup not in html.lower()
    for tag, attributes in _Elements(html).elements:
        assert tag in ALLOWED
        assert set(attributes) <= ALLOWED[tag]
        if "href" in attributes:
            assert re.match(r"(https?|mailto):", attributes["href"])


@pytest.mark.parametrize("source", HOSTILE)
def test_hostile_markdown_renders_harmless(source):
    assert_harmless(render(source))


# The sanitiser is the second line of defence: it must hold even for HTML the
# Markdown parser would never produce.
HOSTILE_HTML = [
    "<script>alert(1)</script>x",
    "<img src=x onerror=alert(1)>",
    "<svg onload=alert(1)><circle/></svg>",
    "<math><mi>x</mi></math>",
    "<style>p{color:red}</style>",
    "<iframe src=https://evil.example></iframe>",
    "<object data=https://evil.example></object>",
    '<a href="javascript:alert(1)">x</a>',
    '<a href="JaVaScRiPt:alert(1)">x</a>',
    '<a href=" javascript:alert(1)">x</a>',
    '<a href="&#106;avascript:alert(1)">x</a>',
    '<a href="java&#x09;script:alert(1)">x</a>',
    '<a href="vbscript:msgbox(1)">x</a>',
    '<a href="data:text/html,x">x</a>',
    '<a href="/relative">x</a>',
    '<a href="https://example.com" onclick="alert(1)" target="_blank">x</a>',
    '<p class="x" id="y" style="color:red" title="t" lang="en" dir="rtl">x</p>',
    "<h1>shout</h1><table><tr><td>x</td></tr></table><hr><img src=https://example.com/a.png>",
    "<!-- comment -->x",
]


@pytest.mark.parametrize("html", HOSTILE_HTML)
def test_sanitiser_alone_leaves_html_harmless(html):
    assert_harmless(sanitise(html))


def test_sanitiser_strips_comments_and_keeps_their_neighbours():
    assert sanitise("<p>a<!-- hidden -->b</p>") == "<p>ab</p>"


def test_sanitiser_forces_the_link_rel():
    html = sanitise('<a href="https://example.com" rel="opener">x</a>')
    assert html == f'<a href="https://example.com" {REL}>x</a>'


@pytest.mark.parametrize(
    "source",
    ["# Title\n\n*a* **b** `c`\n\n> q\n\n- x\n- y\n\nhttps://example.com <b>", *HOSTILE],
)
def test_rendering_is_stable(source):
    html = render(source)
    assert render(source) == html
    # Stored HTML sanitised again (by an importer or a migration) must not change.
    assert sanitise(html) == html


def test_empty_comment_renders_empty():
    assert render("") == ""


# Every element HTML has that a comment might try, beyond the allowed ones.
OTHER_TAGS = ["abbr", "address", "article", "aside", "audio", "b", "base", "bdi", "bdo",
              "button", "canvas", "caption", "cite", "col", "dd", "details", "dfn", "dialog",
              "div", "dl", "dt", "embed", "fieldset", "figure", "font", "footer", "form", "h1",
              "h2", "h3", "h4", "h5", "h6", "header", "hr", "i", "iframe", "img", "input", "ins",
              "kbd", "label", "link", "main", "mark", "meta", "nav", "object", "picture",
              "q", "s", "samp", "section", "select", "small", "source", "span", "sub",
              "summary", "sup", "table", "tbody", "td", "template", "textarea", "tfoot", "th",
              "thead", "time", "tr", "u", "var", "video", "wbr"]


@pytest.mark.parametrize("tag", sorted(ALLOWED))
def test_an_allowed_element_is_kept_with_exactly_its_allowed_attributes(tag):
    attributes = ('href="https://example.com" start="3" class="x" id="y" title="t" '
                  'style="color:red" lang="en" onclick="alert(1)"')
    closing = "" if tag == "br" else f"x</{tag}>"  # a void element has no end tag
    elements = _Elements(sanitise(f"<{tag} {attributes}>{closing}")).elements
    assert [name for name, _ in elements] == [tag]
    kept = {"href": "https://example.com", "start": "3",
            "rel": "nofollow ugc noopener noreferrer"}
    assert elements[0][1] == {name: kept[name] for name in ALLOWED[tag]}


@pytest.mark.parametrize("tag", OTHER_TAGS)
def test_any_other_element_is_dropped(tag):
    assert _Elements(sanitise(f"<{tag}>x</{tag}>")).elements == []
