"""A reader's own data: downloading everything stored about an account, deleting the
account, and dropping client IP hashes once their retention period has passed.

Plain functions over the models that raise domain errors; the API and the CLI call them.
Deleting an account is one transaction: its votes go (and the tallies they were part of
are recomputed), its comments go or lose every link to it, and the account row goes last.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from peewee import chunked, fn

from . import subscriptions
from .accounts import MAX_PASSWORD, account_key, password_matches
from .db import CHUNK, database, is_postgres
from .errors import Invalid, Unauthorized
from .holds import ADDRESS
from .models import (
    DELETED,
    AuditEntry,
    Ban,
    Comment,
    Identity,
    OutboxMessage,
    Report,
    Thread,
    User,
    Vote,
    utcnow,
)
from .thread_writes import remove_leaf_first, tally, writing

CHOICES = ("delete", "anonymise")
ACCOUNT_LETTERS = "account."  # the events of the letters an account is sent about itself
ANONYMOUS_NAME = "deleted user"  # what an anonymised comment shows in place of the author


@dataclass(frozen=True)
class Export:
    """Everything stored about one account: the row, the provider identities that sign in to
    it, its comments, the votes it cast, the reports it made and the subscriptions to replies
    to its comments (with their addresses)."""

    user: User
    identities: list[Identity]
    comments: list[Comment]
    votes: list[Vote]
    reports: list[Report]
    subscriptions: list[dict[str, Any]]


def export(user: User) -> Export:
    """Collect an account's data, oldest first; never anyone else's."""
    comments = list(Comment.select(Comment, Thread.url).join(Thread)
                    .where(Comment.author == user.id).order_by(Comment.id))
    votes = list(Vote.select().where(Vote.voter == account_key(user.id)).order_by(Vote.id))
    reports = list(Report.select().where(Report.reporter == account_key(user.id))
                   .order_by(Report.id))
    identities = list(Identity.select().where(Identity.user == user.id).order_by(Identity.id))
    return Export(user=user, identities=identities, comments=comments, votes=votes, reports=reports,
                  subscriptions=subscriptions.of_account(user))


def _check_password(user: User, password: object) -> None:
    if not isinstance(password, str):
        raise Invalid("Your password is required to delete the account.", code="invalid_input")
    if not password_matches(user.password_hash, password) or len(password) > MAX_PASSWORD:
        raise Unauthorized("Wrong password.", code="invalid_credentials")


def _remove_votes(user: User) -> None:
    """Remove the account's votes and recompute the tallies they were part of."""
    mine = Vote.voter == account_key(user.id)
    voted_on = [comment for (comment,) in Vote.select(Vote.comment).where(mine).tuples()]
    if is_postgres():  # the row locks a vote takes: a vote meanwhile waits for us
        for batch in chunked(sorted(voted_on), CHUNK):
            list(Comment.select(Comment.id).where(Comment.id.in_(batch)).order_by(Comment.id)
                 .for_update())
    Vote.delete().where(mine).execute()
    tally(voted_on)


def _remove_comments(user: User) -> None:
    """Hard-delete the account's comments that no reply hangs from (its own reply chains go
    whole); the rest become empty placeholders holding others' replies."""
    mine = Comment.author == user.id
    remove_leaf_first(mine)
    Comment.update(status=DELETED, status_changed=utcnow(), status_before=None, text="",
                   html="", name="", author=None, ip_hash=None, spam_reason=None,
                   fingerprint=None).where(mine).execute()


def delete_account(user: User, password: object, comments: object) -> None:
    """Delete an account after checking its password (if it has one: the caller checks a
    provider-only account's recent sign-in), with its votes and reports, and its comments
    either removed (``delete``) or kept without any link to it (``anonymise``); the
    subscriptions of its comments and its verified address go either way."""
    if comments not in CHOICES:
        raise Invalid('Choose "delete" or "anonymise" for the comments.',
                      code="invalid_choice")
    if user.password_hash:
        _check_password(user, password)
    with writing() as changes:
        shown = _threads_shown_in(user)
        subscriptions.forget_account(user)
        _remove_votes(user)
        # A comment its reports helped to hold stays held: the moderators decide it now.
        Report.delete().where(Report.reporter == account_key(user.id)).execute()
        if comments == "delete":
            _remove_comments(user)
            changes.recount(shown)  # the threads it wrote in are among them
        else:
            changes.touch(shown)
            Comment.update(author=None, name=ANONYMOUS_NAME, ip_hash=None) \
                .where(Comment.author == user.id).execute()
        Ban.delete().where(Ban.target == account_key(user.id)).execute()  # SQLite may reuse ids
        Ban.update(created_by=None).where(Ban.created_by == user.id).execute()
        AuditEntry.update(actor=None).where(AuditEntry.actor == user.id).execute()
        if user.email:  # its letters (a verification, a reset link) are kept a while: not now
            OutboxMessage.delete().where(
                (fn.LOWER(OutboxMessage.destination) == user.email.strip().lower())
                & OutboxMessage.event.startswith(ACCOUNT_LETTERS)).execute()
        User.delete().where(User.id == user.id).execute()


def _threads_shown_in(user: User) -> set[int]:
    """The threads whose public documents show this account: its comments or its votes."""
    wrote = Comment.select(Comment.thread).where(Comment.author == user.id)
    voted = (Comment.select(Comment.thread).join(Vote, on=(Vote.comment == Comment.id))
             .where(Vote.voter == account_key(user.id)))
    return {thread for (thread,) in wrote.union(voted).tuples()}


@dataclass(frozen=True)
class Purged:
    """How many rows a purge of IP hashes changed."""

    comments: int
    votes: int
    reports: int
    bans: int


def purge_ip_hashes(retention: timedelta | None) -> Purged:
    """Clear the IP hash of comments, votes and reports older than ``retention`` (None or
    zero keeps them), and remove IP bans and holds that have ended (one for good stays)."""
    now = utcnow()
    comments = votes = reports = 0
    with database.atomic():
        if retention:
            cutoff = now - retention
            comments = Comment.update(ip_hash=None).where(
                Comment.ip_hash.is_null(False) & (Comment.created < cutoff)).execute()
            votes = Vote.update(ip_hash=None).where(
                Vote.ip_hash.is_null(False) & (Vote.created < cutoff)).execute()
            reports = Report.update(ip_hash=None).where(
                Report.ip_hash.is_null(False) & (Report.created < cutoff)).execute()
        bans = Ban.delete().where(Ban.target.startswith(ADDRESS) & Ban.until.is_null(False)
                                  & (Ban.until <= now)).execute()
    return Purged(comments=comments, votes=votes, reports=reports, bans=bans)
