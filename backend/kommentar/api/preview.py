"""Previewing: a comment's Markdown rendered as it would be published, never stored."""

from __future__ import annotations

from flask import Blueprint, jsonify, request

from .. import previews
from ..cors import site_origin
from ..ratelimits import limited
from . import request as req

bp = Blueprint("preview", __name__)


@bp.post("/preview")
@limited("limit_preview", req.signed_writer_key)
def preview():
    """The HTML of a comment's text, through the renderer and allow-list a post goes through,
    with the length rules of the page's site (``url``) or else of the calling site."""
    data = req.body()
    rules = previews.site_rules(req.policy(), data.get("url"),
                                site_origin(request.headers.get("Origin")))
    response = jsonify(html=previews.preview(data.get("text"), rules))
    response.cache_control.no_store = True  # a draft: nothing anywhere should keep it
    return response
