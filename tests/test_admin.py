"""The admin route through Flask's test client: signing in, who is kept out, the session
cookie, CSRF, the security headers, and every moderation action through the HTML forms."""

from __future__ import annotations

import gzip
import json
import re
from datetime import timedelta
from html import unescape

import itsdangerous.timed
import pytest
from itsdangerous import URLSafeTimedSerializer
from support import CHEAP_ARGON2, SITE, Clock

from kommentar import accounts, moderation
from kommentar.holds import active_hold
from kommentar.models import AuditEntry, Ban, Comment, Thread, User, utcnow

PASSWORD = "a long admin password"
HASHER = accounts.hasher(CHEAP_ARGON2)
CSP = ("default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
       "frame-ancestors 'none'; base-uri 'none'")


# --- helpers ----------------------------------------------------------------------------------

def account(username: str, role: str = "user") -> User:
    user = accounts.register(username, PASSWORD, hasher=HASHER)
    if role != "user":
        User.update(role=role).where(User.id == user.id).execute()
    return User.get_by_id(user.id)


def post_comment(client, text: str, name: str = "Reader", ip: str = "192.0.2.1",
                 parent: int | None = None, token: str | None = None,
                 page: str = "/post") -> int:
    """Post through the API as a reader at ``ip``; the new comment's id."""
    body = {"url": SITE + page, "text": text, "parent": parent}
    headers = {"Origin": SITE}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    else:
        body["name"] = name
    response = client.post("/api/comments", json=body, headers=headers,
                           environ_base={"REMOTE_ADDR": ip})
    assert response.status_code == 201, response.json
    return response.json["id"]


def status(comment_id: int) -> str:
    return Comment.get_by_id(comment_id).status


def notices(html: str) -> list[tuple[str, str]]:
    found = re.findall(r'class="notice notice-(\w+)"[^>]*>\s*([^<]*?)\s*</p>', html)
    return [(kind, unescape(text)) for kind, text in found]


def set_cookie_header(response, name: str = "kommentar_admin") -> str:
    [header] = [h for h in response.headers.getlist("Set-Cookie") if h.startswith(name + "=")]
    return header


class Moderator:
    """Drives the admin pages as a browser would: GET a page, submit its forms."""

    def __init__(self, client):
        self.client = client
        self.html = ""

    def sign_in(self, username: str = "boss", password: str = PASSWORD, next: str = "/admin",
                **options):
        return self.client.post("/admin/login", data={"username": username,
                                                      "password": password, "next": next},
                                **options)

    def open(self, path: str) -> str:
        response = self.client.get(path)
        assert response.status_code == 200, (path, response.status_code, response.location)
        assert response.headers["Content-Security-Policy"] == CSP
        self.html = response.get_data(as_text=True)
        return self.html

    def csrf(self) -> str:
        return re.search(r'name="csrf" value="([0-9a-f]+)"', self.html or self.open("/admin"))[1]

    def submit(self, path: str, back: str = "/admin/comments", **fields) -> list:
        """Post a form from the page ``back`` and return the notices shown on coming back."""
        self.open(back)
        response = self.client.post(path, data={"csrf": self.csrf(), "next": back, **fields})
        assert response.status_code == 302, response.get_data(as_text=True)
        assert response.location == back
        return notices(self.open(back))


@pytest.fixture
def boss(app):
    return account("boss", role="admin")


@pytest.fixture
def moderator(client, boss):
    moderator = Moderator(client)
    assert moderator.sign_in().status_code == 302
    return moderator


# --- signing in -------------------------------------------------------------------------------

def test_admin_signs_in_and_goes_where_they_were_going(client, boss):
    moderator = Moderator(client)
    response = client.get("/admin/audit")
    assert response.status_code == 302
    assert response.location == "/admin/login?next=/admin/audit"
    response = moderator.sign_in(next="/admin/audit")
    assert response.status_code == 302 and response.location == "/admin/audit"
    assert "boss" in moderator.open("/admin/audit")
    assert client.get("/admin/login").location == "/admin"  # signed in already


@pytest.mark.parametrize("username, password", [
    ("boss", "not the password"),
    ("nobody", PASSWORD),
    ("", ""),
])
def test_wrong_credentials_are_refused(client, boss, username, password):
    response = Moderator(client).sign_in(username, password)
    assert response.status_code == 401
    assert ("error", "Wrong username or password.") in notices(response.get_data(as_text=True))
    assert "kommentar_admin=" not in str(response.headers)
    assert client.get("/admin").status_code == 302


