"""Importing Commento's (and Comentario 2's) JSON export, version 1: threads from domain and
path (or ``--site``), names from the commenters list wherever it stands in the file, states
as statuses, Commento's "[deleted]" rewrites as deleted comments, scores as votes."""

from __future__ import annotations

import gzip
import json

import pytest

from kommentar.models import Comment, Thread

from .common import BLOG, flatten

ANNA, BO = "a1" * 32, "b2" * 32
COMMENTERS = [
    {"commenterHex": ANNA, "email": "anna@example.org", "name": "Anna", "link": "undefined",
     "photo": "undefined", "provider": "commento", "joinDate": "2021-03-19T19:27:25.954285Z",
     "isModerator": False},
    {"commenterHex": BO, "email": "bo@example.org", "name": "Bo & Co", "link": "", "photo": "",
     "provider": "google", "joinDate": "2021-03-21T12:15:37Z", "isModerator": True},
]


def comment(hex_id: str, **fields) -> dict:
    """A comment as Commento's export writes it (its Go ``comment`` struct)."""
    return {"commentHex": hex_id, "domain": "blog.example", "url": "/post/1",
            "commenterHex": ANNA, "markdown": "Hi", "html": "", "parentHex": "root",
            "score": 0, "state": "approved", "creationDate": "2021-03-17T12:09:47.722181Z",
            "direction": 0, "deleted": False, **fields}


def export(path, comments, commenters=COMMENTERS, **top) -> str:
    """A gzipped export; the keys in Commento's order (the commenters last) unless ``top``
    says otherwise."""
    document = {"version": 1, "comments": comments, "commenters": commenters, **top}
    path.write_bytes(gzip.compress(json.dumps(document).encode()))
    return path


def test_a_commento_export_imports_with_replies_states_placeholders_and_votes(
        tmp_path, run, thread):
    path = export(tmp_path / "commento-export.json.gz", [
        comment("reply", parentHex="parent", commenterHex=BO, markdown="A *reply*\non two "
                "lines.", creationDate="2021-03-17T14:10:00+02:00"),
        comment("parent", markdown="Tom & Jerry <3", score=3,
                creationDate="2021-03-17T12:00:00.5Z"),
        comment("disliked", markdown="Meh.", score=-2, commenterHex="anonymous",
                creationDate="2021-03-17T12:20:00Z"),
        comment("waiting", markdown="Pending.", state="unapproved"),
        comment("spam", markdown="Buy now.", state="flagged"),
        # Commento's deletion: text rewritten, author anonymous, and "deleted" not exported
        comment("gone", markdown="[deleted]", commenterHex="anonymous",
                creationDate="2021-03-17T12:30:00Z"),
        comment("under", parentHex="gone", markdown="Still here.",
                creationDate="2021-03-17T12:31:00Z"),
        comment("alone", deleted=True, markdown="", creationDate="2021-03-17T12:32:00Z"),
        comment("orphan", parentHex="lost", markdown="Lost parent.",
                creationDate="2021-03-17T12:40:00Z"),
        comment("other", url="/post/2/", markdown="Elsewhere."),
    ])
    result = run("import", "commento", path)
    assert result.exit_code == 0, result.output
    assert ("imported 9 comments (6 published, 1 pending, 1 spam, 1 deleted) in 2 threads "
            "(2 new)") in result.output
    assert "skipped: 1 deleted" in result.output
    assert "comment orphan: its parent lost is not in the file" in result.output

    document = thread(f"{BLOG}/post/1")
    assert document["thread"]["count"] == 5
    shown = [(c["depth"], c["author"]["name"], c["html"], c["up"], c["down"], c["created"])
             for c in flatten(document)]
    assert shown == [
        (0, "Anna", "<p>Tom &amp; Jerry &lt;3</p>", 3, 0, "2021-03-17T12:00:00Z"),
        (1, "Bo & Co", "<p>A <em>reply</em><br>\non two lines.</p>", 0, 0,
         "2021-03-17T12:10:00Z"),
        (0, "Anonymous", "<p>Meh.</p>", 0, 2, "2021-03-17T12:20:00Z"),
        (0, "", "", 0, 0, "2021-03-17T12:30:00Z"),
        (1, "Anna", "<p>Still here.</p>", 0, 0, "2021-03-17T12:31:00Z"),
        (0, "Anna", "<p>Lost parent.</p>", 0, 0, "2021-03-17T12:40:00Z"),
    ]
    assert [(c["up"], c["down"]) for c in thread(f"{BLOG}/post/1", sort="best")["comments"]][
        0] == (3, 0)
    assert [c["html"] for c in thread(f"{BLOG}/post/2")["comments"]] == ["<p>Elsewhere.</p>"]
    statuses = {c.import_id: c.status for c in Comment.select()}
    assert statuses["waiting"] == "pending" and statuses["spam"] == "spam"
    assert Comment.get(Comment.import_id == "parent").text == "Tom & Jerry <3"
    assert not Comment.select().where(Comment.text.contains("@")).exists()


