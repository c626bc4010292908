"""Previewing a comment: its text checked and rendered exactly as a post would be, and
nothing stored. No database is asked: the site's rules come from configuration."""

from __future__ import annotations

from . import render, urls
from .comments import Policy, clean_text, locate


def site_rules(policy: Policy, url: object, origin: str | None) -> Policy:
    """The rules of the site a preview is for: the page ``url``'s (checked as a post checks
    it) when one is given, else the calling site's (its normalised ``Origin``)."""
    if url is not None:
        _, normalised = locate(url, None, policy)
        return policy.site(urls.origin_of(normalised))
    return policy.site(origin if origin in policy.origins else None)


def preview(text: object, policy: Policy) -> str:
    """The sanitised HTML ``text`` would be published as under ``policy``; the same domain
    errors as a post's text (``text_empty``, ``text_too_long``, ``invalid_input``)."""
    return render.render(clean_text(text, policy))
