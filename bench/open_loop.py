"""An open-loop HTTP load: each request leaves at the moment its schedule names, whether or
not the ones before it have been answered, as readers' browsers send them.

wrk (``load.py``) is a closed loop: it sends as fast as the server answers, which measures
how much a server can take. A page kept open by thousands of readers is the other
question: a fixed rate of requests, and how long each waits. Here a request's latency runs
from its scheduled moment to the last byte of its answer, so time spent waiting for a free
connection or a busy server counts too (a closed loop would leave that out: "coordinated
omission").

Requests go over a small pool of keep-alive connections, as a proxy in front of the
server can hold them (5,000 readers do not each keep a connection open between polls 30
seconds apart), or each over a connection of its own, as nginx's plain ``proxy_pass``
opens them. A kept connection idle for longer than ``IDLE`` is closed rather than reused:
gunicorn closes its side after 2 s, and a request sent just as it does would fail for a
reason no reader would meet behind a proxy. Standard library only.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable
from dataclasses import dataclass

IDLE = 1.0  # seconds a pooled connection may rest: below gunicorn's keepalive of 2 s
TIMEOUT = 30.0  # seconds before a request counts as failed


@dataclass
class Answer:
    """A response: its status, headers (names in lower case) and body as transferred."""

    status: int
    headers: dict[str, str]
    body: bytes


@dataclass
class Outcome:
    """One scheduled request: what kind it was, when it was due, how late this process sent
    it and how long its answer took from then (seconds), and whether it went as it should
    (``problem`` None)."""

    kind: str
    due: float
    late: float
    latency: float
    status: int | None
    problem: str | None = None
    etag: str | None = None


class _Connection:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter):
        self.reader, self.writer = reader, writer
        self.rested = time.monotonic()

    def usable(self) -> bool:
        return (not self.reader.at_eof() and not self.writer.is_closing()
                and time.monotonic() - self.rested < IDLE)

    def close(self) -> None:
        self.writer.close()


class Pool:
    """At most ``size`` connections to one HTTP/1.1 server. Kept alive (``fresh`` False),
    the most recently used is lent first, so a steady load keeps a few connections warm;
    ``fresh``, every request opens its own and asks the server to close it, as nginx's
    ``proxy_pass`` does unless its upstream is given ``keepalive``."""

    def __init__(self, host: str, port: int, size: int, fresh: bool = False):
        self.host, self.port, self.fresh = host, port, fresh
        self.opened = 0
        self._free: list[_Connection] = []
        self._slots = asyncio.Semaphore(size)

    async def request(self, method: str, path: str, headers: dict[str, str],
                      body: bytes | None = None) -> Answer:
        """Send one request and read its whole answer."""
        async with self._slots:
            connection = None
            while self._free and connection is None:
                candidate = self._free.pop()
                if candidate.usable():
                    connection = candidate
                else:
                    candidate.close()
            if connection is None:
                connection = _Connection(*await asyncio.open_connection(self.host, self.port))
                self.opened += 1
            if self.fresh:
                headers = {**headers, "Connection": "close"}
            try:
                answer = await _exchange(connection, self.host, self.port, method, path,
                                         headers, body)
            except BaseException:
                connection.close()
                raise
            if self.fresh or answer.headers.get("connection", "").lower() == "close":
                connection.close()
            else:
                connection.rested = time.monotonic()
                self._free.append(connection)
            return answer

    def close(self) -> None:
        """Close every pooled connection."""
        for connection in self._free:
            connection.close()
        self._free.clear()


async def _exchange(connection: _Connection, host: str, port: int, method: str, path: str,
                    headers: dict[str, str], body: bytes | None) -> Answer:
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}:{port}"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    if body is not None:
        lines.append(f"Content-Length: {len(body)}")
    connection.writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + (body or b""))
    await connection.writer.drain()
    head = await connection.reader.readuntil(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    status = int(status_line.split(" ", 2)[1])
    found = {}
    for line in header_lines:
        if line:
            name, _, value = line.partition(":")
            found[name.strip().lower()] = value.strip()
    if "chunked" in found.get("transfer-encoding", ""):
        raise RuntimeError("a chunked answer: this client reads only Content-Length bodies")
    length = 0 if status in (204, 304) or method == "HEAD" else int(found.get("content-length", 0))
    return Answer(status, found, await connection.reader.readexactly(length) if length else b"")


async def timed(kind: str, due: float, work: Awaitable[tuple]) -> Outcome:
    """Await ``work``, which gives (status, problem or None, etag or None), timed from
    ``due`` (a ``time.monotonic()`` moment, now or just past). Failures are outcomes, not
    exceptions."""
    late = time.monotonic() - due  # the load generator's own lag, when it has too little CPU
    try:
        status, problem, etag = await asyncio.wait_for(work, TIMEOUT)
    except TimeoutError:
        status, problem, etag = None, "timeout", None
    except (OSError, asyncio.IncompleteReadError, RuntimeError, ValueError) as error:
        status, problem, etag = None, f"{type(error).__name__}: {error}", None
    return Outcome(kind, due, late, time.monotonic() - due, status, problem, etag)
