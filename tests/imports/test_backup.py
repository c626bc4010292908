"""``kommentar export`` and ``kommentar import kommentar``: a database built through the API
(replies, votes from accounts and anonymous voters, edits, pins, a locked thread, deleted
placeholders, held and spam comments, an Isso import, bans, the audit log) is exported,
the database emptied, and the export restored: every thread document comes back to the
byte and every row with its id. Into a database that has comments the same file merges
like any import; a malformed or newer file is refused with nothing written."""

from __future__ import annotations

import errno
import gzip
import io
import json
import threading

import pytest
from peewee import AutoField
from support import SITE, Api

from kommentar import accounts, create_app, identities, moderation, providers
from kommentar.backup.export import Export, write
from kommentar.db import database, is_postgres
from kommentar.models import MODELS, Comment, Thread, User, Vote
from kommentar.oauth import Profile

from .common import BLOG, flatten
from .test_isso import T0, isso_database

PASSWORD = "correct horse battery"
POST, LOCKED, GONE = f"{SITE}/post", f"{SITE}/locked", f"{BLOG}/gone"
EXPLICIT_URL, EXPLICIT_ID = f"{BLOG}/page?x=1", "post-7"
MERGED = "merged like any import"


def vote(client, comment_id: int, value: int, token: str | None = None,
         address: str = "10.0.0.1") -> dict:
    headers = {"Origin": SITE, **({"Authorization": f"Bearer {token}"} if token else {})}
    response = client.post(f"/api/comments/{comment_id}/vote", json={"value": value},
                           headers=headers, environ_base={"REMOTE_ADDR": address})
    assert response.status_code == 200, response.json
    return response.json


def post(client, text: str, url: str = POST, address: str = "10.1.0.1", **fields) -> dict:
    body = {"url": url, "text": text, "name": "Reader", **fields}
    response = client.post("/api/comments", json=body, headers={"Origin": SITE},
                           environ_base={"REMOTE_ADDR": address})
    assert response.status_code == 201, response.json
    return response.json


def build(client, run, tmp_path) -> dict:
    """A small but varied site, written through the API and the moderation operations;
    the ids and tokens the checks after a restore need."""
    boss = accounts.register("boss", PASSWORD, hasher=accounts.hasher(client.application.config))
    User.update(role="admin").where(User.id == boss.id).execute()
    boss = User.get_by_id(boss.id)
    alice, bob = Api(client), Api(client)
    alice.register("alice", PASSWORD)
    bob_id = bob.register("bob", PASSWORD)["id"]

    first = post(client, "First, *anonymously*.")
    reply = alice.comment("A reply from Alice.", url=POST, parent=first["id"])
    assert alice.patch(f"/api/comments/{reply['id']}", {"text": "An **edited** reply."}) \
        .status_code == 200
    post(client, "A reply to the reply.", parent=reply["id"], address="10.1.0.2")
    pinned = post(client, "Pinned, though later.", address="10.1.0.3")
    voter = vote(client, first["id"], 1, address="10.0.0.1")["voter_token"]
    vote(client, first["id"], -1, address="10.0.0.2")
    vote(client, pinned["id"], 1, address="10.0.0.3")
    vote(client, first["id"], 1, alice.token)
    moderation.act(boss, "pin", [pinned["id"]])

    before_lock = post(client, "Said before the lock.", url=LOCKED)
    moderation.lock(boss, Comment.get_by_id(before_lock["id"]).thread_id, True)
    gone = post(client, "A parent to be deleted.", url=GONE)
    post(client, "Still here under it.", url=GONE, parent=gone["id"], address="10.1.0.4")
    moderation.act(boss, "delete", [gone["id"]])
    ads = post(client, "Buy cheap things today.", url=GONE, address="10.9.9.9")
    moderation.act(boss, "spam", [ads["id"]], "advertising")
    moderation.ban(boss, f"u:{bob_id}", None, "rude")
    github = providers.parse({"github": {"kind": "github", "client_id": "k",
                                         "client_secret": "s"}})["github"]
    identities.sign_in(github, Profile("4242", "Bob on GitHub", None), User.get_by_id(bob_id))
    held = bob.comment("Held for a moderator.", url=POST)
    assert Comment.get_by_id(held["id"]).status == "pending"
    post(client, "On a thread named by the page.", url=EXPLICIT_URL, id=EXPLICIT_ID)

    path = isso_database(tmp_path / "isso.db", [(1, "/imported/", "From Isso")], [
        (1, 1, None, T0, None, 1, "10.0.0.0", "Liked in *Isso*.", "Ida", None, 3, 1),
        (1, 2, 1, T0 + 5, None, 1, "10.0.0.0", "A reply in Isso.", "Ole", None, 0, 0),
    ])
    assert run("import", "isso", path, "--site", BLOG).exit_code == 0
    imported = Comment.get(Comment.import_id == "1").id
    vote(client, imported, 1, address="10.0.0.4")
    return {"first": first["id"], "voter": voter, "alice": alice.token}


