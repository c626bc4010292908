"""Comment Markdown to safe HTML, done once when a comment is written.

Two layers, so that a mistake in one is caught by the other:

1. markdown-it-py parses the Markdown with raw HTML switched off, so anything
   that looks like a tag is shown as text. It is narrowed to what a comment
   needs: headings render as a bold paragraph (a comment cannot shout with an
   ``<h1>``), an image renders as a plain link to it, tables and horizontal
   rules are off (their Markdown stays as typed), strikethrough renders as
   ``<del>``, and a single Enter breaks the line. Links are accepted only for
   ``http``, ``https`` and ``mailto``; any other link stays as typed text.
   Bare ``http(s)://`` URLs, ``www.`` addresses and e-mail addresses become
   links, but bare names such as ``config.py`` or ``example.com`` do not.
2. nh3 then removes every tag and attribute outside a narrow allow-list and
   forces ``rel="nofollow ugc noopener noreferrer"`` on every link.

The parser and the sanitiser are built once, at import, because render is on
the write path; neither keeps state between calls.
"""

from __future__ import annotations

import re

import nh3
from linkify_it import LinkifyIt
from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml

ALLOWED_TAGS = frozenset(
    {"p", "br", "em", "strong", "del", "code", "pre", "blockquote", "ul", "ol", "li", "a"}
)
ALLOWED_ATTRIBUTES = {"a": {"href"}, "ol": {"start"}}
ALLOWED_URL_SCHEMES = frozenset({"http", "https", "mailto"})
LINK_REL = "nofollow ugc noopener noreferrer"

# markdown-it hands this its percent-encoded form of the link, so leading
# spaces, entities and control characters have already been dealt with.
_ALLOWED_LINK = re.compile(r"(?:https?|mailto):", re.IGNORECASE)
# Text without one of these holds no link _CommentLinkify keeps: linkify-it's schemas, "www."
# and the "@" of an e-mail address.
_MAY_LINK = re.compile(r"https?:|ftp:|mailto:|//|www\.|@", re.IGNORECASE)


class _CommentLinkify(LinkifyIt):
    """linkify-it that links a bare host name only when it starts with ``www.``.

    Fuzzy linking otherwise turns file names with country-code endings
    (``config.py``, ``README.md``) into links to hosts nobody meant.
    """

    def pretest(self, text):
        """Whether the text may hold a link; linkify-it's own pretest also searches every
        top-level domain for bare host names, a third of a post's Markdown time, to find
        links that ``match`` drops."""
        return _MAY_LINK.search(text) is not None

    def test(self, text):
        """Whether the text holds a link; asked of every piece of text beside a link, so
        pieces that cannot hold one we keep skip linkify-it's search for host names."""
        return self.pretest(text) and super().test(text)

    def match(self, text):
        """Return linkify-it's matches minus fuzzy host names without ``www.``."""
        links = super().match(text)
        if not links:
            return links
        # An empty schema marks a fuzzy link; e-mail addresses carry "mailto:".
        return [link for link in links if link.schema or link.raw.lower().startswith("www.")]


def _validate_link(url: str) -> bool:
    """Accept a link target only for the schemes a comment may link to."""
    return _ALLOWED_LINK.match(url) is not None


def _heading_open(self, tokens, idx, options, env):
    """Open a heading as a bold paragraph."""
    return "<p><strong>"


def _heading_close(self, tokens, idx, options, env):
    """Close a heading rendered as a bold paragraph."""
    return "</strong></p>\n"


def _strikethrough_open(self, tokens, idx, options, env):
    """Open ``~~struck~~`` text as ``<del>``, the tag the allow-list knows."""
    return "<del>"


def _strikethrough_close(self, tokens, idx, options, env):
    """Close struck-through text."""
    return "</del>"


def _image_as_link(self, tokens, idx, options, env):
    """Render an image as a link to it, its alt text (or address) as the label."""
    token = tokens[idx]
    src = token.attrGet("src") or ""
    label = self.renderInlineAsText(token.children or [], options, env) or src
    return f'<a href="{escapeHtml(src)}">{escapeHtml(label)}</a>'


def _build_markdown() -> MarkdownIt:
    """The comment Markdown parser: CommonMark plus linkify and strikethrough, narrowed."""
    md = MarkdownIt("js-default", {"linkify": True, "breaks": True, "typographer": False})
    md.linkify = _CommentLinkify()
    md.disable(["table", "hr"])
    md.validateLink = _validate_link
    md.add_render_rule("heading_open", _heading_open)
    md.add_render_rule("heading_close", _heading_close)
    md.add_render_rule("image", _image_as_link)
    md.add_render_rule("s_open", _strikethrough_open)
    md.add_render_rule("s_close", _strikethrough_close)
    return md


_MARKDOWN = _build_markdown()

_CLEANER = nh3.Cleaner(
    tags=set(ALLOWED_TAGS),
    # Without an explicit "*" entry nh3 keeps ammonia's generic lang and title.
    attributes={"*": set(), **{tag: set(names) for tag, names in ALLOWED_ATTRIBUTES.items()}},
    url_schemes=set(ALLOWED_URL_SCHEMES),
    # Relative links would point somewhere different on every page the thread
    # is embedded in; the parser already refuses them, this is the backstop.
    url_relative="deny",
    link_rel=LINK_REL,
    strip_comments=True,
)


def render(text: str) -> str:
    """Render a comment's Markdown source to sanitised HTML."""
    return sanitise(_MARKDOWN.render(text)).strip()


def sanitise(html: str) -> str:
    """Reduce HTML to the comment allow-list (for rendered or imported comments)."""
    return _CLEANER.clean(html)
