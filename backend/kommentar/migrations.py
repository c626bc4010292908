"""Schema versions: an empty database is built from today's models at once; an older one is
brought up to date by the steps it lacks, in order, one transaction per step, keeping its data.

Each step writes out the columns, tables and indexes it adds as they were when it shipped,
never by pointing at today's models: a field changed later must not make an old database
upgrade to a different schema than a new one gets. ``tests/test_migrations.py`` upgrades a
real version-1 database and compares it with a fresh one, column for column.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from peewee import (
    AutoField,
    CharField,
    Database,
    DateTimeField,
    ForeignKeyField,
    IntegerField,
    Model,
    TextField,
    fn,
)
from playhouse.migrate import SchemaMigrator
from playhouse.migrate import migrate as run_migrations

from .db import connect_patiently, database, disconnect, is_postgres
from .models import MODELS


class SchemaVersion(Model):
    """One row per migration applied."""

    version = IntegerField(primary_key=True)

    class Meta:
        database = database
        table_name = "kommentar_schema"


def _frozen_table(db: Database, name: str, fields: dict[str, Any],
                  indexes: tuple = ()) -> type[Model]:
    """A table as one step defines it, with its own field instances, bound to ``db``."""
    meta = type("Meta", (), {"database": db, "table_name": name, "indexes": indexes})
    return type(name, (Model,), {**fields, "Meta": meta})  # peewee names indexes after it


def _initial_schema(db: Database) -> None:
    """Version 1: the comment server's tables as first shipped (comments, votes, accounts).

    Only an empty database starts here, and it is built at once from today's models (see
    ``migrate``), so this step names no columns of its own."""


def _moderation(db: Database) -> None:
    """Version 2: pinning, spam reasons, undoable deletion, bans and the audit log."""
    migrator = SchemaMigrator.from_database(db)
    # Not through the migrator: on SQLite it adds a NOT NULL column by rebuilding the table,
    # and dropping the old one fires ON DELETE CASCADE on every reply. Plain SQL keeps them.
    db.execute_sql('ALTER TABLE "comment" ADD COLUMN "pinned" BOOLEAN NOT NULL DEFAULT FALSE')
    run_migrations(
        migrator.add_column("comment", "spam_reason", CharField(max_length=200, null=True)),
        migrator.add_column("comment", "status_before", CharField(max_length=10, null=True)),
        migrator.add_column("comment", "status_changed", DateTimeField(null=True)),
        migrator.add_column("comment", "fingerprint", CharField(max_length=32, null=True)),
        migrator.add_index("comment", ("status", "id")),
        migrator.add_index("comment", ("ip_hash", "id")),
        migrator.add_index("comment", ("fingerprint", "created")),
    )
    user = _frozen_table(db, "user", {"id": AutoField()})  # only referred to, never created
    ban = _frozen_table(db, "ban", {
        "id": AutoField(),
        "target": CharField(max_length=80),
        "kind": CharField(max_length=10),
        "until": DateTimeField(null=True),
        "reason": CharField(max_length=200),
        "created_by": ForeignKeyField(user, null=True, on_delete="SET NULL"),
        "created": DateTimeField(),
    }, indexes=((("target", "kind"), True),))
    audit_entry = _frozen_table(db, "audit_entry", {
        "id": AutoField(),
        "actor": ForeignKeyField(user, null=True, on_delete="SET NULL"),
        "actor_name": CharField(max_length=40),
        "action": CharField(max_length=40),
        "target": CharField(max_length=200),
        "detail": TextField(),
        "created": DateTimeField(index=True),
    })
    db.create_tables([ban, audit_entry])


def _listing_indexes(db: Database) -> None:
    """Version 3: a version number per thread, which the workers' document caches check,
    and indexes that hand out a page of top-level comments already in order."""
    db.execute_sql('ALTER TABLE "thread" ADD COLUMN "version" INTEGER NOT NULL DEFAULT 0')
    for statement in (
        'DROP INDEX "comment_thread_id_parent_id_id"',
        'DROP INDEX "comment_thread_id_parent_id_score_id"',
        'CREATE INDEX "comment_listing_oldest" ON "comment" '
        '("thread_id", "depth", "pinned" DESC, "id")',
        'CREATE INDEX "comment_listing_newest" ON "comment" ("thread_id", "depth", "pinned", "id")',
        'CREATE INDEX "comment_listing_best" ON "comment" '
        '("thread_id", "depth", "pinned" DESC, "score" DESC, "id")',
    ):
        db.execute_sql(statement)


def _imports(db: Database) -> None:
    """Version 4: where an imported comment came from (so importing again adds nothing), and
    the votes it brought, which its tally keeps when its own votes are counted again."""
    migrator = SchemaMigrator.from_database(db)
    for column in ("imported_up", "imported_down"):
        db.execute_sql(f'ALTER TABLE "comment" ADD COLUMN "{column}" INTEGER NOT NULL DEFAULT 0')
    run_migrations(
        migrator.add_column("comment", "import_source", CharField(max_length=200, null=True)),
        migrator.add_column("comment", "import_id", CharField(max_length=200, null=True)),
        migrator.add_index("comment", ("import_source", "import_id"), unique=True),
    )


def _outbox(db: Database) -> None:
    """Version 5: the outbox, messages written with the event that caused them and sent
    afterwards (webhook calls; mail)."""
    outbox_message = _frozen_table(db, "outbox_message", {
        "id": AutoField(),
        "kind": CharField(max_length=20),
        "event": CharField(max_length=40),
        "destination": CharField(max_length=2100),
        "headers": TextField(),
        "payload": TextField(),
        "state": CharField(max_length=10),
        "attempts": IntegerField(),
        "due": DateTimeField(null=True),
        "give_up": DateTimeField(),
        "last_error": TextField(null=True),
        "created": DateTimeField(),
        "sent": DateTimeField(null=True),
    }, indexes=((("due", "id"), False), (("state", "created", "id"), False)))
    db.create_tables([outbox_message])


def _mail_links(db: Database) -> None:
    """Version 6: verified account addresses, and the links from mail that have been used."""
    used_link = _frozen_table(db, "used_link", {
        "digest": CharField(max_length=64, primary_key=True),
        "expires": DateTimeField(index=True),
    })
    db.create_tables([used_link])
    migrator = SchemaMigrator.from_database(db)
    run_migrations(migrator.add_column("user", "email_verified", DateTimeField(null=True)))


def _notifications(db: Database) -> None:
    """Version 7: reply notifications by mail: the addresses readers gave (confirmed or
    not, stopped or not), the comments whose replies they want, replies waiting to be
    mailed, and when each address was last mailed about each thread."""
    thread = _frozen_table(db, "thread", {"id": AutoField()})  # only referred to
    comment = _frozen_table(db, "comment", {"id": AutoField()})
    mail_address = _frozen_table(db, "mail_address", {
        "id": AutoField(),
        "address": CharField(max_length=254),
        "key": CharField(max_length=254, unique=True),
        "confirmed": DateTimeField(null=True),
        "stopped": DateTimeField(null=True),
        "created": DateTimeField(),
    })
    subscription = _frozen_table(db, "subscription", {
        "id": AutoField(),
        "comment": ForeignKeyField(comment, unique=True, on_delete="CASCADE"),
        "address": ForeignKeyField(mail_address, on_delete="CASCADE"),
        "lang": CharField(max_length=5),
        "created": DateTimeField(),
    })
    reply_notice = _frozen_table(db, "reply_notice", {
        "id": AutoField(),
        "subscription": ForeignKeyField(subscription, on_delete="CASCADE"),
        "reply": ForeignKeyField(comment, on_delete="CASCADE"),
        "due": DateTimeField(index=True),
    }, indexes=((("subscription", "reply"), True),))
    thread_mailing = _frozen_table(db, "thread_mailing", {
        "id": AutoField(),
        "address": ForeignKeyField(mail_address, on_delete="CASCADE"),
        "thread": ForeignKeyField(thread, on_delete="CASCADE"),
        "mailed": DateTimeField(index=True),
    }, indexes=((("address", "thread"), True),))
    db.create_tables([mail_address, subscription, reply_notice, thread_mailing])


def _mail_lookups(db: Database) -> None:
    """Version 8: accounts found by their address in any case (password resets), and the
    admins (moderators' mail), through indexes."""
    db.execute_sql('CREATE INDEX "user_email_lower" ON "user" (LOWER("email"))')
    db.execute_sql('CREATE INDEX "user_role" ON "user" ("role")')


def _reports(db: Database) -> None:
    """Version 9: readers' reports of comments, one per reporter and comment."""
    comment = _frozen_table(db, "comment", {"id": AutoField()})  # only referred to
    report = _frozen_table(db, "report", {
        "id": AutoField(),
        "comment": ForeignKeyField(comment, on_delete="CASCADE", index=False),
        "reporter": CharField(max_length=64),
        "reason": CharField(max_length=10),
        "note": CharField(max_length=300, null=True),
        "ip_hash": CharField(max_length=64, null=True),
        "created": DateTimeField(),
    }, indexes=((("comment", "reporter"), True), (("comment", "ip_hash"), False),
                (("reporter", "comment"), False)))
    db.create_tables([report])


def _listing_by_time(db: Database) -> None:
    """Version 10: "oldest" and "newest" list comments by the time they were written (an
    imported comment keeps its time, not its place among ids): their indexes gain it."""
    for statement in (
        'DROP INDEX "comment_listing_oldest"',
        'DROP INDEX "comment_listing_newest"',
        'CREATE INDEX "comment_listing_oldest" ON "comment" '
        '("thread_id", "depth", "pinned" DESC, "created", "id")',
        'CREATE INDEX "comment_listing_newest" ON "comment" '
        '("thread_id", "depth", "pinned", "created", "id")',
    ):
        db.execute_sql(statement)


def _sign_in(db: Database) -> None:
    """Version 11: sign-in with providers: the provider identities that open accounts, and
    the sign-ins under way."""
    user = _frozen_table(db, "user", {"id": AutoField()})  # only referred to
    identity = _frozen_table(db, "identity", {
        "id": AutoField(),
        "user": ForeignKeyField(user, on_delete="CASCADE", index=True),
        "provider": CharField(max_length=32),
        "subject": CharField(max_length=255),
        "created": DateTimeField(),
    }, indexes=((("provider", "subject"), True),))
    attempt = _frozen_table(db, "sign_in_attempt", {
        "state": CharField(max_length=64, primary_key=True),
        "browser": CharField(max_length=64),
        "provider": CharField(max_length=32),
        "verifier": CharField(max_length=128),
        "nonce": CharField(max_length=64),
        "origin": CharField(max_length=2100),
        "mode": CharField(max_length=10),
        "return_url": CharField(max_length=2100, null=True),
        "link_user": ForeignKeyField(user, null=True, on_delete="CASCADE", index=False),
        "created": DateTimeField(index=True),
    })
    db.create_tables([identity, attempt])


MIGRATIONS: list[Callable[[Database], None]] = [
    _initial_schema,
    _moderation,
    _listing_indexes,
    _imports,
    _outbox,
    _mail_links,
    _notifications,
    _mail_lookups,
    _reports,
    _listing_by_time,
    _sign_in,
    # Append new steps here; never edit a step that has shipped, and write every column,
    # table and index out in the step (``_frozen_table`` for a new table), never as today's
    # model field. Use playhouse.migrate's schema migrator for nullable columns and indexes;
    # anything that would make it rebuild a SQLite table (NOT NULL, renames, type changes)
    # loses rows through ON DELETE CASCADE: add such a column with plain ALTER TABLE and a
    # DEFAULT, and declare the model's field with the same type and DEFAULT (Comment.pinned).
]

SCHEMA_VERSION = len(MIGRATIONS)
_MIGRATION_LOCK = 7345012  # PostgreSQL advisory lock id: one migrating worker at a time


def init_app(app) -> None:
    """Bring the configured database up to date at start-up (``db.init_app`` runs first)."""
    migrate()
    disconnect()  # servers fork their workers next, and a connection must not be shared


def schema_version() -> int:
    """The version the connected database is at (0 for an empty database)."""
    if not SchemaVersion.table_exists():
        return 0
    return SchemaVersion.select(fn.MAX(SchemaVersion.version)).scalar() or 0


def _lock(db: Database) -> None:
    """Make concurrent starters on PostgreSQL wait here (SQLite's BEGIN IMMEDIATE does it)."""
    if is_postgres():
        db.execute_sql("SELECT pg_advisory_xact_lock(%s)", (_MIGRATION_LOCK,))


def migrate() -> int:
    """Apply every migration the database lacks, in order; return the resulting version."""
    db = database.obj
    connect_patiently(db)
    with db.connection_context():
        with db.atomic():
            _lock(db)
            SchemaVersion.create_table(safe=True)
            if schema_version() == 0:  # an empty database is built as it is today, in one go
                db.create_tables(MODELS)
                SchemaVersion.insert_many([(v,) for v in range(1, SCHEMA_VERSION + 1)],
                                          fields=[SchemaVersion.version]).execute()
        for version, step in enumerate(MIGRATIONS, start=1):
            with db.atomic():  # BEGIN IMMEDIATE on SQLite: concurrent starters queue here
                _lock(db)
                SchemaVersion.create_table(safe=True)
                if schema_version() >= version:
                    continue
                step(db)
                SchemaVersion.create(version=version)
        return schema_version()
