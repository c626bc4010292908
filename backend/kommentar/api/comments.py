"""Writing: posting, editing, deleting and voting on comments."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify

from .. import comments, places, serialize, subscriptions, tokens
from ..defences import Submission
from ..models import SPAM
from ..ratelimits import limited
from . import request as req

bp = Blueprint("comments", __name__)


@bp.post("/comments")
@limited("limit_post", req.writer_key)
def post_comment():
    """Publish a comment or a reply; anonymous authors get an edit token back. With
    ``notify``, replies to it are mailed to its author (see ``subscriptions``)."""
    data = req.body()
    parent = data.get("parent")
    if parent is not None:
        parent = req.comment_id(parent, "parent")
    author = req.author()
    wish = subscriptions.wish(author.user, data.get("notify"), data.get("email"),
                              data.get("lang"), bool(current_app.config["SMTP_HOST"]))
    client = req.client_key()

    def subscribe(comment) -> None:
        if wish is not None and comment.status != SPAM:  # spam asks nobody to confirm
            subscriptions.subscribe(comment, wish, client)

    comment = comments.post(author, req.policy(), url=data.get("url"),
                            text=data.get("text"), thread_id=data.get("id"), parent=parent,
                            name=data.get("name"), title=data.get("title"),
                            submission=Submission(honeypot=data.get("website"),
                                                  form_token=data.get("form_token")),
                            also=subscribe)
    # A comment caught as spam is "pending" to its sender: a bot learns nothing to adapt to.
    result = serialize.held(comment) if comment.status == SPAM else serialize.comment(comment)
    if wish is not None:
        result["notify"] = wish.answer
    if comment.author_id is None:
        result["edit_token"] = req.signer().sign(tokens.EDIT, comment.id)
    return jsonify(result), 201


def _edit_grant() -> int | None:
    """The comment id an anonymous author's edit token vouches for, while it lasts."""
    grant = req.token_for(tokens.EDIT, current_app.config["EDIT_WINDOW"])
    return grant if isinstance(grant, int) else None


@bp.get("/comments/<int:comment_id>")
def get_comment(comment_id: int):
    """One published comment with its Markdown source, for the author's edit form."""
    return jsonify(serialize.comment(comments.published(req.stored_id(comment_id))))


@bp.get("/comments/<int:comment_id>/place")
def get_place(comment_id: int):
    """Where a published comment is shown in a sort and page size, for its permalink: the
    thread, the top-level comment it is under, the cursor of that page, its ancestors."""
    found = places.place(req.stored_id(comment_id), req.sort(), req.page_size())
    response = jsonify(id=found.id, url=found.url, thread_id=found.thread_id, root=found.root,
                       after=found.after, ancestors=found.ancestors)
    # Anyone's to keep, but asked afresh each time: new comments move a comment's page.
    response.cache_control.public = True
    response.cache_control.no_cache = True
    return response


@bp.patch("/comments/<int:comment_id>")
@limited("limit_edit", req.writer_key)
def edit_comment(comment_id: int):
    """Replace the text of one's own comment."""
    data = req.body()
    comment = comments.edit(req.stored_id(comment_id), data.get("text"), req.author(),
                            req.policy(), edit_grant=_edit_grant())
    return jsonify(serialize.comment(comment))


@bp.delete("/comments/<int:comment_id>")
@limited("limit_edit", req.writer_key)
def delete_comment(comment_id: int):
    """Withdraw one's own comment."""
    comments.delete(req.stored_id(comment_id), req.author(), req.policy(),
                    edit_grant=_edit_grant())
    return "", 204


@bp.post("/comments/<int:comment_id>/vote")
@limited("limit_vote", req.writer_key)
def vote(comment_id: int):
    """Vote up (1), down (-1) or withdraw (0); a first anonymous vote mints a voter token."""
    data = req.body()
    voter, minted = req.voter_or_new()
    up, down, mine = comments.vote(req.stored_id(comment_id), voter, data.get("value"),
                                   req.policy(), ip_hash=req.client_hash(),
                                   user=req.session_user())
    result = {"up": up, "down": down, "mine": mine}
    if minted:
        result["voter_token"] = minted
    return jsonify(result)
