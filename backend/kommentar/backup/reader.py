"""Reading an export: the header, then each row checked against its table's columns, the
order of the file and the rows above it, so a bad line is named before anything uses it.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, TextIO

from peewee import (
    BooleanField,
    CharField,
    DateTimeField,
    DoubleField,
    Field,
    ForeignKeyField,
    IntegerField,
    Model,
    SmallIntegerField,
    TextField,
)

from ..imports.files import open_text
from ..imports.records import Malformed, utc_time
from ..migrations import SCHEMA_VERSION
from ..models import MAX_ID
from . import END, FORMAT, KINDS, VERSION

MAX_LINE = 16 * 1024 * 1024  # characters: far past any row, short of filling the memory


@dataclass(frozen=True)
class Header:
    """What the first line says: the schema version of the database written out, when, and
    the origins the exporting server was configured for."""

    schema: int
    exported: datetime
    origins: tuple[str, ...]


@dataclass(frozen=True)
class Row:
    """One row of a table (``kind``), its columns by field name, checked; ``where`` is its line."""

    kind: str
    values: dict[str, Any]
    where: str


def _fail(name: str, wanted: str, value: Any, where: str) -> Malformed:
    return Malformed(f"{name} must be {wanted}, not {json.dumps(value)[:60]}", where)


def _time(value: Any, name: str, where: str) -> datetime:
    try:
        if isinstance(value, str):
            return utc_time(value)
    except ValueError:
        pass
    raise _fail(name, "an ISO 8601 time", value, where)


def _decode(field: Field, value: Any, where: str) -> Any:
    """A column's value as the file holds it, checked against the column and made Python's."""
    if value is None:
        if field.null:
            return None
        raise Malformed(f"{field.name} may not be null", where)
    name = field.name
    if isinstance(field, DateTimeField):
        return _time(value, name, where)
    if isinstance(field, BooleanField):
        if type(value) is not bool:
            raise _fail(name, "true or false", value, where)
        return value
    if isinstance(field, DoubleField):
        if type(value) not in (int, float) or not math.isfinite(value):
            raise _fail(name, "a number", value, where)
        return float(value)
    if isinstance(field, IntegerField | ForeignKeyField):
        identifies = field.primary_key or isinstance(field, ForeignKeyField)
        bound = 2**15 if isinstance(field, SmallIntegerField) else 2**31  # as PostgreSQL's
        low, high = (1, MAX_ID) if identifies else (-bound, bound - 1)
        if type(value) is not int or not low <= value <= high:
            raise _fail(name, "an id" if identifies else "a whole number", value, where)
        return value
    if isinstance(field, CharField | TextField):
        if not isinstance(value, str) or "\x00" in value:
            raise _fail(name, "text", value, where)
        if isinstance(field, CharField) and len(value) > field.max_length:
            raise Malformed(f"{field.name} is longer than {field.max_length} characters", where)
        return value
    raise AssertionError(f"no reading for {type(field).__name__}")  # a new kind of column


def _default(field: Field, where: str) -> Any:
    """A column the file lacks, as an older schema's export would: its default, if it has one."""
    if field.default is not None:
        return field.default() if callable(field.default) else field.default
    if field.null:
        return None
    raise Malformed(f"{field.name} is missing", where)


def _parse(line: str, where: str) -> dict[str, Any]:
    """One line's JSON object (no NaN or Infinity, which JSON does not have)."""
    try:
        record = json.loads(line, parse_constant=_no_constant)
    except RecursionError:
        raise Malformed("not JSON: nested too deep", where) from None
    except ValueError as error:
        column = f" (column {error.colno})" if isinstance(error, json.JSONDecodeError) else ""
        raise Malformed(f"not JSON: {getattr(error, 'msg', error)}{column}", where) from None
    if not isinstance(record, dict):
        raise Malformed("not a JSON object", where)
    return record


def _no_constant(name: str) -> None:
    raise ValueError(f"{name} is not a number JSON allows")