def documents(client) -> dict:
    """Every thread document, to the byte: whole, in every order, and a page at a time."""
    found = {}
    for thread in Thread.select().order_by(Thread.id):
        explicit = {"id": thread.key[3:]} if thread.key.startswith("id:") else {}
        for sort in ("oldest", "newest", "best"):
            params = {"url": thread.url, "sort": sort, **explicit}
            found[thread.url, sort] = fetch(client, params)
            after, pages = None, []
            while True:
                page = fetch(client, {**params, "limit": 1, **({"after": after} if after else {})})
                pages.append(page)
                after = json.loads(page)["next"]
                if after is None:
                    break
            found[thread.url, sort, "pages"] = pages
    return found


def fetch(client, params: dict) -> bytes:
    response = client.get("/api/threads", query_string=params, headers={"Origin": SITE})
    assert response.status_code == 200, response.json
    return response.data


def rows() -> dict:
    """Every row of every table, every column, by id (a thread's version aside: a restore
    raises it, as every write does, so no worker's cached document outlives it)."""
    return {model.__name__: [{k: v for k, v in row.items() if k != "version"}
                             for row in model.select().order_by(model._meta.primary_key).dicts()]
            for model in MODELS}


def empty_database() -> None:
    """No rows, and on PostgreSQL every id sequence back at 1: a new, empty database."""
    with database.atomic():
        for model in reversed(MODELS):  # those that point at others first
            model.delete().execute()
            if is_postgres() and isinstance(model._meta.primary_key, AutoField):
                database.execute_sql("SELECT setval(pg_get_serial_sequence(%s, 'id'), 1, false)",
                                     (f'"{model._meta.table_name}"',))


@pytest.fixture
def fresh(settings):
    """A client of a new app on the test's database: nothing cached from before."""

    def make():
        database.close()
        return create_app(settings).test_client()

    return make


def test_a_restore_gives_back_every_document_and_row_with_its_ids(client, run, tmp_path,
                                                                   fresh):
    built = build(client, run, tmp_path)
    before, stored = documents(client), rows()
    assert [len(stored[name]) for name in ("Vote", "Ban", "AuditEntry")] == [5, 2, 5]
    statuses = {row["status"] for row in stored["Comment"]}
    assert statuses == {"published", "pending", "spam", "deleted"}

    exported = run("export", tmp_path / "backup.jsonl.gz")
    assert exported.exit_code == 0, exported.output
    assert ("exported 3 accounts, 1 sign-in identity, 5 threads, 12 comments, 5 votes, 2 bans, "
            "5 audit entries") in exported.stderr
    empty_database()
    restored = run("import", "kommentar", tmp_path / "backup.jsonl.gz")
    assert restored.exit_code == 0, restored.output
    assert ("restored 3 accounts, 1 sign-in identity, 5 threads, 12 comments, 5 votes, 2 bans, "
            "5 audit entries") in restored.output

    client = fresh()
    assert rows() == stored
    assert documents(client) == before
    # Accounts sign in with their passwords, and a vote cast before still counts once.
    login = client.post("/api/auth/login", json={"username": "alice", "password": PASSWORD},
                        headers={"Origin": SITE})
    assert login.status_code == 200, login.json
    up = next(row["up"] for row in stored["Comment"] if row["id"] == built["first"])
    assert vote(client, built["first"], 1, built["voter"], address="10.0.0.1")["up"] == up
    assert vote(client, built["first"], 1, address="10.0.0.1")["up"] == up  # same address
    assert vote(client, built["first"], 1, built["alice"])["up"] == up
    # A new comment takes the next id (on PostgreSQL, the sequence was moved past them).
    assert post(client, "After the restore.")["id"] == max(r["id"] for r in stored["Comment"]) + 1


