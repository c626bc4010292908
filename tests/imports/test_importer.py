"""The importer whatever the format: dry runs, foreign origins and --map, URL spellings, and
hostile or odd data (names, titles and texts far past their limits, NULs, parents in other
threads, reply cycles, spam parents, impossible times and vote counts), and what an import
stores of people (hashed addresses within the retention only, never an e-mail address).

Files are Isso databases (the format whose files these tests can write exactly); what Isso
cannot hold (spam, lone surrogates) goes to the importer as records."""

from __future__ import annotations

from datetime import timedelta

import pytest

from kommentar.db import database
from kommentar.imports.importer import Options, run
from kommentar.imports.records import Malformed, Source, SourceComment, SourceThread
from kommentar.models import Comment, Thread, utcnow

from .common import BLOG, flatten, stored_text
from .isso_files import T0, isso_database

DAY = 86400


def row(tid, cid, parent=None, mode=1, text="Some text.", author="Ann", created=T0,
        address="192.0.2.0", email=None, likes=0, dislikes=0, modified=None):
    """One Isso comment row, as ``isso_database`` takes them."""
    return (tid, cid, parent, created, modified, mode, address, text, author, email, likes,
            dislikes)


def figures(output: str) -> list[str]:
    """The summary's figure lines, whether a dry run's or a real one's."""
    return [line.replace("would import", "imported") for line in output.splitlines()
            if not line.startswith("  ")]


def import_records(app, records, retention=None):
    """Import records as a reader would yield them (for what no file here can hold)."""
    policy = app.extensions["kommentar.policy"]
    with database.connection_context():
        return run(lambda: iter(records), policy, policy.defences.signer, Options(),
                   retention)


# --- dry runs -----------------------------------------------------------------------------------

def test_a_dry_run_writes_nothing_and_reports_what_the_real_run_does(tmp_path, run):
    threads = [(1, "/a/", "A"), (2, "/b/", "B")]
    rows = [row(1, 1), row(1, 2, parent=1), row(1, 3, mode=2), row(1, 4, mode=4),
            row(1, 5, parent=4), row(2, 6, mode=4), row(2, 7, parent=99),
            row(3, 8)]  # comment 8's thread is not in the file
    first = isso_database(tmp_path / "first.db", threads, rows)
    newer = isso_database(tmp_path / "newer.db", [*threads, (3, "/c/", "C")],
                          [*rows, row(2, 9, parent=7), row(1, 10, mode=2)])
    for path in (first, newer):
        dry = run("import", "isso", path, "--site", BLOG, "--dry-run")
        assert dry.exit_code == 0, dry.output
        assert dry.output.startswith("would import")
        if path == first:
            assert Comment.select().count() == 0 and Thread.select().count() == 0
        real = run("import", "isso", path, "--site", BLOG)
        assert real.exit_code == 0, real.output
        assert figures(dry.output) == figures(real.output)
    assert figures(real.output) == [
        "imported 3 comments (2 published, 1 pending) in 3 threads (1 new)",
        "already imported before: 6 comments", "skipped: 1 deleted"]


# --- where threads land -------------------------------------------------------------------------

def test_foreign_origins_are_named_and_nothing_is_written_until_mapped(tmp_path, run, thread):
    path = isso_database(tmp_path / "c.db", [
        (1, "http://blog.example/2019/old-post/", "Old"),
        (2, "https://old-blog.example/about", "About"),
        (3, "https://blog.example/fine", "Fine")],
        [row(1, 1), row(2, 2), row(3, 3)])
    refused = run("import", "isso", path)
    assert refused.exit_code == 1
    assert ("threads on sites this server is not configured for (add them to origins, or use "
            "--map FROM=TO): http://blog.example, https://old-blog.example") in refused.output
    assert Comment.select().count() == 0 and Thread.select().count() == 0

    mapped = run("import", "isso", path, "--map", "http://blog.example=https://blog.example",
                 "--map", "https://old-blog.example/=https://blog.example/moved/")
    assert mapped.exit_code == 0, mapped.output
    assert sorted(t.url for t in Thread.select()) == [
        f"{BLOG}/2019/old-post", f"{BLOG}/fine", f"{BLOG}/moved/about"]
    assert thread(f"{BLOG}/moved/about")["thread"]["count"] == 1


