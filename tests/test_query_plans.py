"""The hot queries read through indexes, on SQLite and PostgreSQL.

The SQL is not retyped here: each test records the statements the domain functions send
while they run (the thread fetch, counts, a reader's votes and held comments, a post, a
vote) over a seeded database, then asks the database to EXPLAIN each one. SQLite must
SEARCH every table of ours, never SCAN it (even "SCAN ... USING INDEX" walks the whole
index); PostgreSQL must reach them by an index with an index condition, never a Seq Scan.
And a page of top-level comments must come off an index in the order shown, not be sorted.
"""

from __future__ import annotations

import math
import random
import re
import shutil
from dataclasses import replace

import pytest
from support import SITE, QueryCounter, app_settings

from kommentar import addresses, comments, latest, moderators, outbox, places, reports, threads
from kommentar.backup.export import Export, save
from kommentar.comments import Author
from kommentar.db import database, is_postgres
from kommentar.feeds import entries
from kommentar.imports import kommentar as merge
from kommentar.imports.importer import Options, run
from kommentar.imports.plan import plan
from kommentar.imports.records import Skipped, Source, SourceComment, SourceThread
from kommentar.imports.write import Writer
from kommentar.models import (
    DELETED,
    PENDING,
    PUBLISHED,
    Ban,
    Comment,
    Identity,
    Report,
    SignInAttempt,
    Thread,
    User,
    Vote,
    utcnow,
)

TABLES = {"comment", "thread", "vote", "report", "ban", "user", "outbox_message", "identity",
          "sign_in_attempt"}
HOT = f"{SITE}/hot"  # the busy thread the tests read
TOP_LEVEL = 1200  # top-level comments in it; as many replies again
OTHER_THREADS = 300  # each with 4 top-level comments and 4 replies
PINNED_EVERY = 300


class Recorder(QueryCounter):
    """A QueryCounter that also keeps each statement's parameters, so it can be explained."""

    def __enter__(self):
        super().__enter__()
        counting, self.parameters = self.database.execute_sql, []

        def recording(sql, params=None, *args, **kwargs):
            self.parameters.append(list(params or ()))
            return counting(sql, params, *args, **kwargs)

        self.database.execute_sql = recording  # QueryCounter.__exit__ removes it again
        return self

    def reads(self) -> list[tuple[str, list]]:
        """The statements that look rows up (inserts and transaction control look up none)."""
        return [(sql, params) for sql, params in zip(self.statements, self.parameters, strict=True)
                if sql.split(None, 1)[0].upper() in {"SELECT", "UPDATE", "DELETE", "WITH"}]


# --- a database worth planning for ------------------------------------------------------------

