"""SQLite with its writers queued: each write transaction waits its turn on a lock file
beside the database (and, within a process, on a thread lock) before ``BEGIN IMMEDIATE``.

SQLite lets one writer in at a time and makes the others poll: its busy handler sleeps
1, 2, 5 ... up to 100 ms between tries. With a dozen writers that leaves the database idle
while they sleep, and the unlucky ones wait a second or more. Queued on a lock the
kernel hands over the moment it is released, the next writer starts at once. The lock
is ``lockf``'s, which the kernel drops when its process dies, so a killed worker never
blocks the others. Readers never queue (WAL lets them read beside the writer), not even a
long read-only transaction (``BEGIN DEFERRED``, see ``db.snapshot``), and any
process that does not queue (the ``sqlite3`` shell) still meets the busy timeout.

SQLite's own checkpoints (copying the WAL back into the database, with an fsync) run inside
the commit that crosses ``wal_autocheckpoint``, so while they ran that writer kept its turn
and every other writer waited. Here they are turned off and each process runs a passive
checkpoint itself every ``CHECKPOINT_EVERY`` commits, after giving up its turn: the next
writer goes on beside it.
"""

from __future__ import annotations

import fcntl
import itertools
import os
import threading

from peewee import OperationalError
from playhouse.pool import PooledSqliteDatabase

# About SQLite's default of 1,000 WAL pages: a vote or a post writes five to ten.
CHECKPOINT_EVERY = 150


class WriterQueue:
    """One writer at a time across every thread and process that opens the same path."""

    def __init__(self, path: str, timeout: float):
        self.path, self.timeout = path, timeout
        self._thread_lock = threading.Lock()
        self._holder = threading.local()
        self._fd: int | None = None

    def enter(self) -> None:
        """Wait for the turn of this thread; OperationalError (answered 503) after
        ``timeout`` seconds behind this process's other writers."""
        if not self._thread_lock.acquire(timeout=self.timeout):
            raise OperationalError("database is locked: other writers held it too long")
        try:
            if self._fd is None:
                self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
            fcntl.lockf(self._fd, fcntl.LOCK_EX)  # owned by the process, so shared fds are fine
        except BaseException:
            self._thread_lock.release()
            raise
        self._holder.turn = True

    def leave(self) -> None:
        """End this thread's turn; nothing when it holds none (a rollback after a failed
        commit leaves twice)."""
        if getattr(self._holder, "turn", False):
            self._holder.turn = False
            fcntl.lockf(self._fd, fcntl.LOCK_UN)
            self._thread_lock.release()


class QueuedSqliteDatabase(PooledSqliteDatabase):
    """Pooled SQLite whose transactions take their turn in a ``WriterQueue``, waiting at most
    ``wait`` seconds behind the process's other writers."""

    def __init__(self, database: str, *, wait: float, pragmas: dict, **kwargs):
        super().__init__(database, pragmas={**pragmas, "wal_autocheckpoint": 0}, **kwargs)
        self.writers = WriterQueue(f"{database}-lock", wait)
        self._commits = itertools.count(1)  # next() is atomic under the GIL

    def begin(self, lock_type: str | None = None) -> None:
        if lock_type == "DEFERRED":  # a reader's snapshot (db.snapshot): it never writes
            super().begin(lock_type)
            return
        self.writers.enter()
        try:
            super().begin(lock_type)
        except BaseException:
            self.writers.leave()
            raise

    def commit(self) -> None:
        try:
            super().commit()
        finally:
            self.writers.leave()
        if next(self._commits) % CHECKPOINT_EVERY == 0:
            # Straight to the connection: a checkpoint is upkeep, not one of the statements
            # a domain operation sends (which tests count).
            self.connection().execute("PRAGMA wal_checkpoint(PASSIVE)")

    def rollback(self) -> None:
        try:
            super().rollback()
        finally:
            self.writers.leave()
