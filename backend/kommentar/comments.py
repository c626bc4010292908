"""Comment operations: posting, editing, deleting and voting. Plain functions over the
models that raise domain errors; the API, the CLI and the admin route all call these.

Every write runs in one transaction (``thread_writes.writing``) and brings the counts
it touches up to date before committing (a new comment adds one, a withdrawal recounts, a
vote moves its comment's tally), so a reader never sees a comment without its count or a
vote without its tally, and an error leaves nothing half-written. Nothing
here needs a Flask app: a script with a database and a ``Policy`` can call them.
"""

from __future__ import annotations

import unicodedata
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from . import render, urls
from .db import execute, insert, is_postgres
from .defences import Defences, Submission, duplicate, fingerprint, spam_reason
from .errors import Forbidden, Invalid, NotFound, Unauthorized
from .holds import verdict
from .models import DELETED, PUBLISHED, SPAM, Comment, Thread, User, Vote, utcnow
from .thread_writes import open_thread, store_tally, writing
from .tokens import Signer

# The lookups of every reply and vote, written out: peewee takes longer to build them than
# the database takes to answer them.
_PARENT = 'SELECT "thread_id", "status", "depth", "root_id" FROM "comment" WHERE "id" = ?'
_LOCK = 'SELECT 1 FROM "comment" WHERE "id" = ? FOR UPDATE'
# The comment voted on with its tally, and the voter's vote on it: their own, else (for an
# anonymous voter) one from their address.
_VOTED_ON = ('SELECT "comment"."thread_id", "comment"."status", "comment"."author_id", '
             '"comment"."up", "comment"."down", "vote"."id", "vote"."value" FROM "comment" '
             'LEFT JOIN "vote" ON "vote"."id" = (SELECT "earlier"."id" FROM "vote" AS "earlier" '
             'WHERE "earlier"."comment_id" = "comment"."id" AND ("earlier"."voter" = ? OR '
             '("earlier"."voter" LIKE ? AND "earlier"."ip_hash" = ?)) '
             'ORDER BY "earlier"."voter" = ? DESC LIMIT 1) '
             'WHERE "comment"."id" = ?')
_REVOTE = 'UPDATE "vote" SET "value" = ?, "voter" = ? WHERE "id" = ?'
_UNVOTE = 'DELETE FROM "vote" WHERE "id" = ?'


@dataclass(frozen=True)
class Policy:
    """The rules for writing, taken from configuration; ``site`` gives one site's rules."""

    origins: tuple[str, ...]
    moderation: str = "none"
    anonymous: bool = True
    voting: str = "anyone"
    account_edit: bool = True
    max_length: int = 10_000
    max_depth: int = 12
    report_threshold: int = 3
    local_accounts: bool = True
    sites: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    defences: Defences = field(default_factory=Defences)

    @classmethod
    def from_config(cls, config, signer: Signer | None = None) -> Policy:
        """The rules a configuration (``config.load``) sets; form tokens are checked with
        ``signer``, by default one over the configured secret keys."""
        signer = signer or Signer(config["SECRET_KEY"])
        return cls(origins=tuple(config["ORIGINS"]), moderation=config["MODERATION"],
                   anonymous=config["ANONYMOUS"],
                   voting=config["VOTING"], account_edit=config["ACCOUNT_EDIT"],
                   max_length=config["MAX_LENGTH"], max_depth=config["MAX_DEPTH"],
                   report_threshold=config["REPORT_THRESHOLD"], sites=config["SITES"],
                   local_accounts=config["LOCAL_ACCOUNTS"],
                   defences=Defences.from_config(config, signer))

    def site(self, origin: str | None) -> Policy:
        """The rules for the site at ``origin`` (a normalised origin): its own where it has some."""
        overrides = self.sites.get(origin) if origin else None
        return replace(self, **overrides) if overrides else self


@dataclass(frozen=True)
class Author:
    """Who is writing: an account, or an anonymous reader known by a keyed IP hash."""

    user: User | None
    ip_hash: str | None


def locate(url: object, thread_id: object, policy: Policy) -> tuple[str, str]:
    """Where a page's comments live: the thread key and the normalised URL, checked as
    request input and against the configured sites (Forbidden for a foreign one)."""
    if not isinstance(url, str):
        raise Invalid("The page URL is required.", code="invalid_url")
    if thread_id is not None and not isinstance(thread_id, str):
        raise Invalid("The thread id must be text.", code="invalid_thread_id")
    normalised = urls.normalise_url(url)
    if urls.origin_of(normalised) not in policy.origins:
        raise Forbidden("This site is not configured to have comments here.",
                        code="origin_not_allowed")
    return urls.thread_key(normalised, thread_id), normalised