def test_running_a_restore_again_adds_nothing(client, run, tmp_path):
    post(client, "Only once.")
    assert run("export", tmp_path / "backup.jsonl").exit_code == 0
    empty_database()
    assert run("import", "kommentar", tmp_path / "backup.jsonl").exit_code == 0
    again = run("import", "kommentar", tmp_path / "backup.jsonl")
    assert again.exit_code == 0, again.output
    assert MERGED in again.output and "1 comments here already" in again.output
    assert Comment.select().count() == 1


def test_merging_into_a_database_with_comments_adds_them_with_new_ids_once(client, run,
                                                                           tmp_path, thread):
    alice = Api(client)
    alice.register("alice", PASSWORD)
    first = post(client, "Merged, *with Markdown*.")
    alice.comment("Merged reply.", url=POST, parent=first["id"])
    post(client, "Kept by data-id.", url=EXPLICIT_URL, id=EXPLICIT_ID)
    vote(client, first["id"], 1, address="10.0.0.1")
    vote(client, first["id"], 1, address="10.0.0.2")
    assert run("export", tmp_path / "backup.jsonl").exit_code == 0
    empty_database()
    here = post(client, "Already here.", url=f"{SITE}/other")

    merged = run("import", "kommentar", tmp_path / "backup.jsonl")
    assert merged.exit_code == 0, merged.output
    assert MERGED in merged.output
    assert "imported 3 comments (3 published) in 2 threads (2 new)" in merged.output
    assert "skipped: 1 accounts, 2 votes" in merged.output
    shown = [(c["depth"], c["author"]["name"], c["html"], c["up"]) for c in flatten(thread(POST))]
    assert shown == [(0, "Reader", "<p>Merged, <em>with Markdown</em>.</p>", 2),
                     (1, "alice", "<p>Merged reply.</p>", 0)]
    assert all(c["id"] > here["id"] for c in flatten(thread(POST)))
    assert [c["html"] for c in thread(EXPLICIT_URL, EXPLICIT_ID)["comments"]] == \
        ["<p>Kept by data-id.</p>"]

    again = run("import", "kommentar", tmp_path / "backup.jsonl")
    assert again.exit_code == 0 and "already imported before: 3 comments" in again.output
    assert Comment.select().count() == 4


def test_export_writes_plain_gzipped_or_to_standard_output(client, run, tmp_path):
    post(client, "Written three ways, ÆØÅ.")
    assert run("export", tmp_path / "plain.jsonl").exit_code == 0
    assert run("export", tmp_path / "packed.jsonl.gz").exit_code == 0
    out = run("export", "-")
    assert out.exit_code == 0

    def body(data: bytes) -> list[dict]:
        lines = [json.loads(line) for line in data.decode().splitlines()]
        assert lines[0]["format"] == "kommentar" and lines[-1]["type"] == "end"
        return lines[1:]

    plain = (tmp_path / "plain.jsonl").read_bytes()
    assert body(plain) == body(gzip.decompress((tmp_path / "packed.jsonl.gz").read_bytes())) \
        == body(out.stdout_bytes)
    assert "ÆØÅ".encode() in plain
    assert (tmp_path / "plain.jsonl").stat().st_mode & 0o777 == 0o600  # it holds password hashes
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.endswith("partial")) == []


