"""Reply notifications: when a reply to a subscribed comment is published (at once, or when
a moderator approves it), a notice waits for its subscription's address; the outbox's
senders gather the due ones into one ``reply`` letter per address and thread.

The first reply in a thread is mailed at once; after that an address is mailed about that
thread at most once per ``WINDOW``, and the replies published meanwhile wait for the next
mail together. No notice is made for one's own reply (the same account or the same
address), for a reply that is not published (spam, held), or for an address that is not
confirmed or has stopped all mail; a reply withdrawn before its mail goes is left out.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from . import letters, mail, outbox, subscriptions
from .db import batches, database, execute, placeholders
from .events import COMMENT_PUBLISHED, Events, described, listeners
from .models import PUBLISHED, MailAddress, Subscription, ThreadMailing, utcnow

WINDOW = timedelta(minutes=10)  # at most one mail per address and thread this often
EVENT = "reply.notify"

# Published replies whose parent is subscribed by a confirmed address that has not stopped,
# with what tells the reply's own author: their account, their subscription's address, and
# their account's verified address.
_SUBSCRIBED = ('SELECT "reply"."id", "reply"."thread_id", "subscription"."id", '
               '"subscription"."address_id", "mail_address"."key", "parent"."author_id", '
               '"reply"."author_id", "own"."address_id", "user"."email", '
               '"user"."email_verified" FROM "comment" AS "reply" '
               'JOIN "comment" AS "parent" ON "parent"."id" = "reply"."parent_id" '
               'JOIN "subscription" ON "subscription"."comment_id" = "parent"."id" '
               'JOIN "mail_address" ON "mail_address"."id" = "subscription"."address_id" '
               'LEFT JOIN "subscription" AS "own" ON "own"."comment_id" = "reply"."id" '
               'LEFT JOIN "user" ON "user"."id" = "reply"."author_id" '
               'WHERE "reply"."id" IN ({ids}) AND "reply"."status" = ? '
               'AND "mail_address"."confirmed" IS NOT NULL AND "mail_address"."stopped" IS NULL')
_MAILED = ('SELECT "address_id", "thread_id", "mailed" FROM "thread_mailing" '
           'WHERE "address_id" IN ({ids})')
_NOTICE = ('INSERT INTO "reply_notice" ("subscription_id", "reply_id", "due") VALUES (?, ?, ?) '
           'ON CONFLICT ("subscription_id", "reply_id") DO NOTHING')
_DUE = 'SELECT 1 FROM "reply_notice" WHERE "due" <= ? LIMIT 1'
# Taking the due notices deletes them: a concurrent sender on PostgreSQL waits for the rows
# and then finds them gone, so each notice is mailed once.
_TAKE = 'DELETE FROM "reply_notice" WHERE "due" <= ? RETURNING "subscription_id", "reply_id"'
_THREADS = 'SELECT "id", "thread_id" FROM "comment" WHERE "id" IN ({ids})'
_MAILING = ('INSERT INTO "thread_mailing" ("address_id", "thread_id", "mailed") VALUES (?, ?, ?) '
            'ON CONFLICT ("address_id", "thread_id") DO UPDATE SET "mailed" = excluded."mailed"')

_on = False  # mail is on in the latest app built: listen


def notice(events: Events, now: datetime | None = None) -> None:
    """The listener: a notice for each subscribed parent of a reply just published, due at
    once or when its address's window for the thread ends. Inside the write's transaction:
    one query, and none when nothing was published."""
    published = [comment_id for event, comment_id in events if event == COMMENT_PUBLISHED]
    if not _on or not published:
        return
    now = now or utcnow()
    wanted: list[tuple[int, int, int]] = []  # (subscription, reply, address), then thread
    threads: dict[tuple[int, int], int] = {}
    for batch in batches(published):
        for (reply, thread, subscription, address, address_key, parent_author, reply_author,
             own_address, own_email, own_verified) in execute(
                _SUBSCRIBED.format(ids=placeholders(len(batch))), (*batch, PUBLISHED)):
            if (reply_author is not None and reply_author == parent_author) \
                    or own_address == address \
                    or (own_email and own_verified and subscriptions.key(own_email) == address_key):
                continue  # one's own reply
            wanted.append((subscription, reply, address))
            threads[(subscription, reply)] = thread
    if not wanted:
        return
    last = _last_mailed({address for _, _, address in wanted})
    for subscription, reply, address in wanted:
        mailed = last.get((address, threads[(subscription, reply)]))
        due = max(now, mailed + WINDOW) if mailed else now
        execute(_NOTICE, (subscription, reply, due))


def _last_mailed(addresses: Iterable[int]) -> dict[tuple[int, int], datetime]:
    found = {}
    for batch in batches(addresses):
        for address, thread, mailed in execute(_MAILED.format(ids=placeholders(len(batch))),
                                               batch):
            found[(address, thread)] = ThreadMailing.mailed.python_value(mailed)
    return found


def gather(now: datetime) -> None:
    """The outbox's preparer: the notices due by ``now``, one ``reply`` letter per address
    and thread, queued with the record of when each was mailed, in one transaction. Costs
    one index lookup when nothing is due."""
    if mail.mailer() is None or execute(_DUE, (now,)).fetchone() is None:
        return
    with database.atomic():
        taken = execute(_TAKE, (now,)).fetchall()
        if not taken:
            return  # another sender took them first
        replies = described({reply for _, reply in taken})
        threads = _threads_of(replies)
        subscribed = {row.id: row for row in Subscription.select(Subscription, MailAddress)
                      .join(MailAddress)
                      .where(Subscription.id.in_({subscription for subscription, _ in taken}))}
        letters_by: dict[tuple[int, int], list[tuple[Subscription, dict[str, Any]]]] = \
            defaultdict(list)
        for subscription_id, reply_id in sorted(taken, key=lambda pair: pair[1]):
            subscription, reply = subscribed.get(subscription_id), replies.get(reply_id)
            if subscription is None or reply is None or reply["status"] != PUBLISHED \
                    or subscription.address.stopped is not None:
                continue  # withdrawn, or unsubscribed, since
            letters_by[(subscription.address_id, threads[reply_id])].append((subscription, reply))
        for (_, thread), found in letters_by.items():
            _send(found, thread)
            execute(_MAILING, (found[0][0].address_id, thread, now))


def _threads_of(comment_ids: Iterable[int]) -> dict[int, int]:
    """The thread of each of these comments."""
    found = {}
    for batch in batches(comment_ids):
        found.update(execute(_THREADS.format(ids=placeholders(len(batch))), batch).fetchall())
    return found


def _send(found: list[tuple[Subscription, dict[str, Any]]], thread_id: int) -> None:
    """Queue one letter about these replies in one thread to one address."""
    row = found[0][0].address
    page = found[0][1]["thread"]
    lang = found[0][0].lang
    stop_thread = subscriptions.unsubscribe_url(row, lang, thread_id)
    letters.send("reply", lang, row.address, EVENT,
                 {"List-Unsubscribe": f"<{stop_thread}>",
                  "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"},
                 replies=[reply for _, reply in found],
                 title=page["title"] or page["url"].split("://", 1)[-1],
                 page=page["url"], stop_thread=stop_thread,
                 stop_all=subscriptions.unsubscribe_url(row, lang, None))


def forget_mailings(now: datetime) -> int:
    """Forget when addresses were mailed about threads once the window has passed."""
    with database.atomic():
        return ThreadMailing.delete().where(ThreadMailing.mailed < now - WINDOW).execute()


def init_app(app) -> None:
    """Listen for published replies while mail is on, and gather their notices."""
    global _on
    _on = bool(app.config["SMTP_HOST"])
    if notice not in listeners:
        listeners.append(notice)
    if gather not in outbox.preparers:
        outbox.preparers.append(gather)
    if forget_mailings not in outbox.cleaners:
        outbox.cleaners.append(forget_mailings)
