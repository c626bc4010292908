"""The sign-in pages: ``/auth/NAME/start`` sends the reader to the provider, and the provider
sends them back to ``/auth/NAME/callback``, which hands the widget a session token.

In a popup the last page posts ``{type: "kommentar:signed-in", token, user}`` (or
``kommentar:sign-in-failed`` with a code) to its opener, with exactly the origin checked at
the start as the target, never ``*``, and closes. In the redirect fallback it sends the tab
back to the page with ``#kommentar-token=…`` (or ``#kommentar-error=CODE``), which the widget
reads and removes.

Linking a provider to the signed-in account ends differently: the page hands over a proof of
what the provider said (``kommentar:link-ready`` with ``provider`` and ``proof``, or
``#kommentar-link=NAME:PROOF``), and the link is made only when the widget sends that proof
back with the account's own session (``PUT /api/auth/me/providers/NAME``). A link started in
another browser with someone else's ticket (a link CSRF: "sign in to GitHub here") so never
adds the victim's identity to the attacker's account: the proof reaches nobody who holds
that account's session. These are this server's own pages: the browser secret that binds an
attempt to the browser is a first-party cookie, sent to the callback on the provider's
top-level redirect (SameSite=Lax).
"""

from __future__ import annotations

import functools
import logging
from pathlib import Path
from urllib.parse import quote

from flask import Blueprint, current_app, redirect, render_template, request

from .. import identities, oauth, tokens
from ..api import request as req
from ..api.auth import account
from ..errors import KommentarError, Unauthorized
from ..headers import page_policy
from ..models import User
from ..ratelimits import limited
from . import (
    LIFETIME,
    POPUP,
    REDIRECT,
    Attempt,
    SignInRefused,
    begin,
    checked_origin,
    checked_return,
    finish,
)

bp = Blueprint("signin", __name__, url_prefix="/auth")
log = logging.getLogger(__name__)
TEMPLATES = Path(__file__).parent.parent / "templates"
STYLE = TEMPLATES / "links" / "page.css"
SCRIPT = TEMPLATES / "signin" / "done.js"
COOKIE = "kommentar_signin"
LINK_MAX_AGE = 300  # seconds a ticket to link a provider stays good

# What the page says where no widget can be told (in the reader's browser language).
WORDS = {
    "en": {"title": "Sign-in", "done": "You are signed in. You can close this window.",
           "failed": "Signing in did not work. Close this window and try again."},
    "da": {"title": "Log ind", "done": "Du er logget ind. Du kan lukke vinduet.",
           "failed": "Det lykkedes ikke at logge ind. Luk vinduet, og prøv igen."},
}


@functools.cache  # the files are part of the installed package: read them once
def _policy() -> str:
    return page_policy(STYLE, script=SCRIPT)


def _provider(name: str):
    provider = current_app.config["AUTH_PROVIDERS"].get(name)
    if provider is None:
        raise SignInRefused("No such sign-in provider here.", code="unknown_provider")
    return provider


def _callback_url(name: str) -> str:
    base = current_app.config["PUBLIC_URL"] or request.host_url.rstrip("/")
    return f"{base}/auth/{name}/callback"


@bp.get("/<name>/start")
@limited("limit_login", key=req.client_key)
def start(name: str):
    """Check the page's origin (and return page), record the attempt and go to the provider."""
    provider = _provider(name)
    args = request.args
    origin = checked_origin(args.get("origin"), current_app.config["ORIGINS"])
    mode = args.get("mode", POPUP)
    return_url = checked_return(args.get("return"), origin, required=mode == REDIRECT)
    link_user = _link_user(args.get("link"), name) if "link" in args else None
    _reachable(provider)  # before anything is stored
    secret, browser = begin(provider, origin=origin, mode=mode, return_url=return_url,
                            link_user=link_user, browser=request.cookies.get(COOKIE))
    url = oauth.authorize_url(provider, _callback_url(name), **secret)
    response = redirect(url, 303)
    response.set_cookie(COOKIE, browser, max_age=int(LIFETIME.total_seconds()), path="/auth/",
                        secure=_secure(), httponly=True, samesite="Lax")
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def _reachable(provider) -> None:
    """SignInRefused sign_in_failed if the provider's endpoints cannot be found (its
    discovery document is then cached for the address that follows)."""
    try:
        oauth.metadata(provider)
    except oauth.ProviderFailed as error:
        log.warning("sign-in with %s could not start: %s", provider.name, error)
        raise SignInRefused(f"{provider.label} cannot be reached.", code="sign_in_failed") \
            from None


def _secure() -> bool:
    public = current_app.config["PUBLIC_URL"] or ""
    return request.is_secure or public.startswith("https://")