def test_an_export_reads_one_snapshot_while_writers_go_on(client):
    post(client, "Before the export.")
    lines = Export([SITE]).lines()
    assert json.loads(next(lines))["format"] == "kommentar"
    assert json.loads(next(lines))["type"] == "thread"  # the snapshot is taken
    written = []
    writer = threading.Thread(target=lambda: written.append(post(client, "During it.")))
    writer.start()
    writer.join(timeout=30)
    assert written, "the writer waited for the export"
    rest = "".join(lines)
    assert "Before the export." in rest and "During it." not in rest


def test_a_write_that_fails_ends_the_export_and_its_snapshot(client):
    post(client, "Never written.")

    class FullDisk(io.RawIOBase):
        def writable(self) -> bool:
            return True

        def write(self, data) -> int:
            raise OSError(errno.ENOSPC, "No space left on device")

    # As the command does it: the connection closes while the error passes through, which
    # it could not with the snapshot's transaction still open.
    with pytest.raises(OSError, match="No space left"), database.connection_context():
        write(Export([SITE]).lines(), FullDisk(), gzip=True)


# --- refused files -------------------------------------------------------------------------

def _comment_line(lines: list[dict]) -> int:
    return next(i for i, line in enumerate(lines) if line.get("type") == "comment")


def _set(index, key, value):
    def change(lines):
        lines[index(lines) if callable(index) else index][key] = value
    return change


def _drop(key):
    def change(lines):
        del lines[_comment_line(lines)][key]
    return change


def _append(lines):
    lines.append({"type": "end", "counts": {}})


def _drop_last(lines):
    lines.pop()


def _user_last(lines):
    lines.insert(-1, lines.pop(1))


def _twin_account(lines):
    lines.insert(2, {**lines[1], "id": lines[1]["id"] + 1})


def _raw(text):
    def change(lines):
        lines[_comment_line(lines)] = text
    return change


REFUSED = [  # (what is wrong, the change, where, what the message says)
    ("not JSON", _raw('{"type": "comment",'), "line 4", "not JSON: Expecting"),
    ("not a number", _raw('{"type": "comment", "score": NaN}'), "line 4",
     "NaN is not a number JSON allows"),
    ("nested too deep", _raw("[" * 100_000), "line 4", "nested too deep"),
    ("not an object", _raw("[1, 2]"), "line 4", "not a JSON object"),
    ("a newer schema", _set(0, "schema", 99), "line 1", "upgrade Kommentar"),
    ("a newer format", _set(0, "version", 2), "line 1", "written by a newer Kommentar"),
    ("another format", _set(0, "format", "isso"), "line 1", "not a Kommentar export"),
    ("cut short", _drop_last, "", "it was cut short"),
    ("miscounted", _set(-1, "counts", {"comment": 7}), "line 6", "the last line counts"),
    ("more after the end", _append, "line 7", "more lines after the last one"),
    ("an unknown type", _set(_comment_line, "type", "ghost"), "line 4", "unknown type"),
    ("out of order", _user_last, "line 5", "a user row after vote rows"),
    ("a parent further down", _set(_comment_line, "parent", 99), "line 4",
     "parent 99 is not a comment further up"),
    ("a number as text", _set(_comment_line, "up", "3"), "line 4",
     'up must be a whole number, not "3"'),
    ("an unknown column", _set(_comment_line, "colour", 1), "line 4", "no column 'colour'"),
    ("a null text", _set(_comment_line, "text", None), "line 4", "text may not be null"),
    ("a missing text", _drop("text"), "line 4", "text is missing"),
    ("a bad time", _set(_comment_line, "created", "yesterday"), "line 4", "an ISO 8601 time"),
    ("too long", _set(1, "username", "x" * 41), "line 2", "longer than 40 characters"),
    ("an account twice", _twin_account, "line 2 to line 3", "the database refuses a row"),
]


