"""Moving comments in and out: ``import`` from other systems or a backup, and ``export``."""

from __future__ import annotations

import sys
from datetime import timedelta
from pathlib import Path

import click

from ..imports import FORMATS as IMPORT_FORMATS
from .base import app_for, main


def _mapping(ctx, param, values) -> tuple[tuple[str, str], ...]:
    from ..errors import KommentarError
    from ..imports.plan import prefix

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
    from .. import db, imports
    from ..backup import restore
    from ..errors import KommentarError
    from ..imports.importer import Options, Refused, run, terminal_progress
    from ..imports.records import Malformed
    from ..urls import normalise_origin

    try:
        site = normalise_origin(site) if site else None
    except KommentarError as error:
        raise click.BadParameter(error.message, param_hint="--site") from None
    app = app_for(config_path)
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
    from .. import db
    from ..backup.export import Export, save, write

    app = app_for(config_path)
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
