"""Mail over SMTP, against a real server on 127.0.0.1 (tests/mail_server.py): in the clear,
with STARTTLS and with TLS from the start, logging in with PLAIN and LOGIN. A message arrives
with its headers and both parts; every failure is a MailError with a one-line reason and the
right answer to "try again later?"; ``kommentar mail test`` says what the server said, or why
not; the settings are checked at start-up; the password is never shown."""

from __future__ import annotations

import email
import json
import re
import socket
import subprocess
import sys
import tomllib
from email.headerregistry import Address
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import free_port
from mail_server import MAIL_FROM, PUBLIC_URL, Certificates
from support import SITE

from kommentar import config, create_app
from kommentar.cli import main
from kommentar.config import ConfigError
from kommentar.letters import language
from kommentar.mail import POLICY, Mailer, MailError

ROOT = Path(__file__).resolve().parents[1]
READER = "reader@example.org"
PASSWORD = "correct horse battery staple"  # noqa: S105 - a test server's
USERS = {"kommentar": PASSWORD}


def load(**settings) -> dict:
    """The settings as the server loads them: parsed and checked."""
    return config.load("", {"secret_key": "k", "origins": SITE, **settings}, environ={})


def mailer(**settings) -> Mailer:
    return Mailer.from_config(load(**settings))


def test_message_arrives_with_its_headers_and_both_parts(mail_server):
    sender = mailer(**mail_server.settings())
    message = sender.message(
        f"Reader <{READER}>", "Svar på din kommentar", "Hej Jørgen,\n\nder er et svar.\n",
        "<p>Hej Jørgen,</p><p>der er et svar.</p>",
        headers={"List-Unsubscribe": "<https://comments.test/unsubscribe/x>"})

    answer = sender.send(message)

    [received] = mail_server.received
    assert answer == "250 2.0.0 Ok: queued as 1"
    assert received.sender == "comments@comments.test"
    assert received.recipients == [READER]
    got = received.message
    assert got["From"] == MAIL_FROM
    assert got["To"] == f"Reader <{READER}>"
    assert got["Subject"] == "Svar på din kommentar"
    assert got["List-Unsubscribe"] == "<https://comments.test/unsubscribe/x>"
    assert got["Date"].datetime.utcoffset().total_seconds() == 0
    assert got["Message-ID"].endswith("@comments.test>")
    assert got.get_content_type() == "multipart/alternative"
    assert received.text() == "Hej Jørgen,\n\nder er et svar.\n"
    assert received.html() == "<p>Hej Jørgen,</p><p>der er et svar.</p>\n"
    assert received.raw.isascii()  # seven-bit: any server takes it, 8BITMIME or not
    assert not received.encrypted and received.user is None


def test_every_message_has_a_message_id_of_its_own(mail_server):
    sender = mailer(**mail_server.settings())
    ids = {sender.message(READER, "Hi", "text", "<p>html</p>")["Message-ID"] for _ in range(50)}
    assert len(ids) == 50


@pytest.mark.parametrize("public_url, own_name", [
    ("https://comments.example", "comments.example"),
    ("http://127.0.0.1:8080", "[127.0.0.1]"),
    ("http://[::1]:8080", "[IPv6:::1]"),
])
def test_the_server_names_itself_by_its_public_url(mail_server, public_url, own_name):
    sender = mailer(**mail_server.settings(public_url=public_url))
    sender.send(sender.message(READER, "Hi", "text", "<p>html</p>"))
    [received] = mail_server.received
    assert received.message["Message-ID"].endswith(f"@{own_name}>")
    assert received.greeting == own_name


def test_the_outbox_bytes_are_the_bytes_sent(mail_server):
    """The outbox keeps ``message.as_bytes()`` and sends it later with ``send_bytes``."""
    sender = mailer(**mail_server.settings())
    message = sender.message(READER, "Subject", "line\n.\n..dots at the start\n", "<p>x</p>")
    kept = message.as_bytes()

    assert sender.send_bytes(kept, "Other <other@example.org>").startswith("250 ")

    [received] = mail_server.received
    assert received.recipients == ["other@example.org"]  # the envelope, not the To header
    assert received.raw == kept
    assert email.message_from_bytes(kept, policy=POLICY)["To"] == READER