@pytest.mark.parametrize(("change", "where", "message"), [case[1:] for case in REFUSED],
                         ids=[case[0] for case in REFUSED])
def test_a_malformed_or_newer_file_is_refused_with_nothing_written(client, run, tmp_path,
                                                                  change, where, message):
    Api(client).register("alice", PASSWORD)
    vote(client, post(client, "A comment.")["id"], 1)
    assert run("export", tmp_path / "good.jsonl").exit_code == 0
    lines = [json.loads(line) for line in (tmp_path / "good.jsonl").read_text().splitlines()]
    assert [line.get("type") for line in lines] == [None, "user", "thread", "comment", "vote",
                                                    "end"]
    change(lines)
    (tmp_path / "bad.jsonl").write_text("".join(
        (line if isinstance(line, str) else json.dumps(line)) + "\n" for line in lines))
    empty_database()

    refused = run("import", "kommentar", tmp_path / "bad.jsonl")
    assert refused.exit_code == 1
    assert f"{where}: " in refused.output and message in refused.output, refused.output
    assert refused.output.count("\n") == 1  # one line, no traceback
    assert not any(model.select().exists() for model in MODELS)


def test_text_that_is_not_utf8_is_refused(client, run, tmp_path):
    post(client, "Fine.")
    assert run("export", tmp_path / "good.jsonl").exit_code == 0
    data = (tmp_path / "good.jsonl").read_bytes().replace(b"Fine.", b"Fine\xff")
    (tmp_path / "bad.jsonl").write_bytes(data)
    empty_database()
    refused = run("import", "kommentar", tmp_path / "bad.jsonl")
    assert refused.exit_code == 1 and "not UTF-8" in refused.output
    assert not Thread.select().exists()


def test_a_restore_refuses_sites_this_server_does_not_serve(client, run, tmp_path):
    post(client, "On the blog.", url=f"{BLOG}/post")
    assert run("export", tmp_path / "backup.jsonl").exit_code == 0
    empty_database()
    refused = run("import", "kommentar", tmp_path / "backup.jsonl",
                  **{"KOMMENTAR_ORIGINS": SITE})
    assert refused.exit_code == 1
    assert "not configured for (add them to origins): https://blog.example" in refused.output
    mapped = run("import", "kommentar", tmp_path / "backup.jsonl", "--map", f"{BLOG}={SITE}")
    assert mapped.exit_code == 2 and "--map applies to a merge" in mapped.output
    assert not Thread.select().exists()


def test_a_dry_run_restores_nothing(client, run, tmp_path):
    post(client, "Only checked.")
    vote(client, Comment.get().id, 1)
    assert run("export", tmp_path / "backup.jsonl").exit_code == 0
    empty_database()
    checked = run("import", "kommentar", tmp_path / "backup.jsonl", "--dry-run")
    assert checked.exit_code == 0, checked.output
    assert "would restore 0 accounts, 0 sign-in identities, 1 thread, 1 comment, 1 vote" \
        in checked.output
    assert not Comment.select().exists() and not Vote.select().exists()


def test_an_export_from_before_sign_in_identities_still_restores(client, run, tmp_path):
    """Exports of schema 10 and older count no identities in their last line: none is none."""
    Api(client).register("alice", PASSWORD)
    post(client, "From an older server.")
    assert run("export", tmp_path / "new.jsonl").exit_code == 0
    lines = [json.loads(line) for line in (tmp_path / "new.jsonl").read_text().splitlines()]
    del lines[-1]["counts"]["identity"]
    lines[0]["schema"] = 10
    (tmp_path / "old.jsonl").write_text("".join(json.dumps(line) + "\n" for line in lines))
    empty_database()
    restored = run("import", "kommentar", tmp_path / "old.jsonl")
    assert restored.exit_code == 0, restored.output
    assert "restored 1 account, 0 sign-in identities, 1 thread, 1 comment" in restored.output