def test_an_account_without_the_admin_role_is_refused(client, app):
    account("reader")
    response = Moderator(client).sign_in("reader")
    assert response.status_code == 403
    assert ("error", "This account is not an administrator.") in \
        notices(response.get_data(as_text=True))
    assert "kommentar_admin=" not in str(response.headers)
    assert client.get("/admin").status_code == 302


@pytest.mark.parametrize("next_url", ["https://evil.example/", "//evil.example/admin",
                                      "/api/auth/me", "/administrator", "javascript:alert(1)",
                                      "/admin/../api", "/admin\\..\\x"])
def test_sign_in_only_goes_on_to_admin_pages(client, boss, next_url):
    response = Moderator(client).sign_in(next=next_url)
    assert response.status_code == 302 and response.location == "/admin"


def test_sign_in_from_another_site_is_refused(client, boss):
    response = Moderator(client).sign_in(headers={"Sec-Fetch-Site": "cross-site"})
    assert response.status_code == 403
    response = Moderator(client).sign_in(headers={"Origin": "https://evil.example"})
    assert response.status_code == 403
    assert client.get("/admin").status_code == 302


def test_signing_out_ends_the_session(moderator, client):
    moderator.open("/admin")
    response = client.post("/admin/logout", data={"csrf": moderator.csrf()})
    assert response.status_code == 302
    assert response.location == "/admin/login?reason=signed_out"
    assert "Max-Age=0" in set_cookie_header(response)
    assert "You are signed out." in client.get(response.location).get_data(as_text=True)
    assert client.get("/admin").status_code == 302


# --- who is kept out --------------------------------------------------------------------------

PAGES = ["/admin", "/admin/", "/admin/comments", "/admin/comments?status=spam&ip=ab",
         "/admin/threads/1", "/admin/users/1", "/admin/audit", "/admin/backup",
         "/admin/outbox", "/admin/outbox?state=failed", "/admin/no/such/page"]
FORMS = [("/admin/comments/act", {"do": "spam:1"}),
         ("/admin/comments/act", {"do": "delete", "scope": "filter", "status": "published"}),
         ("/admin/bans", {"target": "ip:abc", "duration": "forever"}),
         ("/admin/bans/lift", {"target": "ip:abc"}),
         ("/admin/threads/1/lock", {"locked": "1"}),
         ("/admin/outbox/retry", {"id": "all"}),
         ("/admin/logout", {}),
         ("/admin/audit", {})]


def assert_kept_out(client, headers=None):
    for path in PAGES:
        response = client.get(path, headers=headers)
        assert response.status_code == 302, path
        assert response.location.startswith("/admin/login?next=%2Fadmin") \
            or response.location.startswith("/admin/login?next=/admin"), path
    for path, form in FORMS:
        response = client.post(path, data={"csrf": "0" * 64, **form}, headers=headers)
        assert response.status_code == 403, path
        assert response.content_type.startswith("text/html")
        assert response.headers["Content-Security-Policy"] == CSP
    assert status(1) == "published"
    assert not Thread.get_by_id(1).locked
    assert Ban.select().count() == 0 and AuditEntry.select().count() == 0


@pytest.fixture
def seeded(client, app):
    post_comment(client, "Something to protect.", ip="192.0.2.9")
    return client


def forge(payload, key="not the key", salt="kommentar.admin"):
    return URLSafeTimedSerializer(key, salt=salt).dumps(payload)


def test_anonymous_requests_are_sent_to_sign_in_or_refused(seeded):
    assert_kept_out(seeded)


def test_an_api_session_token_of_a_reader_opens_nothing(seeded):
    token = seeded.post("/api/auth/register", json={"username": "reader", "password": PASSWORD},
                        headers={"Origin": SITE}).json["token"]
    assert_kept_out(seeded, {"Authorization": f"Bearer {token}"})


def test_an_api_session_token_of_an_admin_is_not_an_admin_session(seeded, boss):
    token = seeded.post("/api/auth/login", json={"username": "boss", "password": PASSWORD},
                        headers={"Origin": SITE}).json["token"]
    assert_kept_out(seeded, {"Authorization": f"Bearer {token}"})
    seeded.set_cookie("kommentar_admin", token.removeprefix("s."), path="/admin")
    assert_kept_out(seeded)


