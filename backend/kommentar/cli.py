"""The ``kommentar`` command: write a config, migrate, serve, deliver, and make accounts."""

from __future__ import annotations

import html
import os
import secrets
import sys
from datetime import timedelta
from pathlib import Path

import click

from . import config as settings
from .imports import FORMATS as IMPORT_FORMATS


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
    from .urls import normalise_origin

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
    from . import db, migrations

    _app(config_path)
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

    app = _app(config_path)  # created (and migrated) once, before the workers fork
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
    """Send the outbox's messages (webhook calls), retrying those that fail, until stopped.

    `serve` runs this in the background unless given --no-deliver. Any number may run on one
    database, on any number of machines: each message goes out once."""
    import logging
    import signal
    import threading

    from . import db, outbox

    app = _app(config_path)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s [deliver] %(message)s")
    if once:
        with db.database.connection_context():
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
    from . import mail as mailing

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


# --- moderation: admin accounts, pruning and purging --------------------------------------------

class Duration(click.ParamType):
    """A span of time written as a number and a unit: 90s, 15m, 12h, 30d, 2w."""

    name = "duration"
    UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}

    def convert(self, value, param, ctx):
        if isinstance(value, timedelta):
            return value
        text = str(value).strip().lower()
        if len(text) < 2 or text[-1] not in self.UNITS or not text[:-1].isdigit():
            self.fail(f"{value!r} is not a duration such as 30d, 12h or 90m", param, ctx)
        return timedelta(**{self.UNITS[text[-1]]: int(text[:-1])})


def _read_password(from_stdin: bool) -> str:
    """The new password: one line from standard input for scripts, else asked twice, hidden."""
    if from_stdin or not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\r\n")
    return click.prompt("Password", hide_input=True, confirmation_prompt=True)


@main.group()
def admin() -> None:
    """Accounts with the admin role, who may use /admin."""


@admin.command("create")
@click.argument("username")
@click.option("--promote", is_flag=True, help="Make an existing account an admin instead.")
@click.option("--password-stdin", is_flag=True,
              help="Read the password from standard input (the default when it is not a tty).")
@click.pass_obj
def admin_create(config_path: str | None, username: str, promote: bool,
                 password_stdin: bool) -> None:
    """Create an admin account (the password is asked for), or --promote an existing one."""
    from . import accounts, db, moderation
    from .errors import KommentarError
    from .models import User

    app = _app(config_path)
    password = None if promote else _read_password(password_stdin)  # not while holding a lock
    with db.database.connection_context():
        try:
            with db.database.atomic():
                if promote:
                    user = User.get_or_none(
                        User.username_key == accounts.username_key(username.strip()))
                    if user is None:
                        raise click.ClickException(f"no account named {username!r}")
                else:
                    user = accounts.register(username, password,
                                             hasher=accounts.hasher(app.config))
                User.update(role="admin").where(User.id == user.id).execute()
                moderation.record(None, "admin_promote" if promote else "admin_create",
                                  f"user:{user.id}", user.username)
        except KommentarError as error:
            raise click.ClickException(error.message) from None
    click.echo(f"{user.username} is an admin (account {user.id})")


@admin.command("list")
@click.pass_obj
def admin_list(config_path: str | None) -> None:
    """List the admin accounts."""
    from . import db
    from .models import User

    _app(config_path)
    with db.database.connection_context():
        for user in User.select().where(User.role == "admin").order_by(User.id):
            click.echo(f"{user.id}\t{user.username}\t{user.created:%Y-%m-%d}")


def _thread_id(ref: str) -> int:
    """A thread named by its id, its page URL or its explicit ``id:...`` key."""
    from . import urls
    from .errors import KommentarError
    from .models import Thread

    if ref.isdigit():
        found = Thread.get_or_none(Thread.id == int(ref))
    else:
        try:
            key = ref if ref.startswith("id:") else urls.normalise_url(ref)
        except KommentarError as error:
            raise click.BadParameter(error.message, param_hint="--thread") from None
        found = Thread.get_or_none((Thread.key == key) | (Thread.url == key))
    if found is None:
        raise click.BadParameter(f"no thread {ref!r}", param_hint="--thread")
    return found.id


