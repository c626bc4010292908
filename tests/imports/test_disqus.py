"""Importing a Disqus XML export: threads keyed by link or identifier, replies nested whatever
the order, spam held, deleted parents as placeholders, orphans and deleted threads reported,
HTML sanitised, and hostile or broken XML refused before anything is written."""

from __future__ import annotations

import gzip
from datetime import UTC, datetime, timedelta

from kommentar.models import Comment, Thread
from kommentar.render import LINK_REL

from .common import BLOG, flatten, import_again_then_newer

HEAD = ('<?xml version="1.0" encoding="utf-8"?>\n'
        '<disqus xmlns="http://disqus.com" xmlns:dsq="http://disqus.com/disqus-internals" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation='
        '"http://disqus.com/api/schemas/1.0/disqus.xsd '
        'http://disqus.com/api/schemas/1.0/disqus-internals.xsd">\n'
        '<category dsq:id="7"><forum>myblog</forum><title>General</title>'
        '<isDefault>true</isDefault></category>\n')


def thread(dsq_id, link, title="", identifier="", closed=False, deleted=False):
    ident = f"<id>{identifier}</id>" if identifier else "<id/>"
    return (f'<thread dsq:id="{dsq_id}">{ident}<forum>myblog</forum><category dsq:id="7"/>'
            f"<link>{link}</link><title>{title}</title><message/>"
            "<createdAt>2020-01-01T00:00:00Z</createdAt><author><email>owner@example.org"
            "</email><name>Owner</name><isAnonymous>false</isAnonymous><username>owner"
            f"</username></author><ipAddress>192.0.2.9</ipAddress><isClosed>"
            f"{str(closed).lower()}</isClosed><isDeleted>{str(deleted).lower()}</isDeleted>"
            "</thread>\n")


def post(dsq_id, thread_id, message, created, name="Anna", parent=None, deleted=False,
         spam=False, ip="192.0.2.1"):
    up = f'<parent dsq:id="{parent}"/>' if parent else ""
    return (f'<post dsq:id="{dsq_id}">\n  <id/>\n  <message>\n    <![CDATA[{message}]]>\n'
            f"  </message>\n  <createdAt>{created}</createdAt>\n"
            f"  <isDeleted>{str(deleted).lower()}</isDeleted>\n"
            f"  <isSpam>{str(spam).lower()}</isSpam>\n"
            f"  <author><email>{name.lower()}@example.org</email><name>{name}</name>"
            "<isAnonymous>false</isAnonymous></author>\n"
            f'  <ipAddress>{ip}</ipAddress>\n  <thread dsq:id="{thread_id}"/>{up}\n</post>\n')


def export(path, *elements):
    path.write_text(HEAD + "".join(elements) + "</disqus>\n", encoding="utf-8")
    return path


THREADS = [
    thread(1, f"{BLOG}/2020/first-post/", "First &amp;amp; best", "post-1"),
    thread(2, f"{BLOG}/2020/closed/?utm_source=feed", "Closed one", closed=True),
    thread(3, f"{BLOG}/2020/gone/", "Deleted thread", deleted=True),
    thread(4, "http://localhost:4000/2020/first-post/", "Seen on a dev server"),
]
POSTS = [
    # a reply listed before its parent, as real exports list them
    post(11, 1, "<p>A <strong>reply</strong> &amp; an <b>answer</b></p>",
         "2024-05-01T12:05:00Z", "Bo", parent=10),
    post(10, 1, '<p>Hello <a href="https://example.org/">there</a><script>alert(1)'
                "</script></p>", "2024-05-01T12:00:00Z", "Anna"),
    post(12, 1, "<p>gone</p>", "2024-05-01T12:10:00Z", "Cai", deleted=True),
    post(13, 1, "<p>Under a deleted one</p>", "2024-05-01T12:15:00Z", "Dan", parent=12),
    post(14, 1, "<p>Buy pills</p>", "2024-05-01T12:20:00Z", "Spammer", spam=True),
    post(15, 1, "<p>deleted, no replies</p>", "2024-05-01T12:25:00Z", deleted=True),
    post(20, 2, "<p>On a closed thread</p>", "2024-05-02T08:00:00Z", "Eve"),
    post(30, 3, "<p>On a deleted thread</p>", "2024-05-02T09:00:00Z", "Fay"),
    post(40, 99, "<p>An orphan</p>", "2024-05-02T10:00:00Z", "Gil"),
    post(41, 1, "<p>Its parent was never exported</p>", "2024-05-02T11:00:00Z", "Ivy",
         parent=777),
]


