"""Holds: bans and spam holds on an account or an IP hash, and the verdict a new comment
gets from them and from the site's moderation policy (published, or pending and why).

Moderators set holds (``moderation.ban``, a spam action); posting reads them here.
"""

from __future__ import annotations

from peewee import fn

from .accounts import account_key
from .db import execute
from .models import PENDING, PUBLISHED, Ban, Comment, utcnow

BAN, SPAM_HOLD = "ban", "spam"  # Ban.kind
ADDRESS = "ip:"  # the prefix of address_key

# Every post asks this, so it is written out rather than built by peewee each time.
_HOLD = ('SELECT "id", "kind" FROM "ban" WHERE "target" IN ({targets}) '
         'AND ("until" IS NULL OR "until" > ?) '
         'ORDER BY CASE WHEN "kind" = ? THEN 0 ELSE 1 END, "id" LIMIT 1')


def address_key(ip_hash: str) -> str:
    """How a ban names an IP hash: ``ip:<hash>``."""
    return f"{ADDRESS}{ip_hash}"


def active_hold(user_id: int | None, ip_hash: str | None) -> Ban | None:
    """The ban or spam hold in force on this account or IP hash, if any (a ban before a hold)."""
    found = _hold(user_id, ip_hash)
    return found and Ban.get_or_none(Ban.id == found[0])


def _hold(user_id: int | None, ip_hash: str | None) -> tuple[int, str] | None:
    """(id, kind) of the hold ``active_hold`` names."""
    targets = ([account_key(user_id)] if user_id else []) \
        + ([address_key(ip_hash)] if ip_hash else [])
    if not targets:
        return None
    placeholders = ", ".join(["?"] * len(targets))
    return execute(_HOLD.format(targets=placeholders), (*targets, utcnow(), BAN)).fetchone()


def verdict(moderation: str, user_id: int | None, ip_hash: str | None) -> tuple[str, str | None]:
    """Published, or pending with the reason: a ban or earlier spam hold, or the policy
    (``none``, ``first``: hold first-time commenters, ``all``: hold everything)."""
    hold = _hold(user_id, ip_hash)
    if hold is not None:
        return PENDING, ("held: banned" if hold[1] == BAN else "held: earlier spam")
    if moderation == "all":
        return PENDING, "held: every comment is reviewed"
    if moderation == "first":
        mine = (Comment.author == user_id) if user_id else (Comment.ip_hash == ip_hash)
        if user_id or ip_hash:
            known = Comment.select(fn.COUNT(Comment.id)).where(
                mine & (Comment.status == PUBLISHED)).scalar()
        else:
            known = 0
        if not known:
            return PENDING, "held: first comment"
    return PUBLISHED, None
