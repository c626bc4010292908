"""The admin route in a real browser: a moderator signs in, filters, acts in bulk and one
comment at a time, and readers see the result in the widget on the example blog page.

The server runs as its own process; the admin account is made with ``kommentar admin
create``, as an operator would. Readers' addresses are told to the server through
X-Forwarded-For (it trusts one proxy here), so comments can come from several IP hashes.
"""

from __future__ import annotations

import json
import re
import sqlite3
import subprocess
import sys

import pytest
from support import http_json

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture skips (or fails in CI) with the reason
    expect = None

PASSWORD = "a long admin password"
BLOG = "blog-post.html"


def make_admin(site, username: str = "boss") -> None:
    """``kommentar admin create`` against the running server's database."""
    subprocess.run([sys.executable, "-m", "kommentar.cli", "admin", "create", username,
                    "--password-stdin"], input=PASSWORD + "\n", text=True, check=True,
                   capture_output=True, env=site.server.env, cwd=site.server.log.parent)


def post_from(seed, ip: str, text: str, name: str = "Reader", page: str = BLOG,
              token: str | None = None) -> dict:
    """A comment from a reader at ``ip`` (through the one proxy the server trusts)."""
    body = {"url": seed.url(page), "text": text}
    headers = {"Origin": seed.site.url, "Content-Type": "application/json",
               "X-Forwarded-For": ip}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    else:
        body["name"] = name
    status, _, answer = http_json("POST", seed.site.server.url + "/api/comments",
                                  json.dumps(body).encode(), headers)
    assert status == 201, answer
    return answer


def sign_in(page, site, username: str = "boss") -> None:
    page.goto(site.server.url + "/admin/comments")
    expect(page).to_have_url(re.compile(r"/admin/login\?next="))
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(site.server.url + "/admin/comments")
    expect(page.get_by_role("heading", level=1)).to_have_text("Comments")


def row(page, comment: dict):
    return page.locator(f"tr#comment-{comment['id']}")


def act_on(page, comment: dict, button: str) -> None:
    row(page, comment).get_by_role("button", name=button, exact=True).click()


def notice(page):
    return page.locator("p.notice")


def widget_comments(page):
    return page.locator("article[id^=comment-]")


def open_blog(page, site, count: int) -> None:
    page.goto(f"{site.url}/{BLOG}")
    expect(page.locator("[part=count]")).to_have_text(re.compile(rf"\({count}\)"))


@pytest.fixture
def site(own_blog):
    """A blog whose server trusts one proxy (so readers can have addresses) and an admin; the
    server is the test's own, as the admin's lists and audit log show all it holds."""

    def start(**settings):
        site, seed = own_blog(trusted_proxies=1, **settings)
        make_admin(site)
        return site, seed

    return start


def test_filter_by_ip_hash_and_mark_a_spam_wave_in_bulk(site, page):
    site, seed = site()
    good = post_from(seed, "198.51.100.1", "Lovely crumb on that loaf.", name="Ingrid")
    wave = [post_from(seed, "203.0.113.66", f"Cheap pills, offer {n}", name="Pills")
            for n in range(3)]
    sign_in(page, site)

    row(page, wave[0]).locator("td.ip a").click()
    expect(page).to_have_url(re.compile(r"/admin/comments\?ip=[0-9a-f]+$"))
    expect(page.locator("tbody tr[id^=comment-]")).to_have_count(3)
    expect(row(page, good)).to_have_count(0)

    page.get_by_label(re.compile("Select all 3 on this page")).check()
    page.locator(".toolbar").get_by_role("button", name="Mark spam").click()
    expect(notice(page)).to_have_text("Marked as spam: 3 comments.")
    for comment in wave:
        expect(row(page, comment).locator(".badge")).to_have_text("spam")

    # The same address is banned from the list's IP panel; its next comment waits.
    page.locator(".ban-form").get_by_role("button", name="For good").click()
    expect(notice(page)).to_contain_text("Banned IP hash")
    expect(page.locator(".hold-state")).to_contain_text("banned for good")
    later = post_from(seed, "203.0.113.66", "One more offer", name="Pills")
    assert later["status"] == "pending"

    open_blog(page, site, count=1)
    expect(widget_comments(page)).to_have_count(1)
    expect(widget_comments(page)).to_contain_text("Lovely crumb on that loaf.")


def test_approve_a_held_comment_and_see_it_in_the_widget(site, page):
    site, seed = site(moderation="first")
    held = post_from(seed, "198.51.100.2", "My first comment here!", name="Dana")
    assert held["status"] == "pending"
    open_blog(page, site, count=0)

    sign_in(page, site)
    page.get_by_role("link", name="Queue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Waiting for approval")
    expect(row(page, held).locator(".reason")).to_have_text("held: first comment")
    act_on(page, held, "Approve")
    expect(notice(page)).to_have_text("Approved: 1 comment.")
    expect(row(page, held)).to_have_count(0)  # the queue is empty now

    open_blog(page, site, count=1)
    expect(page.locator(f"article#comment-{held['id']}")).to_contain_text(
        "My first comment here!")


