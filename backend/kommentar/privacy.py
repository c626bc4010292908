"""A reader's own data: downloading everything stored about an account, deleting the
account, and dropping client IP hashes once their retention period has passed.

Plain functions over the models that raise domain errors; the API and the CLI call them.
Deleting an account is one transaction: its votes go (and the tallies they were part of
are recomputed), its comments go or lose every link to it, and the account row goes last.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from peewee import SQL, chunked, fn

from . import ranking
from .accounts import MAX_PASSWORD, password_matches
from .comments import recount as recount_threads
from .comments import touch
from .db import database, is_postgres
from .errors import Invalid, Unauthorized
from .models import DELETED, AuditEntry, Ban, Comment, Thread, User, Vote, utcnow

CHOICES = ("delete", "anonymise")
ANONYMOUS_NAME = "deleted user"  # what an anonymised comment shows in place of the author
_CHUNK = 500  # ids per IN list: far below SQLite's and PostgreSQL's parameter limits


@dataclass(frozen=True)
class Export:
    """Everything stored about one account: the row, its comments and the votes it cast."""

    user: User
    comments: list[Comment]
    votes: list[Vote]


def voter_of(user: User) -> str:
    """The voter id an account's votes are stored under."""
    return f"u:{user.id}"


def export(user: User) -> Export:
    """Collect an account's data, oldest first; never anyone else's."""
    comments = list(Comment.select(Comment, Thread.url).join(Thread)
                    .where(Comment.author == user.id).order_by(Comment.id))
    votes = list(Vote.select().where(Vote.voter == voter_of(user)).order_by(Vote.id))
    return Export(user=user, comments=comments, votes=votes)


def _check_password(user: User, password: object) -> None:
    if not isinstance(password, str):
        raise Invalid("Your password is required to delete the account.", code="invalid_input")
    if not password_matches(user.password_hash, password) or len(password) > MAX_PASSWORD:
        raise Unauthorized("Wrong password.", code="invalid_credentials")


def _retally(comment_ids: list[int]) -> None:
    """Recompute up, down and score of these comments from their votes (as ``comments.vote``
    does for one), after votes on them were removed."""
    for batch in chunked(sorted(comment_ids), _CHUNK):
        if is_postgres():  # the same row lock a vote takes: a vote meanwhile waits for us
            list(Comment.select(Comment.id).where(Comment.id.in_(batch)).order_by(Comment.id)
                 .for_update())
        tallies = {comment: (up, down) for comment, up, down in (
            Vote.select(Vote.comment, fn.COUNT(Vote.id).filter(Vote.value == 1),
                        fn.COUNT(Vote.id).filter(Vote.value == -1))
            .where(Vote.comment.in_(batch)).group_by(Vote.comment).tuples())}
        for comment_id in batch:
            up, down = tallies.get(comment_id, (0, 0))
            Comment.update(up=up, down=down, score=ranking.wilson_lower_bound(up, down)) \
                .where(Comment.id == comment_id).execute()


def _remove_votes(user: User) -> None:
    mine = Vote.voter == voter_of(user)
    voted_on = [comment for (comment,) in Vote.select(Vote.comment).where(mine).tuples()]
    Vote.delete().where(mine).execute()
    _retally(voted_on)


def _remove_comments(user: User) -> set[int]:
    """Hard-delete the account's comments that no reply hangs from (leaf first, so its own
    reply chains go whole); the rest become empty placeholders holding others' replies."""
    threads = {thread for (thread,) in Comment.select(Comment.thread)
               .where(Comment.author == user.id).distinct().tuples()}
    child = Comment.alias()
    has_reply = fn.EXISTS(child.select(SQL("1")).where(child.parent == Comment.id))
    mine = Comment.author == user.id
    while True:
        leaves = [i for (i,) in Comment.select(Comment.id).where(mine & ~has_reply).tuples()]
        if not leaves:
            break
        for batch in chunked(leaves, _CHUNK):
            Vote.delete().where(Vote.comment.in_(batch)).execute()
            Comment.delete().where(Comment.id.in_(batch)).execute()
    Comment.update(status=DELETED, status_changed=utcnow(), status_before=None, text="",
                   html="", name="", author=None, ip_hash=None, spam_reason=None,
                   fingerprint=None).where(mine).execute()
    return threads


def delete_account(user: User, password: object, comments: object) -> None:
    """Delete an account after checking its password, with its votes, and its comments
    either removed (``delete``) or kept without any link to it (``anonymise``)."""
    if comments not in CHOICES:
        raise Invalid('Choose "delete" or "anonymise" for the comments.',
                      code="invalid_choice")
    _check_password(user, password)
    with database.atomic():
        changed = _threads_shown_in(user)
        _remove_votes(user)
        if comments == "delete":
            recount_threads(_remove_comments(user))
        else:
            Comment.update(author=None, name=ANONYMOUS_NAME, ip_hash=None) \
                .where(Comment.author == user.id).execute()
        Ban.delete().where(Ban.target == f"u:{user.id}").execute()  # SQLite may reuse the id
        Ban.update(created_by=None).where(Ban.created_by == user.id).execute()
        AuditEntry.update(actor=None).where(AuditEntry.actor == user.id).execute()
        User.delete().where(User.id == user.id).execute()
        touch(changed)


def _threads_shown_in(user: User) -> set[int]:
    """The threads whose public documents show this account: its comments or its votes."""
    wrote = Comment.select(Comment.thread).where(Comment.author == user.id)
    voted = (Comment.select(Comment.thread).join(Vote, on=(Vote.comment == Comment.id))
             .where(Vote.voter == voter_of(user)))
    return {thread for (thread,) in wrote.union(voted).tuples()}


@dataclass(frozen=True)
class Purged:
    """How many rows a purge of IP hashes changed."""

    comments: int
    votes: int
    bans: int


def purge_ip_hashes(retention: timedelta | None) -> Purged:
    """Clear the IP hash of comments and votes older than ``retention`` (None or zero keeps
    them), and remove IP bans and holds that have ended (one for good stays)."""
    now = utcnow()
    comments = votes = 0
    with database.atomic():
        if retention:
            cutoff = now - retention
            comments = Comment.update(ip_hash=None).where(
                Comment.ip_hash.is_null(False) & (Comment.created < cutoff)).execute()
            votes = Vote.update(ip_hash=None).where(
                Vote.ip_hash.is_null(False) & (Vote.created < cutoff)).execute()
        bans = Ban.delete().where(Ban.target.startswith("ip:") & Ban.until.is_null(False)
                                  & (Ban.until <= now)).execute()
    return Purged(comments=comments, votes=votes, bans=bans)
