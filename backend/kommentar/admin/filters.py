"""The comment list's filter as a form carries it: read from a query string (the filter
form) or from posted fields (a bulk action on everything a filter matches), checked, and
turned into a ``review.Filter``. Both read the same field names, so what a moderator
sees listed is exactly what "all matching" acts on."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from werkzeug.datastructures import MultiDict

from ..accounts import username_key
from ..models import MAX_ID, STATUSES, User
from ..review import Filter

# The form's names, in the form's order.
FIELDS = ("status", "thread", "author", "ip", "q", "reported")
IP_HASH = re.compile(r"[0-9a-f]{1,64}")


@dataclass
class Query:
    """A checked filter: the values to show in the form again, the filter, and what was
    wrong with the rest. ``filter`` is None when nothing can match (an unknown author)."""

    values: dict[str, str]
    filter: Filter | None
    problems: list[str] = field(default_factory=list)

    @property
    def active(self) -> bool:
        """Whether any field narrows the list (so "all matching" is not every comment)."""
        return self.filter is None or not self.filter.is_empty()


def _positive(text: str) -> int | None:
    return int(text) if text.isascii() and text.isdigit() and 0 < int(text) <= MAX_ID else None


def read(form: MultiDict) -> Query:
    """The filter these fields describe. A field that makes no sense is named in
    ``problems`` and the filter matches nothing: dropping it would widen the list, and a
    bulk action on it, without a word."""
    values = {name: (form.get(name) or "").strip()[:200] for name in FIELDS}
    values["ip"] = values["ip"].lower()
    problems: list[str] = []
    terms: dict[str, object] = {}
    if values["status"]:
        terms["status"] = values["status"] if values["status"] in STATUSES else None
        if terms["status"] is None:
            problems.append(f"There is no status “{values['status']}”.")
    if values["thread"]:
        terms["thread"] = _positive(values["thread"])
        if terms["thread"] is None:
            problems.append("A thread is given by its number.")
    if values["ip"]:
        terms["ip_hash"] = values["ip"] if IP_HASH.fullmatch(values["ip"]) else None
        if terms["ip_hash"] is None:
            problems.append("An IP hash is hexadecimal, as shown in the list.")
    if values["q"]:
        terms["text"] = values["q"]
    if values["reported"]:
        terms["reported"] = values["reported"] == "1" or None
        if terms["reported"] is None:
            problems.append("“Reported” is ticked or not.")
    if values["author"]:
        author = User.get_or_none(User.username_key == username_key(values["author"]))
        if author is None:
            problems.append(f"No account is named “{values['author']}”.")
        terms["author"] = author.id if author else None
    if any(value is None for value in terms.values()):
        return Query(values, None, problems)
    return Query(values, Filter(**terms), problems)


def page_number(form: MultiDict) -> int:
    """The page asked for (1 when none or nonsense)."""
    return _positive(form.get("page") or "") or 1
