"""Importing a Remark42 backup: gzipped JSON lines, Markdown sources (HTML-escaped by
Remark42) rendered by our renderer, HTML-only comments sanitised, votes split back into ups
and downs, read-only posts locked, deleted comments as placeholders only under replies."""

from __future__ import annotations

import gzip
import json

import pytest

from kommentar.models import Comment, Thread

from .common import BLOG, flatten

POST = f"{BLOG}/post/1/"
CLOSED = f"{BLOG}/closed/"
META = {"version": 1, "users": [{"id": "github_1", "blocked": {"status": False},
                                 "details": {"email": "anna@example.org"}}],
        "posts": [{"url": CLOSED, "read_only": True}, {"url": POST, "read_only": False}]}


def comment(cid: str, **fields) -> dict:
    """A comment line as Remark42's backup writes it (Go's encoding of store.Comment)."""
    return {"id": cid, "pid": "", "text": "<p>Hi</p>\n", "orig": "Hi",
            "user": {"name": "Anna", "id": "github_1", "picture": "", "ip": "9f" * 20,
                     "admin": False},
            "locator": {"site": "blog", "url": POST}, "score": 0, "vote": 0,
            "time": "2024-05-01T14:00:00.123456789+02:00", "title": "First post", **fields}


def backup(path, *lines) -> str:
    """A gzipped backup of these lines (dicts as JSON, bytes as they are)."""
    raw = b"".join((line if isinstance(line, bytes) else json.dumps(line).encode()) + b"\n"
                   for line in lines)
    path.write_bytes(gzip.compress(raw))
    return path


def test_a_backup_imports_with_replies_votes_placeholders_and_locks(tmp_path, run, thread):
    path = backup(
        tmp_path / "userbackup-blog-1714560000.gz", META,
        # a reply before its parent; Remark42 stores Markdown HTML-escaped
        comment("reply", pid="parent", orig="A *reply*\nover two lines.",
                user={"name": "Tom &lt;3", "id": "google_2", "ip": "ab" * 20},
                time="2024-05-01T12:05:00Z"),
        comment("parent", orig="&gt; quoted\n\nTom &amp; Jerry", score=3,
                controversy=7 ** (2 / 5), edit={"time": "2024-05-01T12:30:00Z", "summary": ""}),
        comment("liked", orig="Four up.", score=4, time="2024-05-01T12:10:00Z"),
        # imported into Remark42 from elsewhere: HTML only
        comment("html", orig="", text='<p>Old <script>alert(1)</script><a href="https://x.'
                'example">link</a></p>', score=-2, time="2024-05-01T12:20:00Z"),
        # deleted with a reply under it, deleted alone, and a reply to a comment not in the file
        comment("gone", delete=True, text="", orig="", time="2024-05-01T12:40:00Z"),
        comment("under", pid="gone", orig="Still here.", time="2024-05-01T12:41:00Z"),
        comment("alone", delete=True, text="", orig="", time="2024-05-01T12:42:00Z"),
        comment("orphan", pid="lost", orig="Lost parent.", time="2024-05-01T12:50:00Z"),
        comment("closed", orig="On a closed post.", locator={"site": "blog", "url": CLOSED},
                title="Closed"),
    )
    result = run("import", "remark42", path)
    assert result.exit_code == 0, result.output
    assert ("imported 8 comments (7 published, 1 deleted) in 2 threads (2 new)"
            in result.output)
    assert "skipped: 1 deleted" in result.output
    assert "comment orphan: its parent lost is not in the file; it goes to the top level" \
        in result.output

    document = thread(POST)
    assert document["thread"] == {"url": f"{BLOG}/post/1", "title": "First post", "count": 6,
                                  "locked": False}
    shown = [(c["depth"], c["author"]["name"], c["html"], c["up"], c["down"], c["created"])
             for c in flatten(document)]
    assert shown == [
        (0, "Anna", "<blockquote>\n<p>quoted</p>\n</blockquote>\n<p>Tom &amp; Jerry</p>", 5, 2,
         "2024-05-01T12:00:00Z"),
        (1, "Tom <3", "<p>A <em>reply</em><br>\nover two lines.</p>", 0, 0,
         "2024-05-01T12:05:00Z"),
        (0, "Anna", "<p>Four up.</p>", 4, 0, "2024-05-01T12:10:00Z"),
        (0, "Anna", '<p>Old <a href="https://x.example" rel="nofollow ugc noopener noreferrer">'
         'link</a></p>', 0, 2, "2024-05-01T12:20:00Z"),
        (0, "", "", 0, 0, "2024-05-01T12:40:00Z"),
        (1, "Anna", "<p>Still here.</p>", 0, 0, "2024-05-01T12:41:00Z"),
        (0, "Anna", "<p>Lost parent.</p>", 0, 0, "2024-05-01T12:50:00Z"),
    ]
    assert flatten(document)[0]["edited"] == "2024-05-01T12:30:00Z"
    assert flatten(document)[4]["deleted"] is True
    # 4 up ranks above 5 up and 2 down under "best" (Wilson), though it came later
    assert [(c["up"], c["down"]) for c in thread(POST, sort="best")["comments"][:2]] == [
        (4, 0), (5, 2)]
    # the Markdown source is kept for editing, unescaped; nothing of the addresses or e-mails
    assert Comment.get(Comment.import_id == "parent").text == "> quoted\n\nTom & Jerry"
    assert not Comment.select().where(Comment.ip_hash.is_null(False)).exists()
    closed = thread(CLOSED)["thread"]
    assert closed["locked"] is True and closed["title"] == "Closed"


