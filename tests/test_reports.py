"""Readers' reports: one per reader (account, voter token, address), the threshold that holds a
comment at once and tells the moderators, withdrawing, the settings that turn reports off or
limit them, and what moderators see and do in the admin pages."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from html import unescape

import pytest
from support import SITE, Api

from kommentar import create_app, moderation, outbox
from kommentar.models import AuditEntry, Comment, OutboxMessage, Report, Thread, User, utcnow
from test_admin import Moderator, account

PAGE = f"{SITE}/post"


def report(api: Api, comment_id: int, reason: str = "spam", note: str | None = None,
           token: str | None = None, ip: str = "192.0.2.50"):
    """Report a comment as a reader at ``ip``; the response."""
    return api.client.post(f"/api/comments/{comment_id}/report",
                           json={"reason": reason, "note": note}, headers=api.headers(token),
                           environ_base={"REMOTE_ADDR": ip})


def withdraw(api: Api, comment_id: int, token: str | None = None, ip: str = "192.0.2.50"):
    return api.client.delete(f"/api/comments/{comment_id}/report", headers=api.headers(token),
                             environ_base={"REMOTE_ADDR": ip})


def build(settings, **changes) -> Api:
    return Api(create_app({**settings, **changes}).test_client())


def reporters() -> list[tuple[str, str]]:
    return [(r.reporter[:2], r.reason) for r in Report.select().order_by(Report.id)]


def shown(api: Api) -> list[int]:
    return [c["id"] for c in api.thread()["comments"]]


def test_a_reader_reports_a_comment_once_as_votes_are_counted(settings):
    api = build(settings, report_threshold=10)
    comment = api.comment()["id"]
    first = report(api, comment, "spam", ip="192.0.2.2")
    assert first.status_code == 201 and first.json["voter_token"].startswith("v.")
    token = first.json["voter_token"]
    again = report(api, comment, "abuse", token=token, ip="192.0.2.2")
    assert again.status_code == 200 and "voter_token" not in again.json
    # Without the token, the same address is the same reader: the report passes to the new one.
    dropped = report(api, comment, "off-topic", ip="192.0.2.2")
    assert dropped.status_code == 200 and dropped.json["voter_token"] != token
    assert reporters() == [("a:", "off-topic")]
    # The new token follows its reader to another address.
    moved = report(api, comment, "spam", token=dropped.json["voter_token"], ip="192.0.2.3")
    assert moved.status_code == 200
    # An account is a reader of its own, as it is a voter of its own.
    api.register("alice")
    assert report(api, comment, "abuse", ip="192.0.2.2").status_code == 201
    assert report(api, comment, "abuse", ip="192.0.2.9").status_code == 200
    assert report(Api(api.client), comment, "spam", ip="192.0.2.4").status_code == 201
    assert reporters() == [("a:", "spam"), ("u:", "abuse"), ("a:", "spam")]


def test_a_note_is_kept_as_visible_text(settings):
    api = build(settings)
    comment = api.comment()["id"]
    response = report(api, comment, "other", note="  Links to\n a\u200b scam  ")
    assert response.status_code == 201
    assert Report.get().note == "Links to a scam"


def test_enough_readers_hold_the_comment_at_once_and_the_moderators_hear_of_it(settings):
    hook = {"url": "http://127.0.0.1:9/never-called", "format": "slack",
            "events": ["comment.pending"]}
    api = build(settings, report_threshold=3, webhooks=[hook])
    comment = api.comment("Buy my pills.")["id"]
    other = api.comment("A fair comment.")["id"]
    for ip, reason in (("192.0.2.2", "spam"), ("192.0.2.3", "abuse")):
        assert report(api, comment, reason, ip=ip).json["held"] is False
    assert report(api, comment, "spam", ip="192.0.2.2").status_code == 200  # the same reader
    assert shown(api) == [comment, other] and not OutboxMessage.select().exists()

    third = report(api, comment, "spam", ip="192.0.2.4")
    assert third.status_code == 201 and third.json["held"] is True
    held = Comment.get_by_id(comment)
    assert (held.status, held.spam_reason) == ("pending", "reported by 3 readers: spam, abuse")
    assert shown(api) == [other]
    assert api.thread()["thread"]["count"] == 1 == Thread.get().count
    assert [m.event for m in OutboxMessage.select()] == ["comment.pending"]
    audit = [(e.actor_name, e.action, e.target, e.detail)
             for e in AuditEntry.select().order_by(AuditEntry.id)]
    assert audit[-1] == ("readers", "hold", f"comment:{comment}",
                         "reported by 3 readers: spam, abuse")
    assert [a[1] for a in audit] == ["report", "report", "report", "report", "hold"]
    assert audit[2][3] == "reason: spam; changed"
    # Held, it is no longer there to report.
    assert report(api, comment, "spam", ip="192.0.2.5").status_code == 404


def test_a_withdrawn_report_no_longer_counts(settings):
    api = build(settings, report_threshold=2)
    comment = api.comment()["id"]
    token = report(api, comment, ip="192.0.2.2").json["voter_token"]
    mine = api.get("/api/mine", url=PAGE, token=token).json
    assert mine["reports"] == [comment]
    assert withdraw(api, comment, token=token, ip="192.0.2.7").status_code == 204
    assert withdraw(api, comment, token=token).status_code == 204  # nothing left: no error
    assert api.get("/api/mine", url=PAGE, token=token).json["reports"] == []
    assert report(api, comment, ip="192.0.2.3").json["held"] is False  # one reader again
    # Without a token, an anonymous reader withdraws by their address.
    assert withdraw(api, comment, ip="192.0.2.3").status_code == 204
    assert not Report.select().exists()
    assert [e.action for e in AuditEntry.select().order_by(AuditEntry.id)] \
        == ["report", "report_withdrawn", "report", "report_withdrawn"]


def test_withdrawing_leaves_a_held_comment_held(settings):
    api = build(settings, report_threshold=1)
    comment = api.comment()["id"]
    token = report(api, comment).json["voter_token"]
    assert withdraw(api, comment, token=token).status_code == 204
    assert Comment.get_by_id(comment).status == "pending"


def test_each_site_has_its_own_threshold(settings):
    api = build(settings, sites={SITE: {"report_threshold": 0}})
    comment = api.comment()["id"]
    assert api.get("/api/config").json["reports"] is False
    response = report(api, comment)
    assert (response.status_code, response.json["error"]["code"]) == (403, "reports_disabled")
    assert not Report.select().exists()
    at_once = build(settings, report_threshold=0, sites={SITE: {"report_threshold": 1}})
    assert report(at_once, comment).json["held"] is True


def test_reports_and_withdrawals_are_rate_limited(settings):
    api = build(settings, ratelimit=True, limit_report="2/minute")
    first, second = api.comment("One.")["id"], api.comment("Two.")["id"]
    assert report(api, first).status_code == 201
    assert report(api, second).status_code == 201
    refused = report(api, first, "abuse")
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1
    assert reporters() == [("a:", "spam"), ("a:", "spam")]
    assert report(api, first, ip="192.0.2.77").status_code == 201  # another reader
    assert withdraw(api, first).status_code == 204
    assert withdraw(api, second).status_code == 204
    assert withdraw(api, second).status_code == 429


def test_approving_clears_the_reports_so_they_do_not_hold_it_again(settings):
    api = build(settings, report_threshold=2)
    comment = api.comment()["id"]
    for ip in ("192.0.2.2", "192.0.2.3"):
        report(api, comment, ip=ip)
    assert Comment.get_by_id(comment).status == "pending"
    assert moderation.act(None, "approve", [comment]) == 1
    assert not Report.select().exists()
    assert (Comment.get_by_id(comment).status, Comment.get_by_id(comment).spam_reason) \
        == ("published", None)
    assert report(api, comment, ip="192.0.2.2").json["held"] is False  # counted afresh
    assert shown(api) == [comment]


def test_marking_spam_keeps_the_reports_and_they_go_with_the_comment(settings):
    api = build(settings)
    comment = api.comment()["id"]
    report(api, comment)
    moderation.act(None, "spam", [comment])
    assert Report.select().count() == 1
    moderation.act(None, "delete", [comment])
    moderation.purge(undo_window=timedelta(0))
    assert not Report.select().exists()


# --- the admin pages --------------------------------------------------------------------------

@pytest.fixture
def moderator(client):
    account("boss", role="admin")
    signed_in = Moderator(client)
    assert signed_in.sign_in().status_code == 302
    return signed_in


def figures(html: str) -> dict[str, int]:
    return {label: int(n) for n, label in
            re.findall(r'class="figure">(\d+)</span> ([a-z ]+)</a>', html)}


def test_moderators_see_reported_comments_with_their_reasons_and_notes(app, client, moderator):
    api = Api(client)
    reported = api.comment("Rude words.")["id"]
    calm = api.comment("Calm words.")["id"]
    report(api, reported, "abuse", ip="192.0.2.2")
    report(api, reported, "other", note="<b>Doxxing</b> someone", ip="192.0.2.3")
    assert figures(moderator.open("/admin"))["reported by readers"] == 1
    page = moderator.open("/admin/comments")
    assert "reported ×2" in page
    assert "<strong>abuse</strong>" in page and "<strong>other</strong>" in page
    assert "&lt;b&gt;Doxxing&lt;/b&gt; someone" in page  # a reader's note is text, not markup
    listed = moderator.open("/admin/comments?reported=1")
    assert f'id="comment-{reported}"' in listed and f'id="comment-{calm}"' not in listed
    assert "Reported by readers" in listed
    assert 'name="reported" value="1" checked' in listed


def test_approving_in_the_admin_pages_clears_the_reports(app, client, moderator):
    api = Api(client)
    comment = api.comment("Borderline.")["id"]
    for ip in ("192.0.2.2", "192.0.2.3", "192.0.2.4"):
        report(api, comment, "spam", ip=ip)
    queue = moderator.open("/admin/comments?status=pending")
    assert "reported by 3 readers: spam" in queue and "reported ×3" in queue
    assert moderator.submit("/admin/comments/act", back="/admin/comments?reported=1",
                            do=f"approve:{comment}") == [("ok", "Approved: 1 comment.")]
    assert "No comments here." in moderator.html
    assert figures(moderator.open("/admin"))["reported by readers"] == 0
    audit = unescape(moderator.open("/admin/audit"))
    assert "reported by 3 readers: spam" in audit


def test_all_reported_comments_can_be_acted_on_at_once(app, client, moderator):
    api = Api(client)
    spam = [api.comment(f"Spam {n}.")["id"] for n in range(3)]
    api.comment("Fine.")
    for comment in spam:
        report(api, comment)
    notices = moderator.submit("/admin/comments/act", back="/admin/comments?reported=1",
                               scope="filter", reported="1", do="spam")
    assert notices == [("ok", "Marked as spam: 3 comments.")]
    assert [c.status for c in Comment.select().order_by(Comment.id)] \
        == ["spam", "spam", "spam", "published"]
    assert AuditEntry.select().where(AuditEntry.action == "spam").get().detail \
        .startswith("filter: reported")


def test_an_unknown_reported_value_lists_nothing(app, client, moderator):
    Api(client).comment()
    page = moderator.open("/admin/comments?reported=yes")
    assert "No comments here." in page and "is ticked or not" in unescape(page)



# --- the moderators' mail ---------------------------------------------------------------------

MODERATE_LINK = re.compile(r"https://comments\.test/mail/moderate/(m\.[\w.-]+)")


def test_a_hold_by_reports_mails_the_moderators_whose_link_approves_and_clears(
        settings, mail_server):
    api = build({**settings, **mail_server.settings()}, report_threshold=2)
    User.create(username="Mod", username_key="mod", password_hash="-", role="admin",
                email="mod@example.org", email_verified=utcnow())
    comment = api.comment("Some say this is rude.")["id"]
    report(api, comment, "abuse", ip="192.0.2.2")
    report(api, comment, "other", note="Name-calling.", ip="192.0.2.3")
    outbox.deliver_due(api.client.application.config)
    [letter] = mail_server.received
    assert letter.recipients == ["mod@example.org"]
    assert "Held because: reported by 2 readers: abuse, other" in letter.text()
    approve = MODERATE_LINK.findall(letter.text())[0]
    assert api.client.post(f"/mail/moderate/{approve}").status_code == 200
    assert Comment.get_by_id(comment).status == "published"
    assert not Report.select().exists()


def test_a_backup_leaves_reports_out(run, api, tmp_path):
    """Reports are a passing signal to moderators, like the outbox and subscriptions: a
    backup keeps what they led to (a held comment and its reason, the audit log) only."""
    comment = api.comment()["id"]
    report(api, comment, "abuse")
    assert run("export", tmp_path / "backup.jsonl").exit_code == 0
    lines = [json.loads(line) for line in (tmp_path / "backup.jsonl").read_text().splitlines()]
    assert "report" not in {line.get("type") for line in lines}
    assert [line["action"] for line in lines if line.get("type") == "audit"] == ["report"]
