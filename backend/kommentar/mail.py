"""Sending mail over SMTP: every message built the same way, one connection per message, and
every failure a ``MailError`` that says in one line what went wrong and whether trying again
later may help.

Mail goes through the outbox (``queue``, in the transaction of the event that causes it):
the outbox keeps a message as its bytes and hands it back to ``deliver``, which sends it with
``send_for_outbox``; ``kommentar mail test`` calls ``Mailer.send`` directly.
"""

from __future__ import annotations

import email
import email.errors
import email.policy
import ipaddress
import smtplib
import socket
import ssl
import time
from collections.abc import Mapping
from contextlib import closing, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import Any
from urllib.parse import urlsplit

import idna

from . import outbox
from .smtp_deadline import BoundedSMTP, BoundedSMTPSSL, BoundedSSLSocket

# Seven-bit bodies (quoted-printable where a line is not ASCII) and CRLF line ends: any server
# takes them without 8BITMIME, and the bytes the outbox keeps are exactly the bytes sent.
POLICY = email.policy.SMTP.clone(cte_type="7bit")


class MailError(Exception):
    """Sending failed. ``reason`` is one line for a person. ``temporary`` says whether the
    same message may go through later: after network trouble, a TLS or log-in failure an admin
    can fix in the settings, or a 4xx reply. A 5xx refusal of the sender, the recipient or
    the message is permanent: sending it again would be refused again."""

    def __init__(self, reason: str, temporary: bool):
        super().__init__(reason)
        self.reason = reason
        self.temporary = temporary


def address(text: str) -> Address:
    """One mail address as a person writes it (``Name <user@example.org>`` or the bare
    address), or ValueError. An international domain is turned into ASCII; the part before
    the ``@`` must be ASCII already, since sending to it needs SMTPUTF8, which not every
    server offers."""
    problem = f"{text!r} is not a mail address such as Name <user@example.org>"
    try:
        header = POLICY.header_factory("To", text)
    except (email.errors.HeaderParseError, IndexError, ValueError):  # the parser's ways to fail
        raise ValueError(problem) from None
    defects = [defect for defect in header.defects  # that one is told apart below
               if not isinstance(defect, email.errors.NonASCIILocalPartDefect)]
    if defects or len(header.addresses) != 1 or not header.addresses[0].domain:
        raise ValueError(problem)
    found = header.addresses[0]
    if not found.username.isascii():
        raise ValueError(f"{text!r}: the part before the @ must be plain ASCII")
    domain = found.domain
    if not domain.isascii():
        try:
            domain = idna.encode(domain, uts46=True).decode("ascii")
        except idna.IDNAError:
            raise ValueError(problem) from None
    return Address(found.display_name, found.username, domain)


def _reply(code: int, text: bytes | str) -> str:
    """A server's reply as one line: its code and the last line of its text."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    lines = text.splitlines()
    return f"{code} {lines[-1].strip() if lines else ''}".strip()


def _own_name(host: str) -> str:
    """A host as mail names it: a domain as it is, an IP address as a literal (RFC 5321 4.1.3),
    which also fits the right of a Message-ID's @."""
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return host
    return f"[IPv6:{ip}]" if ip.version == 6 else f"[{ip}]"


def _recipient(message: EmailMessage, to: str | None) -> str:
    """The envelope recipient: ``to``, else the message's one To address."""
    try:
        if to is not None:
            return address(to).addr_spec
        [found] = message["To"].addresses if message["To"] else ()
    except ValueError:  # not an address, or not exactly one; the address stays out of logs
        raise MailError("the recipient is not one mail address", temporary=False) from None
    return found.addr_spec


def _refused(what: str, code: int, text: bytes | str) -> MailError:
    return MailError(f"{what} refused: {_reply(code, text)}", temporary=code < 500)


