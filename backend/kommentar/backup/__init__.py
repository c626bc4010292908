"""This server's own export: the whole database as JSON lines, for a backup to restore exactly
(``restore``) or another Kommentar to merge like any import (``imports/kommentar``);
``export`` writes it and ``reader`` reads it.

The first line is a header (the format, its version, the schema version of the database it
came from, when, and the server's origins); then one line per row, a ``type`` naming its
table and one key per column (a foreign key holds the id it points to, a time is ISO 8601
UTC ending in ``Z``): accounts, their sign-in identities, threads, comments, votes, bans,
audit entries, in that order and each by ascending id, so a row never points at one further
down; the last line counts them, so a file cut short is told apart from a complete one.
Every column goes, password hashes and IP hashes included: the file is as secret as the
database.
"""

from __future__ import annotations

from peewee import Model

from ..models import AuditEntry, Ban, Comment, Identity, Thread, User, Vote

FORMAT, VERSION = "kommentar", 1
# The tables in the order they are written and restored: each only points at those before it.
# (Sign-ins under way are not kept: they last minutes.)
KINDS: dict[str, type[Model]] = {"user": User, "identity": Identity, "thread": Thread,
                                 "comment": Comment, "vote": Vote, "ban": Ban,
                                 "audit": AuditEntry}
NAMES = {"user": "accounts", "identity": "sign-in identities", "thread": "threads",
         "comment": "comments", "vote": "votes", "ban": "bans", "audit": "audit entries"}
ONE = {"user": "account", "identity": "sign-in identity", "thread": "thread",
       "comment": "comment", "vote": "vote", "ban": "ban", "audit": "audit entry"}
END = "end"  # the type of the last line, which counts the rows


def counted(counts) -> str:
    """Rows by table, as a summary says them: "1 account, 5 threads, ..."."""
    return ", ".join(f"{counts[kind]} {NAMES[kind] if counts[kind] != 1 else ONE[kind]}"
                     for kind in KINDS)
