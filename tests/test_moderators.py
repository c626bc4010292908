"""Moderators' mail, against a real SMTP server on 127.0.0.1: which new comments are mailed
under each ``notify_moderators`` setting, to whom (verified admins only), what a letter says
and links to; and the page a link opens: nothing changes on GET or HEAD, the button acts once
as that moderator (audited "by e-mail"), and links that are used, expired, forged, for an
account that is no longer an admin, or for a comment handled or gone are refused clearly.

Time is moved by signing with an earlier clock, never by waiting."""

from __future__ import annotations

import re
from datetime import timedelta

import itsdangerous
import pytest
from support import SITE, Api, Clock, QueryCounter

from kommentar import accounts, create_app, moderation, moderators, outbox, tokens
from kommentar.models import (
    DELETED,
    PENDING,
    PUBLISHED,
    SPAM,
    AuditEntry,
    Ban,
    Comment,
    OutboxMessage,
    UsedLink,
    User,
    utcnow,
)

POST = f"{SITE}/post"
LINK = re.compile(r"https://comments\.test/mail/moderate/(m\.[\w.-]+)")


@pytest.fixture
def settings(settings, mail_server):
    """Mail on, every comment held for a moderator, the default ``notify_moderators``."""
    return {**settings, **mail_server.settings(), "moderation": "all"}


def account(name: str, role: str = "admin", verified: bool = True) -> User:
    return User.create(username=name, username_key=name.lower(), password_hash="-", role=role,
                       email=f"{name.lower()}@example.org",
                       email_verified=utcnow() if verified else None)


@pytest.fixture
def mod(app) -> User:
    return account("Mod")


def sent(app, mail_server) -> list:
    """Deliver what is queued and return every mail the server has."""
    outbox.deliver_due(app.config)
    return mail_server.received


def mails() -> list[OutboxMessage]:
    return list(OutboxMessage.select().where(OutboxMessage.kind == moderators.KIND))


def token(app, moderator: User, comment_id: int, action: str) -> str:
    return app.extensions["kommentar.signer"].sign(tokens.MODERATE, {
        "m": moderator.id, "v": moderator.session_version, "c": comment_id, "a": action})


def status(comment_id: int) -> str:
    return Comment.get_by_id(comment_id).status


# --- who is mailed about what ---------------------------------------------------------------

def test_a_held_comment_mails_every_verified_admin_with_links_to_act(app, api, mail_server):
    first, second = account("Mod"), account("Editor")
    account("Unverified", verified=False)  # an admin whose address was never confirmed
    account("Reader", role="user")  # verified, but no moderator
    held = api.comment("Is this **fine**?\nSecond line.", title="Owls & more")
    assert held["status"] == "pending"

    received = sent(app, mail_server)
    assert sorted(r.recipients[0] for r in received) == ["editor@example.org",
                                                         "mod@example.org"]
    [letter] = [r for r in received if r.recipients == ["mod@example.org"]]
    assert letter.message["Subject"] == "Waiting for approval: Reader on Owls & more"
    assert letter.message["Auto-Submitted"] == "auto-generated"
    text, html = letter.text(), letter.html()
    comment = Comment.get_by_id(held["id"])
    for part in (text, html):
        assert POST in part
        assert "Reader" in part and "(no account)" in part
        assert comment.ip_hash in part
        assert "Held because: every comment is reviewed" in part
    assert "Is this **fine**?\nSecond line." in text
    assert "Owls &amp; more" in html and "Is this **fine**?" in html
    links = LINK.findall(text)
    assert [re.search(rf"{label}: https://\S+", text) is not None
            for label in ("Approve", "Delete", "Mark as spam")] == [True, True, True]
    assert LINK.findall(html) == links and len(set(links)) == 3
    signer = app.extensions["kommentar.signer"]
    assert [signer.unsign(tokens.MODERATE, link, None) for link in links] == [
        {"m": first.id, "v": 0, "c": held["id"], "a": action}
        for action in ("approve", "delete", "spam")]
    assert all(second.username not in r.text() for r in received if r is letter)