@pytest.mark.parametrize("cookie", [
    "garbage",
    "",
    # Its own id: the signature carries the time, and pytest-xdist's workers must agree on ids.
    pytest.param(forge({"u": 1, "v": 0, "s": "x" * 32, "t": 0}), id="another server's key"),
])
def test_a_forged_cookie_opens_nothing(seeded, boss, cookie):
    seeded.set_cookie("kommentar_admin", cookie, path="/admin")
    assert_kept_out(seeded)


def test_a_cookie_signed_for_a_reader_opens_nothing(seeded, app):
    reader = account("reader")
    keys = list(reversed(app.config["SECRET_KEY"]))
    now = int(__import__("time").time())
    cookie = forge({"u": reader.id, "v": 0, "s": "x" * 32, "t": now}, key=keys)
    seeded.set_cookie("kommentar_admin", cookie, path="/admin")
    assert_kept_out(seeded)


def test_a_demoted_admin_is_signed_out_at_once(seeded, boss):
    assert Moderator(seeded).sign_in().status_code == 302
    assert seeded.get("/admin").status_code == 200
    User.update(role="user").where(User.id == boss.id).execute()
    response = seeded.get("/admin")
    assert response.status_code == 302
    assert "reason=expired" in response.location
    assert "Max-Age=0" in set_cookie_header(response)
    assert_kept_out(seeded)


def test_log_out_everywhere_ends_admin_sessions_too(seeded, boss):
    assert Moderator(seeded).sign_in().status_code == 302
    accounts.log_out_everywhere(boss)
    assert_kept_out(seeded)


# --- the cookie -------------------------------------------------------------------------------

def test_cookie_is_http_only_strict_and_scoped_to_admin(client, boss):
    header = set_cookie_header(Moderator(client).sign_in())
    assert "; HttpOnly" in header and "; SameSite=Strict" in header
    assert "; Path=/admin" in header and "Secure" not in header
    assert "Max-Age=1800" in header


def test_cookie_is_secure_under_https(client, boss):
    response = Moderator(client).sign_in(base_url="https://localhost")
    assert "; Secure" in set_cookie_header(response)
    again = client.get("/admin", base_url="https://localhost")
    assert again.status_code == 200 and "; Secure" in set_cookie_header(again)


def test_cookie_is_renewed_on_every_request(moderator, client):
    assert set_cookie_header(client.get("/admin/comments")).startswith("kommentar_admin=")


def test_session_ends_after_thirty_idle_minutes(moderator, client, monkeypatch):
    monkeypatch.setattr(itsdangerous.timed, "time", Clock(29 * 60))
    assert client.get("/admin").status_code == 200  # and the idle clock starts again
    monkeypatch.setattr(itsdangerous.timed, "time", Clock(58 * 60))
    assert client.get("/admin").status_code == 200
    monkeypatch.setattr(itsdangerous.timed, "time", Clock(58 * 60 + 30 * 60 + 2))
    response = client.get("/admin/comments")
    assert response.status_code == 302
    assert response.location == "/admin/login?next=/admin/comments&reason=expired"
    page = client.get(response.location).get_data(as_text=True)
    assert "Your admin session has ended; sign in again." in page


def test_session_ends_after_twelve_hours_however_busy(moderator, client, monkeypatch):
    minutes = 0
    while minutes < 12 * 60 - 20:
        minutes += 20
        monkeypatch.setattr(itsdangerous.timed, "time", Clock(minutes * 60))
        assert client.get("/admin").status_code == 200, minutes
    monkeypatch.setattr(itsdangerous.timed, "time", Clock(12 * 3600 + 60))
    assert client.get("/admin").status_code == 302


# --- CSRF -------------------------------------------------------------------------------------

@pytest.mark.parametrize("token", [None, "", "0" * 64, "not hex at all"])
def test_a_form_without_this_sessions_token_is_refused(moderator, client, token):
    comment = post_comment(client, "Keep me published.")
    data = {"do": f"spam:{comment}", "next": "/admin/comments"}
    if token is not None:
        data["csrf"] = token
    response = client.post("/admin/comments/act", data=data)
    assert response.status_code == 403
    page = response.get_data(as_text=True)
    assert "This form has expired" in page and response.content_type.startswith("text/html")
    assert status(comment) == "published" and AuditEntry.select().count() == 0