def _seed() -> dict:
    """A few thousand comments in a few hundred threads, one of them big, with replies,
    pinned, deleted and held comments, votes and bans; then fresh planner statistics."""
    rng = random.Random(7)
    with database.atomic():
        User.insert_many([{"username": f"u{n}", "username_key": f"u{n}", "password_hash": "x"}
                          for n in range(30)]).execute()
        users = [user_id for (user_id,) in User.select(User.id).order_by(User.id).tuples()]
        keys = [HOT] + [f"{SITE}/page/{n}" for n in range(OTHER_THREADS)]
        Thread.insert_many([{"key": key, "url": key} for key in keys]).execute()
        ids = dict(Thread.select(Thread.key, Thread.id).tuples())
        hot = ids[HOT]

        def comment(n, thread, **fields):
            return {"thread": thread, "text": f"text {n}", "html": f"<p>text {n}</p>",
                    "ip_hash": f"{n % 400:064x}", "fingerprint": f"{n:032x}",
                    "author": users[n % 30] if n % 3 == 0 else None, "name": "Reader",
                    "score": rng.random(), "status": PUBLISHED, **fields}

        tops = [comment(n, hot, pinned=n % PINNED_EVERY == 7,
                        status=DELETED if n % 50 == 0 else PENDING if n % 70 == 0 else PUBLISHED)
                for n in range(TOP_LEVEL)]
        tops += [comment(TOP_LEVEL + n, ids[key]) for n, key in enumerate(keys[1:] * 4)]
        _insert(Comment, tops)
        roots = list(Comment.select(Comment.id, Comment.thread).order_by(Comment.id).tuples())
        base = len(tops)
        _insert(Comment, [comment(base + n, thread, parent=root, root=root, depth=1)
                          for n, (root, thread) in enumerate(roots)])
        replies = list(Comment.select(Comment.id, Comment.root, Comment.thread)
                       .where(Comment.depth == 1).order_by(Comment.id).tuples())
        base += len(roots)
        _insert(Comment, [comment(base + n, thread, parent=reply, root=root, depth=2)
                          for n, (reply, root, thread) in enumerate(replies[::3])])
        everything = [cid for (cid,) in Comment.select(Comment.id).tuples()]
        votes = sorted({(rng.choice(everything), f"a:{rng.randrange(500)}") for _ in range(5000)})
        _insert(Vote, [{"comment": cid, "voter": voter, "value": rng.choice((1, -1)),
                        "ip_hash": f"{rng.randrange(1000):064x}"} for cid, voter in votes])
        reported = sorted({(rng.choice(everything), f"a:{rng.randrange(500)}")
                           for _ in range(2000)})
        _insert(Report, [{"comment": cid, "reporter": reporter, "reason": "spam",
                          "ip_hash": f"{rng.randrange(1000):064x}"} for cid, reporter in reported])
        _insert(Ban, [{"target": f"ip:{n:064x}", "kind": "ban"} for n in range(150, 350)])
    database.execute_sql("ANALYZE")
    return {"hot": hot, "keys": keys, "author": users[0]}


def _insert(model, rows: list[dict]) -> None:
    for start in range(0, len(rows), 400):  # within SQLite's limit of bound parameters
        model.insert_many(rows[start:start + 400]).execute()


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def planned(request, tmp_path_factory):
    """An app over the seeded database, one per database for the whole module: seeding
    takes longer than all of the module's tests together, and they only add to it."""
    from kommentar import create_app
    from kommentar.db import disconnect

    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("plans") / "kommentar.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        url = f"sqlite:///{path}"
    else:
        scratch = request.getfixturevalue("scratch_postgres")
        scratch.clear()
        url = scratch.url
    app = create_app(app_settings(url))
    with app.app_context():
        seed = _seed()
    yield app, seed
    disconnect()


@pytest.fixture
def seeded(planned):
    """The seeded database's ids and the app's policy, inside an app context."""
    app, seed = planned
    with app.app_context():
        yield {**seed, "policy": app.extensions["kommentar.policy"]}


# --- reading plans -----------------------------------------------------------------------------

def explain(sql: str, params: list) -> tuple[list[str], list[str]]:
    """(one line per step of the plan, the steps that read one of our tables in full)."""
    if is_postgres():
        return _explain_postgres(sql, params)
    return _explain_sqlite(sql, params)


def _explain_sqlite(sql, params):
    tables = {alias: table for table, alias in re.findall(r'"(\w+)" AS "(\w+)"', sql)}
    steps = [row[3] for row in database.execute_sql("EXPLAIN QUERY PLAN " + sql, params)]
    full = [step for step in steps
            if (scan := re.match(r"SCAN (\w+)", step)) and tables.get(scan[1], scan[1]) in TABLES]
    return steps, full