@dataclass(frozen=True)
class Mailer:
    """The SMTP server the settings name, and the sender and domain of every message."""

    host: str
    port: int
    security: str  # starttls, tls or none
    timeout: float
    sender: Address
    domain: str  # how this server names itself, from public_url: Message-IDs, EHLO
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    tls: ssl.SSLContext | None = field(default=None, repr=False)
    # Seconds one whole send may take, every step together: the outbox's promise for a
    # deliverer, which a server that answers slowly, step by step, cannot stretch.
    send_timeout: float = outbox.SEND_TIMEOUT

    def __post_init__(self):
        if self.tls is not None:  # its sockets end by the send's deadline too
            self.tls.sslsocket_class = BoundedSSLSocket

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Mailer | None:
        """The mailer the (loaded, checked) settings describe, or None when mail is off."""
        if not config["SMTP_HOST"]:
            return None
        security = config["SMTP_SECURITY"]
        return cls(
            host=config["SMTP_HOST"], port=config["SMTP_PORT"], security=security,
            timeout=config["SMTP_TIMEOUT"], sender=address(config["MAIL_FROM"]),
            domain=_own_name(urlsplit(config["PUBLIC_URL"]).hostname),
            username=config["SMTP_USERNAME"], password=config["SMTP_PASSWORD"],
            # The system's CAs, or only those of smtp_ca_file; hostnames checked either way.
            tls=None if security == "none"
            else ssl.create_default_context(cafile=config["SMTP_CA_FILE"]))

    @property
    def server(self) -> str:
        """The server as ``host:port``, for messages."""
        return f"{self.host}:{self.port}"

    def message(self, to: str, subject: str, text: str, html: str,
                headers: Mapping[str, str] | None = None) -> EmailMessage:
        """A mail to one address: plain text with an HTML alternative, a Date and a
        Message-ID of its own, and any further ``headers`` (List-Unsubscribe, say). A header
        value with a line break is a ValueError, so nothing can add headers of its own."""
        message = EmailMessage(policy=POLICY)
        message["From"] = self.sender
        message["To"] = address(to)
        message["Subject"] = subject
        message["Date"] = format_datetime(datetime.now(UTC))
        message["Message-ID"] = make_msgid(domain=self.domain)
        for name, value in (headers or {}).items():
            message[name] = value
        message.set_content(text)
        message.add_alternative(html, subtype="html")
        return message

    def send_bytes(self, raw: bytes, to: str) -> str:
        """Send a message kept as ``message.as_bytes()`` to ``to``; see ``send``."""
        return self.send(email.message_from_bytes(raw, policy=POLICY), to)

    def send(self, message: EmailMessage, to: str | None = None) -> str:
        """Send ``message`` to ``to`` (default: its one To address) and return the server's
        answer, e.g. ``250 2.0.0 Ok: queued as 4BX1``, or raise MailError.

        One recipient per message: a refusal then concerns the whole message, so that
        trying it again never sends it twice to anyone."""
        recipient = _recipient(message, to)
        raw = message.as_bytes(policy=POLICY)
        deadline = time.monotonic() + self.send_timeout
        try:
            with closing(self._connect(deadline)) as smtp:  # closed without QUIT after a failure
                self._secure(smtp)
                self._log_in(smtp)
                answer = self._transmit(smtp, raw, recipient)
                with suppress(OSError, smtplib.SMTPException):  # the server has it: too late
                    smtp.quit()                                 # for a failure to matter
        except (OSError, smtplib.SMTPException) as error:  # smtplib's errors are OSErrors too
            if time.monotonic() >= deadline:
                raise MailError(f"gave up after {self.send_timeout:g} s: {self.server} "
                                "answered too slowly", temporary=True) from None
            raise self._failure(error) from None
        return answer

    def _connect(self, deadline: float) -> smtplib.SMTP:
        # Greeting with this server's own name spares smtplib a reverse DNS look-up per mail.
        if self.security == "tls":
            smtp = BoundedSMTPSSL(local_hostname=self.domain, timeout=self.timeout,
                                   context=self.tls)
        else:
            smtp = BoundedSMTP(local_hostname=self.domain, timeout=self.timeout)
        smtp.deadline = deadline
        # The name STARTTLS checks the certificate against, which smtplib sets only when its
        # constructor connects.
        smtp._host = self.host
        try:
            code, greeting = smtp.connect(self.host, self.port)
        except BaseException:
            smtp.close()
            raise
        if code != 220:
            smtp.close()
            raise smtplib.SMTPConnectError(code, greeting)
        return smtp

    def _secure(self, smtp: smtplib.SMTP) -> None:
        if self.security != "starttls":
            return
        smtp.ehlo()
        if not smtp.has_extn("starttls"):  # never fall back to sending in the clear
            raise MailError(f"{self.server} does not offer STARTTLS (for TLS from the start, "
                            'set smtp_security = "tls")', temporary=True)
        smtp.starttls(context=self.tls)
        smtp.ehlo()

    def _log_in(self, smtp: smtplib.SMTP) -> None:
        if not self.username:
            return
        smtp.ehlo_or_helo_if_needed()
        if not smtp.has_extn("auth"):
            raise MailError(f"{self.server} does not offer authentication (AUTH) on this "
                            "connection", temporary=True)
        smtp.login(self.username, self.password)

    def _transmit(self, smtp: smtplib.SMTP, raw: bytes, recipient: str) -> str:
        smtp.ehlo_or_helo_if_needed()
        code, text = smtp.mail(self.sender.addr_spec)
        if code != 250:
            raise _refused("sender", code, text)
        code, text = smtp.rcpt(recipient)
        if code not in (250, 251):
            raise _refused("recipient", code, text)
        try:
            code, text = smtp.data(raw)
        except smtplib.SMTPDataError as error:  # DATA itself refused
            raise _refused("message", error.smtp_code, error.smtp_error) from None
        if code != 250:
            raise _refused("message", code, text)
        return _reply(code, text)

    def _failure(self, error: OSError | smtplib.SMTPException) -> MailError:
        """The one-line reason for a failure before the message was offered: the connection,
        TLS, the log-in. All temporary: they concern the server or the settings, not this
        message, and the outbox gives up on a message after two days anyway."""
        server = self.server
        if isinstance(error, smtplib.SMTPServerDisconnected) and \
                isinstance(error.__context__, OSError):  # how smtplib reports a timeout
            error = error.__context__
        match error:
            case smtplib.SMTPAuthenticationError():
                # A 535 is permanent for this password, not for the message: once an admin
                # has fixed the setting, the message goes through.
                reason = f"authentication failed at {server}: " \
                         f"{_reply(error.smtp_code, error.smtp_error)}"
            case smtplib.SMTPResponseException():  # the greeting, EHLO or STARTTLS refused
                reason = f"{server} answered {_reply(error.smtp_code, error.smtp_error)}"
            case smtplib.SMTPServerDisconnected():
                reason = f"{server} closed the connection"
            case smtplib.SMTPException():
                reason = f"SMTP failure with {server}: {error}"
            case ssl.SSLCertVerificationError():
                reason = f"TLS failure with {server}: certificate not trusted " \
                         f"({error.verify_message})"
            case ssl.SSLError():
                reason = f"TLS failure with {server}: {error.reason or error}"
            case ConnectionRefusedError():
                reason = f"connection refused by {server}"
            case TimeoutError():
                reason = f"timed out after {self.timeout:g} s waiting for {server}"
            case socket.gaierror():
                reason = f"cannot find the SMTP server {self.host}: {error.strerror}"
            case _:
                reason = f"cannot talk to {server}: {error.strerror or error}"
        return MailError(reason, temporary=True)