def test_another_sessions_token_is_refused(app, boss):
    first, second = Moderator(app.test_client()), Moderator(app.test_client())
    first.sign_in()
    second.sign_in()
    comment = post_comment(first.client, "Keep me published.")
    first.open("/admin")
    response = second.client.post("/admin/comments/act",
                                  data={"csrf": first.csrf(), "do": f"spam:{comment}"})
    assert response.status_code == 403 and status(comment) == "published"


def test_a_new_sign_in_gets_a_new_token(client, boss):
    moderator = Moderator(client)
    moderator.sign_in()
    moderator.open("/admin")
    before = moderator.csrf()
    moderator.sign_in()
    moderator.open("/admin")
    assert moderator.csrf() != before


# --- headers and pages ------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/admin/login", "/admin/static/admin.css", "/admin",
                                  "/admin/no-such-page"])
def test_every_admin_response_carries_the_security_headers(client, path):
    with client.get(path) as response:
        pass
    assert response.headers["Content-Security-Policy"] == CSP
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "no-store"


def test_the_api_keeps_its_own_headers(client):
    assert client.get("/api/openapi.json").headers["Content-Security-Policy"] != CSP


def test_pages_have_no_inline_script_or_style(moderator, client):
    post_comment(client, "A comment.")
    pages = [moderator.open(path) for path in ["/admin", "/admin/comments", "/admin/threads/1",
                                               "/admin/users/1", "/admin/audit"]]
    client.post("/admin/logout", data={"csrf": moderator.csrf()})
    pages.append(moderator.open("/admin/login"))
    for page in pages:
        assert "<script" not in page and "style=" not in page and "<style" not in page
    with client.get("/admin/static/admin.css") as stylesheet:
        assert stylesheet.content_type.startswith("text/css")


def test_unknown_pages_are_html_not_json(moderator, client):
    for path in ["/admin/threads/999", "/admin/users/999", "/admin/no/such/page"]:
        response = client.get(path)
        assert response.status_code == 404 and response.content_type.startswith("text/html")


def test_comment_text_and_names_are_shown_escaped(moderator, client):
    post_comment(client, "<script>alert('text')</script> and <b>bold</b>",
                 name="<script>alert(1)</script>")
    for path in ["/admin/comments", "/admin/threads/1", "/admin/comments?q=<script>"]:
        page = moderator.open(path)
        assert "<script" not in page and "<b>" not in page
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
        assert "&lt;script&gt;alert(&#39;text&#39;)&lt;/script&gt;" in page


def test_overview_shows_the_figures_and_busiest_threads(moderator, client):
    post_comment(client, "One.", page="/busy")
    post_comment(client, "Two.", page="/busy")
    held = post_comment(client, "Three.", page="/quiet")
    moderation.act(None, "spam", [held])
    page = moderator.open("/admin")
    figures = dict((label, int(n)) for n, label in re.findall(
        r'class="figure">(\d+)</span> ([a-z ]+)</a>', page))
    assert figures == {"comments today": 3, "waiting for approval": 0, "held as spam": 1,
                       "reported by readers": 0, "mail and webhooks queued": 0}
    assert page.index(f"{SITE}/busy") < page.index(f"{SITE}/quiet")
    assert '/admin/threads/1"' in page


# --- the comment list -------------------------------------------------------------------------

def ids_listed(html: str) -> list[int]:
    return [int(i) for i in re.findall(r'<tr id="comment-(\d+)"', html)]


def test_list_is_newest_first_and_paginated(moderator, client):
    posted = [post_comment(client, f"Comment number {n}.", ip=f"192.0.2.{n}")
              for n in range(1, 56)]
    first = moderator.open("/admin/comments")
    assert ids_listed(first) == posted[::-1][:50]
    assert "1–50 of 55 comments" in first
    second = moderator.open("/admin/comments?page=2")
    assert ids_listed(second) == posted[::-1][50:]