def test_a_map_moves_whole_path_segments_only(tmp_path, run):
    path = isso_database(tmp_path / "c.db", [(1, "/old/post", ""), (2, "/older/post", ""),
                                             (3, "/old", "")],
                         [row(1, 1), row(2, 2), row(3, 3)])
    result = run("import", "isso", path, "--site", BLOG,
                 "--map", f"{BLOG}/old/={BLOG}/new")
    assert result.exit_code == 0, result.output
    assert sorted(t.url for t in Thread.select()) == [
        f"{BLOG}/new", f"{BLOG}/new/post", f"{BLOG}/older/post"]


@pytest.mark.parametrize("value", ["no-equals-sign", "ftp://x.example=https://blog.example",
                                   "https://blog.example=/relative"])
def test_a_map_that_is_not_two_urls_is_refused(tmp_path, run, value):
    path = isso_database(tmp_path / "c.db", [(1, "/a", "")], [row(1, 1)])
    result = run("import", "isso", path, "--site", BLOG, "--map", value)
    assert result.exit_code == 2 and "--map" in result.output
    assert Comment.select().count() == 0


def test_spellings_of_one_page_are_one_thread(tmp_path, run, thread):
    # Isso keys threads by the path its page sent, so one page can have several.
    path = isso_database(tmp_path / "c.db", [
        (1, "/post/", "The post"), (2, "/post", ""), (3, "/post?utm_source=feed&utm_medium=rss",
                                                      "")],
        [row(1, 1, author="A"), row(2, 2, author="B", created=T0 + 1),
         row(3, 3, author="C", created=T0 + 2, parent=1)])  # a reply across Isso's threads
    result = run("import", "isso", path, "--site", BLOG)
    assert result.exit_code == 0, result.output
    assert "in 1 threads (1 new)" in result.output
    document = thread(f"{BLOG}/post?utm_campaign=x")
    assert document["thread"]["count"] == 3 and document["thread"]["title"] == "The post"
    assert [(c["depth"], c["author"]["name"]) for c in flatten(document)] == [
        (0, "A"), (1, "C"), (0, "B")]


def test_a_german_idn_site_is_one_thread_in_either_spelling(tmp_path, run, thread):
    path = isso_database(tmp_path / "c.db", [
        (1, "http://xn--strae-oqa.de/artikel/", "Artikel"), (2, "http://straße.de/artikel", "")],
        [row(1, 1, author="Jörg"), row(2, 2, author="Grete", created=T0 + 1)])
    origins = "https://straße.de"  # configured in its Unicode spelling
    refused = run("import", "isso", path, **{"KOMMENTAR_ORIGINS": origins})
    assert refused.exit_code == 1 and "http://xn--strae-oqa.de" in refused.output
    result = run("import", "isso", path, "--map", "http://straße.de=https://straße.de",
                 **{"KOMMENTAR_ORIGINS": origins})
    assert result.exit_code == 0, result.output
    assert "2 comments (2 published) in 1 threads (1 new)" in result.output
    document = thread("https://xn--strae-oqa.de/artikel")
    assert [c["author"]["name"] for c in flatten(document)] == ["Jörg", "Grete"]


# --- hostile and odd data -----------------------------------------------------------------------

def test_names_titles_and_texts_far_past_their_limits_are_cut_and_noted(tmp_path, run, thread):
    path = isso_database(tmp_path / "c.db", [(1, "/long", "T" * 100_000)], [
        row(1, 1, author="N" * 100_000, text="word " * 200_000)])
    result = run("import", "isso", path, "--site", BLOG)
    assert result.exit_code == 0, result.output
    assert "thread 1: its title is cut to 300 characters" in result.output
    assert "comment 1: 999999 characters, cut to the site's max_length of 10000" in result.output
    assert "comment 1: its author's name is cut to 60 characters" in result.output
    document = thread(f"{BLOG}/long")
    assert document["thread"]["title"] == "T" * 300
    shown = document["comments"][0]
    assert shown["author"]["name"] == "N" * 60
    assert len(Comment.get().text) <= 10_000


