"""Page URLs: which thread a page's comments belong to, and the origins of sites.

A thread is stored under a key. When the embedding page names its thread
explicitly (``data-id`` on the widget), the key is ``id:`` followed by that name;
otherwise it is the page's URL after normalisation, so that the many spellings
of one page share one thread. A normalised URL always starts with ``http://``
or ``https://``, so the two kinds of key can never collide.

The URL normalisation rule, applied in this order:

1. Surrounding whitespace is trimmed. The URL is then rejected (error code
   ``invalid_url``) if it is empty, longer than 2048 characters (as given or
   once normalised), contains a control character, whitespace or a
   backslash, is not an absolute ``http``/``https`` URL, has an empty host,
   carries user information (``user:pass@``), has a port that is not a number
   from 1 to 65535, or has a host that is not a valid domain name or IP
   address.
2. The scheme and host are lower-cased. An internationalised host is converted
   to its ASCII (punycode) form by UTS 46 non-transitional processing, as
   browsers do (the ``idna`` package, not Python's IDNA 2003 codec, which
   turns ``straße.de`` into ``strasse.de`` where browsers send
   ``xn--strae-oqa.de``), so ``bücher.de`` and ``xn--bcher-kva.de`` are the
   same host.
3. The default port is dropped: ``:80`` for ``http``, ``:443`` for ``https``
   (an empty port, ``example.com:``, counts as the default). Other ports are
   kept, and ``http`` and ``https`` stay distinct.
4. The fragment (``#...``) is dropped.
5. In the path and the query, characters that may not appear raw in a URL are
   percent-encoded as UTF-8 (non-ASCII characters, and ``"<>`{}`` in the path
   or ``"'<>`` in the query), as browsers do. Every percent-escape is written
   in upper case (``%c3`` becomes ``%C3``), and escapes of unreserved
   characters (letters, digits, ``-``, ``.``, ``_``, ``~``) are decoded
   (``%7e`` becomes ``~``).
6. Dot segments (``.`` and ``..``) in the path are resolved.
7. Trailing slash: every trailing ``/`` is removed from a path other than the
   root, so ``/blog/post/`` and ``/blog/post`` are the same page; an empty
   path, or one made only of slashes, becomes ``/``. The path's letter case
   is kept: ``/Post`` and ``/post`` are different pages.
8. Tracking parameters are removed from the query: any parameter whose name,
   percent-decoded and compared case-insensitively, starts with ``utm_`` or
   is one of ``fbclid``, ``gclid``, ``dclid``, ``gbraid``, ``wbraid``,
   ``msclkid``, ``mc_cid``, ``mc_eid``, ``yclid``, ``_ga``, ``_gl``,
   ``igshid``, ``ref_src``.
9. The remaining query parameters are sorted by name, then by value,
   comparing their normalised (still percent-encoded) text character by
   character. Empty pieces (``a=1&&b=2``) are dropped; parameters with a blank
   value are kept as written (``?a`` and ``?a=`` stay distinct, ``a`` first).
   An empty query drops the ``?``.

Origins (``scheme://host[:port]``) follow the same rules for scheme, host and
port; they are used for the configured site list and the ``Origin`` header.
"""

from __future__ import annotations

import functools
import ipaddress
import re
import unicodedata
from urllib.parse import SplitResult, unquote, urlsplit

import idna

from kommentar.errors import Invalid

MAX_URL_LENGTH = 2048
MAX_THREAD_ID_LENGTH = 200

DEFAULT_PORTS = {"http": 80, "https": 443}

TRACKING_PARAMETERS = frozenset(
    {
        "fbclid",
        "gclid",
        "dclid",
        "gbraid",
        "wbraid",
        "msclkid",
        "mc_cid",
        "mc_eid",
        "yclid",
        "_ga",
        "_gl",
        "igshid",
        "ref_src",
    }
)

UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
PATH_ENCODE = frozenset('"<>`{}')
QUERY_ENCODE = frozenset("\"'<>")

