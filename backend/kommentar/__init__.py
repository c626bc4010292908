"""Kommentar: a self-hosted comment system. ``create_app`` builds the Flask application."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask.sessions import SessionInterface
from werkzeug.middleware.proxy_fix import ProxyFix

from . import (
    admin,
    api,
    compress,
    cors,
    db,
    errors,
    feeds,
    headers,
    landing,
    mail,
    migrations,
    moderators,
    notices,
    ratelimits,
    static,
    webhooks,
)
from . import config as settings
from .api.request import client_key
from .cache import DocumentCache
from .comments import Policy
from .links import pages as link_pages
from .signin import pages as signin_pages
from .tokens import Signer


class NoSessions(SessionInterface):
    """Flask's cookie session, never opened: the API is stateless (bearer tokens) and the
    admin signs its own cookie (``admin/session.py``), so checking a signature on every
    request would be pure cost."""

    def open_session(self, app, request):
        return self.make_null_session(app)

    def save_session(self, app, session, response) -> None:
        pass


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the application from defaults, the config file, the environment and ``config``."""
    app = Flask(__name__, instance_relative_config=True, static_folder=None)
    app.config.update(settings.load(app.instance_path, config))
    app.config["MAX_CONTENT_LENGTH"] = app.config["MAX_REQUEST_BYTES"]
    app.json.sort_keys = False
    app.json.compact = True
    app.session_interface = NoSessions()
    if app.config["TRUSTED_PROXIES"]:
        hops = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    signer = app.extensions["kommentar.signer"] = Signer(app.config["SECRET_KEY"])
    app.extensions["kommentar.policy"] = Policy.from_config(app.config, signer)
    app.extensions["kommentar.documents"] = DocumentCache(app.config["THREAD_CACHE_MB"] << 20)

    db.init_app(app)
    migrations.init_app(app)
    webhooks.init_app(app)
    notices.init_app(app)
    mail.init_app(app)
    moderators.init_app(app)
    compress.init_app(app)  # first registered, so it runs last, on the finished response
    errors.init_app(app)
    cors.init_app(app)
    headers.init_app(app)
    api.init_app(app)
    static.init_app(app)
    landing.init_app(app)
    admin.init_app(app)
    link_pages.init_app(app)
    signin_pages.init_app(app)
    feeds.init_app(app)
    ratelimits.init_app(app, client_key)  # last: it wraps the views the blueprints registered
    return app