def test_control_characters_and_nuls_never_reach_the_database(tmp_path, run, thread):
    path = isso_database(tmp_path / "c.db", [(1, "/nul", "Ti\x00tle\x07")], [
        row(1, 1, author="Bad\x00Name\x1b[31m", text="Hello\x00world \x07 bell.")])
    result = run("import", "isso", path, "--site", BLOG)
    assert result.exit_code == 0, result.output
    document = thread(f"{BLOG}/nul")
    assert document["thread"]["title"] == "Title"
    comment = document["comments"][0]
    assert comment["author"]["name"] == "BadName[31m"
    assert "\x00" not in comment["html"] and "\x00" not in Comment.get().text
    assert "\ufffd" in Comment.get().text  # where the NUL was, as a browser shows one


def test_a_parent_in_another_thread_and_reply_cycles_go_to_the_top_level(tmp_path, run,
                                                                          thread):
    path = isso_database(tmp_path / "c.db", [(1, "/one", ""), (2, "/two", "")], [
        row(1, 1, author="First"),
        row(2, 2, parent=1, author="Elsewhere"),  # its parent is on another page
        row(2, 3, parent=4, author="Loop A"), row(2, 4, parent=3, author="Loop B"),
        row(2, 5, parent=5, author="Own parent")])
    result = run("import", "isso", path, "--site", BLOG)
    assert result.exit_code == 0, result.output
    assert "comment 2: its parent 1 is not imported here; it goes to the top level" \
        in result.output
    assert "comment 3: its replies lead back to it; it goes to the top level" in result.output
    assert "comment 5: its replies lead back to it; it goes to the top level" in result.output
    document = thread(f"{BLOG}/two")
    assert document["thread"]["count"] == 4
    assert [(c["depth"], c["author"]["name"]) for c in flatten(document)] == [
        (0, "Elsewhere"), (0, "Loop A"), (1, "Loop B"), (0, "Own parent")]


def test_a_reply_to_spam_keeps_its_place_under_a_placeholder(app, thread):
    when = utcnow() - timedelta(days=1)
    report = import_records(app, [
        Source("test:spam"), SourceThread("t", f"{BLOG}/spam"),
        SourceComment("1", "t", None, when, "spam", name="Spammer", html="<p>Buy pills</p>"),
        SourceComment("2", "t", "1", when, "published", name="Reader", html="<p>Go away</p>"),
        SourceComment("3", "t", "2", when, "spam", name="Spammer", html="<p>More pills</p>")])
    assert report.comments == {"spam": 2, "published": 1}
    document = thread(f"{BLOG}/spam")
    assert document["thread"]["count"] == 1
    assert [(c["depth"], c["author"]["name"], c["html"], c["deleted"])
            for c in flatten(document)] == [(0, "", "", True), (1, "Reader", "<p>Go away</p>",
                                                                False)]
    spam = Comment.get(Comment.name == "Spammer", Comment.parent.is_null())
    assert spam.status == "spam" and spam.spam_reason == "imported as spam"


def test_times_far_in_the_past_or_future_are_moved_and_noted(tmp_path, run, thread):
    path = isso_database(tmp_path / "c.db", [(1, "/times", "")], [
        row(1, 1, author="Past", created=-2_000_000_000.0),
        row(1, 2, author="Future", created=T0 + 500 * 365 * DAY, modified=T0 + 600 * 365 * DAY),
        row(1, 3, author="Fine", created=T0)])
    result = run("import", "isso", path, "--site", BLOG)
    assert result.exit_code == 0, result.output
    for cid in (1, 2):
        assert f"comment {cid}: its time is not plausible" in result.output
    shown = {c["author"]["name"]: c for c in flatten(thread(f"{BLOG}/times"))}
    assert shown["Past"]["created"] == "1970-01-01T00:00:00Z"
    assert shown["Future"]["created"][:4] == str(utcnow().year)
    assert shown["Fine"]["created"] == "2024-05-01T12:00:00Z"


