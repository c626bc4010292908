"""Atom feeds of published comments, for feed readers: a thread's (``/feeds/thread.atom``,
the page's ``url`` and optional ``id`` as ``GET /api/threads`` takes them) and a site's
latest (``/feeds/recent.atom?site=ORIGIN``).

Feeds are public and the same for everyone, so they are cached and revalidated like thread
documents: each worker keeps the encoded feed in its ``DocumentCache``, named by what
changes with every write that could change it (a thread's version; for a site, the digest
``entries.recent`` reads), and answers ``If-None-Match`` with 304. Errors are the API's JSON
errors: a feed reader shows only that the feed failed, and a person trying the address sees
why.
"""

from __future__ import annotations

from urllib.parse import urlencode

from flask import Blueprint, Response, current_app, request

from .. import threads, urls
from ..api import request as req
from ..cache import DocumentCache
from ..comments import locate
from ..compress import Encoded
from ..errors import Invalid, KommentarError, NotFound
from ..headers import JSON_POLICY
from . import atom, entries

bp = Blueprint("feeds", __name__)


@bp.get("/thread.atom")
def thread_feed() -> Response:
    """A thread's latest published comments, newest first."""
    given_id = req.arg("id", code="invalid_thread_id")
    key, url = locate(req.arg("url", required=True), given_id, req.policy())
    base = _base()
    found = threads.find(key)
    listing = ("feed", found.id, base, url, given_id) if found else None  # its self link
    document = _cache().get(listing, found.version) if found else None
    if document is None:
        page = found.url if found else url  # an id's thread keeps the page it began on
        query = {"url": url} if given_id is None else {"url": url, "id": given_id}
        feed = atom.Feed(key=f"thread/{key}", origin=urls.origin_of(page),
                         title=(found.title if found else "") or page,
                         self_url=f"{base}/feeds/thread.atom?{urlencode(query)}", page_url=page)
        document = Encoded.of(atom.document(feed, entries.of_thread(found) if found else []))
        if found:
            _cache().put(listing, found.version, document)
    return _answer(document)


@bp.get("/recent.atom")
def recent_feed() -> Response:
    """The latest published comments across one configured site's threads."""
    site = _site(req.arg("site", required=True))
    base = _base()
    recent = entries.recent(site)
    # The digest is in the name, not the version: it does not rise, it only differs, and an
    # outdated copy is never asked for again, so it ages out of the cache like any other.
    listing = ("recent", site, base, recent.digest)
    document = _cache().get(listing, 0)
    if document is None:
        feed = atom.Feed(key="recent", origin=site, title=site,
                         self_url=f"{base}/feeds/recent.atom?{urlencode({'site': site})}",
                         page_url=site + "/")
        document = Encoded.of(atom.document(feed, entries.described(recent.ids)))
        _cache().put(listing, 0, document)
    return _answer(document)


def _site(given: str) -> str:
    """The configured site a ``site`` parameter names (normalised)."""
    try:
        origin = urls.normalise_origin(given)
    except KommentarError:
        raise Invalid("site must be a site's origin, such as https://blog.example.",
                      code="invalid_site") from None
    if origin not in req.policy().origins:
        raise NotFound("This server keeps no comments for that site.", code="unknown_site")
    return origin


def _base() -> str:
    """This server's address, for the feed's link to itself."""
    return current_app.config["PUBLIC_URL"] or request.host_url.rstrip("/")


def _cache() -> DocumentCache:
    return current_app.extensions["kommentar.documents"]


def _answer(document: Encoded) -> Response:
    response = document.response("application/atom+xml")
    config = current_app.config
    # As a thread document: the same for every reader, so caches may keep it a little while.
    response.headers["Cache-Control"] = (f"public, max-age={config['THREAD_MAX_AGE']}, "
                                         f"stale-while-revalidate={config['THREAD_STALE']}")
    # Data, not a page: should a browser render it, nothing in it may load or run.
    response.headers["Content-Security-Policy"] = JSON_POLICY
    return response


def init_app(app) -> None:
    """Serve the feeds under ``/feeds``."""
    app.register_blueprint(bp, url_prefix="/feeds")