def _prune_filter(author, ip_hash, thread, text, older_than, status):
    from . import accounts, review
    from .models import User, utcnow

    author_id = None
    if author is not None:
        user = User.get_or_none(User.username_key == accounts.username_key(author.strip()))
        if user is None:
            raise click.BadParameter(f"no account named {author!r}", param_hint="--author")
        author_id = user.id
    return review.Filter(
        status=status, author=author_id, ip_hash=ip_hash or None, text=text or None,
        thread=_thread_id(thread) if thread else None,
        older_than=utcnow() - older_than if older_than is not None else None)


def _row(comment) -> str:
    who = comment.author.username if comment.author else f"{comment.name} (anonymous)"
    line = " ".join(comment.text.split())
    return f"{comment.id:>8}  {comment.created:%Y-%m-%d %H:%M}  {who[:24]:<24}  {line[:60]}"


@main.command()
@click.option("--author", help="Username of the account that wrote them.")
@click.option("--ip-hash", help="Hashed IP address (as the admin route shows it).")
@click.option("--thread", help="Thread id, page URL, or id:<explicit thread id>.")
@click.option("--text", help="Text the comment contains (case-insensitive).")
@click.option("--older-than", type=Duration(), help="Written longer ago than this, e.g. 30d.")
@click.option("--status", type=click.Choice(["published", "pending", "spam"]))
@click.option("--dry-run", is_flag=True, help="List what would be deleted and change nothing.")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.pass_obj
def prune(config_path: str | None, author, ip_hash, thread, text, older_than, status,
          dry_run: bool, yes: bool) -> None:
    """Delete (undoably, like the admin route) every comment matching all the filters given."""
    from . import db, moderation, review
    from .models import DELETED, Comment
    from .review import MAX_PER_PAGE, condition

    app = _app(config_path)
    with db.database.connection_context():
        chosen = _prune_filter(author, ip_hash, thread, text, older_than, status)
        if chosen.is_empty():
            raise click.UsageError("give at least one filter; prune will not delete everything")
        count = Comment.select().where(condition(chosen) & (Comment.status != DELETED)).count()
        if dry_run:
            page, rows = 1, True
            while rows:
                rows, _ = review.comments(chosen, page, MAX_PER_PAGE)
                for comment in rows:
                    if comment.status != DELETED:
                        click.echo(_row(comment))
                page += 1
            click.echo(f"{count} comments would be deleted ({review.describe(chosen)})")
            return
        if not count:
            click.echo("no comments match")
            return
        if not yes:
            click.confirm(f"Delete {count} comments ({review.describe(chosen)})?", abort=True)
        deleted = moderation.act(None, "delete", chosen)
    days = app.config["UNDO_WINDOW"] / 86400
    click.echo(f"deleted {deleted} comments; an admin can undo this for {days:g} days")


def _purging(config_path: str | None, age: timedelta | None, setting: str, purge):
    """Run a scheduled purge with the age given, else the setting's; return (age, result)."""
    from . import db

    app = _app(config_path)
    if age is None:
        age = timedelta(seconds=app.config[setting])
    with db.database.connection_context():
        return age, purge(age)


@main.command()
@click.option("--undo-window", type=Duration(), default=None,
              help="Purge deletions older than this (default: the undo_window setting).")
@click.pass_obj
def purge(config_path: str | None, undo_window: timedelta | None) -> None:
    """Remove for good the deleted comments whose undo window has passed (run it daily)."""
    from . import moderation

    undo_window, purged = _purging(config_path, undo_window, "UNDO_WINDOW", moderation.purge)
    click.echo(f"purged {purged} deleted comments")


@main.command("purge-ip-hashes")
@click.option("--retention", type=Duration(), default=None,
              help="Clear hashes older than this (default: the ip_hash_retention setting).")
@click.pass_obj
def purge_ip_hashes(config_path: str | None, retention: timedelta | None) -> None:
    """Clear client IP hashes past their retention, and drop ended IP bans (run it daily)."""
    from . import privacy

    retention, purged = _purging(config_path, retention, "IP_HASH_RETENTION",
                                 privacy.purge_ip_hashes)
    kept = "" if retention else " (retention 0: hashes are kept)"
    click.echo(f"cleared {purged.comments} comment and {purged.votes} vote IP hashes{kept}; "
               f"removed {purged.bans} ended IP bans")