@pytest.mark.parametrize("security", ["starttls", "tls"])
@pytest.mark.parametrize("mechanism", ["PLAIN", "LOGIN"])
def test_encrypted_and_logged_in(start_mail_server, security, mechanism):
    other = "LOGIN" if mechanism == "PLAIN" else "PLAIN"
    server = start_mail_server(security, users=USERS, auth_exclude_mechanism=[other])

    sender = mailer(**server.settings())
    assert sender.send(sender.message(READER, "Hi", "text", "<p>html</p>")).startswith("250 ")

    [received] = server.received
    assert received.encrypted
    assert received.user == "kommentar"
    assert received.text() == "text\n"


# --- failures ------------------------------------------------------------------------------

SERVER = r"127\.0\.0\.1:\d+"
UNTRUSTED = rf"TLS failure with {SERVER}: certificate not trusted \(unable to get local issuer " \
            r"certificate\)"
FAILURES = {  # case: (the reason, in full, as a regular expression; temporary?)
    "wrong password": (rf"authentication failed at {SERVER}: 535 5\.7\.8 Authentication "
                       r"credentials invalid", True),
    "refused recipient": (r"recipient refused: 550 5\.1\.1 No such user here", False),
    "recipient greylisted": (r"recipient refused: 451 4\.7\.1 Greylisted, try again in 5 "
                             r"minutes", True),
    "message refused": (r"message refused: 554 5\.7\.1 Rejected as spam", False),
    "message deferred": (r"message refused: 452 4\.3\.1 Insufficient system storage", True),
    "server down": (rf"connection refused by {SERVER}", True),
    "untrusted certificate": (UNTRUSTED, True),
    "untrusted certificate, TLS from the start": (UNTRUSTED, True),
    "certificate from another CA": (UNTRUSTED, True),
    "certificate for another host": (rf"TLS failure with {SERVER}: certificate not trusted "
                                     r"\(IP address mismatch, certificate is not valid for "
                                     r"'127\.0\.0\.1'\.\)", True),
    "no STARTTLS": (rf'{SERVER} does not offer STARTTLS \(for TLS from the start, set '
                    r'smtp_security = "tls"\)', True),
    "TLS to a plain server": (rf"TLS failure with {SERVER}: WRONG_VERSION_NUMBER", True),
    "no AUTH": (rf"{SERVER} does not offer authentication \(AUTH\) on this connection", True),
    "hung server": (rf"timed out after 1 s waiting for {SERVER}", True),
}


@pytest.fixture
def failing(request, start_mail_server, tmp_path):
    """Settings that make sending fail in the way the test's ``case`` names."""
    case = request.getfixturevalue("case")
    if case == "wrong password":
        return start_mail_server("starttls", users=USERS).settings(
            smtp_password="wrong " + PASSWORD)
    if case == "refused recipient":
        return start_mail_server(refuse={READER: "550 5.1.1 No such user here"}).settings()
    if case == "recipient greylisted":
        return start_mail_server(refuse={READER: "451 4.7.1 Greylisted, try again in 5 "
                                                 "minutes"}).settings()
    if case == "message refused":
        return start_mail_server(refuse_message="554 5.7.1 Rejected as spam").settings()
    if case == "message deferred":
        return start_mail_server(
            refuse_message="452 4.3.1 Insufficient system storage").settings()
    if case == "server down":
        return start_mail_server().settings(smtp_port=free_port())
    if case == "untrusted certificate":  # the system's CAs do not know the test's own
        return start_mail_server("starttls").settings(smtp_ca_file=None)
    if case == "untrusted certificate, TLS from the start":
        return start_mail_server("tls").settings(smtp_ca_file=None)
    if case == "certificate from another CA":
        other = Certificates.make(tmp_path)
        return start_mail_server("starttls").settings(smtp_ca_file=str(other.ca_file))
    if case == "certificate for another host":
        elsewhere = Certificates.make(tmp_path, "mail.elsewhere.example")
        return start_mail_server("starttls", elsewhere).settings()
    if case == "no STARTTLS":
        return start_mail_server().settings(smtp_security="starttls")
    if case == "TLS to a plain server":
        return start_mail_server().settings(smtp_security="tls")
    if case == "no AUTH":
        return start_mail_server().settings(smtp_username="kommentar", smtp_password=PASSWORD)
    if case == "hung server":  # accepts the connection and never greets
        listener = socket.create_server(("127.0.0.1", free_port()))
        request.addfinalizer(listener.close)
        return {"smtp_host": "127.0.0.1", "smtp_port": listener.getsockname()[1],
                "smtp_security": "none", "smtp_timeout": 1, "public_url": PUBLIC_URL,
                "mail_from": MAIL_FROM}
    raise AssertionError(f"no such case: {case}")


