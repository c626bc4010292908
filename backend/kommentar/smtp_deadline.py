"""SMTP connections with a deadline for the whole send: smtplib bounds each step by a timeout,
so a server answering slowly, a byte at a time, can hold one send for as long as it likes.
Here every connect, TLS handshake, read and write waits at most what is left of the deadline
(and at most the step's own timeout), so ``Mailer.send`` ends within ``send_timeout``.
"""

from __future__ import annotations

import smtplib
import socket
import ssl
import time


class Bounded:
    """A socket whose every read and write waits at most until ``deadline`` (on
    ``time.monotonic()``), and at most ``step`` seconds: however slowly a server answers,
    byte by byte, one send ends by its deadline."""

    deadline = float("inf")
    step: float | None = None

    def bound(self, deadline: float, step: float) -> None:
        """Set when this socket's reads and writes must end."""
        self.deadline, self.step = deadline, step

    def _wait(self) -> None:
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("the deadline of the whole send has passed")
        self.settimeout(left if self.step is None else min(self.step, left))

    def recv(self, *args, **kwargs):
        self._wait()
        return super().recv(*args, **kwargs)

    def recv_into(self, *args, **kwargs):
        self._wait()
        return super().recv_into(*args, **kwargs)

    def send(self, *args, **kwargs):
        self._wait()
        return super().send(*args, **kwargs)

    def sendall(self, data, *args, **kwargs):
        if isinstance(self, ssl.SSLSocket):  # its sendall sends piece by piece with send
            return super().sendall(data, *args, **kwargs)
        view = memoryview(data).cast("B")
        while view:  # piece by piece, each within what is left
            view = view[self.send(view, *args, **kwargs):]
        return None


class BoundedSocket(Bounded, socket.socket):
    pass


class BoundedSSLSocket(Bounded, ssl.SSLSocket):
    pass


class BoundedSMTP(smtplib.SMTP):
    """smtplib's client on ``Bounded`` sockets: connecting, the TLS handshake and every
    command and reply end by ``deadline``. The TLS context must make ``BoundedSSLSocket``s."""

    deadline = float("inf")

    def _get_socket(self, host, port, timeout):
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("the deadline of the whole send has passed")
        plain = socket.create_connection((host, port), min(timeout, left), self.source_address)
        sock = BoundedSocket(plain.family, plain.type, plain.proto, fileno=plain.detach())
        sock.bound(self.deadline, timeout)
        return sock

    def starttls(self, *args, **kwargs):
        answer = super().starttls(*args, **kwargs)
        self.sock.bound(self.deadline, self.timeout)
        return answer


class BoundedSMTPSSL(BoundedSMTP, smtplib.SMTP_SSL):
    def _get_socket(self, host, port, timeout):
        sock = self.context.wrap_socket(super()._get_socket(host, port, timeout),
                                        server_hostname=host)
        sock.bound(self.deadline, timeout)
        return sock