def _header(line: str) -> Header:
    where = "line 1"
    try:
        header = _parse(line, where)
    except Malformed:
        header = None
    if header is None or header.get("format") != FORMAT:
        raise Malformed("not a Kommentar export: the first line is not its header", where)
    version, schema = header.get("version"), header.get("schema")
    if type(version) is not int or type(schema) is not int or version < 1 or schema < 1:
        raise Malformed("the header's version and schema must be positive numbers", where)
    if version > VERSION or schema > SCHEMA_VERSION:
        raise Malformed(f"written by a newer Kommentar (format {version}, schema {schema}; "
                        f"this one reads format {VERSION}, schema {SCHEMA_VERSION}): "
                        "upgrade Kommentar, then import it", where)
    origins = header.get("origins")
    if not isinstance(origins, list) or not all(isinstance(o, str) for o in origins):
        raise Malformed("the header's origins must be a list of origins", where)
    exported = _time(header.get("exported"), "exported", where)
    return Header(schema, exported, tuple(origins))


class _Checker:
    """What every line of a file must agree with: the tables in order, ids ascending within
    each, and foreign keys pointing at rows further up."""

    def __init__(self) -> None:
        self.order = list(KINDS)
        self.position, self.last_id = 0, 0
        self.counts: Counter = Counter()
        referred = {field.rel_model for model in KINDS.values()
                    for field in model._meta.refs}
        self.ids: dict[type[Model], set[int]] = {model: set() for model in referred}

    def row(self, record: dict[str, Any], where: str) -> Row:
        kind = record.pop("type", None)
        if kind not in KINDS:
            raise Malformed(f"unknown type {json.dumps(kind)[:40]}", where)
        position = self.order.index(kind)
        if position < self.position:
            raise Malformed(f"a {kind} row after {self.order[self.position]} rows: the "
                            "rows are out of order", where)
        if position > self.position:
            self.position, self.last_id = position, 0
        model = KINDS[kind]
        fields = model._meta.fields
        unknown = sorted(set(record) - set(fields))
        if unknown:
            raise Malformed(f"a {kind} has no column {unknown[0]!r}", where)
        values = {name: _decode(field, record[name], where) if name in record
                  else _default(field, where) for name, field in fields.items()}
        if values["id"] <= self.last_id:
            raise Malformed(f"{kind} {values['id']} comes after {kind} {self.last_id}: ids "
                            "must ascend", where)
        for field in model._meta.refs:
            target = values[field.name]
            if target is not None and target not in self.ids[field.rel_model]:
                raise Malformed(f"{field.name} {target} is not a "
                                f"{field.rel_model.__name__.lower()} further up", where)
        self.last_id = values["id"]
        if model in self.ids:
            self.ids[model].add(values["id"])
        self.counts[kind] += 1
        return Row(kind, values, where)

    def end(self, record: dict[str, Any], where: str) -> None:
        counts = record.get("counts")
        # A file from before a table was exported does not count it, and holds none of it.
        if not isinstance(counts, dict) or {**dict.fromkeys(KINDS, 0), **counts} \
                != {kind: self.counts[kind] for kind in KINDS}:
            raise Malformed(f"the last line counts {json.dumps(counts)[:200]}, but the file "
                            f"holds {dict(self.counts)}", where)


def _lines(text: TextIO) -> Iterator[tuple[str, str]]:
    """The file's lines, each with where it is; Malformed for one too long or not UTF-8."""
    number = 0
    while True:
        number += 1
        try:
            line = text.readline(MAX_LINE)
        except UnicodeDecodeError as error:  # decoded ahead in blocks: the line is near
            raise Malformed(f"not UTF-8 text ({error.reason})", f"near line {number}") from None
        if not line:
            return
        if len(line) >= MAX_LINE and not line.endswith("\n"):
            raise Malformed(f"longer than {MAX_LINE} characters", f"line {number}")
        yield f"line {number}", line


def read(path: Path) -> Iterator[Header | Row]:
    """The header, then every row, each checked as it is read; Malformed, naming the line, at
    the first that is wrong, and for a file cut short (its counting last line missing)."""
    with open_text(path) as text:
        lines = _lines(text)
        _, first = next(lines, ("line 1", ""))
        yield _header(first)
        checker, ended = _Checker(), False
        for where, line in lines:
            if ended:
                raise Malformed("more lines after the last one", where)
            record = _parse(line, where)
            if record.get("type") == END:
                checker.end(record, where)
                ended = True
            else:
                yield checker.row(record, where)
        if not ended:
            raise Malformed("the file ends without its last line, which counts the rows: "
                            "it was cut short")