@pytest.mark.parametrize("case", FAILURES)
def test_failure_says_why_in_one_line_and_whether_to_retry(failing, case):
    reason, temporary = FAILURES[case]
    sender = mailer(**failing)
    with pytest.raises(MailError) as raised:
        sender.send(sender.message(READER, "Hi", "text", "<p>html</p>"))
    assert re.fullmatch(reason, raised.value.reason), raised.value.reason
    assert str(raised.value) == raised.value.reason
    assert raised.value.temporary is temporary


@pytest.mark.parametrize("to", ["nobody", "a@b.example, c@d.example", "jørgen@eksempel.dk"])
def test_a_stored_recipient_that_is_not_one_address_is_a_permanent_failure(mail_server, to):
    sender = mailer(**mail_server.settings())
    raw = sender.message(READER, "Hi", "text", "<p>html</p>").as_bytes()
    with pytest.raises(MailError, match="^the recipient is not one mail address$") as raised:
        sender.send_bytes(raw, to)
    assert raised.value.temporary is False
    assert mail_server.received == []


def test_the_password_is_not_in_the_mailers_repr(start_mail_server):
    settings = start_mail_server("starttls", users=USERS).settings()
    assert PASSWORD not in repr(mailer(**settings))


# --- kommentar mail test ADDRESS ----------------------------------------------------------

@pytest.fixture
def mail_test(tmp_path, clean_environment):
    """Run ``kommentar mail test`` with a config file of the given settings."""

    def run(*args: str, **settings):
        path = tmp_path / "kommentar.toml"
        lines = {"secret_key": ["k"], "origins": [SITE], **settings}
        path.write_text("".join(f"{name} = {toml(value)}\n" for name, value in lines.items()
                                if value is not None))
        return CliRunner().invoke(main, ["--config", str(path), "mail", "test", *args])

    return run


def toml(value) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(toml(item) for item in value) + "]"
    return str(value) if isinstance(value, int) else json.dumps(value)


def test_mail_test_sends_and_shows_what_the_server_said(start_mail_server, mail_test):
    server = start_mail_server("starttls", users=USERS)
    result = mail_test(READER, **server.settings())
    assert result.exit_code == 0, result.output
    assert result.output == f"127.0.0.1:{server.port} took the message: 250 2.0.0 Ok: " \
                            "queued as 1\n"
    [received] = server.received
    assert received.recipients == [READER] and received.encrypted
    assert received.message["Subject"] == "Kommentar: test message"
    assert "https://comments.test" in received.text()
    assert '<a href="https://comments.test">' in received.html()
    assert PASSWORD not in result.output


@pytest.mark.parametrize("case", FAILURES)
def test_mail_test_gives_the_reason_and_exits_1(failing, case, mail_test):
    result = mail_test(READER, **failing)
    assert result.exit_code == 1, result.output
    assert re.fullmatch(f"Error: not sent: {FAILURES[case][0]}\n", result.output), result.output
    assert PASSWORD not in result.output


def test_mail_test_with_mail_off_says_so(mail_test):
    result = mail_test(READER)
    assert result.exit_code == 1
    assert result.output == "Error: mail is off: set smtp_host, public_url and mail_from\n"