_ESCAPE = re.compile(r"%([0-9A-Fa-f]{2})")
_BRACKETED_NETLOC = re.compile(r"\[[0-9A-Fa-f:.]+\](?::[0-9]*)?")
# Labels after IDNA encoding, at most 63 characters each (DNS's limit); underscores appear in
# real sub-domains, so they pass.
_ASCII_HOST = re.compile(r"[a-z0-9_-]{1,63}(?:\.[a-z0-9_-]{1,63})*\.?")


@functools.lru_cache(maxsize=4096)  # readers ask for the same few pages over and over
def normalise_url(url: str) -> str:
    """Return the normalised form of a page URL, or raise ``Invalid(code="invalid_url")``."""
    try:
        parts = _split(url)
        path = _normalise_path(parts.path)
        query = _normalise_query(parts.query)
        normalised = _origin(parts) + path + (f"?{query}" if query else "")
    except ValueError as exc:
        raise Invalid(f"Not an acceptable page URL: {exc}.", code="invalid_url") from None
    # Percent-encoding can lengthen a URL; the limit holds for what is stored too.
    if len(normalised) > MAX_URL_LENGTH:
        raise Invalid("The page URL is too long once normalised.", code="invalid_url")
    return normalised


@functools.lru_cache(maxsize=4096)
def origin_of(url: str) -> str:
    """Return the normalised origin ``scheme://host[:port]`` of a page URL."""
    normalised = normalise_url(url)
    return _origin(urlsplit(normalised))


@functools.lru_cache(maxsize=256)  # the Origin header of every request names a few sites
def normalise_origin(origin: str) -> str:
    """Return a normalised origin, or raise ``Invalid(code="invalid_origin")``.

    Accepts ``scheme://host[:port]`` with at most a trailing ``/``: the form of
    the configured site origins and of the ``Origin`` request header. The
    header's opaque ``null`` is refused like any other non-origin.
    """
    try:
        parts = _split(origin)
        if parts.path not in ("", "/") or "?" in origin or "#" in origin:
            raise ValueError("an origin has no path, query or fragment")
        return _origin(parts)
    except ValueError as exc:
        raise Invalid(f"Not an acceptable origin: {exc}.", code="invalid_origin") from None


def thread_key(url: str, thread_id: str | None) -> str:
    """Return the key a thread is stored under: ``id:<thread_id>`` or the normalised URL.

    The URL is validated even when an explicit id is given, because the thread
    still needs a page to link back to.
    """
    normalised = normalise_url(url)
    if thread_id is None:
        return normalised
    thread_id = thread_id.strip() if isinstance(thread_id, str) else ""
    if not 1 <= len(thread_id) <= MAX_THREAD_ID_LENGTH or not thread_id.isprintable():
        raise Invalid(
            f"A thread id is 1 to {MAX_THREAD_ID_LENGTH} printable characters.",
            code="invalid_thread_id",
        )
    return f"id:{thread_id}"


def _split(url: str) -> SplitResult:
    """Split an absolute http(s) URL after the checks common to URLs and origins."""
    if not isinstance(url, str):
        raise ValueError("not a string")
    url = url.strip()
    if not url:
        raise ValueError("empty")
    if len(url) > MAX_URL_LENGTH:
        raise ValueError(f"longer than {MAX_URL_LENGTH} characters")
    if any(unicodedata.category(ch) == "Cc" or ch.isspace() for ch in url):
        raise ValueError("contains a control character or whitespace")
    # Browsers read a backslash as a slash in http(s) URLs; urllib does not, so
    # a URL with one could mean different hosts to the two. Refuse it instead.
    if "\\" in url:
        raise ValueError("contains a backslash")
    try:
        parts = urlsplit(url)
    except ValueError:
        raise ValueError("not a well-formed URL") from None
    if parts.scheme not in DEFAULT_PORTS or not url.lower().startswith(f"{parts.scheme}://"):
        raise ValueError("not an absolute http or https URL")
    if "@" in parts.netloc:
        raise ValueError("user information is not allowed")
    return parts


