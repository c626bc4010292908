"""What an import found and did, for the summary it ends with: figures the plan counts before
anything is written, so ``--dry-run`` reports what the real run will, and notes on what was
mended on the way, of which only the first few are kept (a file with a million orphans must
not hold a million notes).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from ..models import DELETED, PENDING, PUBLISHED, SPAM

NOTES_SHOWN = 20


@dataclass
class Report:
    """Threads and comments imported (or, on a dry run, to be), what was skipped and why."""

    threads: int = 0
    new_threads: int = 0
    comments: Counter = field(default_factory=Counter)  # to import, by status
    already: int = 0  # imported by an earlier run
    skipped: Counter = field(default_factory=Counter)  # by reason
    notes: list[str] = field(default_factory=list)  # the first few, with where
    unshown: int = 0  # notes beyond those
    dry_run: bool = False

    def note(self, text: str) -> None:
        """Something the reader should know about one item (what was mended, and where)."""
        if len(self.notes) < NOTES_SHOWN:
            self.notes.append(text)
        else:
            self.unshown += 1

    def summary(self) -> str:
        verb = "would import" if self.dry_run else "imported"
        statuses = ", ".join(f"{self.comments[s]} {s}" for s in (PUBLISHED, PENDING, SPAM, DELETED)
                             if self.comments[s]) or "none"
        lines = [f"{verb} {sum(self.comments.values())} comments ({statuses}) in "
                 f"{self.threads} threads ({self.new_threads} new)"]
        if self.already:
            lines.append(f"already imported before: {self.already} comments")
        if self.skipped:
            lines.append("skipped: " + ", ".join(f"{count} {reason}" for reason, count
                                                 in sorted(self.skipped.items())))
        lines += [f"  {note}" for note in self.notes]
        if self.unshown:
            lines.append(f"  ... and {self.unshown} more")
        return "\n".join(lines)
