"""The stored things: accounts and the provider identities that sign into them, threads,
comments, votes and readers' reports, bans and the audit log, the outbox of messages to send,
readers' subscriptions to replies by mail, and sign-ins with providers under way.

Counts that every read needs (a thread's comment count, a comment's up and down
votes and its rank) are kept on the row itself and recomputed inside the write
that changes them, so reads never aggregate.
"""

from __future__ import annotations

from datetime import UTC, datetime

from peewee import (
    SQL,
    AutoField,
    BooleanField,
    CharField,
    DateTimeField,
    DoubleField,
    ForeignKeyField,
    IntegerField,
    Model,
    SmallIntegerField,
    TextField,
    fn,
)

from .db import database

PUBLISHED, PENDING, SPAM, DELETED = "published", "pending", "spam", "deleted"
MAX_ID = 2**53 - 1  # ids beyond this cannot be stored, and JavaScript cannot hold them exactly
STATUSES = (PUBLISHED, PENDING, SPAM, DELETED)


def utcnow() -> datetime:
    """The current time in UTC, without tzinfo (as stored)."""
    return datetime.now(UTC).replace(tzinfo=None)


class BaseModel(Model):
    class Meta:
        database = database
        legacy_table_names = False


class DeclaredBooleanField(BooleanField):
    """A boolean column declared ``BOOLEAN`` on SQLite too, as plain ``ALTER TABLE`` added
    ``comment.pinned`` to older databases (peewee's own type there is ``INTEGER``)."""

    field_type = "BOOLEAN"


class User(BaseModel):
    """An account. ``session_version`` rises on log-out, which voids every token issued."""

    id = AutoField()
    username = CharField(max_length=40)
    username_key = CharField(max_length=40, unique=True)  # case-folded, for uniqueness
    password_hash = CharField(max_length=200)  # "" for an account that signs in only with providers
    email = CharField(max_length=254, null=True)
    role = CharField(max_length=10, default="user")
    session_version = IntegerField(default=0)
    created = DateTimeField(default=utcnow)
    # When its owner followed the link mailed to ``email``; NULL until then, and again after
    # the address changes. Only a verified address is sent anything but that link.
    # Added by migrations._mail_links.
    email_verified = DateTimeField(null=True)


# A password reset finds an account by its address in any case, and moderators' mail finds
# the admins: lookups, not scans of every account. migrations._mail_lookups adds them.
User.add_index(fn.LOWER(User.email), name="user_email_lower")
User.add_index(User.role, name="user_role")


class Thread(BaseModel):
    """The comments of one page, keyed by its normalised URL or explicit id."""

    id = AutoField()
    key = CharField(max_length=2100, unique=True)
    url = CharField(max_length=2100)
    title = CharField(max_length=300, default="")
    count = IntegerField(default=0)  # published comments, replies included
    locked = BooleanField(default=False)
    created = DateTimeField(default=utcnow)
    # Rises in every write that changes what the thread fetch returns (see comments.touch),
    # so each worker's cached document is known to be current by reading this row alone.
    # Its DEFAULT is the database's too: migrations._listing_indexes added it that way.
    version = IntegerField(default=0, constraints=[SQL("DEFAULT 0")])


class Comment(BaseModel):
    """One comment. ``root`` is the top-level ancestor of a reply (NULL for a top-level one),
    so a page of top-level comments fetches all of its replies in one query."""

    id = AutoField()
    thread = ForeignKeyField(Thread, backref="comments", on_delete="CASCADE", index=False)
    parent = ForeignKeyField("self", null=True, backref="children", on_delete="CASCADE")
    root = ForeignKeyField("self", null=True, on_delete="CASCADE", index=False)
    depth = SmallIntegerField(default=0)
    author = ForeignKeyField(User, null=True, backref="comments", on_delete="SET NULL")
    name = CharField(max_length=60, default="")  # the anonymous author's chosen name
    text = TextField()
    html = TextField()
    status = CharField(max_length=10, default=PUBLISHED)
    created = DateTimeField(default=utcnow)
    edited = DateTimeField(null=True)
    up = IntegerField(default=0)
    down = IntegerField(default=0)
    score = DoubleField(default=0.0)  # Wilson lower bound, for "best"; exact for the cursor
    ip_hash = CharField(max_length=64, null=True)
    # Shown first in its thread, in every order. Type and DEFAULT as migrations._moderation
    # added it, so fresh and upgraded databases agree.
    pinned = DeclaredBooleanField(default=False, constraints=[SQL("DEFAULT FALSE")])
    spam_reason = CharField(max_length=200, null=True)  # why a defence or moderator held it
    status_before = CharField(max_length=10, null=True)  # what "undo delete" restores
    status_changed = DateTimeField(null=True)  # when it was deleted: starts the undo window
    fingerprint = CharField(max_length=32, null=True)  # of the folded text: finds duplicates
    # An imported comment's origin ("disqus:<forum>", "isso:<site>", ...) and its id there:
    # importing the same file again finds it. Its votes there count in up and down, and stay
    # when its own votes are counted again (thread_writes.tally). Added by migrations._imports.
    imported_up = IntegerField(default=0, constraints=[SQL("DEFAULT 0")])
    imported_down = IntegerField(default=0, constraints=[SQL("DEFAULT 0")])
    import_source = CharField(max_length=200, null=True)
    import_id = CharField(max_length=200, null=True)

    class Meta:
        indexes = (
            (("root", "id"), False),
            (("status", "id"), False),
            (("ip_hash", "id"), False),
            (("fingerprint", "created"), False),
            (("import_source", "import_id"), True),
        )