def test_a_disqus_export_imports_with_nesting_spam_placeholders_and_orphans(
        tmp_path, run, thread):
    path = export(tmp_path / "myblog-all.xml", *THREADS, *POSTS)
    result = run("import", "disqus", path)
    assert result.exit_code == 0, result.output
    assert ("imported 7 comments (5 published, 1 spam, 1 deleted) in 2 threads (2 new)"
            in result.output)
    assert "skipped: 1 deleted, 1 on a deleted thread, 1 without a thread" in result.output
    assert "comment 40: its thread '99' is not in the file" in result.output
    assert "comment 41: its parent 777 is not in the file; it goes to the top level" \
        in result.output

    document = thread(f"{BLOG}/2020/first-post")
    assert document["thread"] == {"url": f"{BLOG}/2020/first-post", "title": "First & best",
                                  "count": 4, "locked": False}
    shown = [(c["depth"], c["author"]["name"], c["html"], c["deleted"], c["created"])
             for c in flatten(document)]
    assert shown == [
        (0, "Anna", f'<p>Hello <a href="https://example.org/" rel="{LINK_REL}">there</a></p>',
         False, "2024-05-01T12:00:00Z"),
        (1, "Bo", "<p>A <strong>reply</strong> &amp; an answer</p>", False, "2024-05-01T12:05:00Z"),
        (0, "", "", True, "2024-05-01T12:10:00Z"),
        (1, "Dan", "<p>Under a deleted one</p>", False, "2024-05-01T12:15:00Z"),
        (0, "Ivy", "<p>Its parent was never exported</p>", False,
         "2024-05-02T11:00:00Z"),
    ]
    closed = thread(f"{BLOG}/2020/closed/")
    assert closed["thread"]["locked"] and closed["thread"]["title"] == "Closed one"
    assert [c["html"] for c in flatten(closed)] == ["<p>On a closed thread</p>"]
    assert Comment.get(Comment.name == "Spammer").status == "spam"
    assert not Comment.select().where(Comment.name.in_(["Fay", "Gil"])).exists()
    assert not Thread.select().where(Thread.url.contains("gone")).exists()
    # e-mails stay behind; an address older than ip_hash_retention is not kept at all
    assert not Comment.select().where(Comment.text.contains("@")).exists()
    anna = Comment.get(Comment.name == "Anna")
    assert anna.ip_hash is None
    assert anna.import_source == "disqus:myblog" and anna.import_id == "10"


def test_identifier_keys_threads_by_disqus_identifier(tmp_path, run, thread):
    path = export(tmp_path / "export.xml", *THREADS, *POSTS)
    result = run("import", "disqus", path, "--thread-key", "identifier")
    assert result.exit_code == 0, result.output
    by_id = thread(f"{BLOG}/2020/moved-to-a-new-address", thread_id="post-1")
    assert [c["author"]["name"] for c in flatten(by_id)][:2] == ["Anna", "Bo"]
    assert thread(f"{BLOG}/2020/first-post/")["thread"]["count"] == 0
    # a thread without an identifier is still keyed by its link
    assert thread(f"{BLOG}/2020/closed/")["thread"]["count"] == 1


