"""The ``kommentar`` command: write a config, migrate, serve, and make accounts."""

from __future__ import annotations

import os
import secrets
import sys

import click

from . import config as settings


def _app(config_path: str | None, **overrides):
    from . import create_app

    if config_path:
        overrides["config"] = config_path
    try:
        return create_app(overrides)
    except settings.ConfigError as error:
        raise click.ClickException(str(error)) from None


@click.group()
@click.option("--config", "config_path", envvar="KOMMENTAR_CONFIG", type=click.Path(),
              help="TOML config file (also KOMMENTAR_CONFIG).")
@click.pass_context
def main(ctx: click.Context, config_path: str | None) -> None:
    """Kommentar, a self-hosted comment system."""
    ctx.obj = config_path


@main.command()
@click.option("--origin", "origins", multiple=True, required=True,
              help="A site origin allowed to embed comments, e.g. https://blog.example (repeat).")
@click.option("--database-url", default=None, help="peewee database URL (default: SQLite).")
@click.option("--anonymous/--accounts-only", default=True,
              help="Allow comments without an account.")
@click.option("--force", is_flag=True, help="Overwrite an existing config file.")
@click.pass_obj
def init(config_path: str | None, origins, database_url, anonymous, force) -> None:
    """Write a config file with a fresh secret key, and create the database."""
    from .errors import KommentarError
    from .identity import normalise_origin

    path = config_path or "kommentar.toml"
    if os.path.exists(path) and not force:
        raise click.ClickException(f"{path} exists; use --force to replace it")
    try:  # before writing: a refused origin must not leave a half-made file behind
        origins = [normalise_origin(origin) for origin in origins]
    except KommentarError as error:
        raise click.BadParameter(error.message, param_hint="--origin") from None
    lines = [
        "# Kommentar configuration: see the README for every setting.",
        f"secret_key = [{_toml(secrets.token_urlsafe(32))}]  # keep secret; rotate by prepending",
        f"origins = [{', '.join(_toml(o) for o in origins)}]",
        f"anonymous = {'true' if anonymous else 'false'}",
    ]
    if database_url:
        lines.append(f"database_url = {_toml(database_url)}")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)  # open's mode only applies to a new file, not one --force replaces
    with os.fdopen(fd, "w") as file:
        file.write("\n".join(lines) + "\n")
    app = _app(path)
    click.echo(f"wrote {path}; database ready at {app.config['DATABASE_URL']}")


def _toml(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


@main.command()
@click.pass_obj
def migrate(config_path: str | None) -> None:
    """Create or upgrade the database schema (serve does this too)."""
    from . import db

    _app(config_path)
    with db.database.connection_context():
        click.echo(f"schema at version {db.schema_version()}")


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8080, show_default=True, type=int)
@click.option("--workers", default=1, show_default=True, type=int,
              help="Processes; more than one needs ratelimit_storage on Redis to share limits.")
@click.option("--threads", default=4, show_default=True, type=int, help="Threads per process.")
@click.pass_obj
def serve(config_path: str | None, host: str, port: int, workers: int, threads: int) -> None:
    """Migrate the schema, then serve with gunicorn."""
    from gunicorn.app.base import BaseApplication

    app = _app(config_path)  # created (and migrated) once, before the workers fork

    class Server(BaseApplication):
        def load_config(self):
            self.cfg.set("bind", f"{host}:{port}")
            self.cfg.set("workers", workers)
            self.cfg.set("threads", threads)
            self.cfg.set("worker_class", "gthread" if threads > 1 else "sync")
            self.cfg.set("accesslog", "-")
            self.cfg.set("timeout", 30)

        def load(self):
            return app

    Server().run()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
