"""Accounts over HTTP: register, log in, log out, who am I, its address, a forgotten
password, the sign-in providers linked to it, export and delete."""

from __future__ import annotations

from urllib.parse import quote

from flask import Blueprint, current_app, jsonify, request

from .. import accounts, addresses, identities, privacy, serialize, tokens
from ..cors import site_origin
from ..errors import Forbidden, Invalid, NotFound, Unauthorized
from ..oauth import Profile
from ..ratelimits import limited
from . import request as req

bp = Blueprint("auth", __name__)
FRESH_SIGN_IN = 600  # seconds: deleting an account without a password needs a sign-in this recent
PROOF_MAX_AGE = 300  # seconds between a link's sign-in at the provider and its confirmation


def account(user) -> dict:
    """The signed-in reader's own account: with its address, whether it has a password and
    the providers it signs in with."""
    providers = current_app.config["AUTH_PROVIDERS"]
    return {**serialize.user(user, private=True), "password": identities.has_password(user),
            "providers": [{"name": provider.name, "label": provider.label}
                          for provider in identities.linked(user, providers)]}


def _signed_in(user, status: int = 200):
    return jsonify(token=req.session_token(user), user=account(user)), status


def _local_accounts() -> None:
    """Forbidden local_accounts_off where the calling site signs readers in only with
    providers."""
    site = req.policy().site(site_origin(request.headers.get("Origin")))
    if not site.local_accounts:
        raise Forbidden("This site signs readers in with providers only.",
                        code="local_accounts_off")


@bp.post("/auth/register")
@limited("limit_register", key=req.client_key)
def register():
    """Create an account and sign it in."""
    _local_accounts()
    data = req.body()
    welcome = addresses.welcome(addresses.language(data.get("lang")), req.client_key())
    user = accounts.register(data.get("username"), data.get("password"), data.get("email"),
                             hasher=accounts.hasher(current_app.config), welcome=welcome)
    return _signed_in(user, 201)


@bp.post("/auth/login")
@limited("limit_login", key=req.client_key)
@limited("limit_login_account", key=req.account_name_key, failed_only=True)
def login():
    """Exchange a username and password for a session token."""
    _local_accounts()
    data = req.body()
    return _signed_in(accounts.authenticate(data.get("username"), data.get("password"),
                                            hasher=accounts.hasher(current_app.config)))


@bp.post("/auth/password-reset")
@limited("limit_login", key=req.client_key)
def password_reset():
    """Mail a link to set a new password to the account's verified address, if there is
    one: the answer is the same either way."""
    data = req.body()
    addresses.request_reset(data.get("login"), data.get("lang"), req.client_key())
    return "", 202


def _required_user():
    user = req.session_user()
    if user is None:
        raise Unauthorized("Log in first.")
    return user


@bp.post("/auth/logout")
@limited("limit_edit", req.writer_key)
def logout():
    """End every session of this account, on every device."""
    accounts.log_out_everywhere(_required_user())
    return "", 204


@bp.get("/auth/me")
def me():
    """The signed-in account."""
    return jsonify(user=account(_required_user()))


@bp.patch("/auth/me")
@limited("limit_edit", req.writer_key)
def change_me():
    """Rename the account, or set or remove its address (a new one is sent its verification
    link)."""
    data = req.body()
    user = _required_user()
    if "email" not in data and "username" not in data:
        raise Invalid("Send the username or the email to set (for the email, null or an empty "
                      "string removes it).", code="invalid_input")
    lang = addresses.language(data.get("lang"))
    if "email" in data:
        accounts.validate_email(data["email"])  # all checked before the name changes
    if "username" in data:
        user = accounts.rename(user, data["username"])
    if "email" in data:
        user = addresses.set_address(user, data["email"], lang, req.client_key())
    return jsonify(user=account(user))


def _configured(name: str):
    provider = current_app.config["AUTH_PROVIDERS"].get(name)
    if provider is None:
        raise NotFound("No such sign-in provider here.", code="unknown_provider")
    return provider


@bp.post("/auth/me/providers/<name>")
@limited("limit_edit", req.writer_key)
def link_provider(name: str):
    """A ticket to start linking this provider to the signed-in account: the widget opens
    ``/auth/NAME/start?…&link=TICKET`` with it (a URL, so not the session token itself)."""
    user = _required_user()
    provider = _configured(name)
    ticket = req.signer().sign(tokens.PROVIDER_LINK, {"u": user.id, "v": user.session_version,
                                                      "p": provider.name})
    return jsonify(ticket=ticket)


@bp.put("/auth/me/providers/<name>")
@limited("limit_edit", req.writer_key)
def confirm_link(name: str):
    """Link the provider whose proof the sign-in pages handed over (``kommentar:link-ready``)
    to the signed-in account, which must be the one that asked for it."""
    user = _required_user()
    provider = _configured(name)
    proof = req.body().get("proof")
    payload = req.signer().unsign(tokens.PROVIDER_PROOF, proof, PROOF_MAX_AGE) \
        if isinstance(proof, str) else None
    if not isinstance(payload, dict) or payload.get("p") != provider.name \
            or not isinstance(payload.get("s"), str):
        raise Invalid("Send the proof the sign-in handed over.", code="invalid_input")
    if payload.get("u") != user.id or payload.get("v") != user.session_version:
        raise Forbidden("This link was asked for by another account, or before a log-out.",
                        code="link_for_another_account")
    email = payload.get("e") if isinstance(payload.get("e"), str) else None
    user = identities.sign_in(provider, Profile(payload["s"], None, email), link_to=user)
    return jsonify(user=account(user))


@bp.delete("/auth/me/providers/<name>")
@limited("limit_edit", req.writer_key)
def unlink_provider(name: str):
    """Stop a provider signing in to this account, unless it is the last way in."""
    user = _required_user()
    identities.unlink(user, _configured(name), current_app.config["AUTH_PROVIDERS"])
    return jsonify(user=account(user))


def _attachment(filename: str) -> str:
    # Usernames may hold any letter; a header is Latin-1, so RFC 6266 adds a UTF-8 form.
    plain = filename.encode("ascii", "replace").decode().replace("?", "_")
    if plain == filename:
        return f'attachment; filename="{filename}"'
    return f"attachment; filename=\"{plain}\"; filename*=UTF-8''{quote(filename)}"


@bp.get("/auth/me/export")
def export():
    """Everything stored about the signed-in account, as a JSON download."""
    user = _required_user()
    response = jsonify(serialize.export(privacy.export(user)))
    response.headers["Content-Disposition"] = _attachment(f"kommentar-export-{user.username}.json")
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.delete("/auth/me")
@limited("limit_login", key=req.client_key)
def delete_me():
    """Delete the signed-in account: the password again, so a stolen token is not enough; an
    account without one needs a sign-in with its provider in the last ten minutes."""
    user = _required_user()
    data = req.body()
    if not identities.has_password(user) and req.seconds_since_sign_in() > FRESH_SIGN_IN:
        raise Unauthorized("Sign in again to delete this account.", code="sign_in_again")
    privacy.delete_account(user, data.get("password"), data.get("comments"))
    return "", 204
