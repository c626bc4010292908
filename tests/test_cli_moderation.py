"""The moderation commands: ``admin create`` and ``admin list``, ``prune`` with its filters,
dry run and confirmation, and ``purge``."""

from __future__ import annotations

from datetime import timedelta

import pytest
from support import CHEAP_ARGON2, SITE

from kommentar import accounts
from kommentar.errors import Unauthorized
from kommentar.models import AuditEntry, Comment, Thread, User, utcnow

SPAMMER = "5bad5bad5bad5bad5bad5bad5bad5bad"
READER = "0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e"
PASSWORD = "correct horse battery"
HASHER = accounts.hasher(CHEAP_ARGON2)

pytestmark = pytest.mark.usefixtures("clean_environment")  # KOMMENTAR_* unset


def thread(key: str = "post") -> Thread:
    return Thread.create(key=f"{SITE}/{key}", url=f"{SITE}/{key}")


def comment(where: Thread, text: str = "A comment.", **fields) -> Comment:
    return Comment.create(thread=where, text=text, html=f"<p>{text}</p>",
                          ip_hash=fields.pop("ip_hash", READER), name="Reader", **fields)


def statuses() -> dict[int, str]:
    return dict(Comment.select(Comment.id, Comment.status).tuples())


# --- admin accounts ----------------------------------------------------------------------------

def test_admin_create_reads_the_password_from_standard_input(run):
    result = run("admin", "create", "Root", input=f"{PASSWORD}\n")
    assert result.exit_code == 0, result.output
    user = accounts.authenticate("Root", PASSWORD, hasher=HASHER)
    assert user.role == "admin"
    assert "Root is an admin" in result.output
    [entry] = AuditEntry.select()
    assert (entry.actor_name, entry.action, entry.target) == ("cli", "admin_create",
                                                              f"user:{user.id}")


@pytest.mark.parametrize("password, reason", [
    ("short", "at least 8"),
    ("Root", "at least 8"),
    ("rootroot", "not be the username"),
    ("", "at least 8"),
])
def test_admin_create_refuses_a_weak_password(run, password, reason):
    result = run("admin", "create", "rootroot" if password == "rootroot" else "Root",
                 input=f"{password}\n")
    assert result.exit_code == 1
    assert reason in result.output
    assert User.select().count() == 0 and AuditEntry.select().count() == 0


def test_admin_create_refuses_a_taken_name_and_leaves_that_account_alone(run):
    accounts.register("root", PASSWORD, hasher=HASHER)
    result = run("admin", "create", "ROOT", input="another good password\n")
    assert result.exit_code == 1
    assert "taken" in result.output
    assert [u.role for u in User.select()] == ["user"]


def test_admin_create_promote_makes_an_existing_account_an_admin(run):
    made = accounts.register("Editor", PASSWORD, hasher=HASHER)
    result = run("admin", "create", "editor", "--promote")
    assert result.exit_code == 0, result.output
    assert User.get_by_id(made.id).role == "admin"
    assert AuditEntry.get().action == "admin_promote"
    with pytest.raises(Unauthorized):  # the password was not touched
        accounts.authenticate("Editor", "another good password", hasher=HASHER)


def test_promoting_a_missing_account_fails(run):
    result = run("admin", "create", "nobody", "--promote")
    assert result.exit_code == 1 and "no account named 'nobody'" in result.output


def test_admin_list_shows_only_admins(run):
    accounts.register("reader", PASSWORD, hasher=HASHER)
    run("admin", "create", "Root", input=f"{PASSWORD}\n")
    result = run("admin", "list")
    assert result.exit_code == 0
    [line] = result.output.splitlines()
    assert line.split("\t")[1] == "Root"


# --- prune -------------------------------------------------------------------------------------

@pytest.fixture
def wave(app):
    """Three comments from one address on two threads, and two comments by others."""
    post, other = thread("post"), thread("other")
    spam = [comment(post, "Buy cheap watches " + "x" * 80, ip_hash=SPAMMER),
            comment(post, "Cheap pills", ip_hash=SPAMMER),
            comment(other, "Cheap loans", ip_hash=SPAMMER, status="pending")]
    real = [comment(post, "A thoughtful reply"), comment(other, "Cheap flights were fine")]
    return spam, real


