"""Opening an export file: plain or gzipped (told by its first bytes, not its name), streamed,
and never decompressed past a limit, so a small hostile file cannot fill the memory or the
disk it is read through.
"""

from __future__ import annotations

import gzip
import io
import zlib
from pathlib import Path
from typing import BinaryIO

from .records import Malformed

GZIP_MAGIC = b"\x1f\x8b"
# Far past any real export (a million Disqus posts are about 1 GB), far short of harm.
MAX_UNPACKED = 20 * 1024**3
# Text compresses about ten to one (repetitive XML maybe thirty); a file that unpacks a hundred
# times bigger than it is is a bomb, refused as soon as it gets there rather than after 20 GB.
MAX_RATIO = 100
_FLOOR = 64 * 1024**2  # small files may unpack this far whatever the ratio


class _Limited(io.RawIOBase):
    """A gzip stream that raises Malformed once it has unpacked more than ``limit`` bytes."""

    def __init__(self, raw: BinaryIO, limit: int, name: str):
        self.raw, self.stream = raw, gzip.GzipFile(fileobj=raw, mode="rb")
        self.limit, self.name, self.unpacked = limit, name, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        try:
            count = self.stream.readinto(buffer)
        except (OSError, EOFError, zlib.error) as error:
            raise Malformed(f"the gzip data is damaged: {error}") from None
        self.unpacked += count
        if self.unpacked > self.limit:
            raise Malformed(f"{self.name} unpacks to more than {self.limit} bytes; "
                            "refused as a decompression bomb")
        return count

    def close(self) -> None:
        self.stream.close()
        self.raw.close()
        super().close()


def open_binary(path: Path, limit: int | None = None) -> BinaryIO:
    """The file's bytes, unpacked if it is gzipped, buffered for streaming. The caller closes it.

    ``limit`` caps what a gzipped file may unpack to (default: ``MAX_RATIO`` times its size,
    at least ``_FLOOR``, at most ``MAX_UNPACKED``)."""
    try:
        raw = open(path, "rb")  # noqa: SIM115 - handed to the caller, who closes it
    except OSError as error:
        raise Malformed(f"cannot open {path}: {error.strerror}") from None
    if raw.peek(2)[:2] != GZIP_MAGIC:
        return raw
    if limit is None:
        limit = min(MAX_UNPACKED, max(_FLOOR, MAX_RATIO * path.stat().st_size))
    limited = _Limited(raw, limit, path.name)
    return io.BufferedReader(limited, buffer_size=1024 * 1024)


def open_text(path: Path, limit: int | None = None) -> io.TextIOWrapper:
    """The file as UTF-8 text lines (see ``open_binary``); bad UTF-8 is Malformed when read."""
    return io.TextIOWrapper(open_binary(path, limit), encoding="utf-8", errors="strict",
                            newline="")
