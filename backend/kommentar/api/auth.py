"""Accounts over HTTP: register, log in, log out, who am I, its address, a forgotten
password, export and delete."""

from __future__ import annotations

from urllib.parse import quote

from flask import Blueprint, current_app, jsonify

from .. import accounts, addresses, privacy, serialize
from ..errors import Invalid, Unauthorized
from ..ratelimits import limited
from . import request as req

bp = Blueprint("auth", __name__)


def _signed_in(user, status: int = 200):
    return jsonify(token=req.session_token(user), user=serialize.user(user, private=True)), status


@bp.post("/auth/register")
@limited("limit_register", key=req.client_key)
def register():
    """Create an account and sign it in."""
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
    return jsonify(user=serialize.user(_required_user(), private=True))


@bp.patch("/auth/me")
@limited("limit_edit", req.writer_key)
def change_me():
    """Set or remove the account's address; a new one is sent its verification link."""
    data = req.body()
    user = _required_user()
    if "email" not in data:
        raise Invalid("Send the email to set (null or an empty string removes it).",
                      code="invalid_input")
    user = addresses.set_address(user, data["email"], addresses.language(data.get("lang")),
                                 req.client_key())
    return jsonify(user=serialize.user(user, private=True))


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
    """Delete the signed-in account (the password again, so a stolen token is not enough)."""
    user = _required_user()
    data = req.body()
    privacy.delete_account(user, data.get("password"), data.get("comments"))
    return "", 204
