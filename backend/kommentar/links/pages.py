"""The pages links open, all together: each purpose's module adds its routes to ``bp``, and
this one serves them, so the modules that make links (``addresses``, ``subscriptions``,
``moderators``) import ``links`` without importing the pages that import them."""

from __future__ import annotations

from .. import outbox
from . import account, bp, forget_used, moderation, replies

MODULES = (account, moderation, replies)  # imported for the routes they add to bp


def init_app(app) -> None:
    """Serve the pages links open, and forget used links once they have expired."""
    app.register_blueprint(bp)
    if forget_used not in outbox.cleaners:
        outbox.cleaners.append(forget_used)