def test_an_older_backup_counts_votes_from_its_voter_map(tmp_path, run, thread):
    path = backup(tmp_path / "old.gz", {"version": 0, "posts": []}, comment(
        "a", score=1, votes={"github_2": True, "google_3": True, "email_4": False}))
    assert run("import", "remark42", path).exit_code == 0
    assert [(c["up"], c["down"]) for c in thread(POST)["comments"]] == [(2, 1)]


def test_a_rerun_adds_nothing_and_a_newer_backup_only_what_is_new(tmp_path, run, thread):
    first = [META, comment("a", orig="One."), comment("b", pid="a", orig="Two.")]
    result = run("import", "remark42", backup(tmp_path / "first.gz", *first))
    assert result.exit_code == 0, result.output
    again = run("import", "remark42", backup(tmp_path / "again.gz", *first))
    assert again.exit_code == 0 and "already imported before: 2 comments" in again.output
    newer = run("import", "remark42", backup(tmp_path / "newer.gz", *first,
                                             comment("c", pid="b", orig="Three.")))
    assert newer.exit_code == 0, newer.output
    assert "imported 1 comments (1 published)" in newer.output
    assert [(c["depth"], c["html"]) for c in flatten(thread(POST))] == [
        (0, "<p>One.</p>"), (1, "<p>Two.</p>"), (2, "<p>Three.</p>")]


def test_a_backup_without_comments_imports_nothing_and_succeeds(tmp_path, run):
    result = run("import", "remark42", backup(tmp_path / "empty.gz", META))
    assert result.exit_code == 0, result.output
    assert "imported 0 comments (none) in 0 threads" in result.output


@pytest.mark.parametrize(("line", "reason"), [
    (b'{"id": "x", ', "line 3, column 13: not JSON: Expecting property name"),
    (b"[1, 2]", "line 3: not a JSON object"),
    (b'{"id": "x", "locator": {"site": "blog", "url": "' + POST.encode() + b'"}, '
     b'"time": "2024-05-01T12:00:00Z", "score": "3"}',
     "line 3: 'score' should be a whole number, not text"),
    (comment("x", locator={"site": "blog"}), "line 3: 'locator.url' is missing"),
    (comment("x", user="Anna"), "line 3: user should be an object, not text"),
    (comment("x", time="yesterday"), "line 3: 'time' is not a time: 'yesterday'"),
    (comment("x", score=2**40), "line 3: 'score' is out of range"),
    (comment("x", votes={"u1": "up"}), "line 3: 'votes' should map voters to true"),
    (comment("", orig="No id."), "line 3: 'id' is empty"),
    (comment("x" * 201), "line 3: 'id' is 201 characters long; at most 200"),
    (comment("x", locator={"site": "other", "url": POST}),
     "line 3: a comment of site 'other' in a backup of 'blog'"),
    (b'{"id": "x", "text": "caf\xe9"}', "line 3: not UTF-8 text (byte 25)"),
])
def test_a_malformed_line_is_named_and_nothing_is_written(tmp_path, run, line, reason):
    path = backup(tmp_path / "bad.gz", META, comment("fine"), line, comment("after"))
    result = run("import", "remark42", path)
    assert result.exit_code == 1
    assert reason in result.output and len(result.output.strip().splitlines()) == 1
    assert Comment.select().count() == 0 and Thread.select().count() == 0


@pytest.mark.parametrize(("meta", "reason"), [
    ({"version": 2, "users": [], "posts": []}, "line 1: unsupported Remark42 backup version 2"),
    ({"version": 1, "posts": [{"url": POST, "read_only": "yes"}]},
     "line 1, posts[0]: 'read_only' should be true or false, not text"),
])
def test_bad_metadata_is_named(tmp_path, run, meta, reason):
    result = run("import", "remark42", backup(tmp_path / "bad.gz", meta, comment("a")))
    assert result.exit_code == 1 and reason in result.output


def test_another_format_is_not_taken_for_an_empty_backup(tmp_path, run):
    path = tmp_path / "commento.json"
    path.write_text(json.dumps({"version": 1, "comments": [], "commenters": []}))
    result = run("import", "remark42", path)
    assert result.exit_code == 1 and "line 1: not a Remark42 backup" in result.output


def test_a_truncated_backup_writes_nothing(tmp_path, run):
    packed = backup(tmp_path / "whole.gz", META, *[comment(f"c{n}", orig=f"Comment {n} " * 50)
                                                   for n in range(200)]).read_bytes()
    (tmp_path / "cut.gz").write_bytes(packed[:len(packed) * 2 // 3])
    result = run("import", "remark42", tmp_path / "cut.gz")
    assert result.exit_code == 1 and "the gzip data is damaged" in result.output
    assert Comment.select().count() == 0


def test_a_gzip_bomb_is_refused_and_nothing_is_written(tmp_path, run):
    bomb = tmp_path / "bomb.gz"
    with gzip.open(bomb, "wb", compresslevel=9) as out:
        out.write(json.dumps(META).encode() + b"\n" + json.dumps(comment("a")).encode())
        for _ in range(100):  # 100 MB of spaces in about 100 KB
            out.write(b" " * 1024 * 1024)
    result = run("import", "remark42", bomb)
    assert result.exit_code == 1 and "refused as a decompression bomb" in result.output
    assert Comment.select().count() == 0


def test_a_line_past_the_limit_is_refused_without_reading_it_whole(tmp_path, run):
    path = tmp_path / "long.jsonl"  # plain: a gzipped one would be refused as a bomb first
    with open(path, "wb") as out:
        out.write(json.dumps(META).encode() + b"\n" + b'{"id": "' + b"x" * (65 * 1024**2))
    result = run("import", "remark42", path)
    assert result.exit_code == 1 and "line 2: longer than 67108864 bytes" in result.output
