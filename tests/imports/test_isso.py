"""Importing Isso's database: threads by path under ``--site``, Markdown rendered by our
renderer, modes (published, pending, deleted placeholders), likes as votes, Unix times."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime

from kommentar.models import Comment

from .common import BLOG, flatten, stored_text
from .isso_files import REAL, T0, isso_database, read_only


def test_an_isso_database_imports_with_replies_votes_and_placeholders(tmp_path, run, thread):
    path = isso_database(tmp_path / "comments.db", [(1, "/post/1/", "First post")], [
        # a reply listed before its parent, a deleted parent with a reply, likes, a pending one
        (1, 3, 2, T0 + 30, None, 1, "10.0.0.0", "A *reply*.", "Bo", "bo@example.org", 0, 0),
        (1, 2, None, T0, T0 + 60, 1, "10.0.1.0", "Hello **Isso**", "Anna", None, 5, 1),
        (1, 4, None, T0 + 40, None, 4, "10.0.2.0", "", None, None, 0, 0),
        (1, 5, 4, T0 + 50, None, 1, "10.0.2.0", "Under a deleted one.", "Cai", None, 0, 0),
        (1, 6, None, T0 + 70, None, 2, "10.0.3.0", "Waiting.", "Dan", None, 0, 0),
    ])
    result = run("import", "isso", path, "--site", BLOG)
    assert result.exit_code == 0, result.output
    assert "imported 5 comments (3 published, 1 pending, 1 deleted) in 1 threads (1 new)" \
        in result.output
    document = thread(f"{BLOG}/post/1")
    assert document["thread"]["count"] == 3 and document["thread"]["title"] == "First post"
    shown = [(c["depth"], c["author"]["name"], c["html"], c["up"], c["down"], c["deleted"])
             for c in flatten(document)]
    assert shown == [
        (0, "Anna", "<p>Hello <strong>Isso</strong></p>", 5, 1, False),
        (1, "Bo", "<p>A <em>reply</em>.</p>", 0, 0, False),
        (0, "", "", 0, 0, True),
        (1, "Cai", "<p>Under a deleted one.</p>", 0, 0, False),
    ]
    first = flatten(document)[0]
    assert first["created"] == "2024-05-01T12:00:00Z" and first["edited"] == "2024-05-01T12:01:00Z"
    assert Comment.get(Comment.text == "Waiting.").status == "pending"
    assert not Comment.select().where(Comment.text.contains("@")).exists()

    again = run("import", "isso", path, "--site", BLOG)
    assert again.exit_code == 0 and "already imported before: 5 comments" in again.output
    assert Comment.select().count() == 5


def test_paths_without_a_site_are_refused_before_anything_is_written(tmp_path, run):
    path = isso_database(tmp_path / "comments.db", [(1, "/post/1/", "")],
                         [(1, 1, None, T0, None, 1, None, "Hi", "A", None, 0, 0)])
    result = run("import", "isso", path)
    assert result.exit_code != 0
    assert "have no usable address (paths need --site ORIGIN)" in result.output
    assert Comment.select().count() == 0


def test_a_file_that_is_not_an_isso_database_is_refused(tmp_path, run):
    path = tmp_path / "comments.db"
    path.write_bytes(b"not a database at all" * 100)
    result = run("import", "isso", path, "--site", BLOG)
    assert result.exit_code == 1 and "not an Isso database" in result.output


# --- a database a real Isso 0.14 wrote (tests/data/build_isso.py) -------------------------------

def isso_rows() -> dict[int, dict]:
    """The comments as Isso stored them, by id: what the import is checked against."""
    with read_only(REAL) as connection:
        connection.row_factory = sqlite3.Row
        rows = {row["id"]: dict(row) for row in connection.execute("SELECT * FROM comments")}
    connection.close()
    return rows


def iso(timestamp: float | None) -> str | None:
    return timestamp and datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_a_database_real_isso_wrote_imports_with_its_threads_votes_and_placeholders(
        run, thread, app):
    isso = isso_rows()
    result = run("import", "isso", REAL, "--site", BLOG,
                 **{"KOMMENTAR_IP_HASH_RETENTION": "0"})  # keep every address's hash
    assert result.exit_code == 0, result.output
    assert "imported 9 comments (7 published, 1 pending, 1 deleted) in 2 threads (2 new)" \
        in result.output

    first = thread(f"{BLOG}/2024/05/erster-beitrag/")
    assert first["thread"] == {"url": f"{BLOG}/2024/05/erster-beitrag",
                               "title": "Erster Beitrag: Grüße aus Köln", "count": 5,
                               "locked": False}
    shown = [(c["depth"], c["author"]["name"], c["up"], c["down"], c["deleted"], c["created"],
              c["edited"]) for c in flatten(first)]
    # Isso files a reply to a reply under the top-level comment: so it stays here.
    assert shown == [
        (0, "Anna Müller", 3, 1, False, iso(isso[1]["created"]), None),
        (1, "Jürgen Groß", 0, 1, False, iso(isso[2]["created"]), None),
        (1, "Søren Ærø", 0, 0, False, iso(isso[3]["created"]), None),
        (0, "李雷", 0, 0, False, iso(isso[4]["created"]), iso(isso[4]["modified"])),
        (0, "", 0, 0, True, iso(isso[5]["created"]), None),  # deleted, a reply holds its place
        (1, "Zoë & Co", 0, 0, False, iso(isso[6]["created"]), None),
    ]
    html = [c["html"] for c in flatten(first)]
    assert html[0] == ('<p>Hello <strong>Isso</strong>! Some <code>code</code> and a <a '
                       'href="https://example.org/page" rel="nofollow ugc noopener noreferrer">'
                       'link</a>.</p>')
    assert html[1] == ("<p>A <em>reply</em> with &lt;script&gt;alert(1)&lt;/script&gt; and "
                       "&lt;b&gt;tags&lt;/b&gt; &amp; ampersands.</p>")
    assert "<blockquote>" in html[2] and "<li>two</li>" in html[2]
    assert html[3].startswith("<p>Edited: now with <em>emphasis</em>") and "<ol>" in html[3]
    assert html[4] == ""
    assert [c["author"]["name"] for c in thread(f"{BLOG}/2024/05/erster-beitrag/",
                                                sort="best")["comments"]][0] == "Anna Müller"

    second = thread(f"{BLOG}/2024/06/second-post/")
    assert second["thread"]["title"] == "Second post & <more>"
    assert second["thread"]["count"] == 2  # the pending reply is not counted, nor shown
    assert [(c["depth"], c["author"]["name"], c["up"]) for c in flatten(second)] == [
        (0, "<b>Émile</b>", 2), (0, "Anonymous", 0)]
    assert flatten(second)[0]["html"] == "<p>On the second page:</p>\n<pre><code>code block\n" \
        "</code></pre>"

    pending = Comment.get(Comment.status == "pending")
    assert pending.text == isso[9]["text"] and pending.name == "Anna Müller"
    assert Comment.get(Comment.text == isso[4]["text"]).text.startswith("Edited:")

    signer = app.extensions["kommentar.policy"].defences.signer
    hashes = {c.name: c.ip_hash for c in Comment.select() if c.name}
    assert hashes["Anna Müller"] == signer.hash_ip("192.0.2.0")
    # Isso writes IPv6 networks in full; the API sees them as the socket gives them.
    assert hashes["Søren Ærø"] == signer.hash_ip("2001:db8:85a3::")
    stored = stored_text()
    assert all(isso[cid]["email"] not in stored for cid in (1, 2, 5, 9))  # e-mails stay behind

    again = run("import", "isso", REAL, "--site", BLOG)
    assert again.exit_code == 0 and "already imported before: 9 comments" in again.output
    assert Comment.select().count() == 9
