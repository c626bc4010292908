"""Driving a server with wrk, and sending the same requests once from Python.

A ``Load`` says what one server is sent in one scenario; ``run`` writes it as a Lua
table for ``lua/load.lua`` and reads wrk's results back as JSON. ``send`` makes one of
those requests with urllib, to check an answer before a run, measure its size as
transferred (compressed when the server compresses), or capture it for the ceiling.
Every request asks for gzip, as browsers do.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from itertools import count
from pathlib import Path
from urllib.parse import urlsplit

SCRIPT = Path(__file__).parent / "lua" / "load.lua"
ACCEPT = {"Accept-Encoding": "gzip"}
_samples = count()


@dataclass
class Entry:
    """One kind of request in a load: a fixed list of (path, body) sent in turn, or a
    ``path``/``body`` template filled from a random target per request."""

    kind: str  # read, post or vote
    method: str = "GET"
    requests: list[tuple[str, str | None]] | None = None
    path: str = ""
    body: str = ""
    targets: list[dict[str, str]] | None = None
    headers: dict[str, str] = field(default_factory=dict)
    weight: float = 1
    status: int = 200  # what an acknowledged answer has
    marker: str | None = None  # text only this kind's answers contain
    refused: str | None = None  # text in an answer that did not take the write
    collect: bool = False  # keep the "id" of acknowledged answers


@dataclass
class Load:
    """What one server is sent in one scenario."""

    entries: list[Entry]
    texts: list[str] = field(default_factory=list)  # comment texts, JSON-escaped


@dataclass
class Result:
    """One wrk run: throughput, latency in milliseconds, and how the answers went."""

    rps: float
    p50: float
    p99: float
    requests: int
    failed: int  # socket errors, timeouts and answers other than 2xx/3xx
    fivexx: int  # counted only for loads with writes
    acknowledged: dict[str, int]  # per kind, for loads with writes
    refused: dict[str, int]
    ids: list[int]


def lua(value: object) -> str:
    """A Python value as a Lua literal; strings byte by byte, so any text survives."""
    if value is None:
        return "nil"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return '"' + "".join(chr(b) if 32 <= b < 127 and b not in (34, 92) else f"\\{b:03d}"
                             for b in value.encode()) + '"'
    if isinstance(value, dict):
        return "{" + ", ".join(f"[{lua(k)}] = {lua(v)}" for k, v in value.items()
                               if v is not None) + "}"
    if isinstance(value, list | tuple):
        return "{" + ", ".join(lua(v) for v in value) + "}"
    raise TypeError(f"no Lua literal for {value!r}")


def _headers(base: str, entry: Entry) -> dict[str, str]:
    return {"Host": urlsplit(base).netloc, **ACCEPT, **entry.headers}


def run(wrk: str, base: str, load: Load, *, seconds: float, connections: int, threads: int,
        timeout: int, salt: int) -> Result:
    """Drive ``base`` with ``load`` for ``seconds``; ``salt`` keeps {seq} and {ip} unique."""
    entries = [{**vars(entry), "headers": _headers(base, entry)} for entry in load.entries]
    respond = any(entry.kind != "read" for entry in load.entries)
    plan = {"salt": salt, "respond": respond, "texts": load.texts, "entries": entries}
    with tempfile.NamedTemporaryFile("w", suffix=".lua", prefix="bench-plan-") as file:
        file.write("return " + lua(plan) + "\n")
        file.flush()
        done = subprocess.run(  # noqa: S603 - wrk with our own arguments
            [wrk, "-t", str(threads), "-c", str(connections), "-d", f"{seconds:g}s",
             "--timeout", f"{timeout}s", "--latency", "-s", str(SCRIPT), base],
            env={**os.environ, "BENCH_PLAN": file.name}, capture_output=True, text=True,
            check=False)
    found = re.search(r"^BENCH-JSON (.*)$", done.stdout, re.MULTILINE)
    if done.returncode or not found:
        raise RuntimeError(f"wrk failed ({done.returncode}): {done.stderr or done.stdout}")
    data = json.loads(found[1])
    errors = data["errors"]
    seconds_run = data["duration_us"] / 1e6
    return Result(rps=data["requests"] / seconds_run, p50=data["latency_us"]["p50"] / 1000,
                  p99=data["latency_us"]["p99"] / 1000, requests=data["requests"],
                  failed=sum(errors.values()), fivexx=data["fivexx"],
                  acknowledged={k["kind"]: k["ok"] for k in data["kinds"]},
                  refused={k["kind"]: k["refused"] for k in data["kinds"]},
                  ids=[int(n) for n in data["ids"]])


def settle(base: str, quick: float = 0.5) -> None:
    """Wait until the server has worked off what wrk left queued when it stopped: a slow
    server (Isso's sync workers on a 2,000-comment thread) would otherwise still be busy
    with them during the next run, against whichever server that run is for. A probe
    waits behind the queue; one answered within ``quick`` seconds finds a worker free."""
    while True:
        started = time.monotonic()
        try:
            with urllib.request.urlopen(base + "/bench-settle", timeout=600):  # noqa: S310
                pass
        except urllib.error.HTTPError:
            pass  # a 404 is the answer expected
        if time.monotonic() - started < quick:
            return


def _fill(template: str, values: dict[str, str]) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: values.get(m[1], m[0]), template)


def send(base: str, load: Load, entry: int = 0, request: int = 0,
         extra: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    """Send one request of the load's ``entry`` as wrk would: (status, headers, body as
    transferred). A template is filled from its first target."""
    chosen = load.entries[entry]
    if chosen.requests is not None:
        path, body = chosen.requests[request]
    else:
        n = next(_samples)
        values = {"seq": f"sample-{os.getpid()}-{n}", "ip": f"11.250.{n // 256 % 256}.{n % 256}",
                  "text": load.texts[0] if load.texts else "", **chosen.targets[request]}
        path, body = _fill(chosen.path, values), _fill(chosen.body, values)
    headers = {**_headers(base, chosen), **(extra or {})}
    if chosen.requests is None:
        headers = {name: _fill(value, values) for name, value in headers.items()}
    asked = urllib.request.Request(  # noqa: S310 - http to our own server
        base + path, method=chosen.method, headers=headers,
        data=None if body is None else body.encode())
    try:
        with urllib.request.urlopen(asked, timeout=120) as answer:  # noqa: S310 - our server
            return answer.status, dict(answer.headers), answer.read()
    except urllib.error.HTTPError as answer:  # urllib raises for 304 and 4xx/5xx alike
        return answer.code, dict(answer.headers), answer.read()