def test_list_filters_by_status_thread_author_ip_and_text(moderator, client):
    token = client.post("/api/auth/register", json={"username": "writer", "password": PASSWORD},
                        headers={"Origin": SITE}).json["token"]
    by_writer = post_comment(client, "Written with an account.", token=token)
    spam = post_comment(client, "Buy cheap pills now.", ip="198.51.100.7", page="/other")
    plain = post_comment(client, "An ordinary remark.")
    moderation.act(None, "spam", [spam])
    ip_hash = Comment.get_by_id(spam).ip_hash
    thread = Comment.get_by_id(spam).thread_id
    for query, expected in [("status=spam", [spam]), (f"thread={thread}", [spam]),
                            ("author=Writer", [by_writer]), (f"ip={ip_hash}", [spam]),
                            ("q=ORDINARY", [plain]), ("status=published&q=remark", [plain]),
                            ("", [plain, spam, by_writer])]:
        assert ids_listed(moderator.open(f"/admin/comments?{query}")) == expected, query


@pytest.mark.parametrize("query, problem", [
    ("author=nobody", "No account is named “nobody”."),
    ("thread=abc", "A thread is given by its number."),
    ("status=gone", "There is no status “gone”."),
    ("ip=not-hex", "An IP hash is hexadecimal, as shown in the list."),
])
def test_a_filter_that_makes_no_sense_matches_nothing_and_says_why(moderator, client, query,
                                                                   problem):
    post_comment(client, "Anything.")
    page = moderator.open(f"/admin/comments?{query}")
    assert ids_listed(page) == [] and ("error", problem) in notices(page)


# --- actions through the forms ----------------------------------------------------------------

def test_approve_publishes_a_held_comment(moderator, client):
    held = post_comment(client, "Please approve me.")
    Comment.update(status="pending").where(Comment.id == held).execute()
    assert moderator.submit("/admin/comments/act", do=f"approve:{held}") == \
        [("ok", "Approved: 1 comment.")]
    assert status(held) == "published"
    assert Thread.get_by_id(Comment.get_by_id(held).thread_id).count == 1


def test_spam_hides_the_comment_and_holds_its_author(moderator, client):
    comment = post_comment(client, "Cheap pills.", ip="198.51.100.7")
    assert moderator.submit("/admin/comments/act", do=f"spam:{comment}") == \
        [("ok", "Marked as spam: 1 comment.")]
    assert status(comment) == "spam"
    assert active_hold(None, Comment.get_by_id(comment).ip_hash).kind == "spam"
    assert "marked by moderator" in moderator.open("/admin/comments?status=spam")


def test_delete_and_undo_delete(moderator, client):
    comment = post_comment(client, "Deleted by mistake.")
    assert moderator.submit("/admin/comments/act", do=f"delete:{comment}") == \
        [("ok", "Deleted: 1 comment.")]
    assert status(comment) == "deleted"
    assert f'value="undo_delete:{comment}"' in moderator.html
    assert moderator.submit("/admin/comments/act", do=f"undo_delete:{comment}") == \
        [("ok", "Restored: 1 comment.")]
    assert status(comment) == "published"


def test_undo_is_offered_only_within_the_undo_window(moderator, client):
    comment = post_comment(client, "Deleted long ago.")
    moderation.act(None, "delete", [comment])
    Comment.update(status_changed=utcnow() - timedelta(days=8)) \
        .where(Comment.id == comment).execute()
    assert f'value="undo_delete:{comment}"' not in moderator.open("/admin/comments")
    notes = moderator.submit("/admin/comments/act", do=f"undo_delete:{comment}")
    assert notes == [("ok", "Restored: 0 comments. 1 comment left as it was.")]
    assert status(comment) == "deleted"


def test_pin_and_unpin_a_top_level_comment(moderator, client):
    top = post_comment(client, "Worth pinning.")
    reply = post_comment(client, "A reply.", parent=top)
    page = moderator.open("/admin/comments")
    assert f'value="pin:{top}"' in page and f'value="pin:{reply}"' not in page
    moderator.submit("/admin/comments/act", do=f"pin:{top}")
    assert Comment.get_by_id(top).pinned
    moderator.submit("/admin/comments/act", do=f"unpin:{top}")
    assert not Comment.get_by_id(top).pinned


