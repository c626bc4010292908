"""Moderating from the shell: admin accounts, pruning spam, and the daily purges."""

from __future__ import annotations

import sys
from datetime import timedelta

import click

from .base import Duration, app_for, main


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
    from .. import accounts, db, moderation
    from ..errors import KommentarError
    from ..models import User

    app = app_for(config_path)
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
    from .. import db
    from ..models import User

    app_for(config_path)
    with db.database.connection_context():
        for user in User.select().where(User.role == "admin").order_by(User.id):
            click.echo(f"{user.id}\t{user.username}\t{user.created:%Y-%m-%d}")


def _thread_id(ref: str) -> int:
    """A thread named by its id, its page URL or its explicit ``id:...`` key."""
    from .. import urls
    from ..errors import KommentarError
    from ..models import Thread

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
    from .. import accounts, review
    from ..models import User, utcnow

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
    from .. import db, moderation, review
    from ..models import DELETED, Comment
    from ..review import MAX_PER_PAGE, condition

    app = app_for(config_path)
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
    from .. import db

    app = app_for(config_path)
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
    from .. import moderation

    undo_window, purged = _purging(config_path, undo_window, "UNDO_WINDOW", moderation.purge)
    click.echo(f"purged {purged} deleted comments")


@main.command("purge-ip-hashes")
@click.option("--retention", type=Duration(), default=None,
              help="Clear hashes older than this (default: the ip_hash_retention setting).")
@click.pass_obj
def purge_ip_hashes(config_path: str | None, retention: timedelta | None) -> None:
    """Clear client IP hashes past their retention, and drop ended IP bans (run it daily)."""
    from .. import privacy

    retention, purged = _purging(config_path, retention, "IP_HASH_RETENTION",
                                 privacy.purge_ip_hashes)
    kept = "" if retention else " (retention 0: hashes are kept)"
    click.echo(f"cleared {purged.comments} comment, {purged.votes} vote and {purged.reports} "
               f"report IP hashes{kept}; "
               f"removed {purged.bans} ended IP bans")
