"""A real SMTP server for tests: aiosmtpd on 127.0.0.1 in a thread of its own, in the clear,
with STARTTLS or with TLS from the start, optionally with log-in and recipients it refuses.
It keeps every message it accepts; ``settings`` points a Kommentar app or process at it.

conftest.py hands it out as ``mail_server`` (in the clear, no log-in) and ``start_mail_server``
(any of the above); both stop it at the end of the test.
"""

from __future__ import annotations

import email
import email.policy
import ssl
import threading
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path

import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

SERVER_NAME = "mail.test"
PUBLIC_URL = "https://comments.test"
MAIL_FROM = "Kommentar <comments@comments.test>"


@dataclass(frozen=True)
class Certificates:
    """A throwaway CA, the file a client trusts it from, and a server context with a
    certificate it issued."""

    ca_file: Path
    server: ssl.SSLContext

    @classmethod
    def make(cls, folder: Path, *hosts: str) -> Certificates:
        """A fresh CA, written into ``folder``, and a server certificate for ``hosts``
        (default: 127.0.0.1 and localhost)."""
        authority = trustme.CA()
        ca_file = folder / "ca.pem"
        authority.cert_pem.write_to_path(str(ca_file))
        server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        authority.issue_cert(*(hosts or ("127.0.0.1", "localhost"))).configure_cert(server)
        return cls(ca_file, server)


@dataclass(frozen=True)
class Received:
    """One message the server accepted, with its envelope and how it came."""

    sender: str
    recipients: list[str]
    raw: bytes  # as sent, less SMTP's dot-stuffing
    message: EmailMessage
    encrypted: bool
    user: str | None  # the name it logged in with
    greeting: str  # the name the client gave in EHLO

    def text(self) -> str:
        """The plain-text part, with Python's line ends."""
        return self._part("plain")

    def html(self) -> str:
        """The HTML part, with Python's line ends."""
        return self._part("html")

    def _part(self, subtype: str) -> str:
        return self.message.get_body((subtype,)).get_content().replace("\r\n", "\n")


class MailServer:
    """An SMTP server on ``port`` of 127.0.0.1. ``security`` is Kommentar's setting of the same
    name (starttls and tls need ``certificates``); ``users`` maps names to passwords and turns
    log-in on; ``refuse`` maps recipients to the reply they get instead of 250 (``"550 5.1.1
    No such user"``), and ``refuse_message`` is the reply to every message instead of 250.
    Other keywords go to aiosmtpd's ``SMTP`` (``auth_exclude_mechanism=["PLAIN"]``, say)."""

    def __init__(self, port: int, security: str = "none", certificates: Certificates | None = None,
                 users: dict[str, str] | None = None, refuse: dict[str, str] | None = None,
                 refuse_message: str | None = None, **smtp_options):
        self.port = port
        self.security = security
        self.certificates = certificates
        self.users = users or {}
        self.refuse = refuse or {}
        self.refuse_message = refuse_message
        self.received: list[Received] = []
        self._arrived = threading.Condition()
        options = {"server_hostname": SERVER_NAME, **smtp_options}
        if security != "none":
            assert certificates, f"{security} needs certificates"
        if security == "starttls":
            options.update(tls_context=certificates.server, require_starttls=True)
        elif security == "tls":  # the whole connection is TLS: log-in needs no STARTTLS
            options.update(ssl_context=certificates.server, auth_require_tls=False)
        if self.users:  # compulsory, except over TLS from the start, where aiosmtpd (which
            # cannot tell) would warn of log-ins in the clear: there ``user`` shows the log-in
            options.update(authenticator=self._authenticate, auth_required=security != "tls")
        self._controller = Controller(self, hostname="127.0.0.1", port=port, **options)

    def start(self) -> MailServer:
        """Listen; returns at once when the server answers."""
        self._controller.start()
        return self

    def stop(self) -> None:
        """Stop listening and end every connection."""
        self._controller.stop()

    def settings(self, **changes) -> dict:
        """Kommentar settings (lower-case names) that send mail through this server."""
        chosen = {"smtp_host": "127.0.0.1", "smtp_port": self.port,
                  "smtp_security": self.security, "public_url": PUBLIC_URL,
                  "mail_from": MAIL_FROM}
        if self.certificates:
            chosen["smtp_ca_file"] = str(self.certificates.ca_file)
        if self.users:
            chosen["smtp_username"], chosen["smtp_password"] = next(iter(self.users.items()))
        return {**chosen, **changes}

    def wait_for(self, count: int, timeout: float = 10) -> list[Received]:
        """The messages received, once there are at least ``count`` (for mail sent in the
        background); an AssertionError after ``timeout`` seconds."""
        with self._arrived:
            arrived = self._arrived.wait_for(lambda: len(self.received) >= count, timeout)
            assert arrived, f"{len(self.received)} of {count} messages after {timeout} s"
            return list(self.received)

    # --- aiosmtpd's hooks ---------------------------------------------------------------

    def _authenticate(self, server, session, envelope, mechanism, auth_data) -> AuthResult:
        known = (isinstance(auth_data, LoginPassword)
                 and self.users.get(auth_data.login.decode()) == auth_data.password.decode())
        return AuthResult(success=known, handled=False, auth_data=auth_data.login.decode()
                          if known else None)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 Ok"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        if self.refuse_message:
            return self.refuse_message
        received = Received(
            sender=envelope.mail_from, recipients=list(envelope.rcpt_tos),
            raw=envelope.original_content,
            message=email.message_from_bytes(envelope.original_content,
                                             policy=email.policy.default),
            encrypted=server.transport.get_extra_info("ssl_object") is not None,
            user=session.auth_data if session.authenticated else None,
            greeting=session.host_name)
        with self._arrived:
            self.received.append(received)
            self._arrived.notify_all()
            number = len(self.received)
        return f"250 2.0.0 Ok: queued as {number}"