def test_a_domain_error_is_a_notice_not_a_crash(moderator, client):
    top = post_comment(client, "Top.")
    reply = post_comment(client, "A reply.", parent=top)
    assert moderator.submit("/admin/comments/act", do="pin", id=[str(top), str(reply)]) == \
        [("error", "Only top-level comments can be pinned.")]
    assert moderator.submit("/admin/comments/act", do="explode", id=str(top)) == \
        [("error", "Unknown action 'explode'.")]
    assert moderator.submit("/admin/comments/act", do="approve:99999") == \
        [("error", "No such comment: 99999.")]
    assert moderator.submit("/admin/comments/act", do="approve:²") == \
        [("error", "No such comment.")]
    assert not Comment.get_by_id(top).pinned


def test_bulk_action_on_ticked_rows(moderator, client):
    spam = [post_comment(client, f"Spam number {n}.") for n in range(3)]
    keep = post_comment(client, "Keep this one.")
    notes = moderator.submit("/admin/comments/act", do="spam", id=[str(i) for i in spam])
    assert notes == [("ok", "Marked as spam: 3 comments.")]
    assert [status(i) for i in spam] == ["spam"] * 3 and status(keep) == "published"


def test_nothing_ticked_is_a_notice(moderator, client):
    post_comment(client, "Alone.")
    assert moderator.submit("/admin/comments/act", do="spam") == \
        [("error", "Tick at least one comment first.")]


def test_select_all_on_this_page(moderator, client):
    posted = [post_comment(client, f"Comment {n}.") for n in range(3)]
    page = moderator.open("/admin/comments?q=Comment")
    page_ids = re.search(r'name="page_ids" value="([\d,]*)"', page)[1]
    assert sorted(map(int, page_ids.split(","))) == posted
    notes = moderator.submit("/admin/comments/act", back="/admin/comments?q=Comment",
                             do="delete", all="1", page_ids=page_ids)
    assert notes == [("ok", "Deleted: 3 comments.")]
    assert {status(i) for i in posted} == {"deleted"}


def test_bulk_action_on_everything_a_filter_matches(moderator, client):
    wave = [post_comment(client, f"Spam wave {n}.", ip="203.0.113.66") for n in range(60)]
    other = post_comment(client, "Not from that address.", ip="192.0.2.1")
    ip_hash = Comment.get_by_id(wave[0]).ip_hash
    back = f"/admin/comments?ip={ip_hash}"
    page = moderator.open(back)
    assert "All <strong>60</strong> matching" in page and len(ids_listed(page)) == 50
    notes = moderator.submit("/admin/comments/act", back=back, do="spam", scope="filter",
                             ip=ip_hash, status="", thread="", author="", q="")
    assert notes == [("ok", "Marked as spam: 60 comments.")]
    assert {status(i) for i in wave} == {"spam"} and status(other) == "published"
    [entry] = AuditEntry.select()
    assert (entry.actor_name, entry.action) == ("boss", "spam")


def test_all_matching_needs_a_filter(moderator, client):
    comment = post_comment(client, "Safe.")
    for fields in ({}, {"thread": "abc"}):
        notes = moderator.submit("/admin/comments/act", do="delete", scope="filter", **fields)
        assert notes and notes[0][0] == "error"
    assert status(comment) == "published"


def test_ban_and_unban_an_account_from_its_page(moderator, client):
    writer = account("writer")
    back = f"/admin/users/{writer.id}"
    assert "not banned" in moderator.open(back)
    notes = moderator.submit("/admin/bans", back=back, target=f"u:{writer.id}", duration="7d",
                             reason="trolling")
    assert notes == [("ok", "Banned writer for 7 days: their new comments wait in the queue.")]
    hold = active_hold(writer.id, None)
    assert hold.kind == "ban" and hold.reason == "trolling"
    assert timedelta(days=6, hours=23) < hold.until - utcnow() <= timedelta(days=7)
    assert "trolling" in moderator.html
    assert moderator.submit("/admin/bans/lift", back=back, target=f"u:{writer.id}") == \
        [("ok", "Lifted 1 ban or hold on writer.")]
    assert active_hold(writer.id, None) is None


def test_ban_an_ip_hash_for_good_from_the_list(moderator, client):
    comment = post_comment(client, "From a bad address.", ip="198.51.100.7")
    ip_hash = Comment.get_by_id(comment).ip_hash
    back = f"/admin/comments?ip={ip_hash}"
    assert 'value="ip:' + ip_hash + '"' in moderator.open(back)
    moderator.submit("/admin/bans", back=back, target=f"ip:{ip_hash}", duration="forever")
    hold = active_hold(None, ip_hash)
    assert hold.kind == "ban" and hold.until is None
    assert "for good" in moderator.html
    held = post_comment(client, "Posted after the ban.", ip="198.51.100.7")
    assert status(held) == "pending"