def test_mail_test_refuses_what_is_not_an_address(mail_server, mail_test):
    result = mail_test("not an address", **mail_server.settings())
    assert result.exit_code == 2
    assert "'not an address' is not a mail address" in result.output
    assert mail_server.received == []


def test_mail_test_with_a_bad_setting_names_it(mail_test):
    result = mail_test(READER, smtp_host="127.0.0.1", mail_from=MAIL_FROM)
    assert result.exit_code == 1
    assert result.output.startswith("Error: public_url is not set: mail is on (smtp_host)")


# --- make run's mail catcher -------------------------------------------------------------

def test_make_runs_mail_goes_to_the_catcher_which_prints_it():
    makefile = (ROOT / "Makefile").read_text()
    block = makefile.split("define MAIL_CATCHER\n", 1)[1].split("endef", 1)[0]
    settings = {**tomllib.loads(block), "smtp_port": free_port()}  # make run's, on a free port
    with subprocess.Popen([sys.executable, str(ROOT / "examples" / "mailcatcher.py"),
                           "--port", str(settings["smtp_port"])],
                          stdout=subprocess.PIPE, text=True) as catcher:
        try:
            assert catcher.stdout.readline().startswith("mail catcher: ")  # it listens
            sender = mailer(**settings)
            answer = sender.send(sender.message(
                f"Jørgen <{READER}>", "Svar på din kommentar",
                "Hej Jørgen,\n\nder er et svar.\n", "<p>Hej</p>"))
            printed = [catcher.stdout.readline() for _ in range(10)]
        finally:
            catcher.terminate()
    assert answer == "250 Caught and printed by the mail catcher"
    assert "".join(printed) == (
        f"\n--- mail caught: to {READER} {'-' * 30}\n"
        "From: Kommentar <kommentar@localhost>\n"
        f"To: Jørgen <{READER}>\n"
        "Subject: Svar på din kommentar\n\n"
        "Hej Jørgen,\n\nder er et svar.\n" + "-" * 60 + "\n")


# --- settings ------------------------------------------------------------------------------

def test_mail_is_off_by_default_and_the_widget_is_told(tmp_path, mail_server):
    base = {"secret_key": "k", "origins": SITE,
            "database_url": f"sqlite:///{tmp_path / 'kommentar.db'}"}
    assert Mailer.from_config(load()) is None
    off = create_app(base).test_client().get("/api/config", headers={"Origin": SITE})
    on = create_app({**base, **mail_server.settings()}).test_client().get(
        "/api/config", headers={"Origin": SITE})
    assert off.json["mail"] is False and on.json["mail"] is True


def test_settings_are_parsed_and_normalised():
    loaded = load(smtp_host="smtp.example.org", smtp_port="465", smtp_security="TLS",
                  smtp_timeout="30", public_url="HTTPS://Comments.Example/blog/",
                  mail_from="Kommentår <comments@bücher.example>",
                  smtp_username="me", smtp_password=" spaces are kept ")
    assert loaded["SMTP_PORT"] == 465 and loaded["SMTP_SECURITY"] == "tls"
    assert loaded["SMTP_TIMEOUT"] == 30
    assert loaded["PUBLIC_URL"] == "https://comments.example/blog"
    assert loaded["MAIL_FROM"] == "Kommentår <comments@xn--bcher-kva.example>"
    assert loaded["SMTP_PASSWORD"] == " spaces are kept "
    sender = Mailer.from_config(loaded)
    assert sender.domain == "comments.example"
    assert sender.sender == Address("Kommentår", "comments", "xn--bcher-kva.example")


def test_defaults():
    loaded = load(smtp_host="smtp.example.org", public_url="https://c.example",
                  mail_from="c@c.example")
    assert (loaded["SMTP_PORT"], loaded["SMTP_SECURITY"], loaded["SMTP_TIMEOUT"]) == \
        (587, "starttls", 10)
    assert loaded["SMTP_USERNAME"] is None and loaded["SMTP_CA_FILE"] is None


MAIL = {"smtp_host": "smtp.example.org", "public_url": "https://c.example",
        "mail_from": "c@c.example"}