def _explain_postgres(sql, params):
    # enable_seqscan = off makes the planner take an index wherever one can serve the query,
    # whatever the size of the tables (these are far smaller than a real site's, and on small
    # tables a sequential scan is honestly cheaper). A Seq Scan that remains means no index
    # fits, and an index scan without an Index Cond would walk a whole index, so both count as
    # full reads: the test proves an index exists for each lookup, not the planner's costing.
    with database.atomic():  # SET LOCAL ends with this transaction
        database.execute_sql("SET LOCAL enable_seqscan = off")
        [(plan,)] = database.execute_sql("EXPLAIN (FORMAT JSON) " + sql, params).fetchall()
    steps, full = [], []
    pending = [(plan[0]["Plan"], 0)]
    while pending:
        node, depth = pending.pop()
        kind, table = node["Node Type"], node.get("Relation Name")
        where = node.get("Index Cond") or node.get("Recheck Cond") or node.get("Filter") or ""
        index = f" using {node['Index Name']}" if "Index Name" in node else ""
        subplan = f"{node['Subplan Name']}: " if "Subplan Name" in node else ""
        steps.append(f"{'  ' * depth}{subplan}{kind}{f' on {table}' if table else ''}{index}"
                     f" {where}".rstrip())
        if (kind == "Seq Scan" and table in TABLES) or (
                kind in ("Index Scan", "Index Only Scan", "Bitmap Index Scan")
                and (table in TABLES or table is None) and "Index Cond" not in node):
            full.append(steps[-1].strip())
        pending += [(child, depth + 1) for child in reversed(node.get("Plans", []))]
    return steps, full


def assert_indexed(statements: list[tuple[str, list]]) -> None:
    """Every statement reads our tables through an index; the message shows each plan."""
    assert statements, "nothing was recorded"
    failures = []
    for sql, params in statements:
        steps, full = explain(sql, params)
        if full:
            failures.append(f"{sql}\n  full reads: {full}\n  plan:\n    " + "\n    ".join(steps))
    assert not failures, "\n\n".join(failures)


def fetch(key: str, sort: str, limit: int | None = None, after: str | None = None):
    """A thread fetch as GET /api/threads makes it when its cache misses."""
    return threads.page(threads.find(key), sort, limit, after)


# --- the read path -----------------------------------------------------------------------------

@pytest.mark.parametrize("sort", threads.SORTS)
def test_thread_fetch_reads_through_indexes(seeded, sort):
    with Recorder() as recorder:
        whole = fetch(HOT, sort)  # no limit: the replies come by thread id
        first = fetch(HOT, sort, limit=20)  # a page: its replies come by root IN (...)
        fetch(HOT, sort, limit=20, after=first.next)
        among_pinned = fetch(HOT, sort, limit=1)  # pinned comments come first in every order
        fetch(HOT, sort, limit=20, after=among_pinned.next)
    assert len(whole.comments) > 1000 and first.next and among_pinned.next
    assert among_pinned.comments[0].pinned and ":p" in among_pinned.next
    assert len(recorder.reads()) == 15  # five fetches of three queries each
    assert_indexed(recorder.reads())


def test_counts_votes_and_held_comments_read_through_indexes(seeded):
    hot = seeded["hot"]
    voter = Vote.select(Vote.voter).join(Comment).where(Comment.thread == hot).scalar()
    asked = {f"{key}?asked": key for key in seeded["keys"][:40]} | {"unknown": f"{SITE}/new"}
    with Recorder() as recorder:
        counts = threads.counts(asked)
        votes = threads.votes_of(HOT, voter)
        held = threads.held_of(HOT, seeded["author"])
    assert counts["unknown"] == 0 and len(counts) == 41
    assert votes and held
    assert len(recorder.reads()) == 3
    assert_indexed(recorder.reads())


def test_feeds_read_through_indexes(seeded):
    """A thread feed reads the thread's row and its comments by the thread's listing index;
    a site feed walks the published comments from the newest back, each to its thread by
    its key, then reads the ones it keeps by id."""
    with Recorder() as recorder:
        thread = entries.of_thread(threads.find(HOT))
        recent = entries.recent(SITE)
        described = entries.described(recent.ids)
    assert len(thread) == entries.THREAD_LIMIT
    assert len(recent.ids) == len(described) == entries.SITE_LIMIT
    assert len(recorder.reads()) == 4
    assert_indexed(recorder.reads())