def _link_user(ticket: object, name: str):
    """The account a link ticket (``POST /api/auth/me/providers/NAME``) was made for."""
    try:
        payload = req.signer().unsign(tokens.PROVIDER_LINK, ticket, LINK_MAX_AGE) \
            if isinstance(ticket, str) else None
    except Unauthorized:
        payload = None
    user = User.get_or_none(User.id == payload.get("u")) \
        if isinstance(payload, dict) and payload.get("p") == name else None
    if user is None or user.session_version != payload.get("v"):
        raise SignInRefused("This link request has expired; start again.",
                            code="sign_in_expired")
    return user


@bp.get("/<name>/callback")
def callback(name: str):
    """Finish the attempt the state names and tell the widget how it went."""
    try:
        provider = _provider(name)
        attempt = finish(provider, request.args.get("state"), request.cookies.get(COOKIE))
    except SignInRefused as error:
        return _told(error.attempt, {"type": "kommentar:sign-in-failed", "code": error.code,
                                     "message": error.message})
    try:
        profile = _profile(provider, attempt)
        if attempt.link_user is None:
            user = identities.sign_in(provider, profile)
            return _told(attempt, {"type": "kommentar:signed-in",
                                   "token": req.session_token(user), "user": account(user)})
        return _told(attempt, {"type": "kommentar:link-ready", "provider": provider.name,
                               "proof": _proof(provider, profile, attempt.link_user)})
    except KommentarError as error:
        return _told(attempt, {"type": "kommentar:sign-in-failed", "code": error.code,
                               "message": error.message})


def _proof(provider, profile, user_id: int) -> str:
    """What the provider said, signed for the account that asked to link it (checked for an
    identity that opens another account now, and again when the link is made)."""
    user = User.get_or_none(User.id == user_id)
    if user is None:
        raise SignInRefused("The account to link to is gone.", code="sign_in_expired")
    identities.check_linkable(provider, profile.subject, user)
    return req.signer().sign(tokens.PROVIDER_PROOF, {
        "u": user.id, "v": user.session_version, "p": provider.name, "s": profile.subject,
        "e": profile.email})


def _profile(provider, attempt: Attempt):
    """Who the provider's answer says signed in."""
    if request.args.get("error"):
        cancelled = request.args["error"] == "access_denied"
        raise SignInRefused("Signing in was cancelled." if cancelled else
                            f"{provider.label} refused the sign-in.",
                            code="sign_in_cancelled" if cancelled else "sign_in_failed")
    code = request.args.get("code")
    if not code or len(code) > 2000:
        raise SignInRefused(f"{provider.label} sent no code.", code="sign_in_failed")
    try:
        return oauth.profile(provider, _callback_url(provider.name), code=code,
                             verifier=attempt.verifier, nonce=attempt.nonce)
    except oauth.ProviderFailed as error:
        log.warning("sign-in with %s failed: %s", provider.name, error)
        raise SignInRefused(f"Signing in with {provider.label} did not work.",
                            code="sign_in_failed") from None


def _told(attempt: Attempt | None, message: dict):
    """The answer that tells the widget: a redirect back to the page, or the page that posts
    to its opener (which also stands alone when there is nobody to tell)."""
    failed = message["type"] == "kommentar:sign-in-failed"
    fragment = f"kommentar-error={quote(message['code'])}" if failed else \
        f"kommentar-link={message['provider']}:{quote(message['proof'])}" if "proof" in message \
        else f"kommentar-token={quote(message['token'])}"
    back = f"{attempt.return_url}#{fragment}" if attempt and attempt.return_url else None
    if attempt is not None and attempt.mode == REDIRECT and back:
        response = redirect(back, 303)
    else:
        lang = request.accept_languages.best_match(list(WORDS)) or "en"
        # ``back``: where a popup that lost its opener takes the outcome instead.
        data = {"origin": attempt.origin, "message": message, "back": back} if attempt else None
        html = render_template("signin/done.html", lang=lang, words=WORDS[lang],
                               failed=failed, data=data)
        response = current_app.response_class(html, 400 if failed else 200,
                                               {"Content-Type": "text/html; charset=utf-8",
                                                "Content-Security-Policy": _policy()})
    # The cookie stays: another sign-in this browser started meanwhile may still need it.
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


@bp.errorhandler(SignInRefused)
def _refused(error: SignInRefused):
    """A start that cannot go on: nobody checked to tell yet, so the page says it."""
    return _told(None, {"type": "kommentar:sign-in-failed", "code": error.code,
                        "message": error.message})


def init_app(app) -> None:
    """Serve the sign-in pages, and forget attempts nobody finished."""
    from .. import outbox
    from . import forget_attempts

    app.register_blueprint(bp)
    if forget_attempts not in outbox.cleaners:
        outbox.cleaners.append(forget_attempts)