def _mapping(ctx, param, values) -> tuple[tuple[str, str], ...]:
    from .errors import KommentarError
    from .imports.plan import prefix

    pairs = []
    for value in values:
        old, sep, new = value.partition("=")
        if not sep or not old or not new:
            raise click.BadParameter(f"{value!r} is not FROM=TO", ctx=ctx, param=param)
        try:
            pairs.append((prefix(old), prefix(new)))
        except KommentarError as error:
            raise click.BadParameter(f"{value!r}: {error.message}", ctx=ctx,
                                     param=param) from None
    return tuple(pairs)


@main.command("import")
@click.argument("format_name", metavar="FORMAT", type=click.Choice(list(IMPORT_FORMATS)))
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--site", help="The origin of the pages, for formats that keep only paths "
              "(Isso, Commento), e.g. https://blog.example.")
@click.option("--map", "maps", multiple=True, callback=_mapping, metavar="FROM=TO",
              help="Move the threads under URL FROM to TO, e.g. http://old.example="
              "https://new.example (repeat; whole path segments).")
@click.option("--thread-key", type=click.Choice(["url", "identifier"]), default="url",
              help="Key Disqus threads by their link (default) or their disqus_identifier. "
              "(A Kommentar export keeps its threads' own keys.)")
@click.option("--dry-run", is_flag=True, help="Read and check everything; write nothing.")
@click.pass_obj
def import_(config_path: str | None, format_name: str, file: Path, site: str | None,
            maps, thread_key: str, dry_run: bool) -> None:
    """Import the comments in FILE, exported from another system (or from this one).

    A Kommentar export goes into an empty database exactly as it was (ids, accounts, votes,
    bans, audit log); into one that has anything already, it is merged like any import."""
    from . import db, imports
    from .backup import restore
    from .errors import KommentarError
    from .imports.importer import Options, Refused, run, terminal_progress
    from .imports.records import Malformed
    from .urls import normalise_origin

    try:
        site = normalise_origin(site) if site else None
    except KommentarError as error:
        raise click.BadParameter(error.message, param_hint="--site") from None
    app = _app(config_path)
    policy = app.extensions["kommentar.policy"]
    retention = timedelta(seconds=app.config["IP_HASH_RETENTION"]) or None
    reader = imports.reader(format_name)
    own = format_name == "kommentar"
    options = Options(site=site, maps=maps, thread_key="identifier" if own else thread_key,
                      dry_run=dry_run)
    try:
        with db.database.connection_context():
            if own and restore.is_empty():
                if maps:
                    raise click.UsageError("--map applies to a merge: into this empty "
                                           "database the export is restored as it was, every "
                                           "thread at its own address")
                click.echo(restore.restore(file, policy, dry_run, terminal_progress()).summary())
                return
            report = run(lambda: reader.read(file, site), policy, policy.defences.signer,
                         options, retention, terminal_progress())
    except (Malformed, Refused) as error:
        raise click.ClickException(f"{file}: {error}") from None
    if own:
        click.echo("This database has accounts, threads or comments already, so the export is "
                   "merged like any import: its threads and comments with new ids; its "
                   "accounts, votes, bans and audit log stay behind. To restore it exactly, "
                   "import it into an empty database.")
    click.echo(report.summary())


@main.command()
@click.argument("file", type=click.Path(dir_okay=False, allow_dash=True, path_type=Path))
@click.pass_obj
def export(config_path: str | None, file: Path) -> None:
    """Write everything a restore needs to FILE: gzipped when its name ends in .gz, to
    standard output for "-". It holds password hashes: keep it as safe as the database."""
    from . import db
    from .backup.export import Export, save, write

    app = _app(config_path)
    dump = Export(app.config["ORIGINS"])
    try:
        with db.database.connection_context():
            if str(file) == "-":
                write(dump.lines(), sys.stdout.buffer, gzip=False)
            else:
                save(dump.lines(), file)
    except OSError as error:
        raise click.ClickException(f"cannot write {file}: {error.strerror}") from None
    click.echo(dump.summary(), err=True)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
