"""Reading: a page's thread, many pages' counts, and a reader's own votes."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify, request

from .. import documents, reports, serialize, threads
from ..comments import locate
from ..compress import Encoded, revalidated
from ..errors import Invalid
from . import request as req

bp = Blueprint("threads", __name__)

MAX_COUNT_URLS = 100


@bp.get("/threads")
def get_thread():
    """A thread's header and one page of its top-level comments with their replies."""
    key, url = locate(req.arg("url", required=True), req.arg("id", code="invalid_thread_id"),
                      req.policy())
    after = req.arg("after", code="invalid_cursor")
    document = documents.thread(current_app.extensions["kommentar.documents"], key, url,
                                req.sort(), req.page_size(), after)
    return _shared(document)


@bp.get("/threads/latest")
def get_latest():
    """A thread's header and its latest published comments, flat and newest first: what a
    reader keeping the thread open polls, with ``If-None-Match``."""
    key, url = locate(req.arg("url", required=True), req.arg("id", code="invalid_thread_id"),
                      req.policy())
    return _shared(documents.latest(current_app.extensions["kommentar.documents"], key, url))


def _shared(document: Encoded) -> Response:
    # The same for every reader, so browsers, proxies and CDNs may keep it a little while;
    # what is the reader's own comes from /api/mine, which nothing shares.
    response = document.response("application/json")
    config = current_app.config
    response.headers["Cache-Control"] = (f"public, max-age={config['THREAD_MAX_AGE']}, "
                                         f"stale-while-revalidate={config['THREAD_STALE']}")
    return response


@bp.get("/counts")
def get_counts():
    """Published comment counts for up to 100 pages, keyed by the URLs as given."""
    urls = request.args.getlist("url")
    if not urls:
        raise Invalid("Give at least one url parameter.", code="invalid_url")
    if len(urls) > MAX_COUNT_URLS:
        raise Invalid(f"At most {MAX_COUNT_URLS} urls at a time.", code="invalid_url")
    policy = req.policy()
    keys = {url: locate(url, None, policy)[0] for url in urls}
    response = jsonify(counts=threads.counts(keys))
    response.cache_control.public = True
    response.cache_control.max_age = current_app.config["THREAD_MAX_AGE"]
    return revalidated(response)  # badges poll it: unchanged counts need not travel again


@bp.get("/mine")
def get_mine():
    """What of one page is the caller's own: their votes and reports (session or voter
    token) and, for an account, its comments still waiting for a moderator, which nobody
    else sees."""
    key, _ = locate(req.arg("url", required=True), req.arg("id", code="invalid_thread_id"),
                    req.policy())
    voter = req.voter_id()
    votes = threads.votes_of(key, voter) if voter else {}
    reported = reports.of_thread(key, voter) if voter else []
    user = req.session_user()
    held = [serialize.held(comment) for comment in threads.held_of(key, user.id)] if user else []
    response = jsonify(votes={str(comment): value for comment, value in votes.items()},
                       pending=held, reports=reported)
    response.cache_control.private = True  # one reader's, and changes with their every vote
    response.cache_control.no_store = True
    return response