def test_prune_dry_run_lists_what_would_go_and_changes_nothing(run, wave):
    spam, _ = wave
    before = statuses()
    result = run("prune", "--ip-hash", SPAMMER, "--dry-run")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert [int(line.split()[0]) for line in lines[:-1]] == [c.id for c in reversed(spam)]
    assert ("Buy cheap watches " + "x" * 42) in lines[2]
    assert ("x" * 43) not in lines[2]
    assert "Reader (anonymous)" in lines[0]
    assert lines[-1] == "3 comments would be deleted (ip_hash=5bad5bad…)"
    assert statuses() == before
    assert AuditEntry.select().count() == 0


def test_prune_yes_deletes_undoably_and_writes_the_audit_log(run, wave):
    spam, real = wave
    result = run("prune", "--ip-hash", SPAMMER, "--yes")
    assert result.exit_code == 0, result.output
    assert "deleted 3 comments" in result.output
    after = statuses()
    assert [after[c.id] for c in spam] == ["deleted"] * 3
    assert [after[c.id] for c in real] == ["published"] * 2
    assert Comment.get_by_id(spam[2].id).status_before == "pending"
    [entry] = AuditEntry.select()
    assert (entry.actor_id, entry.actor_name, entry.action, entry.target) == (
        None, "cli", "delete", "ip_hash=5bad5bad…")
    assert entry.detail.startswith(f"filter: ip_hash={SPAMMER};")


def test_prune_asks_first_and_a_no_changes_nothing(run, wave):
    before = statuses()
    result = run("prune", "--text", "cheap", input="n\n")
    assert result.exit_code == 1
    assert "Delete 4 comments" in result.output
    assert statuses() == before
    result = run("prune", "--text", "cheap", input="y\n")
    assert result.exit_code == 0 and "deleted 4 comments" in result.output


@pytest.mark.parametrize("args, gone", [
    (["--text", "CHEAP", "--status", "pending"], {"Cheap loans"}),
    (["--thread", f"{SITE}/other/?utm_source=x", "--text", "cheap"],
     {"Cheap loans", "Cheap flights were fine"}),
    (["--ip-hash", SPAMMER, "--older-than", "2d"], {"Cheap pills"}),
    (["--author", "writer"], {"Signed"}),
])
def test_prune_filters_combine(run, wave, args, gone):
    writer = accounts.register("Writer", PASSWORD, hasher=HASHER)
    comment(Thread.get(Thread.key == f"{SITE}/post"), "Signed", author=writer)
    Comment.update(created=utcnow() - timedelta(days=3)).where(Comment.text == "Cheap pills") \
        .execute()
    assert run("prune", *args, "--yes").exit_code == 0
    deleted = {c.text for c in Comment.select().where(Comment.status == "deleted")}
    assert deleted == gone


def test_prune_by_thread_id(run, wave):
    other = Thread.get(Thread.key == f"{SITE}/other")
    assert run("prune", "--thread", str(other.id), "--yes").exit_code == 0
    assert Comment.select().where(Comment.status == "deleted").count() == 2


@pytest.mark.parametrize("args, message", [
    ([], "give at least one filter"),
    (["--older-than", "soon"], "not a duration"),
    (["--author", "nobody"], "no account named 'nobody'"),
    (["--thread", "999999"], "no thread '999999'"),
    (["--thread", "ftp://elsewhere/x"], "--thread"),
    (["--status", "deleted"], "--status"),
])
def test_prune_refuses_unclear_requests(run, wave, args, message):
    before = statuses()
    result = run("prune", *args, "--yes")
    assert result.exit_code == 2
    assert message in result.output
    assert statuses() == before


def test_prune_with_nothing_matching_says_so(run, wave):
    result = run("prune", "--text", "no such words")
    assert result.exit_code == 0 and result.output == "no comments match\n"


# --- purge -------------------------------------------------------------------------------------

def test_purge_removes_deletions_past_the_undo_window(run, wave):
    spam, _ = wave
    run("prune", "--ip-hash", SPAMMER, "--yes")
    Comment.update(status_changed=utcnow() - timedelta(days=8)) \
        .where(Comment.id == spam[0].id).execute()
    result = run("purge")
    assert result.exit_code == 0 and result.output == "purged 1 deleted comments\n"
    assert Comment.get_or_none(Comment.id == spam[0].id) is None
    assert run("purge", "--undo-window", "1h").output == "purged 0 deleted comments\n"
    assert run("purge", "--undo-window", "0s").output == "purged 2 deleted comments\n"