def test_an_identifier_no_page_could_pass_is_refused_by_name(tmp_path, run):
    path = export(tmp_path / "export.xml", thread(1, f"{BLOG}/a", identifier="x" * 300),
                  post(10, 1, "<p>hi</p>", "2024-05-01T12:00:00Z"))
    result = run("import", "disqus", path, "--thread-key", "identifier")
    assert result.exit_code == 1
    assert "thread 1: its identifier 'xxxx" in result.output
    assert "A thread id is 1 to 200 printable characters. Use --thread-key url." \
        in result.output
    assert Comment.select().count() == 0


def test_a_rerun_adds_nothing_and_a_newer_export_adds_only_the_new_posts(
        tmp_path, run, thread):
    first = export(tmp_path / "first.xml", *THREADS, *POSTS)
    yesterday = (datetime.now(UTC) - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    newer = export(tmp_path / "newer.xml", *THREADS, *POSTS,
                   post(50, 1, "<p>Answering Anna, later</p>", yesterday, "Hal", parent=10))
    import_again_then_newer(run, "disqus", first, newer)
    anna = flatten(thread(f"{BLOG}/2020/first-post"))[0]
    assert [r["author"]["name"] for r in anna["replies"]] == ["Bo", "Hal"]
    # a recent address is kept as the keyed hash only
    assert len(Comment.get(Comment.name == "Hal").ip_hash or "") > 20
    assert not Comment.select().where(Comment.ip_hash.contains("192.0.2")).exists()


def test_a_gzipped_export_imports_like_a_plain_one(tmp_path, run, thread):
    plain = export(tmp_path / "export.xml", *THREADS, *POSTS)
    packed = tmp_path / "myblog-2024-05-03T10:00:00.000000-all.xml.gz"
    packed.write_bytes(gzip.compress(plain.read_bytes()))
    result = run("import", "disqus", packed)
    assert result.exit_code == 0, result.output
    assert "imported 7 comments" in result.output
    assert thread(f"{BLOG}/2020/first-post")["thread"]["count"] == 4


def test_threads_on_other_sites_are_refused_only_when_they_hold_comments(tmp_path, run):
    path = export(tmp_path / "export.xml", *THREADS, *POSTS,
                  post(60, 4, "<p>Said on the dev server</p>", "2024-05-03T10:00:00Z"))
    result = run("import", "disqus", path)
    assert result.exit_code == 1
    assert "not configured for" in result.output and "http://localhost:4000" in result.output
    assert Comment.select().count() == 0
    mapped = run("import", "disqus", path, "--map", f"http://localhost:4000={BLOG}")
    assert mapped.exit_code == 0, mapped.output
    assert Comment.select().where(Comment.text.contains("dev server")).count() == 1


def test_a_malformed_export_names_line_and_column_and_writes_nothing(tmp_path, run):
    body = (HEAD + "".join(THREADS) + "".join(POSTS)
            + '<post dsq:id="70"><message>unclosed</post>\n</disqus>\n')
    path = tmp_path / "broken.xml"
    path.write_text(body, encoding="utf-8")
    broken = '<post dsq:id="70"><message>unclosed</post>'
    line, column = body.splitlines().index(broken) + 1, broken.index("post>") + 1
    result = run("import", "disqus", path)
    assert result.exit_code == 1
    assert f"broken.xml: line {line}, column {column}: mismatched tag" in result.output
    assert Comment.select().count() == 0 and Thread.select().count() == 0


def test_a_bad_time_names_its_post(tmp_path, run):
    path = export(tmp_path / "export.xml", THREADS[0],
                  post(10, 1, "<p>hi</p>", "yesterday at noon"))
    result = run("import", "disqus", path)
    assert result.exit_code == 1
    assert "line 5: the time 'yesterday at noon' is not an ISO 8601 time" in result.output


def test_a_file_that_is_not_a_disqus_export_is_refused(tmp_path, run):
    path = tmp_path / "feed.xml"
    path.write_text('<?xml version="1.0"?><rss version="2.0"><channel/></rss>')
    result = run("import", "disqus", path)
    assert result.exit_code == 1
    assert "line 1, column 22: not a Disqus export: its root element is <rss>" in result.output


XXE = ('<?xml version="1.0"?>\n<!DOCTYPE disqus [\n'
       '  <!ENTITY x SYSTEM "file:///etc/passwd">\n]>\n'
       '<disqus xmlns="http://disqus.com" xmlns:dsq="http://disqus.com/disqus-internals">\n'
       '<thread dsq:id="1"><forum>f</forum><link>https://blog.example/a</link></thread>\n'
       '<post dsq:id="2"><message>&x;</message><createdAt>2024-05-01T12:00:00Z</createdAt>'
       '<thread dsq:id="1"/></post>\n</disqus>\n')
LAUGHS = ('<?xml version="1.0"?>\n<!DOCTYPE lolz [\n <!ENTITY lol "lol">\n'
          + "".join(f' <!ENTITY lol{n} "{("&lol" + str(n - 1 or "") + ";") * 10}">\n'
                    for n in range(1, 10))
          + ']>\n<disqus xmlns="http://disqus.com"><post><message>&lol9;</message></post>'
            "</disqus>\n")


def test_external_entities_and_entity_bombs_are_refused_unread(tmp_path, run):
    for name, body in (("xxe.xml", XXE), ("laughs.xml", LAUGHS)):
        path = tmp_path / name
        path.write_text(body)
        result = run("import", "disqus", path)
        assert result.exit_code == 1, result.output
        assert f"{name}: line 2, column " in result.output
        assert "declares a document type (<!DOCTYPE>)" in result.output
        assert "root:" not in result.output and "lollol" not in result.output
        assert Comment.select().count() == 0


def test_imported_older_comments_list_by_their_time_among_comments_already_there(
        tmp_path, run, thread, client):
    """A page that has comments here gets older ones from an export: "oldest first" shows the
    imported ones first, "newest first" last, replies under a parent by time too, and a
    reader walking the pages meets each comment once, in that order."""
    page = f"{BLOG}/2020/first-post/"
    for n in range(3):
        response = client.post("/api/comments", json={"url": page, "text": f"Here {n}.",
                                                      "name": "Local"},
                               headers={"Origin": BLOG})
        assert response.status_code == 201, response.json
    here = response.json["id"]
    client.post("/api/comments", json={"url": page, "text": "A reply here.", "name": "Local",
                                       "parent": here}, headers={"Origin": BLOG})
    path = export(tmp_path / "older.xml", THREADS[0],  # the same page
                  post(21, 1, "Older 1.", "2019-03-01T10:00:00Z"),
                  post(22, 1, "Older 2.", "2019-03-02T10:00:00Z"),
                  post(23, 1, "Older 3.", "2019-03-03T10:00:00Z"),
                  # replies listed later-first: their ids say the opposite of their times
                  post(24, 1, "Later reply.", "2019-03-05T10:00:00Z", parent=21),
                  post(25, 1, "Earlier reply.", "2019-03-04T10:00:00Z", parent=21))
    assert run("import", "disqus", path).exit_code == 0

    def texts(document):
        return [comment["html"] for comment in document["comments"]]

    oldest = ["Older 1.", "Older 2.", "Older 3.",  # Disqus's HTML, as it came
              "<p>Here 0.</p>", "<p>Here 1.</p>", "<p>Here 2.</p>"]
    assert texts(thread(page)) == oldest
    assert texts(thread(page, sort="newest")) == oldest[::-1]
    assert [reply["html"] for reply in thread(page)["comments"][0]["replies"]] == \
        ["Earlier reply.", "Later reply."]
    for sort, expected in (("oldest", oldest), ("newest", oldest[::-1])):
        seen, after = [], None
        while True:
            query = {"url": page, "sort": sort, "limit": 2, **({"after": after} if after else {})}
            response = client.get("/api/threads", query_string=query, headers={"Origin": BLOG})
            assert response.status_code == 200, response.json
            seen += texts(response.json)
            after = response.json["next"]
            if after is None:
                break
        assert seen == expected, sort
