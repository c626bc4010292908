"""Each worker's cache of thread documents, gzip, and the caching headers.

A second app on the same database stands in for another worker (or another server): it
keeps its own cache, so a write made through one must show in the other's next read.
"""

from __future__ import annotations

import ast
import gzip
from datetime import timedelta
from pathlib import Path

import pytest
from peewee import fn
from support import SITE, Api, QueryCounter

import kommentar
from kommentar import create_app, moderation, privacy, reports
from kommentar.accounts import account_key
from kommentar.cache import DocumentCache
from kommentar.compress import Encoded
from kommentar.models import Comment, OutboxMessage, Thread
from kommentar.thread_writes import UnnamedChange, writing

POST = f"{SITE}/post"


@pytest.fixture
def other(settings):
    """Another worker: same database, its own document cache."""
    return Api(create_app(settings).test_client())


def _warm(reader: Api) -> dict:
    reader.thread()
    return reader.thread()  # the second read is served from the cache


def _with_account(api: Api) -> int:
    api.register("carol")
    return api.comment("Carol's comment.")["id"]


def _delete_account(api: Api, comments: str) -> None:
    response = api.client.delete("/api/auth/me", headers=api.headers(),
                                 json={"password": "correct horse battery", "comments": comments})
    assert response.status_code == 204, response.json


def _moderate(action: str):
    def act(writer: Api, target: int) -> None:
        moderation.act(None, action, [target])
    return act


def _lock(locked: bool):
    def lock(writer: Api, target: int) -> None:
        moderation.lock(None, Thread.get().id, locked)
    return lock


def _report(times: int):
    """Report the comment as ``times`` readers (three hold it, at the default threshold)."""
    def report(writer: Api, target: int) -> None:
        policy = writer.client.application.extensions["kommentar.policy"]
        for reader in range(times):
            reports.report(target, f"a:reader{reader}", "spam", None, policy)
    return report


# Every write that changes what a thread fetch returns, by name; test_every_write_is_listed
# fails when a domain operation or a moderation action is added without a line here.
WRITES = {
    "post": lambda writer, target: writer.comment("Another one."),
    "reply": lambda writer, target: writer.comment("A reply.", parent=target),
    "edit": lambda writer, target: writer.patch(f"/api/comments/{target}", {"text": "Changed."}),
    "delete": lambda writer, target: writer.delete(f"/api/comments/{target}"),
    "vote": lambda writer, target: writer.post(f"/api/comments/{target}/vote", {"value": 1}),
    **{f"moderator {action}": _moderate(action) for action in moderation.ACTIONS},
    "lock": _lock(True),
    "unlock": _lock(False),
    "reports hold": _report(3),
    "account renamed": lambda writer, target: writer.patch("/api/auth/me",
                                                           {"username": "Renamed Writer"}),
    "account deleted": lambda writer, target: _delete_account(writer, "delete"),
    "account anonymised": lambda writer, target: _delete_account(writer, "anonymise"),
}

# What must stand before the write for it to change anything (undo needs a deletion).
BEFORE = {
    "moderator approve": _moderate("spam"),
    "moderator undo_delete": _moderate("delete"),
    "moderator unpin": _moderate("pin"),
    "unlock": _lock(True),
}

# The domain operations behind them, and the writes that change no thread document, each
# with the reason (the ones that touch comments are shown below to leave the cache right).
OPERATIONS = {
    "comments.post": ("post", "reply"),
    "comments.edit": ("edit",),
    "comments.delete": ("delete",),
    "comments.vote": ("vote",),
    "moderation.act": tuple(f"moderator {action}" for action in moderation.ACTIONS),
    "moderation.lock": ("lock", "unlock"),
    "reports.report": ("reports hold",),
    "privacy.delete_account": ("account deleted", "account anonymised"),
    "accounts.rename": ("account renamed",),
}
UNSHOWN = {
    "moderation.ban": "a ban holds the author's next comments; shown ones stay as they are",
    "moderation.unban": "likewise",
    "moderation.purge": "removes only what a fetch shows as an empty placeholder or not at all",
    "privacy.purge_ip_hashes": "IP hashes are never in a thread document",
    "accounts.register": "accounts only",
    "accounts.authenticate": "a password rehash",
    "accounts.log_out_everywhere": "sessions only",
    "moderating.admin_create": "an account's role and an audit entry",
    "migrations.migrate": "the schema; a step that rewrites comments must also raise versions",
    "restore.restore": "only into an empty database, which no worker has a document of",
    "download.backup": "an audit entry (the backup download's)",
    "outbox.claim": "the outbox only: a sender's lease on messages",
    "outbox.forget": "the outbox only: old messages",
    "messages.retry": "the outbox and an audit entry",
    "__init__.use_once": "links from mail: the record that one has worked",
    "__init__.forget_used": "links from mail: records of expired ones",
    "identities.sign_in": "a new account, or an identity added to one: no name shown changes",
    "identities.unlink": "an identity: how an account signs in, never in a thread document",
    "__init__.begin": "a sign-in under way",
    "__init__.finish": "a sign-in under way, taken once",
    "__init__.forget_attempts": "sign-ins nobody finished",
    "addresses.set_address": "an account's address, and its verification letter",
    "addresses.verify": "an account's address",
    "addresses.request_reset": "a reset letter in the outbox",
    "account.reset": "an account's password and sessions, and the used link",
    "notices.gather": "reply notices and the outbox: mail about replies",
    "notices.forget_mailings": "when addresses were last mailed about threads",
    "subscriptions.confirm": "a reader's address, never in a thread document",
    "subscriptions.unsubscribe": "subscriptions to replies, never in a thread document",
    "moderation.take_action": "a moderator's link: what it changes, moderation.act changes",
    "reports.withdraw": "a report is in no thread document, and a held comment stays held",
}