def test_a_comentario_export_with_its_own_field_names_goes_where_site_says(tmp_path, run,
                                                                           thread):
    nobody = "0" * 64  # Comentario's anonymous commenter
    comments = [{"commentHex": "c1", "host": "old.example", "path": "/p/", "commenterHex": BO,
                 "markdown": "From Comentario.", "parentHex": "root", "score": 1,
                 "state": "approved", "creationDate": "2023-01-02T03:04:05Z", "deleted": False,
                 "url": ""},
                {"commentHex": "c2", "host": "old.example", "path": "p/", "commenterHex": nobody,
                 "markdown": "Anonymous reply.", "parentHex": "c1", "score": 0,
                 "state": "approved", "creationDate": "2023-01-02T03:05:00Z"}]
    # Comentario writes the commenters (avatarUrl, websiteUrl) before the comments
    path = tmp_path / "comentario.json"
    path.write_text(json.dumps({"version": 1, "commenters": [
        {"commenterHex": BO, "name": "Bo", "email": "bo@example.org", "avatarUrl": "",
         "websiteUrl": ""}], "comments": comments}))

    refused = run("import", "commento", path)
    assert refused.exit_code == 1 and "https://old.example" in refused.output
    assert Thread.select().count() == 0

    result = run("import", "commento", path, "--site", BLOG)
    assert result.exit_code == 0, result.output
    assert [(c["depth"], c["author"]["name"], c["up"]) for c in flatten(thread(f"{BLOG}/p"))] \
        == [(0, "Bo", 1), (1, "Anonymous", 0)]


def test_a_rerun_adds_nothing_and_a_newer_export_only_what_is_new(tmp_path, run, thread):
    first = [comment("a", markdown="One."), comment("b", parentHex="a", markdown="Two.")]
    dry = run("import", "commento", export(tmp_path / "1.json.gz", first), "--dry-run")
    assert dry.exit_code == 0 and "would import 2 comments" in dry.output
    assert Comment.select().count() == 0
    assert run("import", "commento", tmp_path / "1.json.gz").exit_code == 0
    again = run("import", "commento", export(tmp_path / "2.json.gz", first))
    assert again.exit_code == 0 and "already imported before: 2 comments" in again.output
    newer = run("import", "commento", export(tmp_path / "3.json.gz", [
        *first, comment("c", parentHex="b", markdown="Three.")]))
    assert newer.exit_code == 0 and "imported 1 comments (1 published)" in newer.output
    assert [(c["depth"], c["html"]) for c in flatten(thread(f"{BLOG}/post/1"))] == [
        (0, "<p>One.</p>"), (1, "<p>Two.</p>"), (2, "<p>Three.</p>")]


GOOD = json.dumps(comment("good")).encode()


@pytest.mark.parametrize(("document", "reason"), [
    (b'{"version": 1, "comments": [' + GOOD + b', {"commentHex": "x", "score": }]}',
     "comments[1]: not valid JSON: parse error: unallowed token at this point"),
    (b'{"version": 1, "comments": [' + GOOD + b", " + GOOD[:40],
     "comments[1]: not valid JSON: parse error: premature EOF"),
    (b'{"version": 1, "comments": [' + GOOD + b', {"markdown": "caf\xe9"}]}',
     "comments[1]: not valid JSON: lexical error: invalid bytes in UTF8 string."),
    (b'{"version": 1, "comments": [' + GOOD + b", " + b"[" * 100 + b"]" * 100 + b"]}",
     "comments[1]: not valid JSON: nested more than 64 levels deep"),
    (b"[" + GOOD + b"]", "not a Commento export: the file is not a JSON object"),
    (b'{"comments": []}', "not a Commento export: it has no version"),
    (b'{"version": 3, "pages": [], "comments": []}', "unsupported export version 3"),
    (b'{"version": 1, "comments": {"a": 1}}', "'comments' should be a list"),
    (b'{"version": 1, "users": [], "posts": []}',  # Remark42's metadata line
     "not a Commento export: it has no comments list"),
    (b'{"version": 1, "comments": [' + GOOD + b", 7]}", "comments[1]: not a JSON object"),
    (json.dumps({"version": 1, "comments": [comment("good"), comment("x", score="3")]}).encode(),
     "comments[1]: 'score' should be a whole number, not text"),
    (json.dumps({"version": 1, "comments": [comment("good"), comment("x", state="odd")]}
                ).encode(), "comments[1]: unknown state 'odd'"),
    (json.dumps({"version": 1, "comments": [comment("good"), comment("x", creationDate="")]}
                ).encode(), "comments[1]: 'creationDate' is empty"),
    (json.dumps({"version": 1, "comments": [comment("good"), comment("x", domain="b.example")]}
                ).encode(), "comments[1]: a comment on 'b.example' in an export of 'blog.example'"),
    (json.dumps({"version": 1, "comments": [comment("good"), comment("x", url="/" * 3000)]}
                ).encode(), "comments[1]: 'url' is 3000 characters long; at most 2048"),
    (json.dumps({"version": 1, "comments": [comment("good")],
                 "commenters": [{"commenterHex": ANNA, "name": 5}]}).encode(),
     "commenters[0]: 'name' should be text"),
])
def test_a_malformed_export_names_the_item_and_nothing_is_written(tmp_path, run, document,
                                                                  reason):
    (tmp_path / "bad.json").write_bytes(document)
    result = run("import", "commento", tmp_path / "bad.json")
    assert result.exit_code == 1
    assert reason in result.output and len(result.output.strip().splitlines()) == 1
    assert Comment.select().count() == 0 and Thread.select().count() == 0


def test_a_gzip_bomb_is_refused_and_nothing_is_written(tmp_path, run):
    bomb = tmp_path / "bomb.json.gz"
    with gzip.open(bomb, "wb", compresslevel=9) as out:
        out.write(b'{"version": 1, "comments": [' + GOOD + b",")
        for _ in range(100):  # 100 MB of spaces in about 100 KB
            out.write(b" " * 1024 * 1024)
    result = run("import", "commento", bomb)
    assert result.exit_code == 1 and "refused as a decompression bomb" in result.output
    assert Comment.select().count() == 0
