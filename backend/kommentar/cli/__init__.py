"""The ``kommentar`` command: write a config, migrate, serve, deliver, moderate, and move
comments in and out. One module per group of commands, all on the one ``main`` group."""

from __future__ import annotations

from . import moderating, serving, transfer  # noqa: F401 - each adds its commands to main
from .base import main

__all__ = ["main"]