@pytest.mark.parametrize("write", WRITES)
def test_a_write_through_one_worker_shows_in_the_others_next_read(api, other, settings, write):
    target = _with_account(other)  # the writer is signed in: it may edit and delete its own
    api.comment("Someone else's comment.")
    writer = Api(other.client) if write == "vote" else other  # a reader votes, not the author
    BEFORE.get(write, lambda *_: None)(writer, target)
    before = _warm(api)
    WRITES[write](writer, target)
    after = api.thread()
    assert after != before
    assert after == Api(create_app(settings).test_client()).thread()  # as a cold worker builds it


def _purge(writer: Api, target: int) -> None:
    moderation.act(None, "delete", [target])
    _warm(writer)
    assert moderation.purge(undo_window=timedelta(0)) == 1


UNSHOWN_WRITES = {
    "moderation.ban": lambda writer, target: moderation.ban(
        None, account_key(Comment.get_by_id(target).author_id), None),
    "moderation.purge": _purge,
    "privacy.purge_ip_hashes": lambda writer, target: privacy.purge_ip_hashes(
        timedelta(microseconds=1)),
    "reports.report below the threshold": _report(2),
    "reports.withdraw": lambda writer, target: (_report(1)(writer, target), reports.withdraw(
        target, "a:reader0")),
}


@pytest.mark.parametrize("write", UNSHOWN_WRITES)
def test_a_write_that_changes_no_document_leaves_the_cached_one_right(api, settings, write):
    target = _with_account(api)
    api.comment("Someone else's comment.")
    _warm(api)
    UNSHOWN_WRITES[write](api, target)
    assert api.thread() == Api(create_app(settings).test_client()).thread()


# The events each write queues for a webhook that listens to all of them (events.event_of);
# a write that joins WRITES must say here what the world outside hears of it. Deleting an
# account tells nobody: its comments go without a trace, and nothing of them is sent on.
EVENTS = {
    "post": ["comment.published"],
    "reply": ["comment.published"],
    "edit": [],
    "delete": ["comment.deleted"],
    "vote": [],
    "moderator approve": ["comment.published"],
    "moderator delete": ["comment.deleted"],
    "moderator undo_delete": ["comment.published"],
    "moderator spam": ["comment.deleted"],
    "moderator pin": [],
    "moderator unpin": [],
    "lock": [],
    "unlock": [],
    "reports hold": ["comment.pending"],
    "account renamed": [],
    "account deleted": [],
    "account anonymised": [],
}


@pytest.mark.parametrize("write", WRITES)
def test_each_write_queues_the_events_it_makes(settings, write):
    hook = {"url": "http://127.0.0.1:9/never-called", "format": "slack"}
    writer = Api(create_app({**settings, "webhooks": [hook]}).test_client())
    target = _with_account(writer)
    reader = Api(writer.client)
    reader.comment("Someone else's comment.")
    acting = reader if write == "vote" else writer
    BEFORE.get(write, lambda *_: None)(acting, target)
    last = OutboxMessage.select(fn.MAX(OutboxMessage.id)).scalar()
    WRITES[write](acting, target)
    queued = OutboxMessage.select().where(OutboxMessage.id > last).order_by(OutboxMessage.id)
    assert [message.event for message in queued] == EVENTS[write]
    assert set(EVENTS) == set(WRITES)


def _domain_writes() -> set[str]:
    """Every public function of the server that opens a transaction, as module.function."""
    found = set()
    for path in Path(kommentar.__file__).parent.rglob("*.py"):
        if path.name in ("db.py", "thread_writes.py"):  # migrations; the choke point itself
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef) and not node.name.startswith("_"):
                body = ast.unparse(node)
                if "writing()" in body or ".atomic()" in body:
                    found.add(f"{path.stem}.{node.name}")
    return found


