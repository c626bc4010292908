"""Setting a server up and running it: ``init``, ``migrate``, ``serve``, ``deliver`` and
``mail test``."""

from __future__ import annotations

import html
import os
import secrets
import sys

import click

from .. import config as settings
from .base import app_for, main


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
    from ..errors import KommentarError
    from ..urls import normalise_origin

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
    app = app_for(path)
    click.echo(f"wrote {path}; database ready at {app.config['DATABASE_URL']}")


def _toml(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


@main.command()
@click.pass_obj
def migrate(config_path: str | None) -> None:
    """Create or upgrade the database schema (serve does this too)."""
    from .. import db, migrations

    app_for(config_path)
    with db.database.connection_context():
        click.echo(f"schema at version {migrations.schema_version()}")


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8080, show_default=True, type=int)
@click.option("--workers", default=1, show_default=True, type=int,
              help="Processes; more than one needs ratelimit_storage on Redis to share limits.")
@click.option("--threads", default=4, show_default=True, type=int, help="Threads per process.")
@click.option("--access-log/--no-access-log", default=True, show_default=True,
              help="A line per request on standard output (a proxy in front may log already).")
@click.option("--deliver/--no-deliver", default=True, show_default=True,
              help="Send the outbox's messages from a background process; --no-deliver where "
              "`kommentar deliver` runs on its own.")
@click.pass_obj
def serve(config_path: str | None, host: str, port: int, workers: int, threads: int,
          access_log: bool, deliver: bool) -> None:
    """Migrate the schema, then serve with gunicorn (and deliver the outbox's messages)."""
    from gunicorn.app.base import BaseApplication

    app = app_for(config_path)  # created (and migrated) once, before the workers fork
    deliverer = Deliverer(config_path)

    class Server(BaseApplication):
        def load_config(self):
            self.cfg.set("bind", f"{host}:{port}")
            self.cfg.set("workers", workers)
            self.cfg.set("threads", threads)
            self.cfg.set("worker_class", "gthread" if threads > 1 else "sync")
            self.cfg.set("accesslog", "-" if access_log else None)
            self.cfg.set("timeout", 30)
            # No cut-off of gunicorn's own (an HTML 414 at 4094 bytes): the app refuses an
            # over-long request line itself, as JSON (errors.MAX_TARGET_BYTES).
            self.cfg.set("limit_request_line", 0)
            # gunicorn's control socket is one path per user (~/.gunicorn/gunicorn.ctl): a
            # second server on the machine would take it over from the first. Nothing uses it.
            self.cfg.set("control_socket_disable", True)
            if deliver:  # one process beside the workers, so nothing is sent twice
                self.cfg.set("when_ready", deliverer.start)
                self.cfg.set("on_exit", deliverer.stop)

        def load(self):
            return app

    Server().run()


class Deliverer:
    """``kommentar deliver`` as ``serve``'s child: started once gunicorn listens, stopped when
    it exits, and ending by itself if the server is killed (``--parent``)."""

    def __init__(self, config_path: str | None):
        self.config_path = config_path
        self.process = None

    def start(self, _arbiter) -> None:
        """Start the delivery process (gunicorn's ``when_ready``)."""
        import subprocess

        config = ["--config", self.config_path] if self.config_path else []
        self.process = subprocess.Popen([sys.executable, "-m", "kommentar.cli", *config,  # noqa: S603 - ours
                                         "deliver", "--parent", str(os.getpid())])

    def stop(self, _arbiter) -> None:
        """Let it finish the message at hand, and end it (gunicorn's ``on_exit``)."""
        import subprocess

        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()


@main.command()
@click.option("--once", is_flag=True, help="Send what is due now, then exit.")
@click.option("--parent", type=int, hidden=True, help="Stop once this process is gone.")
@click.pass_obj
def deliver(config_path: str | None, once: bool, parent: int | None) -> None:
    """Send the outbox's messages (webhook calls, mail), retrying those that fail, until stopped.

    `serve` runs this in the background unless given --no-deliver. Any number may run on one
    database, on any number of machines: each message goes out once."""
    import logging
    import signal
    import threading

    from .. import db, outbox
    from ..models import utcnow

    app = app_for(config_path)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s [deliver] %(message)s")
    with app.app_context():  # what is prepared for sending is written with the app's templates
        if once:
            with db.database.connection_context():
                outbox.prepare(utcnow())
                click.echo(outbox.deliver_due(app.config).summary())
            return
        stop = threading.Event()
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stop.set())
        outbox.run(app.config, stop, lambda: parent is None or os.getppid() == parent)


# --- mail --------------------------------------------------------------------------------------

@main.group()
def mail() -> None:
    """Mail over SMTP: on when smtp_host is set."""


@mail.command("test")
@click.argument("address")
@click.pass_obj
def mail_test(config_path: str | None, address: str) -> None:
    """Send a short message to ADDRESS; show the server's answer."""
    from .. import mail as mailing

    try:  # the settings alone: sending a test mail has no business with the database
        config = settings.load("", {"config": config_path} if config_path else {})
    except settings.ConfigError as error:
        raise click.ClickException(str(error)) from None
    mailer = mailing.Mailer.from_config(config)
    if mailer is None:
        raise click.ClickException("mail is off: set smtp_host, public_url and mail_from")
    try:
        mailing.address(address)
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="ADDRESS") from None
    site = config["PUBLIC_URL"]
    message = mailer.message(
        address, "Kommentar: test message",
        f"This is a test message from the Kommentar server at {site}.\n\n"
        "If you can read it, the server's mail settings work.\n",
        f"<p>This is a test message from the Kommentar server at "
        f"<a href=\"{html.escape(site)}\">{html.escape(site)}</a>.</p>\n"
        "<p>If you can read it, the server's mail settings work.</p>\n")
    try:
        answer = mailer.send(message)
    except mailing.MailError as error:
        raise click.ClickException(f"not sent: {error.reason}") from None
    click.echo(f"{mailer.server} took the message: {answer}")