def test_a_threads_latest_comments_read_through_an_index(seeded):
    """What a reader keeping the thread open polls: the thread's row, then its latest
    published comments off one of its listing indexes, their authors by primary key."""
    with Recorder() as recorder:
        found = latest.of_thread(threads.find(HOT))
    assert len(found) == latest.LIMIT
    assert [(c.created, c.id) for c in found] == sorted(((c.created, c.id) for c in found),
                                                        reverse=True)
    assert len(recorder.reads()) == 2
    assert_indexed(recorder.reads())


@pytest.mark.parametrize("sort", threads.SORTS)
def test_finding_a_comments_place_reads_through_indexes(seeded, sort):
    """A permalink's page is counted and read off the listing index: its statements seek,
    the walk up the ancestors goes by primary key, and the cursor is the page's own."""
    hot = seeded["hot"]
    deep = list(Comment.select(Comment.id, Comment.root)
                .where((Comment.thread == hot) & (Comment.depth == 2)
                       & (Comment.status == PUBLISHED)).order_by(Comment.id))
    deep = deep[len(deep) // 2]  # under a root in the middle: on a later page in every order
    with Recorder() as recorder:
        found = places.place(deep.id, sort, 20)
    assert found.root == deep.root_id and len(found.ancestors) == 2 and found.after
    assert len(recorder.reads()) == 3  # the chain, the count ahead, the row ending the page
    assert_indexed(recorder.reads())
    sql, params = recorder.reads()[-1]  # the row ending the page before: read off the index
    assert "OFFSET" in sql and not _sorts(sql, params)
    page = fetch(HOT, sort, limit=20, after=found.after)
    assert found.root in [node.id for node in page.comments]


# --- the write path ----------------------------------------------------------------------------

def test_posting_and_voting_look_up_through_indexes(seeded):
    policy = seeded["policy"]
    parent = (Comment.select(Comment.id)
              .where((Comment.thread == seeded["hot"]) & (Comment.status == PUBLISHED)
                     & (Comment.depth == 0)).order_by(Comment.id.desc()).scalar())
    author = Author(user=None, ip_hash=f"{3:064x}")  # has published before; not banned
    with Recorder() as recorder:
        # Every post looks for a ban or spam hold on its author and, when the text is this
        # long, for the same text posted moments ago; "first" moderation also looks for the
        # author's earlier comments.
        reply = comments.post(author, replace(policy, moderation="first"), url=HOT,
                              parent=parent, name="Reader",
                              text="A reply long enough for the duplicate check to run.")
        comments.vote(parent, "a:new-voter", 1, policy, ip_hash=f"{7:064x}")
    assert reply.status == PUBLISHED
    statements = recorder.reads()
    for lookup in ('"fingerprint" =', 'FROM "ban"', '"ip_hash" =', 'UPDATE "thread"'):
        assert any(lookup in sql for sql, _ in statements), lookup
    assert_indexed(statements)


def test_a_post_sends_five_statements_and_a_vote_four(seeded):
    """The write path stays short: a post to a page with comments reads the thread, looks
    for a hold and for the same text, inserts and adds to the count; a vote reads the
    comment with its tally and the voter's earlier vote, writes its own, stores the tally
    it moved and re-versions the thread. PostgreSQL's vote first locks the comment: one
    more."""
    policy = seeded["policy"]
    author = Author(user=None, ip_hash=f"{3:064x}")
    target = Comment.select(Comment.id).where(Comment.status == PUBLISHED).scalar()
    with QueryCounter() as posting:
        comments.post(author, policy, url=HOT, name="Reader",
                      text="A comment long enough for the duplicate check to run.")
    with QueryCounter() as voting:
        comments.vote(target, "a:fresh-voter", 1, policy, ip_hash=f"{9:064x}")
    assert len(posting.statements) == 5, posting.statements
    assert len(voting.statements) == (5 if is_postgres() else 4), voting.statements


def test_reporting_looks_up_and_counts_through_indexes(seeded):
    """A report finds the reader's earlier one and counts the comment's reports by index;
    the one that holds the comment recounts its thread; a withdrawal and the reader's own
    reports in a thread are lookups too."""
    policy = replace(seeded["policy"], report_threshold=2)
    target = (Comment.select(Comment.id).join(Thread, on=(Comment.thread == Thread.id))
              .where((Thread.key == seeded["keys"][5]) & (Comment.status == PUBLISHED))
              .order_by(Comment.id).scalar())
    Report.delete().where(Report.comment == target).execute()
    with Recorder() as recorder:
        reports.report(target, "a:plan-reader", "spam", None, policy, ip_hash=f"{5:064x}")
        reports.report(target, "a:plan-reader", "abuse", None, policy, ip_hash=f"{5:064x}")
        held = reports.report(target, "a:second-reader", "other", "Rude.", policy,
                              ip_hash=f"{6:064x}")
        reports.withdraw(target, "a:plan-reader", ip_hash=f"{5:064x}")
        reports.of_thread(HOT, "a:7")
        reports.of_comments([target, target + 1])
    assert held.held and Comment.get_by_id(target).status == PENDING
    assert_indexed(recorder.reads())


def test_an_import_looks_up_through_indexes(seeded):
    """An import's plan asks which of the file's comments earlier runs wrote (a page of the
    (source, id) index at a time) and which threads exist; its writer, finding a comment
    another run wrote after this one planned, reads that row by the same index."""
    policy, now = seeded["policy"], utcnow()
    records = [Source("plans:test"), SourceThread("1", HOT), SourceThread("2", f"{SITE}/new"),
               SourceComment("a", "1", None, now, PUBLISHED, name="A", markdown="First."),
               SourceComment("b", "1", "a", now, PUBLISHED, name="B", markdown="A reply."),
               SourceComment("c", "2", None, now, PUBLISHED, name="C", markdown="Elsewhere.")]
    stale = plan(iter(records), policy, Options(), now)  # then another run writes them all
    run(lambda: iter(records), policy, policy.defences.signer, Options())
    with Recorder() as recorder:
        again = plan(iter(records), policy, Options(), now)
        Writer(stale, policy.defences.signer, None, now).write(
            record for record in records if isinstance(record, SourceComment))
    assert again.report.already == 3 and stale.report.already == 3
    statements = recorder.reads()
    assert sum('"import_source" = ' in sql for sql, _ in statements) == 4  # the plan's, 3 found
    assert_indexed(statements)
def test_the_outbox_is_polled_claimed_and_listed_through_indexes(seeded):
    """A sender looks for due messages every second, claims a batch, and records each outcome;
    the admin page lists a state's messages, newest first; old ones are forgotten: all by
    index, among thousands of messages sent before."""
    now = utcnow()
    with database.atomic():
        outbox.queue((("webhook", "comment.published", "http://127.0.0.1:9/", {}, "{}")
                     for _ in range(3000)), now)
        database.execute_sql('UPDATE "outbox_message" SET "state" = %s, "due" = NULL '
                             'WHERE "id" %% 100 <> 0' if is_postgres() else
                             'UPDATE "outbox_message" SET "state" = ?, "due" = NULL '
                             'WHERE "id" % 100 <> 0', ["sent"])
    database.execute_sql("ANALYZE")
    with Recorder() as recorder:
        assert outbox.is_due(now)
        [first, *_] = outbox.claim(now)
        outbox.retry([first.id])  # not failed: changes nothing, but plans the same
        outbox.listing("queued", 1, 50)
        outbox.listing("sent", 2, 50)
        outbox.forget(now)
    assert_indexed(recorder.reads())
    assert not [step for sql, params in recorder.reads() for step in _sorts(sql, params)]


# --- export and merge --------------------------------------------------------------------------

def test_an_export_and_a_merge_of_it_look_up_through_indexes(seeded, tmp_path):
    """The export walks each table by id, a batch at a time; merging the file back looks up
    whether its comments are here already, a batch of ids at a time. Neither reads a table
    whole, nor sorts one."""
    with Recorder() as exporting:
        save(Export([SITE]).lines(), tmp_path / "export.jsonl")
    with Recorder() as merging:
        records = list(merge.read(tmp_path / "export.jsonl", None))
    assert sum(isinstance(record, Skipped) for record in records) > Comment.select().count()
    assert len(merging.reads()) == math.ceil(Comment.select().count() / merge.BATCH)
    assert_indexed(exporting.reads() + merging.reads())
    assert not [step for sql, params in exporting.reads() for step in _sorts(sql, params)]


# --- paging without sorting the whole thread ---------------------------------------------------

def _sorts(sql: str, params: list) -> list[str]:
    """The steps of a plan that sort rows (rather than reading them in an index's order)."""
    steps, _ = explain(sql, params)
    return [step.strip() for step in steps if "TEMP B-TREE" in step or
            re.match(r"\s*(Incremental )?Sort\b", step)]


def test_a_page_of_top_level_comments_comes_off_an_index_in_order(seeded):
    """With a limit, the top-level comments of a page are read in the order they are shown
    and the read stops after the page: a big thread's first page must not sort all of its
    top-level comments to keep twenty (keyset pagination only pays off if it can stop)."""
    failures = []
    for sort in threads.SORTS:
        thread = threads.find(HOT)
        first = threads.page(thread, sort, 20, None)
        for after in (None, first.next):
            with Recorder() as recorder:
                threads.page(thread, sort, 20, after)
            sql, params = recorder.reads()[0]  # the page's top-level comments; then replies
            assert "LIMIT" in sql
            if sorting := _sorts(sql, params):
                failures.append(f"{sort}, after={after}: {sorting}\n  {sql}")
    assert not failures, "\n".join(failures)



# --- mail --------------------------------------------------------------------------------------

def test_reset_requests_and_moderators_mail_find_accounts_through_indexes(seeded):
    """A password reset finds the account by name or by its address in any case, and a held
    comment finds the admins to mail: by index, however many accounts there are."""
    with database.atomic():
        _insert(User, [{"username": f"m{n}", "username_key": f"m{n}", "password_hash": "x",
                        "email": f"M{n}@Example.org", "role": "admin" if n % 500 == 0 else "user"}
                       for n in range(3000)])
    database.execute_sql("ANALYZE")
    with Recorder() as recorder:
        addresses.request_reset("m7@example.ORG", "en", "client")
        addresses.request_reset("m8", "en", "client")
        assert len(moderators.recipients()) == 0  # none verified
    assert_indexed(recorder.reads())


def test_signing_in_with_a_provider_looks_up_through_indexes(seeded):
    """A sign-in takes its attempt by its state, finds the identity (or checks the name and
    the address a new account would take), lists an account's providers and forgets stale
    attempts: by index, however many accounts and attempts there are."""
    from kommentar import identities, signin
    from kommentar.oauth import Profile
    from kommentar.providers import parse

    configured = parse({"test": {"issuer": "https://id.example", "client_id": "k",
                                 "client_secret": "s"}})
    provider = configured["test"]
    with database.atomic():
        _insert(User, [{"username": f"p{n}", "username_key": f"p{n}", "password_hash": "",
                        "email": f"p{n}@example.org"} for n in range(3000)])
        first = User.get(User.username_key == "p0").id
        _insert(Identity, [{"user": first + n, "provider": "test", "subject": f"s{n}"}
                           for n in range(3000)])
        _insert(SignInAttempt, [{"state": f"{n:064x}", "browser": f"{n:064x}",
                                 "provider": "test", "verifier": "v", "nonce": "n",
                                 "origin": SITE, "mode": "popup"} for n in range(3000)])
    database.execute_sql("ANALYZE")
    secret, browser = signin.begin(provider, origin=SITE, mode="popup", return_url=None,
                                   link_user=None, browser=None)
    with Recorder() as recorder:
        signin.finish(provider, secret["state"], browser)
        known = identities.sign_in(provider, Profile("s42", "p42", None))
        identities.sign_in(provider, Profile("new-subject", "p7", "p9@example.org"))
        identities.linked(known, configured)
        signin.forget_attempts(utcnow())
    assert_indexed(recorder.reads())
