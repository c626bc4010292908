"""Readers' reports of comments: report one (or change the reason), withdraw the report."""

from __future__ import annotations

from flask import Blueprint, jsonify

from .. import reports
from ..ratelimits import limited
from . import request as req

bp = Blueprint("reports", __name__)


@bp.post("/comments/<int:comment_id>/report")
@limited("limit_report", req.writer_key)
def report(comment_id: int):
    """Report a comment to the moderators; a first anonymous report mints a voter token,
    which names the reporter as it names a voter."""
    data = req.body()
    comment_id = req.stored_id(comment_id)
    reporter, minted = req.voter_or_new()
    done = reports.report(comment_id, reporter, data.get("reason"), data.get("note"),
                          req.policy(), ip_hash=req.client_hash(), user=req.session_user())
    result = {"comment": comment_id, "held": done.held}
    if minted:
        result["voter_token"] = minted
    return jsonify(result), 201 if done.created else 200


@bp.delete("/comments/<int:comment_id>/report")
@limited("limit_report", req.writer_key)
def withdraw(comment_id: int):
    """Withdraw the caller's report of a comment (nothing to withdraw is not an error)."""
    reports.withdraw(req.stored_id(comment_id), req.voter_id(), ip_hash=req.client_hash(),
                     user=req.session_user())
    return "", 204