@pytest.mark.parametrize(("notify", "held", "published"), [
    ("none", 0, 0), ("pending", 1, 0), ("all", 1, 1)])
def test_the_setting_says_which_new_comments_are_mailed(app, settings, mail_server, notify,
                                                        held, published):
    app = create_app({**settings, "moderation": "first", "notify_moderators": notify})
    api = Api(app.test_client())
    account("Mod")
    first = api.comment("A first comment is held.")
    assert first["status"] == "pending"
    assert len(mails()) == held
    moderation.act(None, "approve", [first["id"]])  # an approval mails nobody again
    assert len(mails()) == held
    second = api.comment("Known now: published at once.")
    assert second["status"] == "published"
    assert len(mails()) == held + published
    if published:
        letter = sent(app, mail_server)[-1]
        assert letter.message["Subject"] == "New comment: Reader on " + POST
        assert "A new comment was published" in letter.text()
        assert "Held because" not in letter.text()
        actions = [app.extensions["kommentar.signer"].unsign(tokens.MODERATE, link, None)["a"]
                   for link in LINK.findall(letter.text())]
        assert actions == ["delete", "spam"]


def test_restoring_a_held_comment_and_spam_on_arrival_mail_nobody(app, api, mod):
    held = api.comment("Held, deleted, restored.")
    moderation.act(None, "delete", [held["id"]])
    moderation.act(None, "undo_delete", [held["id"]])
    assert status(held["id"]) == PENDING
    api.post("/api/comments", {"url": POST, "text": "Buy now.", "name": "Bot",
                               "website": "https://spam.example"})
    assert len(mails()) == 1  # the first arrival only


def test_with_mail_off_nothing_is_queued(app, settings):
    app = create_app({**settings, "smtp_host": None})
    api = Api(app.test_client())
    account("Mod")
    api.comment("Held, and no mail.")
    assert mails() == []


def test_a_comment_not_mailed_about_costs_no_statement(app, settings):
    app = create_app({**settings, "moderation": "none"})  # published; pending is mailed
    api = Api(app.test_client())
    account("Mod")
    api.comment("The thread exists from here on.")
    with QueryCounter() as counted:
        api.comment("Published, so no moderator hears of it.")
    # (Reply notifications look for the new comment's subscribed parent: not the admins.)
    assert not any('"role"' in sql or "outbox_message" in sql for sql in counted.statements)


def test_a_post_costs_one_look_up_and_one_insert_whatever_the_moderators(app, api):
    for name in ("Mod", "Editor", "Chief"):
        account(name)
    api.comment("The thread exists from here on.")
    with QueryCounter() as counted:
        api.comment("Held, mailed to three.")
    mentions = [sql for sql in counted.statements if '"user"' in sql or "outbox_message" in sql]
    assert len(mentions) == 2
    assert len(mails()) == 6


def test_a_letter_is_not_sent_to_an_admin_demoted_before_it_went_out(app, api, mod,
                                                                       mail_server):
    api.comment("Held.")
    User.update(role="user").where(User.id == mod.id).execute()
    assert outbox.deliver_due(app.config).failed == 1
    assert mail_server.received == []
    [message] = mails()
    assert message.last_error == "no longer an admin with this verified address"


def test_a_letter_about_a_comment_removed_before_it_went_out_is_not_sent(app, api, mod,
                                                                           mail_server):
    held = api.comment("Held, then removed for good.")["id"]
    moderation.act(None, "delete", [held])
    moderation.purge(undo_window=timedelta(seconds=-1))
    assert outbox.deliver_due(app.config).failed == 1
    assert mail_server.received == []


def test_a_command_outside_any_request_writes_the_letters_too(app, mod, mail_server):
    from kommentar import comments
    from kommentar.comments import Author

    comments.post(Author(None, "ab" * 16), app.extensions["kommentar.policy"], url=POST,
                  text="Imported by a script.", name="Script")
    [message] = mails()
    assert message.destination == "mod@example.org"
    [letter] = sent(app, mail_server)
    assert "Imported by a script." in letter.text()