# A page of top-level comments (depth 0) is read off one of these in its sort's order,
# pinned first, so a limited page stops after ``limit`` rows instead of sorting the thread.
# (Newest walks the second backwards.) migrations._listing_indexes created them in older
# databases, and _listing_by_time gave the first two the time.
Comment.add_index(Comment.thread, Comment.depth, Comment.pinned.desc(), Comment.created,
                  Comment.id, name="comment_listing_oldest")
Comment.add_index(Comment.thread, Comment.depth, Comment.pinned, Comment.created, Comment.id,
                  name="comment_listing_newest")
Comment.add_index(Comment.thread, Comment.depth, Comment.pinned.desc(), Comment.score.desc(),
                  Comment.id, name="comment_listing_best")


class Vote(BaseModel):
    """One voter's vote on one comment; the unique index makes a second vote impossible."""

    id = AutoField()
    comment = ForeignKeyField(Comment, backref="votes", on_delete="CASCADE", index=False)
    voter = CharField(max_length=64)  # "u:<account id>" or "a:<anonymous voter id>"
    value = SmallIntegerField()
    ip_hash = CharField(max_length=64, null=True)
    created = DateTimeField(default=utcnow)

    class Meta:
        indexes = (
            (("comment", "voter"), True),
            (("comment", "ip_hash"), False),
            (("voter", "comment"), False),
        )


REPORT_REASONS = ("spam", "abuse", "off-topic", "other")


class Report(BaseModel):
    """One reader's report of one comment, deduplicated like votes: the unique index makes a
    second report by the same reporter impossible. Added by migrations._reports."""

    id = AutoField()
    comment = ForeignKeyField(Comment, on_delete="CASCADE", index=False)
    reporter = CharField(max_length=64)  # as Vote.voter: "u:<account id>" or "a:<voter id>"
    reason = CharField(max_length=10)  # one of REPORT_REASONS
    note = CharField(max_length=300, null=True)  # required for "other"
    ip_hash = CharField(max_length=64, null=True)
    created = DateTimeField(default=utcnow)

    class Meta:
        indexes = (
            (("comment", "reporter"), True),
            (("comment", "ip_hash"), False),
            (("reporter", "comment"), False),
        )


class Ban(BaseModel):
    """A hold on an account or an IP hash: its new comments wait in the moderation queue.

    ``kind`` is ``ban`` (set by a moderator; also refuses votes) or ``spam`` (set when a
    moderator marks its comment as spam). ``until`` NULL means for good.
    """

    id = AutoField()
    target = CharField(max_length=80)  # "u:<account id>" or "ip:<hash>"
    kind = CharField(max_length=10, default="ban")
    until = DateTimeField(null=True)
    reason = CharField(max_length=200, default="")
    created_by = ForeignKeyField(User, null=True, on_delete="SET NULL")
    created = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("target", "kind"), True),)


class AuditEntry(BaseModel):
    """One moderator action: who did what to which things, and when."""

    id = AutoField()
    actor = ForeignKeyField(User, null=True, on_delete="SET NULL")
    actor_name = CharField(max_length=40)  # kept if the account goes
    action = CharField(max_length=40)
    target = CharField(max_length=200)  # "comment:12", "3 comments", "thread:4", "ip:ab12…"
    detail = TextField(default="")
    created = DateTimeField(default=utcnow, index=True)


QUEUED, SENDING, SENT, FAILED = "queued", "sending", "sent", "failed"