def clean_text(text: object, policy: Policy) -> str:
    """A comment's Markdown as it is stored (CRLFs as LFs, trimmed), checked against the
    site's rules; the same check for a post, an edit and a preview."""
    if not isinstance(text, str):
        raise Invalid("The comment text is required.", code="text_empty")
    text = text.replace("\r\n", "\n").strip()
    if "\x00" in text:
        raise Invalid("The comment contains a NUL character.", code="invalid_input")
    if not text:
        raise Invalid("The comment is empty.", code="text_empty")
    if len(text) > policy.max_length:
        raise Invalid(f"The comment is longer than {policy.max_length} characters.",
                      code="text_too_long")
    return text


def _clean_name(name: object) -> str:
    if not isinstance(name, str):
        raise Invalid("A name is required to comment without an account.", code="name_required")
    name = " ".join(unicodedata.normalize("NFC", name).split())
    if not name:
        raise Invalid("A name is required to comment without an account.", code="name_required")
    if len(name) > 60 or any(unicodedata.category(ch)[0] == "C" for ch in name):
        raise Invalid("The name must be at most 60 visible characters.", code="invalid_name")
    return name


def visible(text: str) -> str:
    """The text without control and format characters, its spaces collapsed: how a page
    title is kept (and an imported name or title, ``imports.values``)."""
    if not text.isprintable():  # the usual case skips asking each letter for its category
        text = "".join(ch for ch in text if ch.isspace() or unicodedata.category(ch)[0] != "C")
    return " ".join(text.split())  # tabs and line breaks too


def _clean_title(title: object) -> str:
    if title is None:
        return ""
    if not isinstance(title, str):
        raise Invalid("The page title must be text.", code="invalid_input")
    return visible(title)[:300]


def post(author: Author, policy: Policy, *, url: object, text: object, thread_id: object = None,
         parent: object = None, name: object = None, title: object = None,
         submission: Submission | None = None,
         also: Callable[[Comment], None] | None = None) -> Comment:
    """Write a comment (or a reply when ``parent`` is given) on the page ``url`` names.

    It is published, or held for a moderator (``pending``), or kept as ``spam`` with the
    reason when a defence catches it (see ``defences``). ``also`` is given the new comment
    inside the same transaction, for what is written with it (a subscription)."""
    key, normalised = locate(url, thread_id, policy)
    policy = policy.site(urls.origin_of(normalised))
    body = clean_text(text, policy)
    if author.user is None:
        if not policy.anonymous:
            raise Unauthorized("Log in or create an account to comment.", code="login_required")
        name = _clean_name(name)
    else:
        name = ""
    if parent is not None and (not isinstance(parent, int) or isinstance(parent, bool)):
        raise Invalid("The parent must be a comment id.", code="invalid_parent")
    html = render.render(body)  # outside the transaction: the write lock is held briefly
    caught = spam_reason(policy.defences, submission, text=body, html=html, name=name)
    print_ = fingerprint(body)

    with writing() as changes:
        thread_id, locked = open_thread(key, normalised, _clean_title(title))
        if locked:
            raise Forbidden("This thread is closed for new comments.", code="thread_locked")
        root, depth = None, 0
        if parent is not None:
            above = execute(_PARENT, (parent,)).fetchone()
            if above is None or above[0] != thread_id or above[1] != PUBLISHED:
                raise Invalid("The comment replied to is not in this thread.",
                              code="invalid_parent")
            depth = above[2] + 1
            if depth > policy.max_depth:
                raise Invalid(f"Replies may nest at most {policy.max_depth} levels deep.",
                              code="too_deep")
            root = above[3] or parent
        if caught is None and duplicate(policy.defences, body, print_):
            caught = "the same text was posted moments ago"
        if caught is not None:
            status, reason = SPAM, caught
        else:
            status, reason = verdict(policy.moderation, author.user and author.user.id,
                                     author.ip_hash)
        comment = Comment(thread=thread_id, parent=parent, root=root, depth=depth,
                          author=author.user, name=name, text=body, html=html,
                          ip_hash=author.ip_hash, status=status, spam_reason=reason,
                          fingerprint=print_)
        insert(comment)
        if also is not None:
            also(comment)
        changes.moved(comment.id, None, status)
        if status == PUBLISHED:
            changes.add(thread_id)
        else:
            changes.touch([])  # nothing shown changed: held and spam comments are not listed
    return comment


def published(comment_id: int) -> Comment:
    """A published comment, or NotFound."""
    comment = Comment.get_or_none((Comment.id == comment_id) & (Comment.status == PUBLISHED))
    if comment is None:
        raise NotFound("No such comment.")
    return comment


