"""Writing the export: every table in one snapshot, a batch of rows at a time, to a file
(gzipped or not, whole or not at all), to standard output, or as a gzipped download.

The batches walk each table by id: psycopg2's ordinary cursor would hold a whole table's
result in memory, which a keyset walk never asks for, so memory stays flat however big the
database is; the snapshot keeps the tables consistent with each other meanwhile, and writers
go on beside it.
"""

from __future__ import annotations

import json
import os
import zlib
from collections import Counter
from collections.abc import Generator, Iterator, Sequence
from contextlib import closing
from pathlib import Path
from typing import Any, BinaryIO

from peewee import DateTimeField, Field, Model

from ..db import snapshot
from ..migrations import SCHEMA_VERSION
from ..models import utcnow
from . import END, FORMAT, KINDS, VERSION, counted

BATCH = 1000  # rows per query


def _line(record: dict[str, Any]) -> str:
    return json.dumps(record, ensure_ascii=False, separators=(",", ":"), allow_nan=False) + "\n"


def _encode(field: Field, value: Any) -> Any:
    if isinstance(field, DateTimeField) and value is not None:
        return value.isoformat() + "Z"
    return value


def _rows(model: type[Model]) -> Iterator[dict[str, Any]]:
    fields = model._meta.sorted_fields
    key = model._meta.primary_key
    last = 0
    while True:
        batch = list(model.select(*fields).where(key > last).order_by(key).limit(BATCH)
                     .tuples())
        for values in batch:
            yield {field.name: _encode(field, value)
                   for field, value in zip(fields, values, strict=True)}
        if len(batch) < BATCH:
            return
        last = batch[-1][fields.index(key)]


class Export:
    """One export of the whole database, and how many rows of each table it wrote."""

    def __init__(self, origins: Sequence[str]):
        self.origins = list(origins)
        self.counts: Counter = Counter()

    def lines(self) -> Generator[str]:
        """The export a line at a time, each ending in a newline, read in one snapshot."""
        with snapshot():
            yield _line({"format": FORMAT, "version": VERSION, "schema": SCHEMA_VERSION,
                         "exported": utcnow().isoformat() + "Z",
                         "origins": self.origins})
            for kind, model in KINDS.items():
                for row in _rows(model):
                    self.counts[kind] += 1
                    yield _line({"type": kind, **row})
            yield _line({"type": END, "counts": {kind: self.counts[kind] for kind in KINDS}})

    def summary(self) -> str:
        """What was written, for the command's last line."""
        return "exported " + counted(self.counts)


def gzipped(lines: Generator[str]) -> Iterator[bytes]:
    """The lines as one gzip stream, handed on in pieces as they are compressed. The lines
    are closed when this is, so a download broken off ends the export's snapshot at once."""
    packer = zlib.compressobj(level=6, wbits=31)  # 31: with gzip's header and trailer
    with closing(lines):
        for line in lines:
            piece = packer.compress(line.encode())
            if piece:
                yield piece
    yield packer.flush()


def write(lines: Generator[str], stream: BinaryIO, gzip: bool) -> None:
    """Write the lines to a binary stream, gzipped or as they are, and close them, so the
    export's snapshot ends here even when the stream fails (a closed pipe, a full disk)."""
    with closing(lines):
        for piece in gzipped(lines) if gzip else (line.encode() for line in lines):
            stream.write(piece)


def save(lines: Generator[str], path: Path) -> None:
    """Write an export to ``path`` (gzipped when its name ends in ``.gz``), readable by its
    owner only, whole or not at all: it is written beside the path and renamed onto it when
    complete, so a failed export never replaces the last good one."""
    partial = path.with_name(f".{path.name}.partial")
    try:
        with os.fdopen(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600),
                       "wb") as file:
            write(lines, file, gzip=path.name.endswith(".gz"))
            file.flush()
            os.fsync(file.fileno())
        os.replace(partial, path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
