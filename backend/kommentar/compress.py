"""Gzip for clients that accept it, with or without a proxy in front.

Answers that never change between writes (a thread document, ``embed.js``) are compressed
once and kept as ``Encoded`` bytes; anything else large enough to gain is compressed as it
leaves. Small answers go as they are: under a kilobyte the saving is lost to the header.
"""

from __future__ import annotations

import gzip
import hashlib
from dataclasses import dataclass

from flask import Response, request

MIN_BYTES = 1024
COMPRESSIBLE = {"application/json", "text/javascript", "text/html", "text/css"}


@dataclass(frozen=True)
class Encoded:
    """A body as it is and gzipped, with its strong ETag (the gzip coding's ends in ``.gz``:
    different bytes, different tag)."""

    body: bytes
    gzipped: bytes
    etag: str

    @classmethod
    def of(cls, body: bytes) -> Encoded:
        # mtime=0: the same body always gzips to the same bytes, in every worker.
        return cls(body, gzip.compress(body, compresslevel=9, mtime=0),
                   hashlib.blake2b(body, digest_size=16).hexdigest())

    @property
    def size(self) -> int:
        return len(self.body) + len(self.gzipped)

    def response(self, mimetype: str) -> Response:
        """The answer to the current request: gzipped if it accepts that, and 304 when its
        ``If-None-Match`` already names these bytes."""
        gzipped = accepts_gzip()
        tag = self.etag + ".gz" if gzipped else self.etag
        headers = {"ETag": f'"{tag}"', "Vary": "Accept-Encoding"}
        # If-None-Match compares weakly (RFC 9110 13.1.2): a proxy may have weakened the tag.
        if request.if_none_match.contains_weak(tag):
            return Response(status=304, headers=headers)
        if gzipped:
            headers["Content-Encoding"] = "gzip"
        return Response(self.gzipped if gzipped else self.body, mimetype=mimetype,
                        headers=headers)


def accepts_gzip() -> bool:
    """Whether the request's ``Accept-Encoding`` takes gzip (``gzip;q=0`` refuses it)."""
    return request.accept_encodings["gzip"] > 0


def revalidated(response: Response) -> Response:
    """A fresh answer with a strong ETag of its bytes, or a bodiless 304 when the request's
    ``If-None-Match`` already names them: for answers built per request that clients poll
    (counts), too cheap to cache but not worth sending again unchanged.

    The tag is the one the answer would leave with: ``_compress`` adds ``.gz`` to it when
    it gzips the body, so that is the tag a client that accepts gzip holds."""
    tag = hashlib.blake2b(response.get_data(), digest_size=16).hexdigest()
    gzipped = _worth_compressing(response) and accepts_gzip()
    sent = tag + ".gz" if gzipped else tag
    if not request.if_none_match.contains_weak(sent):
        response.set_etag(tag)
        return response
    # What the 200 would have said about caching it (RFC 9110 15.4.5), without the body.
    unchanged = Response(status=304, headers={"ETag": f'"{sent}"'})
    for name in ("Cache-Control", "Vary"):
        if name in response.headers:
            unchanged.headers[name] = response.headers[name]
    if _worth_compressing(response):
        unchanged.vary.add("Accept-Encoding")
    return unchanged


def _worth_compressing(response: Response) -> bool:
    return not (response.status_code != 200 or response.direct_passthrough
                or response.is_streamed or "Content-Encoding" in response.headers
                or response.mimetype not in COMPRESSIBLE
                or (response.content_length or 0) < MIN_BYTES)


def _compress(response: Response) -> Response:
    if not _worth_compressing(response):
        return response
    response.vary.add("Accept-Encoding")  # caches must not hand gzip to one who cannot read it
    if accepts_gzip():
        response.set_data(gzip.compress(response.get_data(), compresslevel=6, mtime=0))
        response.headers["Content-Encoding"] = "gzip"
        if response.get_etag()[0]:  # a tag names the bytes, so the coding changes it
            tag, weak = response.get_etag()
            response.set_etag(tag + ".gz", weak)
    return response


def init_app(app) -> None:
    """Compress what leaves, when the client accepts gzip."""
    app.after_request(_compress)
