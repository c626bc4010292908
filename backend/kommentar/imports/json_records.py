"""Reading JSON exports safely: JSON lines one object at a time, one big JSON document as a
stream of events, and the fields of a record checked for their type, so every problem is a
one-line reason naming the record ("line 12", "comments[3]") instead of a crash later on.
"""

from __future__ import annotations

import itertools
import json
import math
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

import ijson

from .files import open_binary
from .records import Malformed, utc_time

MAX_LINE = 64 * 1024**2  # bytes: a JSON line past this is no comment, and would fill the memory
MAX_DEPTH = 64  # nesting: no export needs more, and ijson's prefixes grow with the square of it
REQUIRED = object()  # the default of a field that must be there, and not be empty

_KINDS = {str: "text", int: "a whole number", float: "a number", bool: "true or false",
          dict: "an object", list: "a list"}


def json_lines(path: Path) -> Iterator[tuple[int, object]]:
    """Each line's number and value, skipping blank lines; Malformed names the line."""
    with open_binary(path) as stream:
        for number in itertools.count(1):
            line = stream.readline(MAX_LINE + 1)
            if not line:
                return
            where = f"line {number}"
            if len(line) > MAX_LINE:
                raise Malformed(f"longer than {MAX_LINE} bytes", where)
            try:
                text = line.decode("utf-8").rstrip("\r\n")
            except UnicodeDecodeError as error:
                raise Malformed(f"not UTF-8 text (byte {error.start + 1})", where) from None
            if not text.strip():
                continue
            try:
                yield number, json.loads(text)
            except json.JSONDecodeError as error:
                raise Malformed(f"not JSON: {error.msg}", f"{where}, column {error.colno}"
                                ) from None
            except (ValueError, RecursionError) as error:  # a number too long, nesting too deep
                raise Malformed(f"not JSON: {error}", where) from None


def json_events(stream: BinaryIO) -> Iterator[tuple[str, str, object]]:
    """ijson's ``parse`` events of one JSON document, refusing nesting past ``MAX_DEPTH``
    (as an ``ijson.JSONError``, like any other fault of the document)."""

    def guarded(events):
        depth = 0
        for event, value in events:
            if event in ("start_map", "start_array"):
                depth += 1
                if depth > MAX_DEPTH:
                    raise ijson.JSONError(f"nested more than {MAX_DEPTH} levels deep")
            elif event in ("end_map", "end_array"):
                depth -= 1
            yield event, value

    return ijson.parse(guarded(ijson.basic_parse(stream)))


def json_fault(error: ijson.JSONError) -> str:
    """The first line of ijson's message (the rest draws the spot in the raw bytes)."""
    message = error.args[0] if error.args else ""
    if isinstance(message, bytes):
        message = message.decode("utf-8", "replace")
    return f"not valid JSON: {str(message).splitlines()[0] if message else 'unreadable'}"


def field(record: object, path: str, kind: type, where: str, default: object = REQUIRED,
          limit: int | None = None):
    """The value at ``path`` ("user.name") in a JSON record, checked to be of ``kind``.

    Missing or null gives ``default``; without one, Malformed says the field is missing (or
    empty, for text). Text longer than ``limit`` and whole numbers past 32 bits are refused."""
    value = record
    keys = path.split(".")
    for depth, key in enumerate(keys):
        if not isinstance(value, dict):
            name = ".".join(keys[:depth]) or "the record"
            raise Malformed(f"{name} should be an object, not {_kind(value)}", where)
        value = value.get(key)
        if value is None:
            break
    if value is None or (value == "" and default is REQUIRED):
        if default is REQUIRED:
            raise Malformed(f"{path!r} is {'empty' if value == '' else 'missing'}", where)
        return default
    if not _is(value, kind):
        raise Malformed(f"{path!r} should be {_KINDS[kind]}, not {_kind(value)}", where)
    if kind is int and not -2**31 < value < 2**31:
        raise Malformed(f"{path!r} is out of range: {value}", where)
    if limit is not None and len(value) > limit:
        raise Malformed(f"{path!r} is {len(value)} characters long; at most {limit} are "
                        "accepted", where)
    return value


def moment(record: object, path: str, where: str, default: object = REQUIRED):
    """The time at ``path`` (ISO 8601, as Go writes it) in UTC without tzinfo; a time without
    an offset is taken as UTC."""
    value = field(record, path, str, where, default)
    if value is default:
        return default
    try:
        return utc_time(value)
    except ValueError:
        raise Malformed(f"{path!r} is not a time: {value[:40]!r}", where) from None


def _is(value: object, kind: type) -> bool:
    if kind in (int, float) and isinstance(value, bool):
        return False
    if kind is float:
        return isinstance(value, int | float) and math.isfinite(value)
    return isinstance(value, kind)


def _kind(value: object) -> str:
    for kind in (bool, int, float, str, dict, list):
        if isinstance(value, kind):
            return _KINDS[kind]
    return "null" if value is None else type(value).__name__
