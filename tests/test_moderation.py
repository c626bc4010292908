"""Moderation: each action on ids and on a filter, the counts it recomputes, spam holds and
bans, the undo window, purging, pinning, the audit trail, the filters, and the cost of a
bulk action in queries."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from support import SITE, Api, QueryCounter

from kommentar import moderation, review
from kommentar.errors import Invalid, NotFound
from kommentar.holds import active_hold
from kommentar.models import AuditEntry, Ban, Comment, Thread, User, Vote, utcnow
from kommentar.review import Filter

HASH = "a1b2c3d4e5f60718293a4b5c6d7e8f90"
OTHER_HASH = "ffffffffffffffffffffffffffffffff"


@pytest.fixture
def mod(app):
    """A moderator account (the app fixture has migrated the database)."""
    return User.create(username="Mod", username_key="mod", password_hash="-", role="admin")


@pytest.fixture
def writer(app):
    return User.create(username="Writer", username_key="writer", password_hash="-")


def thread(key: str = "post") -> Thread:
    return Thread.create(key=f"{SITE}/{key}", url=f"{SITE}/{key}")


def comment(where: Thread, text: str = "A comment.", status: str = "published", **fields):
    made = Comment.create(thread=where, text=text, html=f"<p>{text}</p>", status=status,
                          ip_hash=fields.pop("ip_hash", HASH), **fields)
    Thread.update(count=Comment.select().where((Comment.thread == where.id)
                                               & (Comment.status == "published")).count()) \
        .where(Thread.id == where.id).execute()
    return made


def reply(to: Comment, text: str = "A reply.", **fields) -> Comment:
    return comment(to.thread, text, parent=to, root=to.root_id or to.id, depth=to.depth + 1,
                   **fields)


def status(*comments: Comment) -> list[str]:
    return [Comment.get_by_id(c.id).status for c in comments]


def count(where: Thread) -> int:
    return Thread.get_by_id(where.id).count


def audits() -> int:
    return AuditEntry.select().count()


# --- approve -----------------------------------------------------------------------------------

def test_approve_publishes_held_and_spam_comments_and_clears_the_reason(mod):
    post = thread()
    held = comment(post, status="pending", spam_reason="held: first comment")
    spam = comment(post, status="spam", spam_reason="too many links")
    comment(post)
    assert count(post) == 1
    assert moderation.act(mod, "approve", [held.id, spam.id]) == 2
    assert status(held, spam) == ["published", "published"]
    assert Comment.get_by_id(spam.id).spam_reason is None
    assert count(post) == 3


def test_approve_leaves_published_and_deleted_comments_alone(mod):
    post = thread()
    shown, gone = comment(post), comment(post, status="deleted")
    assert moderation.act(mod, "approve", [shown.id, gone.id]) == 0
    assert status(shown, gone) == ["published", "deleted"]


@pytest.fixture
def hold_everything(settings):
    """The site holds every comment for a moderator (set before the app is built)."""
    settings["moderation"] = "all"


def test_an_approved_comment_appears_in_the_thread(hold_everything, api, mod):
    held = api.comment("Worth the wait")
    reader = Api(api.client)
    assert reader.thread()["thread"]["count"] == 0
    assert reader.thread()["comments"] == []
    assert moderation.act(mod, "approve", [held["id"]]) == 1
    body = reader.thread()
    assert body["thread"]["count"] == 1
    assert [c["html"] for c in body["comments"]] == ["<p>Worth the wait</p>"]


# --- delete and undo ----------------------------------------------------------------------------

def test_delete_is_soft_and_remembers_what_it_was(mod):
    post = thread()
    shown, held = comment(post), comment(post, status="pending")
    assert moderation.act(mod, "delete", [shown.id, held.id]) == 2
    rows = [Comment.get_by_id(c.id) for c in (shown, held)]
    assert [(r.status, r.status_before) for r in rows] == [("deleted", "published"),
                                                           ("deleted", "pending")]
    assert all(utcnow() - r.status_changed < timedelta(minutes=1) for r in rows)
    assert rows[0].text == "A comment."  # nothing is lost until the purge
    assert count(post) == 0


def test_undo_delete_within_the_window_restores_each_status(mod):
    post = thread()
    shown, held, spam = comment(post), comment(post, status="pending"), comment(post, status="spam")
    moderation.act(mod, "delete", Filter(thread=post.id))
    assert moderation.act(mod, "undo_delete", Filter(thread=post.id, status="deleted")) == 3
    assert status(shown, held, spam) == ["published", "pending", "spam"]
    assert Comment.get_by_id(shown.id).status_before is None
    assert count(post) == 1


def test_undo_delete_after_the_window_changes_nothing(mod):
    post = thread()
    gone = comment(post)
    moderation.act(mod, "delete", [gone.id])
    Comment.update(status_changed=utcnow() - timedelta(days=8)).execute()
    assert moderation.act(mod, "undo_delete", [gone.id]) == 0
    assert status(gone) == ["deleted"]
    assert moderation.act(mod, "undo_delete", [gone.id], undo_window=timedelta(days=9)) == 1
    assert status(gone) == ["published"] and count(post) == 1


def test_undo_does_not_bring_back_what_the_author_withdrew(mod):
    withdrawn = comment(thread(), status="deleted")  # the author's own delete keeps no status
    assert moderation.act(mod, "undo_delete", [withdrawn.id]) == 0
    assert status(withdrawn) == ["deleted"]


# --- spam, holds and bans ----------------------------------------------------------------------

def test_spam_hides_the_comments_and_holds_their_account_and_address(mod, writer):
    post = thread()
    signed = comment(post, author=writer, ip_hash=HASH)
    anonymous = comment(post, name="Bot", ip_hash=OTHER_HASH)
    assert moderation.act(mod, "spam", [signed.id, anonymous.id]) == 2
    assert status(signed, anonymous) == ["spam", "spam"]
    assert Comment.get_by_id(signed.id).spam_reason == "marked by moderator"
    assert count(post) == 0
    holds = {(b.target, b.kind, b.until, b.created_by_id) for b in Ban.select()}
    assert holds == {(f"u:{writer.id}", "spam", None, mod.id), (f"ip:{HASH}", "spam", None, mod.id),
                     (f"ip:{OTHER_HASH}", "spam", None, mod.id)}
    assert active_hold(writer.id, None).target == f"u:{writer.id}"
    assert active_hold(None, OTHER_HASH).kind == "spam"
    assert active_hold(writer.id + 1, "0" * 32) is None
    assert active_hold(None, None) is None


def test_spam_records_the_moderators_reason(mod):
    junk = comment(thread())
    moderation.act(mod, "spam", [junk.id], reason="casino links")
    assert Comment.get_by_id(junk.id).spam_reason == "casino links"
    assert Ban.get(Ban.target == f"ip:{HASH}").reason == "casino links"


def test_spam_keeps_an_existing_hold_as_it_was(mod):
    Ban.create(target=f"ip:{HASH}", kind="spam", reason="earlier wave")
    junk = comment(thread())
    moderation.act(mod, "spam", [junk.id])
    assert [(b.target, b.reason) for b in Ban.select()] == [(f"ip:{HASH}", "earlier wave")]


def test_confirming_spam_a_defence_caught_holds_its_author(mod):
    caught = comment(thread(), status="spam", spam_reason="too many links")
    assert moderation.act(mod, "spam", [caught.id]) == 0  # already hidden: nothing changes
    assert Comment.get_by_id(caught.id).spam_reason == "too many links"
    assert active_hold(None, HASH) is not None


def test_a_ban_holds_until_it_ends(mod, writer):
    later = datetime.now(UTC) + timedelta(hours=1)
    made = moderation.ban(mod, f"u:{writer.id}", later, "rude")
    assert (made.kind, made.reason, made.created_by_id) == ("ban", "rude", mod.id)
    assert made.until == later.replace(tzinfo=None)
    assert active_hold(writer.id, None).id == made.id
    Ban.update(until=utcnow() - timedelta(seconds=1)).execute()
    assert active_hold(writer.id, None) is None


def test_a_ban_for_good_has_no_end_and_comes_before_a_spam_hold(mod):
    Ban.create(target=f"ip:{HASH}", kind="spam")
    made = moderation.ban(mod, f"ip:{HASH}", None)
    assert made.until is None
    assert active_hold(None, HASH).kind == "ban"


def test_banning_again_replaces_the_terms(mod, writer):
    moderation.ban(mod, f"u:{writer.id}", None, "first")
    later = utcnow() + timedelta(days=3)
    moderation.ban(mod, f"u:{writer.id}", later, "second")
    [only] = Ban.select()
    assert (only.until, only.reason) == (later, "second")


@pytest.mark.parametrize("target", ["", "writer", "u:", "u:abc", "u:0", "ip:", "ip:XYZ",
                                    "user:1", "ip:" + "a" * 65, " u:1", None, 7])
def test_a_ban_target_must_be_an_account_or_an_address(mod, target):
    with pytest.raises(Invalid) as caught:
        moderation.ban(mod, target, None)
    assert caught.value.code == "invalid_target"
    assert Ban.select().count() == 0 and audits() == 0


def test_banning_an_unknown_account_is_not_found(mod):
    with pytest.raises(NotFound):
        moderation.ban(mod, "u:999999", None)


def test_a_ban_must_end_in_the_future(mod):
    with pytest.raises(Invalid):
        moderation.ban(mod, f"ip:{HASH}", utcnow() - timedelta(minutes=1))


def test_unban_lifts_bans_and_spam_holds(mod):
    Ban.create(target=f"ip:{HASH}", kind="spam")
    moderation.ban(mod, f"ip:{HASH}", None)
    moderation.ban(mod, f"ip:{OTHER_HASH}", None)
    assert moderation.unban(mod, f"ip:{HASH}") == 2
    assert active_hold(None, HASH) is None
    assert active_hold(None, OTHER_HASH) is not None


# --- pin and lock ------------------------------------------------------------------------------

def test_pin_and_unpin_a_top_level_comment(mod):
    top = comment(thread())
    assert moderation.act(mod, "pin", [top.id]) == 1
    assert Comment.get_by_id(top.id).pinned is True
    assert moderation.act(mod, "pin", [top.id]) == 0
    assert moderation.act(mod, "unpin", [top.id]) == 1
    assert Comment.get_by_id(top.id).pinned is False


@pytest.mark.parametrize("by_filter", [False, True])
def test_pinning_a_reply_is_refused_and_changes_nothing(mod, by_filter):
    post = thread()
    top = comment(post)
    under = reply(top)
    before = audits()
    with pytest.raises(Invalid) as caught:
        moderation.act(mod, "pin", Filter(thread=post.id) if by_filter else [top.id, under.id])
    assert caught.value.code == "pin_reply"
    assert not Comment.select().where(Comment.pinned).exists()
    assert audits() == before


def test_lock_and_unlock_a_thread(mod):
    post = thread()
    moderation.lock(mod, post.id, True)
    assert Thread.get_by_id(post.id).locked is True
    moderation.lock(mod, post.id, False)
    assert Thread.get_by_id(post.id).locked is False
    assert [e.target for e in AuditEntry.select().order_by(AuditEntry.id)] == [
        f"thread:{post.id}"] * 2
    assert [e.action for e in AuditEntry.select().order_by(AuditEntry.id)] == ["lock", "unlock"]


def test_locking_an_unknown_thread_is_not_found(mod):
    with pytest.raises(NotFound):
        moderation.lock(mod, 999999, True)


# --- purge -------------------------------------------------------------------------------------

def _deleted(where: Thread, age: timedelta, parent: Comment | None = None) -> Comment:
    fields = dict(status="deleted", status_before="published", status_changed=utcnow() - age)
    return reply(parent, **fields) if parent else comment(where, **fields)


def test_purge_removes_leaves_and_keeps_empty_placeholders_above_replies(mod, writer):
    post, old, new = thread(), timedelta(days=8), timedelta(days=1)
    kept_above = _deleted(post, old)
    Comment.update(author=writer, name="Writer").where(Comment.id == kept_above.id).execute()
    live_reply = reply(kept_above)
    leaf = _deleted(post, old)
    Vote.create(comment=leaf, voter="a:x", value=1)
    chain_top = _deleted(post, old)
    chain_leaf = _deleted(post, old, parent=chain_top)
    recent = _deleted(post, new)
    withdrawn = comment(post, status="deleted", created=utcnow() - old)  # an author's own

    assert moderation.purge(timedelta(days=7)) == 5
    remaining = {c.id for c in Comment.select()}
    assert remaining == {kept_above.id, live_reply.id, recent.id}
    assert {leaf.id, chain_top.id, chain_leaf.id, withdrawn.id}.isdisjoint(remaining)
    placeholder = Comment.get_by_id(kept_above.id)
    assert (placeholder.status, placeholder.text, placeholder.html, placeholder.name,
            placeholder.ip_hash, placeholder.author_id) == ("deleted", "", "", "", None, None)
    assert Comment.get_by_id(recent.id).text == "A comment."
    assert Vote.select().count() == 0
    assert moderation.purge(timedelta(days=7)) == 0
    assert moderation.act(mod, "undo_delete", [kept_above.id],
                          undo_window=timedelta(days=30)) == 0


# --- the audit trail ---------------------------------------------------------------------------

@pytest.mark.parametrize("action", moderation.ACTIONS)
def test_every_action_writes_one_audit_entry_naming_its_target(mod, action):
    post = thread()
    tops = [comment(post, f"Top {n}") for n in range(3)]
    before = audits()
    moderation.act(mod, action, [tops[0].id])
    moderation.act(mod, action, [t.id for t in tops])
    moderation.act(mod, action, Filter(thread=post.id, ip_hash=HASH))
    entries = list(AuditEntry.select().order_by(AuditEntry.id))[before:]
    assert [(e.actor_id, e.actor_name, e.action) for e in entries] == [(mod.id, "Mod", action)] * 3
    assert [e.target for e in entries] == [f"comment:{tops[0].id}", "3 comments",
                                           f"thread={post.id}, ip_hash=a1b2c3d4…"]
    assert entries[1].detail.startswith(f"ids: {tops[0].id}, {tops[1].id}, {tops[2].id};")
    assert entries[2].detail.startswith(f"filter: thread={post.id}, ip_hash={HASH};")


def test_the_command_line_acts_as_cli(app):
    junk = comment(thread())
    moderation.act(None, "delete", [junk.id])
    [entry] = AuditEntry.select()
    assert (entry.actor_id, entry.actor_name, entry.detail) == (
        None, "cli", f"ids: {junk.id}; changed: 1")


def test_the_audit_log_pages_newest_first(mod):
    post = thread()
    for locked in (True, False, True):
        moderation.lock(mod, post.id, locked)
    entries, total = review.audit_log(page=1, per_page=2)
    assert total == 3
    assert [e.action for e in entries] == ["lock", "unlock"]
    assert [e.action for e in review.audit_log(page=2, per_page=2)[0]] == ["lock"]


# --- refusals ----------------------------------------------------------------------------------

@pytest.mark.parametrize("action, selection, error, code", [
    ("ban", [1], Invalid, "invalid_action"),
    ("approve", [], Invalid, "empty_selection"),
    ("approve", ["1"], Invalid, "invalid_selection"),
    ("approve", Filter(), Invalid, "empty_filter"),
    ("approve", Filter(status="gone"), Invalid, "invalid_filter"),
    ("approve", [999999], NotFound, "not_found"),
])
def test_a_malformed_action_is_refused_without_a_trace(mod, action, selection, error, code):
    comment(thread())
    with pytest.raises(error) as caught:
        moderation.act(mod, action, selection)
    assert caught.value.code == code
    assert audits() == 0


def test_one_unknown_id_refuses_the_whole_selection(mod):
    held = comment(thread(), status="pending")
    with pytest.raises(NotFound):
        moderation.act(mod, "approve", [held.id, 999999])
    assert status(held) == ["pending"]


# --- filters and the listing -------------------------------------------------------------------

def test_each_filter_field_narrows_the_listing(mod, writer):
    post, other = thread("post"), thread("other")
    now = utcnow()
    a = comment(post, "Alpha", author=writer, created=now - timedelta(days=40))
    b = comment(post, "Beta", status="spam", ip_hash=OTHER_HASH)
    c = comment(other, "alpha beta")
    d = comment(other, "Gamma", status="pending", author=writer)

    def ids(**fields):
        return [row.id for row in review.comments(Filter(**fields))[0]]

    assert ids() == [d.id, c.id, b.id, a.id]  # newest first
    assert ids(status="spam") == [b.id]
    assert ids(thread=other.id) == [d.id, c.id]
    assert ids(author=writer.id) == [d.id, a.id]
    assert ids(ip_hash=OTHER_HASH) == [b.id]
    assert ids(text="ALPHA") == [c.id, a.id]
    assert ids(older_than=now - timedelta(days=30)) == [a.id]
    assert ids(thread=other.id, author=writer.id, status="pending") == [d.id]


def test_an_older_than_with_a_time_zone_is_read_as_that_moment(mod):
    cutoff = utcnow() - timedelta(days=30)
    early = comment(thread(), created=cutoff - timedelta(hours=1))
    new_york = timezone(timedelta(hours=-5))
    aware = cutoff.replace(tzinfo=UTC).astimezone(new_york)  # 5 hours "earlier" on its face
    assert [r.id for r in review.comments(Filter(older_than=aware))[0]] == [early.id]


@pytest.mark.parametrize("needle, found", [
    ("0%", ["100% sure"]),
    ("%", ["100% sure"]),
    ("e_c", ["snake_case"]),
    ("_", ["snake_case"]),
    ("\\", ["back\\slash"]),
    ("SURE", ["100% sure", "1000 sure"]),
])
def test_text_filter_matches_percent_underscore_and_backslash_literally(mod, needle, found):
    post = thread()
    for text in ("100% sure", "1000 sure", "snake_case", "snakeXcase", "back\\slash"):
        comment(post, text)
    rows, total = review.comments(Filter(text=needle))
    assert sorted(r.text for r in rows) == sorted(found) and total == len(found)


def test_listing_brings_thread_and_author_in_two_queries_and_pages(mod, writer):
    post = thread()
    made = [comment(post, f"n{n}", author=writer if n % 2 else None, name="Anon")
            for n in range(7)]
    with QueryCounter() as counter:
        rows, total = review.comments(Filter(thread=post.id), page=2, per_page=3)
        seen = [(r.thread.url, r.author.username if r.author else r.name) for r in rows]
    assert len(counter.statements) == 2
    assert total == 7 and [r.id for r in rows] == [m.id for m in made[3:0:-1]]
    assert seen == [(post.url, "Writer"), (post.url, "Anon"), (post.url, "Writer")]


@pytest.mark.parametrize("page, per_page", [(0, 50), (1, 0), (1, 501), ("1", 50)])
def test_listing_refuses_impossible_pages(app, page, per_page):
    with pytest.raises(Invalid):
        review.comments(Filter(), page, per_page)


@pytest.mark.parametrize("chosen, words", [
    (Filter(), "all comments"),
    (Filter(status="spam", ip_hash=HASH), "status=spam, ip_hash=a1b2c3d4…"),
    (Filter(thread=4, author=7), "thread=4, author=7"),
    (Filter(text="buy now"), 'text="buy now"'),
    (Filter(older_than=datetime(2024, 5, 1, 12, 30)), "older_than=2024-05-01 12:30"),
])
def test_describe_puts_a_filter_in_words(chosen, words):
    assert review.describe(chosen) == words


# --- overview ----------------------------------------------------------------------------------

def test_overview_counts_today_the_queue_and_the_busiest_threads(mod):
    now = datetime(2030, 6, 15, 9, 0)
    quiet, busy, old = thread("quiet"), thread("busy"), thread("old")
    comment(quiet, created=now - timedelta(hours=10))  # yesterday, UTC
    for hours in (1, 2, 30):
        comment(busy, created=now - timedelta(hours=hours))
    comment(busy, status="pending", created=now - timedelta(hours=3))
    comment(busy, status="deleted", created=now - timedelta(hours=4))
    comment(quiet, status="spam", created=now - timedelta(days=2))
    comment(old, created=now - timedelta(days=8))
    figures = review.overview(now)
    assert (figures["today"], figures["pending"], figures["spam"]) == (4, 1, 1)
    assert [(t.id, n) for t, n in figures["busiest"]] == [(busy.id, 4), (quiet.id, 2)]


# --- bulk actions at scale ---------------------------------------------------------------------

def _wave(size: int, threads: int, ip_hash: str) -> list[Thread]:
    made = [thread(f"{ip_hash[:4]}-{n}") for n in range(threads)]
    Comment.insert_many([{"thread": made[n % threads].id, "text": f"spam {n}", "html": "",
                          "ip_hash": ip_hash} for n in range(size)]).execute()
    comment(made[0], "A real comment", ip_hash=OTHER_HASH)
    return made


def test_bulk_spam_costs_the_same_queries_for_ten_comments_or_a_thousand(mod):
    small, large = "1" * 32, "2" * 32
    _wave(10, 2, small)
    spread = _wave(1000, 20, large)
    with QueryCounter() as few:
        assert moderation.act(mod, "spam", Filter(ip_hash=small)) == 10
    with QueryCounter() as many:
        assert moderation.act(mod, "spam", Filter(ip_hash=large)) == 1000
    assert len(many.statements) == len(few.statements) <= 8
    assert [count(t) for t in spread] == [1] + [0] * 19  # every thread recounted
    assert active_hold(None, large).kind == "spam"
    assert audits() == 2


def test_bulk_delete_by_filter_recounts_every_thread_it_touched(mod):
    spread = _wave(60, 6, HASH)
    assert moderation.act(mod, "delete", Filter(ip_hash=HASH)) == 60
    assert [count(t) for t in spread] == [1] + [0] * 5
    assert moderation.act(mod, "undo_delete", Filter(ip_hash=HASH, status="deleted")) == 60
    assert [count(t) for t in spread] == [11] + [10] * 5


def test_replies_to_a_comment_marked_spam_keep_their_place_and_count(api):
    parent = api.comment("This one turns out to be spam.")
    reply = api.comment("A fair answer to it.", parent=parent["id"])
    moderation.act(None, "spam", [parent["id"]])
    body = api.thread()
    assert body["thread"]["count"] == 1
    [placeholder] = body["comments"]
    assert placeholder["deleted"] is True and placeholder["html"] == ""
    assert placeholder["replies"][0]["id"] == reply["id"]
