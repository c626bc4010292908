"""What a client needs to know before it starts: the site's rules and the API document."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources

from flask import Blueprint, current_app, jsonify, request

from ..cors import site_origin
from ..defences import form_token
from . import request as req

bp = Blueprint("meta", __name__)


@bp.get("/config")
def config():
    """The public part of the calling site's policy, so the widget shows the right form.

    The site is the page's origin, from ``?origin=`` or the browser's ``Origin`` header."""
    policy = req.policy().site(site_origin(request.args.get("origin")
                                           or request.headers.get("Origin")))
    return jsonify(anonymous=policy.anonymous, voting=policy.voting,
                   account_edit=policy.account_edit, moderation=policy.moderation,
                   max_length=policy.max_length, reports=policy.report_threshold > 0,
                   edit_window=current_app.config["EDIT_WINDOW"],
                   form_token=form_token(req.signer()),
                   mail=bool(current_app.config["SMTP_HOST"]),
                   local_accounts=policy.local_accounts,
                   providers=[{"name": provider.name, "label": provider.label}
                              for provider in current_app.config["AUTH_PROVIDERS"].values()])


@cache
def _document() -> dict:
    return json.loads(resources.files(__package__).joinpath("openapi.json").read_text("utf-8"))


@bp.get("/openapi.json")
def openapi():
    """The OpenAPI 3.1 description of this API."""
    return jsonify(_document())