def _origin(parts: SplitResult) -> str:
    """Return ``scheme://host[:port]`` for split URL parts, with the default port dropped."""
    host = _normalise_host(parts)
    try:
        port = parts.port
    except ValueError:
        port = 0
    if port == 0:
        raise ValueError("the port is not a number from 1 to 65535")
    if port is None or port == DEFAULT_PORTS[parts.scheme]:
        return f"{parts.scheme}://{host}"
    return f"{parts.scheme}://{host}:{port}"


def _normalise_host(parts: SplitResult) -> str:
    """Return the lower-case ASCII host, IPv6 literals bracketed and compressed."""
    host = parts.hostname
    if not host:
        raise ValueError("the host is empty")
    if parts.netloc.startswith("["):
        # urllib ignores anything between "]" and the port, as in "[::1]x:80".
        if not _BRACKETED_NETLOC.fullmatch(parts.netloc):
            raise ValueError("invalid IPv6 address")
        try:
            return f"[{ipaddress.IPv6Address(host).compressed}]"
        except ValueError:
            raise ValueError("invalid IPv6 address") from None
    ascii_host = host if host.isascii() else _punycode(parts.netloc.partition(":")[0])
    if not _ASCII_HOST.fullmatch(ascii_host):
        raise ValueError("invalid host name")
    return ascii_host


def _punycode(host: str) -> str:
    """Return the ASCII form of an internationalised host, as a browser's address bar makes it.

    UTS 46 non-transitional processing keeps ``ß`` and ``ς`` (IDNA 2003 turned them into
    ``ss`` and ``σ``, another host) and maps case and width first, so ``BÜCHER.example``
    and ``bücher.example`` agree. Only non-ASCII hosts come here: the package would refuse
    the underscores that real ASCII sub-domains carry."""
    try:
        return idna.encode(host, uts46=True, transitional=False).decode("ascii")
    except UnicodeError:  # idna.IDNAError is one
        raise ValueError("invalid host name") from None


def _normalise_path(path: str) -> str:
    """Apply escape normalisation, dot-segment removal and the trailing-slash rule."""
    path = _normalise_escapes(path, PATH_ENCODE)
    segments: list[str] = []
    for segment in path.split("/")[1:]:
        if segment == "..":
            if segments:
                segments.pop()
        elif segment != ".":
            segments.append(segment)
    # A trailing "." or ".." would leave a trailing slash; the rule below removes it anyway.
    return "/" + "/".join(segments).rstrip("/")


def _normalise_query(query: str) -> str:
    """Drop tracking parameters and empty pieces, then sort by name and value."""
    kept: list[tuple[str, str, str]] = []
    for piece in query.split("&"):
        if not piece:
            continue
        piece = _normalise_escapes(piece, QUERY_ENCODE)
        name, _, value = piece.partition("=")
        if _is_tracking(name):
            continue
        kept.append((name, value, piece))
    kept.sort()
    return "&".join(piece for _, _, piece in kept)


def _is_tracking(name: str) -> bool:
    """Whether a query parameter only records where the visitor came from."""
    name = unquote(name).lower()
    return name.startswith("utm_") or name in TRACKING_PARAMETERS


def _normalise_escapes(text: str, encode: frozenset[str]) -> str:
    """Percent-encode raw characters browsers would encode; canonicalise existing escapes."""
    encoded = "".join(
        "".join(f"%{byte:02X}" for byte in ch.encode("utf-8"))
        if not ch.isascii() or ch in encode
        else ch
        for ch in text
    )
    return _ESCAPE.sub(_canonical_escape, encoded)


def _canonical_escape(match: re.Match[str]) -> str:
    """Decode an escape of an unreserved character; upper-case any other."""
    char = chr(int(match.group(1), 16))
    return char if char in UNRESERVED else f"%{match.group(1).upper()}"
