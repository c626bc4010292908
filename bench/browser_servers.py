"""The two servers the browser benchmark runs in ``--self-contained`` mode: Kommentar and
Isso 0.14, each on a fresh database in a temporary folder, accepting the article site's
origin: rate limits and spam guards off, so that seeding is not refused, and moderation
off, so that every comment shows at once.
"""

from __future__ import annotations

import contextlib
import os
import subprocess  # noqa: S404  the servers under test are our own commands
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import servers

ROOT = Path(__file__).resolve().parents[1]
KOMMENTAR_BIN = ROOT / ".venv" / "bin" / "kommentar"
ISSO_VENV = ROOT / "bench" / ".isso-venv"  # made by servers.ensure_isso, as run.py does
ISSO_PACKAGE = ISSO_VENV / "lib" / "python3.11" / "site-packages" / "isso"


def _wait_ready(process: subprocess.Popen, url: str, log: Path, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{url}: server exited: {log.read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2):  # noqa: S310  our own server
                return
        except (urllib.error.URLError, OSError):
            time.sleep(0.2)
    raise RuntimeError(f"{url}: not up after {seconds} s: {log.read_text()[-2000:]}")


@contextlib.contextmanager
def _server(command: list[str], ready_url: str, log: Path,
            env: dict[str, str] | None = None) -> Iterator[None]:
    with log.open("wb") as output:
        process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT,  # noqa: S603
                                   env={**os.environ, **(env or {})}, start_new_session=True)
        try:
            _wait_ready(process, ready_url, log)
            yield
        except BaseException:  # what the server said is the likeliest explanation
            tail = log.read_bytes()[-3000:].decode(errors="replace")
            print(f"--- the end of {log.name} ---\n{tail}", file=sys.stderr, flush=True)
            raise
        finally:
            process.terminate()
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@contextlib.contextmanager
def kommentar_server(folder: Path, site_origin: str) -> Iterator[str]:
    """Kommentar on a fresh SQLite database, accepting `site_origin`; its base URL."""
    port = servers.free_port()
    config = folder / "kommentar.toml"
    config.write_text(
        f'database_url = "sqlite:///{folder / "kommentar.db"}"\n'
        'secret_key = "browser-bench-secret-not-for-production"\n'
        f'origins = "{site_origin}"\n'
        "ratelimit = false\n"
        "spam_min_seconds = 0\n"
        'moderation = "none"\n')
    command = [str(KOMMENTAR_BIN), "--config", str(config), "serve", "--host", "127.0.0.1",
               "--port", str(port), "--workers", "2", "--threads", "4"]
    base = f"http://127.0.0.1:{port}"
    with _server(command, base + "/api/config", folder / "kommentar.log"):
        yield base


@contextlib.contextmanager
def isso_server(folder: Path, site_origin: str) -> Iterator[str]:
    """Isso 0.14 under gunicorn on a fresh database, guard and moderation off; its base URL."""
    port = servers.free_port()
    config = folder / "isso.cfg"
    config.write_text(
        "[general]\n"
        f"dbpath = {folder / 'isso.db'}\n"
        f"host = {site_origin}\n"
        "[moderation]\nenabled = false\n"
        "[guard]\nenabled = false\n"
        f"[server]\nlisten = http://127.0.0.1:{port}\n"
        "[hash]\nsalt = browser-bench-salt\n")
    # --preload as in run.py: without it Isso's workers each set up the database at boot, and
    # one that fails to (SQLite locked by the other) stops gunicorn altogether.
    command = [str(ISSO_VENV / "bin" / "gunicorn"), "-w", "2", "-b", f"127.0.0.1:{port}",
               "--preload", "isso.run"]
    base = f"http://127.0.0.1:{port}"
    with _server(command, base + "/config", folder / "isso.log",
                 env={"ISSO_SETTINGS": str(config)}):
        yield base