def test_ban_an_author_and_see_their_next_post_held(site, page):
    site, seed = site()
    token = seed.account("troll")
    first = post_from(seed, "198.51.100.3", "Everyone here is wrong.", token=token)
    assert first["status"] == "published"
    sign_in(page, site)

    row(page, first).get_by_role("link", name="troll").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("troll")
    expect(page.locator(".hold-state")).to_contain_text("not banned")
    page.get_by_label("Reason").fill("insults")
    page.get_by_role("button", name="7 days").click()
    expect(notice(page)).to_have_text(
        "Banned troll for 7 days: their new comments wait in the queue.")
    expect(page.locator(".hold-state")).to_contain_text("banned until")
    expect(page.locator(".hold-state")).to_contain_text("insults")

    second = post_from(seed, "198.51.100.3", "Still wrong, all of you.", token=token)
    assert second["status"] == "pending"
    page.get_by_role("link", name="Queue").click()
    expect(row(page, second).locator(".badge")).to_have_text("pending")
    expect(row(page, second).locator(".reason")).to_have_text("held: banned")
    expect(row(page, second)).to_contain_text("Still wrong, all of you.")


def test_undo_a_delete_and_read_the_audit_log(site, page):
    site, seed = site()
    keep = post_from(seed, "198.51.100.4", "A comment deleted by mistake.", name="Tom")
    sign_in(page, site)

    act_on(page, keep, "Delete")
    expect(notice(page)).to_have_text("Deleted: 1 comment.")
    expect(row(page, keep).locator(".badge")).to_have_text("deleted")
    open_blog(page, site, count=0)

    page.goto(site.server.url + "/admin/comments")
    act_on(page, keep, "Undo delete")
    expect(notice(page)).to_have_text("Restored: 1 comment.")
    expect(row(page, keep).locator(".badge")).to_have_text("published")
    open_blog(page, site, count=1)
    expect(widget_comments(page)).to_contain_text("A comment deleted by mistake.")

    page.goto(site.server.url + "/admin")
    page.get_by_role("link", name="Audit log").click()
    entries = page.locator("table.audit tbody tr")
    expect(entries).to_have_count(3)  # newest first; the account's creation is the oldest
    expect(entries.nth(0)).to_contain_text("boss")
    expect(entries.nth(0).locator(".action")).to_have_text("undo_delete")
    expect(entries.nth(1).locator(".action")).to_have_text("delete")
    expect(entries.nth(1)).to_contain_text(f"comment:{keep['id']}")
    expect(entries.nth(2).locator(".action")).to_have_text("admin_create")


def test_download_a_backup_and_restore_it_elsewhere(site, page, tmp_path):
    site, seed = site()
    kept = post_from(seed, "198.51.100.5", "Kept in the backup.", name="Vera")
    sign_in(page, site)
    page.get_by_role("link", name="Overview").click()
    with page.expect_download() as started:
        page.get_by_role("link", name="Download backup").click()
    download = started.value
    assert re.fullmatch(r"kommentar-[0-9-]+\.jsonl\.gz", download.suggested_filename)
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)

    # The file restores into a new, empty database: the comment keeps its id.
    env = {**site.server.env, "KOMMENTAR_DATABASE_URL": f"sqlite:///{tmp_path / 'new.db'}"}
    restored = subprocess.run([sys.executable, "-m", "kommentar.cli", "import", "kommentar",
                               str(saved)], env=env, cwd=tmp_path, capture_output=True, text=True)
    assert restored.returncode == 0, restored.stderr
    assert ("restored 1 account, 0 sign-in identities, 1 thread, 1 comment, 0 votes, 0 bans, "
            "2 audit entries") in restored.stdout
    with sqlite3.connect(tmp_path / "new.db") as restored_db:
        assert restored_db.execute("SELECT id, text FROM comment").fetchall() == \
            [(kept["id"], "Kept in the backup.")]
    restored_db.close()

    page.get_by_role("link", name="Audit log").click()
    expect(page.locator("table.audit tbody tr").nth(0).locator(".action")).to_have_text(
        "backup_download")


def test_sign_out_and_a_wrong_password(site, page):
    site, _ = site()
    page.goto(site.server.url + "/admin")
    page.get_by_label("Username").fill("boss")
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_have_text("Wrong username or password.")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Overview")
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("status")).to_have_text("You are signed out.")
    page.goto(site.server.url + "/admin/audit")
    expect(page).to_have_url(re.compile(r"/admin/login\?next=/admin/audit$"))


def test_screenshot_of_the_comment_list(site, page, screenshots):
    site, seed = site()
    page.set_viewport_size({"width": 1280, "height": 900})
    writer = seed.account("Ingrid Sørensen")
    posts = [
        post_from(seed, "198.51.100.10", "We switched to a stiff starter last spring and the "
                  "crumb got so much more even. Feeding it twice a day at a 1:5:5 ratio was "
                  "the trick for us.", token=writer),
        post_from(seed, "198.51.100.11", "Do you keep it at room temperature? Ours gets far "
                  "too sour in summer.", name="Tom Hald"),
        post_from(seed, "203.0.113.66", "<script>alert('hi')</script> BEST PILLS "
                  "https://pills.example", name="<b>Deals</b>"),
        post_from(seed, "203.0.113.66", "BEST PILLS, cheap, today only", name="Deals",
                  page="listing.html"),
        post_from(seed, "198.51.100.12", "Please bring back the rye loaf on Saturdays!",
                  name="Karsten M.", page="listing.html"),
        post_from(seed, "198.51.100.10", "Room temperature, but out of direct sun.",
                  token=writer),
    ]
    sign_in(page, site)
    act_on(page, posts[2], "Spam")
    act_on(page, posts[3], "Spam")
    act_on(page, posts[4], "Delete")
    act_on(page, posts[0], "Pin")
    row(page, posts[1]).get_by_role("checkbox").check()
    expect(page.locator("tbody tr[id^=comment-]")).to_have_count(6)
    assert "<script" not in page.locator("table.comments").inner_html()
    page.screenshot(path=str(screenshots / "admin.png"), full_page=True)
