"""SQLite's writers take turns on a lock file: one at a time across threads and processes,
the next one in the moment a turn ends, and never stuck behind a process that died."""

from __future__ import annotations

import subprocess
import sys
import threading

import pytest
from peewee import OperationalError

from kommentar.sqlite import WriterQueue

HOLDER = """
import sys
from kommentar.sqlite import WriterQueue
queue = WriterQueue(sys.argv[1], timeout=5)
queue.enter()
print("holding", flush=True)
sys.stdin.read()  # holds its turn until killed or told to end
queue.leave()
"""


@pytest.fixture
def holder(tmp_path):
    """Another process holding a turn on the queue at ``tmp_path/db-lock``."""
    path = str(tmp_path / "db-lock")
    with subprocess.Popen([sys.executable, "-c", HOLDER, path], stdin=subprocess.PIPE,
                          stdout=subprocess.PIPE, text=True) as process:
        assert process.stdout.readline() == "holding\n"
        yield path, process
        process.kill()


def _enter_in_thread(queue: WriterQueue) -> tuple[threading.Thread, threading.Event]:
    entered = threading.Event()

    def enter():
        queue.enter()
        entered.set()
        queue.leave()

    thread = threading.Thread(target=enter, daemon=True)
    thread.start()
    return thread, entered


def test_a_writer_waits_while_another_process_holds_the_turn(holder):
    path, process = holder
    thread, entered = _enter_in_thread(WriterQueue(path, timeout=5))
    assert not entered.wait(0.3), "entered while another process held the turn"
    process.stdin.close()  # the holder leaves
    assert entered.wait(5), "still waiting after the holder left"
    thread.join(5)


def test_a_killed_holder_does_not_block_the_others(holder):
    path, process = holder
    thread, entered = _enter_in_thread(WriterQueue(path, timeout=5))
    process.kill()  # as the OOM killer or gunicorn's timeout would
    assert entered.wait(5), "a dead process's turn was never released"
    thread.join(5)


def test_threads_of_one_process_take_turns_and_give_up_after_the_timeout(tmp_path):
    queue = WriterQueue(str(tmp_path / "db-lock"), timeout=0.2)
    queue.enter()
    failure = []
    thread = threading.Thread(target=lambda: failure.append(pytest.raises(
        OperationalError, queue.enter)))
    thread.start()
    thread.join(5)
    assert failure and "locked" in str(failure[0].value)
    queue.leave()
    queue.leave()  # a rollback after a failed commit leaves a second time: no error
    queue.enter()
    queue.leave()


def test_the_log_is_checkpointed_after_the_turn_so_it_stops_growing(tmp_path):
    """SQLite's own checkpoints are off (they ran while the committing writer held its
    turn); each process checkpoints every ``CHECKPOINT_EVERY`` commits after leaving it,
    so the log is written again from its start instead of growing with every commit."""
    from kommentar.db import open_database
    from kommentar.sqlite import CHECKPOINT_EVERY

    path = tmp_path / "log.db"
    db = open_database(f"sqlite:///{path}")
    db.connect()
    assert db.execute_sql("PRAGMA wal_autocheckpoint").fetchone()[0] == 0
    db.execute_sql("CREATE TABLE note (id INTEGER PRIMARY KEY, text TEXT)")

    def commit_notes(count: int) -> int:
        for _ in range(count):
            with db.atomic():
                db.execute_sql("INSERT INTO note (text) VALUES (?)", ("x" * 3000,))
        return (tmp_path / "log.db-wal").stat().st_size

    after_one_round = commit_notes(CHECKPOINT_EVERY)
    after_four_rounds = commit_notes(3 * CHECKPOINT_EVERY)
    db.close_all()
    assert after_four_rounds <= after_one_round * 1.5, (after_one_round, after_four_rounds)