class OutboxMessage(BaseModel):
    """One message to send (a webhook call; a mail), written in the transaction of the event
    that caused it and sent by ``outbox`` afterwards. ``kind`` names its deliverer; what
    ``destination``, ``headers`` and ``payload`` hold is that deliverer's business."""

    id = AutoField()
    kind = CharField(max_length=20)  # webhook | mail
    event = CharField(max_length=40)  # what caused it: comment.published, ...
    destination = CharField(max_length=2100)  # a webhook's URL; a mail's address
    headers = TextField()  # JSON object: the message's own headers (webhook-id; a Subject)
    payload = TextField()  # the body, as sent
    state = CharField(max_length=10, default=QUEUED)  # queued | sending | sent | failed
    attempts = IntegerField(default=0)
    # The next attempt, or while a sender holds it the end of its lease; NULL once sent or
    # failed, so the due ones are a range of its index.
    due = DateTimeField(null=True)
    give_up = DateTimeField()  # failed if not sent by then (2 days; restarted by a retry)
    last_error = TextField(null=True)
    created = DateTimeField(default=utcnow)
    sent = DateTimeField(null=True)

    class Meta:
        # The queue in the order it is sent; each state's messages newest first.
        indexes = ((("due", "id"), False), (("state", "created", "id"), False))


class UsedLink(BaseModel):
    """A link from a mail that works once (a password reset, a moderator's action), once it
    has worked: the digest of its token, kept until the link would have expired anyway."""

    digest = CharField(max_length=64, primary_key=True)
    expires = DateTimeField(index=True)


class MailAddress(BaseModel):
    """An address readers gave for reply notifications. Nothing but the confirmation mail
    goes to it until its owner follows that mail's link (``confirmed``); ``stopped`` is
    when its owner unsubscribed from all mail, after which it is sent nothing at all.
    Added by migrations._notifications."""

    id = AutoField()
    address = CharField(max_length=254)  # as given, once checked
    key = CharField(max_length=254, unique=True)  # lower-cased: one row per address
    confirmed = DateTimeField(null=True)
    stopped = DateTimeField(null=True)
    created = DateTimeField(default=utcnow)


class Subscription(BaseModel):
    """A comment whose replies its author wants mailed to an address, in the language of
    the page it was written on. Kept apart from the comment, so thread fetches never
    read it."""

    id = AutoField()
    comment = ForeignKeyField(Comment, unique=True, on_delete="CASCADE")
    address = ForeignKeyField(MailAddress, on_delete="CASCADE")
    lang = CharField(max_length=5)
    created = DateTimeField(default=utcnow)


class ReplyNotice(BaseModel):
    """A published reply waiting to be mailed to a subscription's address: gathered with the
    others of the same address and thread into one mail once ``due``."""

    id = AutoField()
    subscription = ForeignKeyField(Subscription, on_delete="CASCADE")
    reply = ForeignKeyField(Comment, on_delete="CASCADE")
    due = DateTimeField(index=True)

    class Meta:
        indexes = ((("subscription", "reply"), True),)


class ThreadMailing(BaseModel):
    """When an address was last mailed replies in a thread: the next such mail waits until
    ``notices.WINDOW`` after it. Forgotten once the window has passed."""

    id = AutoField()
    address = ForeignKeyField(MailAddress, on_delete="CASCADE")
    thread = ForeignKeyField(Thread, on_delete="CASCADE")
    mailed = DateTimeField(index=True)

    class Meta:
        indexes = ((("address", "thread"), True),)


class Identity(BaseModel):
    """An account at a sign-in provider that opens a Kommentar account: the provider's name
    (``[auth.providers.NAME]``) and its stable subject there, never an e-mail address.
    Added by migrations._sign_in."""

    id = AutoField()
    user = ForeignKeyField(User, on_delete="CASCADE", index=True)
    provider = CharField(max_length=32)
    subject = CharField(max_length=255)
    created = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("provider", "subject"), True),)


class SignInAttempt(BaseModel):
    """A sign-in with a provider under way: made when the reader starts it, deleted when the
    provider sends them back (so a state works once). Keyed by the SHA-256 of its ``state``;
    ``browser`` is the SHA-256 of the secret in the starting browser's cookie, so a state
    carried to another browser is refused. Added by migrations._sign_in."""

    state = CharField(max_length=64, primary_key=True)
    browser = CharField(max_length=64)
    provider = CharField(max_length=32)
    verifier = CharField(max_length=128)  # PKCE code_verifier
    nonce = CharField(max_length=64)
    origin = CharField(max_length=2100)  # the page's origin, checked: the only one told
    mode = CharField(max_length=10)  # popup or redirect
    return_url = CharField(max_length=2100, null=True)  # where a redirect sign-in ends
    link_user = ForeignKeyField(User, null=True, on_delete="CASCADE", index=False)
    created = DateTimeField(default=utcnow, index=True)


MODELS = [User, Thread, Comment, Vote, Report, Ban, AuditEntry, OutboxMessage, UsedLink,
          MailAddress, Subscription, ReplyNotice, ThreadMailing, Identity, SignInAttempt]
