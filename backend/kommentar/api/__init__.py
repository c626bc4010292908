"""The JSON API under ``/api``: one blueprint per resource."""

from __future__ import annotations

from . import auth, comments, meta, preview, reports, threads

BLUEPRINTS = (threads.bp, comments.bp, reports.bp, preview.bp, auth.bp, meta.bp)


def init_app(app) -> None:
    """Register every API blueprint under ``/api``."""
    for blueprint in BLUEPRINTS:
        app.register_blueprint(blueprint, url_prefix="/api")