def test_a_time_no_calendar_holds_fails_before_anything_is_written(tmp_path, run):
    path = isso_database(tmp_path / "c.db", [(1, "/t", "")],
                         [row(1, 1), row(1, 2, created=1e20)])
    result = run("import", "isso", path, "--site", BLOG)
    assert result.exit_code == 1 and "comment 2: the time 1e+20 is out of range" in result.output
    assert Comment.select().count() == 0


def test_vote_counts_past_the_database_integers_are_capped(tmp_path, run, thread):
    path = isso_database(tmp_path / "c.db", [(1, "/votes", "")],
                         [row(1, 1, likes=2**40, dislikes=-5)])
    result = run("import", "isso", path, "--site", BLOG)
    assert result.exit_code == 0, result.output
    shown = thread(f"{BLOG}/votes")["comments"][0]
    assert (shown["up"], shown["down"]) == (2**31 - 1, 0)


def test_text_no_database_can_store_is_mended(app, thread):
    report = import_records(app, [
        Source("test:odd"), SourceThread("t", f"{BLOG}/odd", title="Lone \ud800 half"),
        SourceComment("1", "t", None, utcnow(), "published", name="Sur\udc00rogate",
                      markdown="Half a pair: \ud83d, and a NUL: \x00.")])
    assert report.comments == {"published": 1}
    document = thread(f"{BLOG}/odd")
    assert document["thread"]["title"] == "Lone half"  # invisible, as control characters are
    assert document["comments"][0]["author"]["name"] == "Surrogate"
    assert Comment.get().text == "Half a pair: \ufffd, and a NUL: \ufffd."


@pytest.mark.parametrize("bad_id", ["", "x" * 201, "a\x00b", "tab\there"])
def test_a_comment_id_the_database_cannot_key_is_malformed(app, bad_id):
    with pytest.raises(Malformed, match="printable characters"):
        import_records(app, [Source("test:ids"), SourceThread("t", f"{BLOG}/ids"),
                             SourceComment(bad_id, "t", None, utcnow(), "published",
                                           markdown="Hi", where="record 2")])
    assert Comment.select().count() == 0


# --- people -------------------------------------------------------------------------------------

def test_addresses_are_hashed_as_the_api_would_within_the_retention_only(tmp_path, run, app,
                                                                         api):
    now = utcnow().timestamp() - 3600  # utcnow is naive UTC: as a Unix time, an hour early
    path = isso_database(tmp_path / "c.db", [(1, "/ips", "")], [
        row(1, 1, author="Recent", address="203.0.113.0", created=now - 2 * DAY,
            email="recent@example.org"),
        row(1, 2, author="Old", address="203.0.113.0", created=now - 45 * DAY,
            email="old@example.org"),
        row(1, 3, author="Six", address="2001:0db8:0000:0000:0000:0000:0000:0000",
            created=now - DAY),
        row(1, 4, author="Junk", address="unknown", created=now - DAY)])
    result = run("import", "isso", path, "--site", BLOG,
                 **{"KOMMENTAR_IP_HASH_RETENTION": str(30 * DAY)})
    assert result.exit_code == 0, result.output
    for address in ("203.0.113.0", "2001:db8::"):
        posted = api.client.post("/api/comments", json={"url": f"{BLOG}/ips", "text": "Hi",
                                                        "name": "Live"},
                                 headers={"Origin": BLOG}, environ_base={"REMOTE_ADDR": address})
        assert posted.status_code == 201, posted.json
    live = [c.ip_hash for c in Comment.select().where(Comment.name == "Live")
            .order_by(Comment.id)]
    hashes = {c.name: c.ip_hash for c in Comment.select()}
    assert hashes["Recent"] == live[0] and hashes["Six"] == live[1]
    assert hashes["Old"] is None and hashes["Junk"] is None
    stored = stored_text()
    assert "@example.org" not in stored and "203.0.113.0" not in stored