@pytest.mark.parametrize("fields, problem", [
    ({"target": "u:1", "duration": "a while"}, "Choose how long the ban lasts."),
    ({"target": "everyone", "duration": "1d"}, 'A ban target is "u:<account id>" or "ip:<hash>".'),
    ({"target": "u:999", "duration": "1d"}, "No such account."),
])
def test_a_ban_that_cannot_be_is_a_notice(moderator, fields, problem):
    assert moderator.submit("/admin/bans", **fields) == [("error", problem)]
    assert Ban.select().count() == 0


def test_lock_and_unlock_a_thread(moderator, client):
    post_comment(client, "Before the lock.")
    back = "/admin/threads/1"
    assert moderator.submit("/admin/threads/1/lock", back=back, locked="1") == \
        [("ok", "Thread locked: no new comments.")]
    assert Thread.get_by_id(1).locked and "Unlock thread" in moderator.html
    moderator.submit("/admin/threads/1/lock", back=back, locked="0")
    assert not Thread.get_by_id(1).locked


def test_audit_log_lists_who_did_what(moderator, client):
    comment = post_comment(client, "Audited.")
    moderator.submit("/admin/comments/act", do=f"delete:{comment}")
    moderator.submit("/admin/threads/1/lock", back="/admin/threads/1", locked="1")
    page = moderator.open("/admin/audit")
    rows = re.findall(r"<td>boss</td>\s*<td><span class=\"action\">(\w+)</span>", page)
    assert rows == ["lock", "delete"]
    assert 'href="/admin/threads/1"' in page


# --- the backup download ---------------------------------------------------------------------

def test_an_admin_downloads_the_whole_database_as_a_gzipped_export(moderator, client):
    post_comment(client, "Kept in the backup.")
    assert 'href="/admin/backup"' in moderator.open("/admin")
    response = client.get("/admin/backup", headers={"Sec-Fetch-Site": "same-origin"})
    assert response.status_code == 200 and response.is_streamed
    assert response.mimetype == "application/gzip"
    assert re.fullmatch(r'attachment; filename="kommentar-\d{4}-\d\d-\d\d-\d{6}\.jsonl\.gz"',
                        response.headers["Content-Disposition"])
    assert response.headers["Cache-Control"] == "no-store"
    lines = [json.loads(line) for line in gzip.decompress(response.data).splitlines()]
    assert lines[0]["format"] == "kommentar" and lines[-1]["type"] == "end"
    assert [line["text"] for line in lines if line.get("type") == "comment"] == \
        ["Kept in the backup."]
    [boss] = [line for line in lines if line.get("type") == "user"]
    assert boss["password_hash"].startswith("$argon2id$")  # a restore signs the boss in again
    entry = AuditEntry.select().order_by(AuditEntry.id.desc()).get()
    assert (entry.actor_name, entry.action, entry.target) == ("boss", "backup_download", "backup")
    assert lines[-2]["type"] == "audit" and lines[-2]["action"] == "backup_download"


def test_the_backup_is_not_handed_to_a_link_on_another_site(moderator, client):
    response = client.get("/admin/backup", headers={"Sec-Fetch-Site": "cross-site"})
    assert response.status_code == 403 and response.content_type.startswith("text/html")
    assert not AuditEntry.select().where(AuditEntry.action == "backup_download").exists()


# --- the sign-in limit ------------------------------------------------------------------------

class TestSignInLimit:
    @pytest.fixture
    def settings(self, settings):
        return {**settings, "ratelimit": True, "limit_login": "2/minute"}

    def test_too_many_sign_ins_get_a_429_page(self, client, boss):
        moderator = Moderator(client)
        assert moderator.sign_in(password="wrong password").status_code == 401
        assert moderator.sign_in().status_code == 302
        response = moderator.sign_in()
        assert response.status_code == 429
        assert response.content_type.startswith("text/html")
        assert 0 < int(response.headers["Retry-After"]) <= 60
        assert response.headers["Content-Security-Policy"] == CSP
        assert "Too many sign-in attempts" in response.get_data(as_text=True)
        assert client.get("/admin/login").status_code in (200, 302)  # the form is not limited
