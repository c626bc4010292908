"""Reading a request: its JSON body, its query, and who is asking (from the bearer token:
an account, a voter, the author of an edit token; and whom rate limits count it against).

The API's views call these and nothing else of ``flask.request``'s parsing, so
every route validates the same way and bad input always ends as a 400, not a 500.
"""

from __future__ import annotations

import json
import re
import time
from typing import Any

from flask import current_app, g, request

from .. import tokens
from ..accounts import account_key, username_key
from ..comments import Author, Policy, anonymous_voter, new_voter
from ..errors import Invalid, KommentarError, NotFound, Unauthorized, UnsupportedMediaType
from ..holds import address_key
from ..models import MAX_ID, User


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not JSON")


def _number(text: str) -> int | float:
    # JSON has one number type: 38.0 is the integer 38, as JSON Schema (and the document) reads it.
    number = float(text)
    return int(number) if number.is_integer() else number


def body() -> dict[str, Any]:
    """The request's JSON object; a 415 without a JSON content type, a 400 for anything else.

    Routes that read no body (log-out) never call this: a body sent to them is ignored."""
    if not request.is_json:
        raise UnsupportedMediaType("Send the request body as application/json.")
    raw = request.get_data(cache=True)
    try:
        data = json.loads(raw, parse_constant=_reject_constant, parse_float=_number)
    except (ValueError, RecursionError):
        raise Invalid("The request body must be a JSON object in UTF-8.",
                      code="invalid_json") from None
    if not isinstance(data, dict):
        raise Invalid("The request body must be a JSON object.", code="invalid_json")
    return data


def comment_id(value: Any, what: str = "comment") -> int:
    """A comment id given in JSON: a positive whole number (not a boolean)."""
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= MAX_ID:
        raise Invalid(f"The {what} must be a comment id.", code=f"invalid_{what}")
    return value


def stored_id(value: int) -> int:
    """A comment id from the path; ids beyond what can be stored name nothing (404)."""
    if value > MAX_ID:
        raise NotFound("No such comment.")
    return value


def arg(name: str, required: bool = False, code: str | None = None) -> str | None:
    """One query parameter, given at most once; errors carry ``code`` (``invalid_<name>``)."""
    code = code or f"invalid_{name}"
    values = request.args.getlist(name)
    if not values:
        if required:
            raise Invalid(f"The query parameter {name!r} is required.", code=code)
        return None
    if len(values) > 1:
        raise Invalid(f"The query parameter {name!r} must be given once.", code=code)
    return values[0]


def sort() -> str:
    """The ``sort`` a listing is asked for (``oldest`` when absent); checked by the listing."""
    asked = arg("sort")
    return "oldest" if asked is None else asked


def page_size() -> int | None:
    """The ``limit`` of top-level comments a page, 1 to ``max_page_size``; None: no limit."""
    limit = arg("limit")
    if limit is None:
        return None
    largest = current_app.config["MAX_PAGE_SIZE"]
    if not re.fullmatch(r"[0-9]{1,7}", limit) or not 1 <= int(limit) <= largest:
        raise Invalid(f"limit must be a whole number from 1 to {largest}.", code="invalid_limit")
    return int(limit)


def bearer() -> str | None:
    """The token in ``Authorization: Bearer``, if any."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if not header:
        return None
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("Authorization must be 'Bearer <token>'.")
    return token.strip()


def session_user() -> User | None:
    """The account whose session token came with the request; None when none came.

    A session token that is forged, expired or voided by log-out is a 401, so the
    widget learns to drop it rather than silently posting as nobody. Tokens made for
    other purposes (voter, edit) are not sessions and leave the caller anonymous.
    """
    if "session_user" not in g:  # only a verdict is cached: a refused token raises every time
        user = None
        token = bearer()
        if token is not None and tokens.is_for(tokens.SESSION, token):
            payload = signer().unsign(tokens.SESSION, token,
                                      current_app.config["SESSION_MAX_AGE"])
            user = User.get_or_none(User.id == payload.get("u")) if isinstance(payload, dict) \
                else None
            if user is None or user.session_version != payload.get("v"):
                raise Unauthorized("This session has ended; log in again.",
                                   code="session_expired")
            g.signed_in_at = payload.get("t") if isinstance(payload.get("t"), int) else 0
        g.session_user = user
    return g.session_user


def seconds_since_sign_in() -> float:
    """How long ago the session token that came was made (by a sign-in): infinity for tokens
    made before they said."""
    at = g.get("signed_in_at") or 0
    return time.time() - at if at else float("inf")


def session_token(user: User) -> str:
    """A fresh session token for an account."""
    return signer().sign(tokens.SESSION, {"u": user.id, "v": user.session_version,
                                          "t": int(time.time())})


def token_for(purpose: str, max_age: int | None) -> Any:
    """The payload of the bearer token if it is made for ``purpose``; None if another kind
    or none came; Unauthorized if it claims the purpose but is forged or expired."""
    token = bearer()
    if token is None or not tokens.is_for(purpose, token):
        return None
    return signer().unsign(purpose, token, max_age)


def client_hash() -> str | None:
    """The keyed hash of the client's address (after the trusted proxies, if configured)."""
    if "client_hash" not in g:
        g.client_hash = signer().hash_ip(request.remote_addr)
    return g.client_hash


def author() -> Author:
    """Who is writing this request."""
    return Author(user=session_user(), ip_hash=client_hash())


def policy() -> Policy:
    """The site's writing rules (built once per app)."""
    return current_app.extensions["kommentar.policy"]


def signer() -> tokens.Signer:
    """The app's token signer (built once per app, from the secret keys)."""
    return current_app.extensions["kommentar.signer"]


def voter_id() -> str | None:
    """The caller's voter id: their account, or the anonymous id in their voter token."""
    user = session_user()
    if user is not None:
        return account_key(user.id)
    payload = token_for(tokens.VOTER, None)
    return anonymous_voter(payload) if isinstance(payload, str) else None


def voter_or_new() -> tuple[str, str | None]:
    """The caller's voter id, and the signed voter token minted for it when the caller had
    none (an anonymous reader's first vote or report: they keep it for the next ones)."""
    voter = voter_id()
    if voter is not None:
        return voter, None
    minted = new_voter()
    return anonymous_voter(minted), signer().sign(tokens.VOTER, minted)


# Whom a rate limit counts a request against (see ``ratelimits``).

def writer_key() -> str:
    """The account when a valid session token came, else the client's address hash."""
    try:
        user = session_user()
    except KommentarError:
        user = None  # counted by address; the view itself will answer the bad token with 401
    return account_key(user.id) if user else client_key()


def signed_writer_key() -> str:
    """Like ``writer_key``, from the session token's signature alone, without asking the
    database whether the session still stands: for routes that need no database (preview).
    A token that is not a good session token counts against the client."""
    try:
        token = bearer()
        payload = signer().unsign(tokens.SESSION, token, current_app.config["SESSION_MAX_AGE"]) \
            if token is not None and tokens.is_for(tokens.SESSION, token) else None
    except KommentarError:
        payload = None
    user_id = payload.get("u") if isinstance(payload, dict) else None
    return account_key(user_id) if isinstance(user_id, int) else client_key()


def client_key() -> str:
    """The client's address hash."""
    return address_key(client_hash())


def account_name_key() -> str:
    """The account name a log-in is for (case-folded): guesses from any address add up."""
    data = request.get_json(silent=True, cache=True)
    name = data.get("username") if isinstance(data, dict) else None
    return "name:" + (username_key(name.strip())[:100] if isinstance(name, str) else "")