def test_every_write_is_listed():
    """A new write operation, or a new moderation action, must join WRITES (and so the test
    above) or UNSHOWN with the reason it changes no thread document."""
    assert _domain_writes() == set(OPERATIONS) | set(UNSHOWN)
    assert sorted(name for names in OPERATIONS.values() for name in names) == sorted(WRITES)


def test_a_write_that_names_no_thread_is_refused(app):
    with app.app_context(), pytest.raises(UnnamedChange), writing():
        Thread.create(key="k", url=POST)
    assert not Thread.select().exists()


def test_a_cached_read_costs_one_query(api):
    for n in range(20):
        api.comment(f"Comment {n}.")
    with QueryCounter() as cold:
        first = api.thread()
    with QueryCounter() as warm:
        second = api.thread()
    assert (len(cold.statements), len(warm.statements)) == (3, 1) and first == second


def test_each_listing_is_cached_apart(api):
    ids = [api.comment(f"Comment {n}.")["id"] for n in range(3)]
    assert [c["id"] for c in api.thread(sort="newest")["comments"]] == ids[::-1]
    assert [c["id"] for c in api.thread(limit=1)["comments"]] == ids[:1]
    page = api.thread(limit=1)
    assert [c["id"] for c in api.thread(limit=1, after=page["next"])["comments"]] == ids[1:2]
    assert [c["id"] for c in api.thread()["comments"]] == ids


def test_threads_are_public_for_a_few_seconds_and_a_readers_own_data_is_not(api):
    api.comment("Hello.")
    thread = api.get("/api/threads", url=POST)
    assert thread.headers["Cache-Control"] == "public, max-age=10, stale-while-revalidate=60"
    mine = api.get("/api/mine", url=POST)
    assert set(mine.headers["Cache-Control"].split(", ")) == {"private", "no-store"}
    assert api.get("/api/counts", url=POST).headers["Cache-Control"] == "public, max-age=10"


def test_the_thread_goes_gzipped_to_those_who_accept_it(api):
    for n in range(10):
        api.comment(f"Comment number {n}, long enough to be worth compressing. " * 3)
    plain = api.client.get("/api/threads", query_string={"url": POST}, headers={"Origin": SITE})
    packed = api.client.get("/api/threads", query_string={"url": POST},
                            headers={"Origin": SITE, "Accept-Encoding": "gzip, br"})
    assert "Content-Encoding" not in plain.headers
    assert packed.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(packed.data) == plain.data and len(packed.data) < len(plain.data) / 2
    for response in (plain, packed):
        assert "Accept-Encoding" in response.headers["Vary"]
    assert packed.headers["ETag"] == plain.headers["ETag"][:-1] + '.gz"'
    again = api.client.get("/api/threads", query_string={"url": POST},
                           headers={"Accept-Encoding": "gzip", "If-None-Match":
                                    packed.headers["ETag"]})
    assert again.status_code == 304
    refused = api.client.get("/api/threads", query_string={"url": POST},
                             headers={"Accept-Encoding": "gzip;q=0"})
    assert "Content-Encoding" not in refused.headers


def test_large_answers_are_gzipped_as_they_leave_and_small_ones_are_not(api):
    urls = [f"{SITE}/page-{n}" for n in range(100)]
    gzipped = {"Accept-Encoding": "gzip"}
    counts = api.client.get("/api/counts", query_string=[("url", u) for u in urls],
                            headers=gzipped)
    assert counts.headers["Content-Encoding"] == "gzip"
    assert len(gzip.decompress(counts.data)) > 1024
    error = api.client.get("/api/threads", headers=gzipped)
    assert error.status_code == 400 and "Content-Encoding" not in error.headers
    script = api.client.get("/embed.js", headers=gzipped)
    assert script.headers["Content-Encoding"] == "gzip" and gzip.decompress(script.data)


def _document(size: int) -> Encoded:
    return Encoded(b"x" * size, b"", "tag")


def test_the_cache_keeps_to_its_budget_dropping_the_least_recently_read():
    cache = DocumentCache(budget=1000)
    for key in "abc":
        cache.put(key, 1, _document(250))
    assert cache.get("a", 1)  # now the most recently read
    cache.put("d", 1, _document(250))
    cache.put("e", 1, _document(250))
    assert cache.used <= 1000
    assert cache.get("b", 1) is None and cache.get("a", 1) and cache.get("e", 1)


def test_the_cache_never_serves_another_version_or_goes_back_to_an_older_one():
    cache = DocumentCache(budget=1000)
    cache.put("a", 2, _document(10))
    assert cache.get("a", 1) is None and cache.get("a", 3) is None
    cache.put("a", 1, _document(20))  # a slow read of an older version arrives late
    assert cache.get("a", 2).size == 10


def test_a_document_too_big_for_a_quarter_of_the_budget_is_not_kept():
    cache = DocumentCache(budget=1000)
    cache.put("a", 1, _document(251))
    assert cache.get("a", 1) is None and cache.used == 0