# --- through the outbox -----------------------------------------------------------------------

KIND = "mail"


def queue(message: EmailMessage, event: str) -> None:
    """Queue ``message`` to be sent, in the caller's transaction: it goes out once that commits,
    and never if it rolls back. Its outbox row shows its recipient and subject, and keeps the
    message as the bytes that will be sent."""
    outbox.queue([(KIND, event, str(message["To"].addresses[0].addr_spec),
                   {"Subject": str(message["Subject"])},
                   message.as_bytes(policy=POLICY).decode("ascii"))])


def deliver(message: outbox.Message, config: Mapping[str, Any]) -> None:
    """Send a queued mail through the configured server (the outbox's deliverer for mail)."""
    send_for_outbox(email.message_from_bytes(message.payload.encode("ascii"), policy=POLICY),
                    message.destination, config)


def send_for_outbox(message: EmailMessage, to: str, config: Mapping[str, Any]) -> None:
    """Send ``message`` to ``to`` through the configured server now, or raise the outbox's
    DeliveryFailed: for deliverers of mail (and of mail written as it is sent)."""
    mailer = Mailer.from_config(config)
    if mailer is None:
        raise outbox.DeliveryFailed("mail is off: smtp_host is not set", permanent=True)
    try:
        mailer.send(message, to)
    except MailError as error:
        raise outbox.DeliveryFailed(error.reason, permanent=not error.temporary) from None


def mailer() -> Mailer | None:
    """The current app's mailer (None when mail is off): who mail is from, and its domain."""
    from flask import current_app

    return current_app.extensions["kommentar.mailer"]


def init_app(app) -> None:
    """Keep the configured mailer, and send the outbox's mail."""
    app.extensions["kommentar.mailer"] = Mailer.from_config(app.config)
    outbox.deliverers[KIND] = deliver