@pytest.mark.parametrize("settings, message", [
    ({**MAIL, "public_url": None}, "^public_url is not set: mail is on"),
    ({**MAIL, "mail_from": None}, "^mail_from is not set: mail is on"),
    ({**MAIL, "smtp_username": "me"}, "^smtp_username and smtp_password: set both"),
    ({**MAIL, "smtp_password": "secret"}, "^smtp_username and smtp_password: set both"),
    ({**MAIL, "smtp_port": "0"}, "^smtp_port: must be at least 1"),
    ({**MAIL, "smtp_port": "65536"}, "^smtp_port: not a port number"),
    ({**MAIL, "smtp_port": "submission"}, "^smtp_port: not a whole number"),
    ({**MAIL, "smtp_security": "ssl"}, "^smtp_security: 'ssl' is not one of starttls, tls"),
    ({**MAIL, "smtp_timeout": "0"}, "^smtp_timeout: must be at least 1"),
    ({**MAIL, "public_url": "comments.example"}, "^public_url: 'comments.example': "),
    ({**MAIL, "public_url": "ftp://c.example"}, "^public_url: 'ftp://c.example': "),
    ({**MAIL, "public_url": "https://c.example/?site=1"}, "^public_url: .* must not have a "),
    ({**MAIL, "public_url": "https://c.example/#top"}, "^public_url: .* must not have a "),
    ({**MAIL, "mail_from": "nobody"}, "^mail_from: 'nobody' is not a mail address"),
    ({**MAIL, "mail_from": "a@b.example, c@d.example"}, "^mail_from: .* is not a mail address"),
    ({**MAIL, "mail_from": "A <a@b.example>\r\nBcc: x@y.example"}, "^mail_from: .* is not a "),
    ({**MAIL, "mail_from": "jørgen@eksempel.dk"}, "^mail_from: .* must be plain ASCII"),
    ({**MAIL, "smtp_ca_file": "/nonexistent/ca.pem"},
     "^smtp_ca_file: cannot load certificates from /nonexistent/ca.pem: No such file"),
    ({**MAIL, "smtp_ca_file": __file__}, f"^smtp_ca_file: cannot load certificates from "
                                         f"{re.escape(__file__)}: NO_CERTIFICATE_OR_CRL_FOUND"),
])
def test_bad_mail_settings_are_refused_at_start_up(settings, message):
    with pytest.raises(ConfigError, match=message):
        load(**settings)


def test_settings_for_mail_come_from_the_environment():
    loaded = config.load("", {}, environ={
        "KOMMENTAR_SECRET_KEY": "k", "KOMMENTAR_ORIGINS": SITE,
        "KOMMENTAR_SMTP_HOST": "smtp.example.org", "KOMMENTAR_SMTP_PORT": "2525",
        "KOMMENTAR_PUBLIC_URL": "https://c.example", "KOMMENTAR_MAIL_FROM": "c@c.example",
        "KOMMENTAR_SMTP_USERNAME": "me", "KOMMENTAR_SMTP_PASSWORD": PASSWORD})
    assert loaded["SMTP_PORT"] == 2525 and loaded["SMTP_PASSWORD"] == PASSWORD


def test_a_refused_password_is_not_shown(tmp_path):
    path = tmp_path / "kommentar.toml"
    path.write_text('secret_key = ["k"]\norigins = ["https://blog.example"]\n'
                    "smtp_username = \"me\"\nsmtp_password = 8675309\n")
    with pytest.raises(ConfigError, match="^smtp_password: must be text") as raised:
        config.load("", {"config": str(path)}, environ={})
    assert "8675309" not in str(raised.value)


@pytest.mark.parametrize(("tags", "chosen"), [
    ("da", "da"), ("da-DK", "da"), ("DA_dk", "da"), ("en-GB", "en"), ("nb", "en"), ("", "en"),
    (None, "en"), (["nb", None, "da-DK", "en"], "da"), ([], "en"),
])
def test_a_letter_is_in_the_supported_language_closest_to_the_page(tags, chosen):
    assert language(tags) == chosen
