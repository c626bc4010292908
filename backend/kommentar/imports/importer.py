"""Importing another system's comments: check the whole file, then write it in batches.

The file is read twice, streamed both times. The first pass (``plan``) checks it and decides
without writing anything: a malformed file, or one with threads on sites this server is not
configured for, stops there, naming why; ``--dry-run`` stops there too, with the figures the
real run reports. The second pass (``write``) writes what the plan decided, a batch of
comments per transaction, each reply under the comment it answers whatever order the file
lists them in, thread counts kept exact, so a running server shows the import as it goes
and keeps answering reads meanwhile. What each value may become (names, texts, times,
addresses) is ``values``'s.

Every imported comment records its source and its id there, so importing the same file
again, or a newer export of the same site, adds only what is not there yet, and an import
killed half-way completes when run again. E-mail addresses are never read into a record;
addresses are stored only as the server's keyed hash, and only within ``ip_hash_retention``.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from datetime import timedelta

from ..comments import Policy
from ..db import execute, is_postgres
from ..models import utcnow
from ..tokens import Signer
from .plan import Options, Refused, plan
from .records import Record, SourceComment
from .report import Report
from .write import Writer

__all__ = ["Options", "Progress", "Refused", "Report", "run", "terminal_progress"]


def run(read: Callable[[], Iterator[Record]], policy: Policy, signer: Signer,
        options: Options, retention: timedelta | None = None, progress: Progress | None = None
        ) -> Report:
    """Import what ``read()`` yields (it is called once per pass). Raises Malformed or Refused
    before writing anything when the file cannot be imported."""
    progress = progress or Progress(None)
    now = utcnow()  # one moment for both passes: they judge times and ages alike
    checked = plan(read(), policy, options, now, progress.checking)
    if options.dry_run:
        return checked.report
    total = len(checked.status) - checked.status.count(0)
    Writer(checked, signer, retention, now).write(progress.writing(
        (record for record in read() if isinstance(record, SourceComment)), total))
    progress.done()
    if is_postgres():
        execute('ANALYZE "comment"')
    return checked.report


class Progress:
    """A progress line on a terminal (items, rate, time left); silent elsewhere."""

    def __init__(self, stream):
        self.stream = stream if stream is not None and stream.isatty() else None
        self.started = time.monotonic()

    def checking(self, count: int) -> None:
        self._show(f"checking: {count} records read")

    def restoring(self, count: int) -> None:
        self._show(f"restoring: {count} rows read")

    def writing(self, comments: Iterator[SourceComment], total: int) -> Iterator[SourceComment]:
        self.started = time.monotonic()
        for count, comment in enumerate(comments, start=1):
            if count % 1000 == 0:
                rate = count / max(time.monotonic() - self.started, 1e-6)
                left = max(total - count, 0) / rate
                self._show(f"importing: {count}/{total} comments, {rate:.0f}/s, "
                           f"{left:.0f} s left")
            yield comment

    def _show(self, line: str) -> None:
        if self.stream:
            self.stream.write(f"\r\x1b[K{line}")
            self.stream.flush()

    def done(self) -> None:
        if self.stream:
            self.stream.write("\r\x1b[K")
            self.stream.flush()


def terminal_progress() -> Progress:
    return Progress(sys.stderr)