def site_of(thread_id: int, policy: Policy) -> Policy:
    """The rules of the site a thread is on."""
    if not policy.sites:
        return policy
    return policy.site(urls.origin_of(Thread.get_by_id(thread_id).url))


def _editable(comment_id: int, author: Author, edit_grant: int | None,
              policy: Policy) -> tuple[Comment, Policy]:
    """The comment if this author may change it, with the rules of its site."""
    comment = Comment.get_or_none(Comment.id == comment_id)
    if comment is None or comment.status == DELETED:
        raise NotFound("No such comment.")
    policy = site_of(comment.thread_id, policy)
    if edit_grant == comment.id:
        return comment, policy
    if author.user is not None and comment.author_id == author.user.id:
        if not policy.account_edit:
            raise Forbidden("This site does not allow editing comments.", code="edit_disabled")
        return comment, policy
    raise Forbidden("Only the author may change this comment.")


def edit(comment_id: int, text: object, author: Author, policy: Policy,
         edit_grant: int | None = None) -> Comment:
    """Replace a comment's text; ``edit_grant`` is the comment id an edit token vouches for."""
    _, site = _editable(comment_id, author, edit_grant, policy)
    body = clean_text(text, site)
    html = render.render(body)  # before the transaction: the write lock is held briefly
    with writing() as changes:
        comment, _ = _editable(comment_id, author, edit_grant, policy)
        comment.text, comment.html, comment.edited = body, html, utcnow()
        comment.fingerprint = fingerprint(body)
        comment.save(only=[Comment.text, Comment.html, Comment.edited, Comment.fingerprint])
        changes.touch([comment.thread_id])
    return comment


def delete(comment_id: int, author: Author, policy: Policy, edit_grant: int | None = None) -> None:
    """Withdraw a comment. Its row stays (as a placeholder when it has replies)."""
    with writing() as changes:
        comment, _ = _editable(comment_id, author, edit_grant, policy)
        # No status_before: an author's withdrawal is not a moderator's to undo. The time
        # starts the purge clock.
        Comment.update(status=DELETED, status_changed=utcnow()) \
            .where(Comment.id == comment.id).execute()
        changes.moved(comment.id, comment.status, DELETED)
        changes.recount([comment.thread_id])


ANONYMOUS = "a:"  # the prefix of anonymous_voter


def new_voter() -> str:
    """A fresh anonymous voter id, to be handed out inside a signed voter token."""
    return uuid.uuid4().hex


def anonymous_voter(voter_id: str) -> str:
    """How votes name an anonymous voter: ``a:<id from the voter token>``."""
    return f"{ANONYMOUS}{voter_id}"


def vote(comment_id: int, voter: str, value: object, policy: Policy, *,
         ip_hash: str | None = None, user: User | None = None) -> tuple[int, int, int]:
    """Set this voter's vote on a comment to +1, -1 or 0 (withdrawn); return (up, down, mine).

    ``voter`` is ``u:<account id>`` or ``a:<anonymous id>``. An anonymous vote is also
    matched by IP hash, so dropping the voter token does not buy a second vote.
    """
    if type(value) is not int or value not in (1, -1, 0):
        raise Invalid("A vote is 1, -1 or 0.", code="invalid_vote")
    anonymous = voter.startswith(ANONYMOUS) and ip_hash
    with writing() as changes:
        if is_postgres():  # serialise votes on one comment, so the tally stays exact
            execute(_LOCK, (comment_id,))
        found = execute(_VOTED_ON, (voter, ANONYMOUS + "%" if anonymous else None, ip_hash,
                                    voter, comment_id)).fetchone()
        if found is None or found[1] != PUBLISHED:
            raise NotFound("No such comment.")
        thread_id, _, author_id, up, down, existing, earlier = found
        if user is None and site_of(thread_id, policy).voting == "accounts":
            raise Unauthorized("Log in to vote.", code="login_required")
        if user is not None and author_id == user.id:
            raise Forbidden("You cannot vote on your own comment.", code="own_comment")
        if value == 0:
            if existing:
                execute(_UNVOTE, (existing,))
        elif existing:  # a row found by IP hash passes to the voter who now holds that address
            execute(_REVOTE, (value, voter, existing))
        else:
            insert(Vote(comment=comment_id, voter=voter, value=value, ip_hash=ip_hash))
        # The stored tally moves by this vote's change: it is exact, as every write of votes
        # keeps it (on PostgreSQL the comment's row lock makes them take turns).
        up += (value == 1) - (earlier == 1)
        down += (value == -1) - (earlier == -1)
        store_tally(comment_id, up, down)
        changes.touch([thread_id])
    return up, down, value