# --- the page a link opens ----------------------------------------------------------------

@pytest.fixture
def held(api) -> int:
    return api.comment("Please check me.", title="A post")["id"]


def test_opening_a_link_changes_nothing(app, client, mod, held):
    link = f"/mail/moderate/{token(app, mod, held, 'spam')}"
    shown = client.get(link)
    assert shown.status_code == 200
    page = shown.get_data(as_text=True)
    assert "<h1>Mark this comment as spam?</h1>" in page
    assert "Please check me." in page and "held because: every comment is reviewed" in page
    assert '<form method="post">' in page and 'class="danger"' in page
    assert "form-action 'self'" in shown.headers["Content-Security-Policy"]
    assert shown.headers["Referrer-Policy"] == "no-referrer"
    assert client.head(link).status_code == 200
    assert status(held) == PENDING
    assert AuditEntry.select().count() == 0 and UsedLink.select().count() == 0
    assert Ban.select().count() == 0


def test_the_page_is_in_danish_for_a_danish_browser(app, client, mod, held):
    shown = client.get(f"/mail/moderate/{token(app, mod, held, 'approve')}",
                       headers={"Accept-Language": "da-DK,da;q=0.9,en;q=0.5"})
    page = shown.get_data(as_text=True)
    assert "Godkend denne kommentar?" in page
    assert "holdt tilbage: alle kommentarer gennemses" in page


@pytest.mark.parametrize(("action", "after", "done"), [
    ("approve", PUBLISHED, "Approved: the comment is on its page now."),
    ("delete", DELETED, "Deleted: it is no longer shown."),
    ("spam", SPAM, "Marked as spam: it is no longer shown"),
])
def test_the_button_acts_as_the_moderator_by_email(app, client, mod, held, action, after, done):
    link = f"/mail/moderate/{token(app, mod, held, action)}"
    answer = client.post(link)
    assert answer.status_code == 200
    assert done in answer.get_data(as_text=True)
    assert status(held) == after
    [entry] = AuditEntry.select()
    assert (entry.actor_id, entry.actor_name, entry.action, entry.target) == (
        mod.id, "Mod", action, f"comment:{held}")
    assert entry.detail.endswith("changed: 1; by e-mail")
    assert (Ban.select().count() > 0) == (action == "spam")  # spam holds its author too
    assert api_thread_count(client) == (1 if after == PUBLISHED else 0)


def api_thread_count(client) -> int:
    return Api(client).thread()["thread"]["count"]


def test_a_link_works_once(app, client, mod, held):
    link = f"/mail/moderate/{token(app, mod, held, 'approve')}"
    assert client.post(link).status_code == 200
    for again in (client.post(link), client.get(link)):
        assert again.status_code == 410
        assert "It has been used already" in again.get_data(as_text=True)
    assert AuditEntry.select().count() == 1


def test_the_emailed_link_approves_end_to_end(app, api, client, mod, held, mail_server):
    [letter] = sent(app, mail_server)
    approve = LINK.findall(letter.text())[0]
    assert client.post(f"/mail/moderate/{approve}").status_code == 200
    assert status(held) == PUBLISHED


def test_an_expired_link_is_refused(app, client, mod, held, monkeypatch):
    monkeypatch.setattr(itsdangerous.timed, "time", Clock(-(7 * 24 * 3600 + 60)))
    old = token(app, mod, held, "approve")
    monkeypatch.undo()
    for answer in (client.get(f"/mail/moderate/{old}"), client.post(f"/mail/moderate/{old}")):
        assert answer.status_code == 410
        assert "It has expired" in answer.get_data(as_text=True)
    assert status(held) == PENDING


def test_a_link_six_days_old_still_works(app, client, mod, held, monkeypatch):
    monkeypatch.setattr(itsdangerous.timed, "time", Clock(-6 * 24 * 3600))
    old = token(app, mod, held, "approve")
    monkeypatch.undo()
    assert client.post(f"/mail/moderate/{old}").status_code == 200


