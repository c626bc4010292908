"""Reading: a page's thread, many pages' counts, and a reader's own votes."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, request

from .. import serialize, threads, tokens
from ..comments import thread_key
from ..errors import Invalid
from . import request as req

bp = Blueprint("threads", __name__)

MAX_COUNT_URLS = 100


@bp.get("/threads")
def get_thread():
    """A thread's header and one page of its top-level comments with their replies."""
    key, url = thread_key(req.arg("url", required=True), req.arg("id"), req.policy())
    sort = req.arg("sort") or "oldest"
    limit = req.arg("limit")
    if limit is not None:
        if not limit.isdigit() or not 1 <= int(limit) <= current_app.config["MAX_PAGE_SIZE"]:
            raise Invalid(f"limit must be a whole number from 1 to "
                          f"{current_app.config['MAX_PAGE_SIZE']}.", code="invalid_limit")
        limit = int(limit)
    page = threads.page(key, sort, limit, req.arg("after", max_length=200))
    return jsonify(thread=serialize.thread(page.thread, url),
                   comments=[serialize.node(node) for node in page.comments], next=page.next)


@bp.get("/counts")
def get_counts():
    """Published comment counts for up to 100 pages, keyed by the URLs as given."""
    urls = request.args.getlist("url")
    if not urls:
        raise Invalid("Give at least one url parameter.", code="invalid_url")
    if len(urls) > MAX_COUNT_URLS:
        raise Invalid(f"At most {MAX_COUNT_URLS} urls at a time.", code="invalid_url")
    policy = req.policy()
    keys = {url: thread_key(url, None, policy)[0] for url in urls}
    return jsonify(counts=threads.counts(keys))


@bp.get("/votes")
def get_votes():
    """The caller's own votes on one page (needs a session or voter token)."""
    key, _ = thread_key(req.arg("url", required=True), req.arg("id"), req.policy())
    voter = voter_id()
    votes = threads.votes_of(key, voter) if voter else {}
    return jsonify(votes={str(comment): value for comment, value in votes.items()})


def voter_id() -> str | None:
    """The caller's voter id: their account, or the anonymous id in their voter token."""
    user = req.session_user()
    if user is not None:
        return f"u:{user.id}"
    payload = req.token_for(tokens.VOTER, None)
    return f"a:{payload}" if isinstance(payload, str) else None
