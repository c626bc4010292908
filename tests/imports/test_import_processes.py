"""The import as a process among others: killed half-way and run again, beside a running
server that keeps answering and shows each batch at once, and in memory that stays flat as
the file grows. The command runs as ``python -m kommentar.cli``, as an operator runs it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from support import command_env, http_json

from kommentar.db import database
from kommentar.imports.write import BATCH
from kommentar.models import Comment

from .common import BLOG, ORIGINS
from .isso_files import many_comments, read_only


def import_env(database_url: str) -> dict:
    """The import command's environment: this test run's sites, on ``database_url``."""
    return command_env(secret_key="import-test", origins=ORIGINS, database_url=database_url)


def import_command(path) -> list[str]:
    return [sys.executable, "-m", "kommentar.cli", "import", "isso", str(path), "--site", BLOG]


def start_import(path, env: dict) -> subprocess.Popen:
    return subprocess.Popen(import_command(path), env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)


def run_import(path, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(import_command(path), env=env, capture_output=True, text=True,
                          timeout=300)


def imported() -> int:
    with database.connection_context():
        return Comment.select().count()


def wait_until(condition, process: subprocess.Popen, timeout: float = 120) -> None:
    """Poll until ``condition()`` holds, failing if the import ends first."""
    deadline = time.monotonic() + timeout
    while not condition():
        if process.poll() is not None:
            raise AssertionError(f"the import ended first:\n{process.communicate()[0]}")
        assert time.monotonic() < deadline, "the import took too long"
        time.sleep(0.005)  # polling for the commit, not papering over a race


def test_an_import_killed_after_a_batch_completes_exactly_when_run_again(tmp_path, settings,
                                                                         app):
    total = 12_000
    path = many_comments(tmp_path / "isso.db", total)
    env = import_env(settings["database_url"])
    process = start_import(path, env)
    wait_until(lambda: imported() > 0, process)
    process.send_signal(signal.SIGKILL)
    process.communicate()
    landed = imported()
    assert landed % BATCH == 0 and 0 < landed < total  # whole batches, and not all of them

    again = run_import(path, env)
    assert again.returncode == 0, again.stdout + again.stderr
    assert f"imported {total - landed} comments" in again.stdout
    assert f"already imported before: {landed} comments" in again.stdout
    with read_only(path) as isso:
        expected = {str(cid): None if parent is None else str(parent)
                    for cid, parent in isso.execute("SELECT id, parent FROM comments")}
    isso.close()
    with database.connection_context():
        rows = database.execute_sql(
            'SELECT c.import_id, p.import_id, c.depth, c.root_id = p.id FROM comment c '
            'LEFT JOIN comment p ON p.id = c.parent_id').fetchall()
        counts = database.execute_sql(
            'SELECT t.count, (SELECT COUNT(*) FROM comment c WHERE c.thread_id = t.id '
            "AND c.status = 'published') FROM thread t").fetchall()
    assert len(rows) == total and {cid: parent for cid, parent, _, _ in rows} == expected
    assert all((depth, bool(same_root)) == ((0, False) if parent is None else (1, True))
               for _, parent, depth, same_root in rows)
    assert len(counts) == 20 and all(count == real for count, real in counts)


def test_two_imports_of_one_file_at_once_write_each_comment_once(tmp_path, settings, app):
    total = 6_000
    path = many_comments(tmp_path / "isso.db", total)
    env = import_env(settings["database_url"])
    both = [start_import(path, env) for _ in range(2)]
    outputs = [process.communicate(timeout=300)[0] for process in both]
    assert [process.returncode for process in both] == [0, 0], outputs
    # Each says what it added and what it found the other had: together, every comment once.
    added = [int(output.split()[1]) for output in outputs]
    assert sum(added) == total, outputs
    with database.connection_context():
        assert database.execute_sql(
            "SELECT COUNT(*), COUNT(DISTINCT import_id) FROM comment").fetchone() == (total,
                                                                                   total)
        assert not database.execute_sql(
            "SELECT 1 FROM thread t WHERE t.count != (SELECT COUNT(*) FROM comment c WHERE "
            "c.thread_id = t.id AND c.status = 'published')").fetchall()


def test_a_running_server_shows_the_import_at_once_and_answers_reads_throughout(
        tmp_path, start_server, database_url):
    server = start_server(origins=ORIGINS, database_url=database_url)
    page = f"{BLOG}/page-0"
    headers = {"Origin": BLOG, "Content-Type": "application/json"}
    status, _, _ = http_json("POST", f"{server.url}/api/comments",
                             b'{"url": "%s", "text": "Here first.", "name": "Live"}'
                             % page.encode(), headers)
    assert status == 201

    def read() -> tuple[float, int, int]:
        started = time.monotonic()
        status, _, document = http_json("GET", f"{server.url}/api/threads?url={page}&limit=5",
                                        headers={"Origin": BLOG})
        assert status == 200, document
        return time.monotonic() - started, document["thread"]["count"], len(document["comments"])

    assert read()[1:] == (1, 1)  # read once: the server holds the thread in its cache now
    total = 12_000
    path = many_comments(tmp_path / "isso.db", total)
    process = start_import(path, {**server.env, "KOMMENTAR_DATABASE_URL": database_url})
    seen = []
    while process.poll() is None:
        seen.append(read())
    output = process.communicate()[0]
    assert process.returncode == 0, output
    on_page = total // 20  # many_comments spreads the comments over 20 pages
    assert read()[1:] == (1 + on_page, 5)
    counts = [count for _, count, _ in seen]
    assert counts == sorted(counts), "a count went back"
    assert any(1 < count < 1 + on_page for count in counts), f"no read saw it under way: {counts}"
    # A batch's transaction holds no reader up (WAL on SQLite, MVCC on PostgreSQL): reads
    # take what the machine gives them, a fraction of a second even on a busy one.
    slowest = max(seconds for seconds, _, _ in seen)
    assert slowest < 5, f"a read waited {slowest:.1f} s ({len(seen)} reads)"


def peak_memory(path, database_url: str) -> int:
    """The peak resident memory of an import of ``path``, in bytes (the process's own)."""
    process = start_import(path, import_env(database_url))
    output = process.stdout.read()
    process.stdout.close()
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    assert process.returncode == 0, output
    return usage.ru_maxrss * 1024


def test_memory_stays_flat_as_the_file_grows_however_it_is_ordered(tmp_path):
    # 8 KB texts (an indented code block: cheap to render), every reply listed before every
    # top-level comment: were the replies that wait for their parents kept in memory, the
    # 3,000 more of the big file would take 24 MB more. What may grow is the plan's
    # per-comment map, about 200 bytes a comment.
    text = "\n\n    " + "x" * 8000
    small = many_comments(tmp_path / "small.db", 3_000, text=text, replies_first=True)
    big = many_comments(tmp_path / "big.db", 12_000, text=text, replies_first=True)
    peaks = [peak_memory(path, f"sqlite:///{tmp_path / f'{path.stem}-kommentar.db'}")
             for path in (small, big)]
    assert peaks[1] - peaks[0] < 12 * 1024**2, [f"{peak / 1e6:.0f} MB" for peak in peaks]


def test_on_a_terminal_a_progress_line_shows_items_rate_and_time_left(tmp_path):
    """Standard error on a terminal gets a progress line that rewrites itself; standard
    output (a pipe here) gets only the summary, so scripts read it unchanged."""
    path = many_comments(tmp_path / "comments.db", 3 * BATCH)
    controller, terminal = os.openpty()
    process = subprocess.Popen(import_command(path),
                               env=import_env(f"sqlite:///{tmp_path / 'kommentar.db'}"),
                               stdout=subprocess.PIPE, stderr=terminal, text=True)
    os.close(terminal)
    shown = b""
    while True:  # until the command closes its end of the terminal
        try:
            chunk = os.read(controller, 65536)
        except OSError:  # EIO: nothing holds the terminal open any more
            break
        if not chunk:
            break
        shown += chunk
    os.close(controller)
    summary, _ = process.communicate(timeout=60)
    assert process.returncode == 0
    assert b"checking: " in shown
    progress = [line for line in shown.decode().split("\r") if "importing:" in line]
    assert progress, shown
    assert all("/3000 comments, " in line and "/s, " in line and " s left" in line
               for line in progress), progress
    assert "importing:" not in summary and summary.startswith("imported 3000 comments")