@pytest.mark.parametrize("change", ["demoted", "logged_out", "never_admin", "deleted"])
def test_a_link_of_an_account_that_is_not_a_moderator_now_is_refused(app, client, mod, held,
                                                                     change):
    holder = account("Reader", role="user") if change == "never_admin" else mod
    link = f"/mail/moderate/{token(app, holder, held, 'approve')}"
    if change == "demoted":
        User.update(role="user").where(User.id == mod.id).execute()
    elif change == "logged_out":
        accounts.log_out_everywhere(mod)
    elif change == "deleted":
        User.delete().where(User.id == mod.id).execute()
    for answer in (client.get(link), client.post(link)):
        assert answer.status_code == 403
        assert "no longer an admin" in answer.get_data(as_text=True)
    assert status(held) == PENDING and AuditEntry.select().count() == 0


def test_a_comment_handled_by_someone_else_says_so_and_the_link_stays_unused(app, client, mod,
                                                                              held):
    other = account("Editor")
    moderation.act(other, "delete", [held])
    link = f"/mail/moderate/{token(app, mod, held, 'spam')}"
    shown = client.get(link)
    assert shown.status_code == 409
    assert "This comment is deleted already (Editor was the last to act on it)" in \
        shown.get_data(as_text=True)
    assert "<form" not in shown.get_data(as_text=True)
    acted = client.post(link)
    assert acted.status_code == 409
    assert "deleted already" in acted.get_data(as_text=True)
    assert status(held) == DELETED
    assert AuditEntry.select().count() == 1 and UsedLink.select().count() == 0


def test_approving_a_published_comment_changes_nothing(app, client, mod, held):
    moderation.act(None, "approve", [held])
    answer = client.post(f"/mail/moderate/{token(app, mod, held, 'approve')}")
    assert answer.status_code == 409
    assert "This comment is published already (cli was the last" in answer.get_data(as_text=True)


def test_a_link_for_a_comment_removed_for_good_is_gone(app, client, mod, held):
    link = f"/mail/moderate/{token(app, mod, held, 'delete')}"
    moderation.act(None, "delete", [held])
    moderation.purge(undo_window=timedelta(seconds=-1))
    assert Comment.get_or_none(Comment.id == held) is None
    for answer in (client.get(link), client.post(link)):
        assert answer.status_code == 410
        assert "removed for good" in answer.get_data(as_text=True)


@pytest.mark.parametrize("forged", [
    "m.nonsense", "m.", "r.a-reset-token-shape",
    lambda app, mod, held: app.extensions["kommentar.signer"].sign(
        tokens.RESET, {"m": mod.id, "v": 0, "c": held, "a": "approve"}),
    lambda app, mod, held: app.extensions["kommentar.signer"].sign(
        tokens.MODERATE, {"m": mod.id, "v": 0, "c": held, "a": "pin"}),
    lambda app, mod, held: app.extensions["kommentar.signer"].sign(
        tokens.MODERATE, {"m": str(mod.id), "v": 0, "c": held, "a": "approve"}),
    lambda app, mod, held: app.extensions["kommentar.signer"].sign(tokens.MODERATE, [1, 2]),
])
def test_a_link_that_is_not_a_moderators_is_invalid(app, client, mod, held, forged):
    value = forged(app, mod, held) if callable(forged) else forged
    for answer in (client.get(f"/mail/moderate/{value}"),
                   client.post(f"/mail/moderate/{value}")):
        assert answer.status_code == 400
        assert "not complete or not valid" in answer.get_data(as_text=True)
    assert status(held) == PENDING


def test_the_second_moderator_to_press_finds_it_done(app, client, mod, held):
    other = account("Editor")
    first = client.post(f"/mail/moderate/{token(app, mod, held, 'approve')}")
    second = client.post(f"/mail/moderate/{token(app, other, held, 'approve')}")
    assert (first.status_code, second.status_code) == (200, 409)
    assert "published already (Mod was the last to act on it)" in second.get_data(as_text=True)
    assert [e.actor_name for e in AuditEntry.select()] == ["Mod"]
    assert status(held) == PUBLISHED
