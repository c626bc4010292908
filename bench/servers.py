"""The processes and databases a benchmark runs against, and their clean-up.

Every server listens on 127.0.0.1 on a free port, in a process group of its own, and is
stopped with its workers when its ``with`` block ends, on errors and Ctrl-C too. Each
gets its own HOME, so their gunicorn control sockets (``~/.gunicorn``) never collide.
Isso 0.14.0 lives in a virtual environment of its own, made on first use; wrk is the
Debian package, installed when missing and running as root. A server's processes are
found by the config file on their command line, and their CPU time read from ``/proc``.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import corpus

BENCH = Path(__file__).parent
ISSO_VERSION = "0.14.0"
SIGNING_KEY = "bench-only-signing-key-used-nowhere-else"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def serving(name: str, command: list[str], folder: Path, ready: str,
            env: dict[str, str] | None = None) -> Iterator[str]:
    """Run ``command`` (which serves on the port in ``ready``) until the block ends; yield
    its base URL once ``ready`` answers."""
    home = folder / f"home-{name}"
    home.mkdir(exist_ok=True)
    log = folder / f"{name}.log"
    with open(log, "ab") as output:
        process = subprocess.Popen(command, stdout=output,  # noqa: S603 - our own commands
                                   stderr=subprocess.STDOUT,
                                   start_new_session=True,
                                   env={**os.environ, "HOME": str(home), **(env or {})})
    try:
        _wait(process, ready, log)
        yield f"http://{urlsplit(ready).netloc}"
    finally:
        _stop(process)


def _wait(process: subprocess.Popen, url: str, log: Path) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{url} exited with {process.returncode}:\n"
                               + log.read_text(errors="replace")[-3000:])
        try:
            with urllib.request.urlopen(url, timeout=5):  # noqa: S310 - our own server
                return
        except urllib.error.HTTPError as error:
            if error.code < 500:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer within two minutes; see {log}")


def processes_of(config: Path) -> list[int]:
    """The pids whose command line names ``config``: ``kommentar serve``'s arbiter, its
    forked workers and its outbox deliverer."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                arguments = Path(f"/proc/{entry}/cmdline").read_bytes().split(b"\0")
            except OSError:
                continue  # ended meanwhile
            if str(config).encode() in arguments:
                found.append(int(entry))
    return found


def cpu_seconds(pids: list[int]) -> float:
    """User and system CPU time the processes have used so far (utime + stime)."""
    ticks = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
        except OSError:
            continue
        ticks += int(fields[11]) + int(fields[12])  # fields 14 and 15 of proc(5)
    return ticks / os.sysconf("SC_CLK_TCK")


def machine_busy() -> float:
    """CPU seconds every process on the machine has used so far, all cores together: what
    ``/proc/stat`` counts as neither idle nor waiting for I/O."""
    user, nice, system, idle, iowait, *rest = map(int, Path("/proc/stat").read_text()
                                                  .split("\n", 1)[0].split()[1:])
    return (user + nice + system + sum(rest[:3])) / os.sysconf("SC_CLK_TCK")  # irq, softirq, steal


def _stop(process: subprocess.Popen) -> None:
    for sig, grace in ((signal.SIGTERM, 20), (signal.SIGKILL, 10)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(grace)
            return
        except subprocess.TimeoutExpired:
            continue


def kommentar(folder: Path, name: str, database_url: str, workers: int,
              threads: int) -> tuple[list[str], str]:
    """The command serving Kommentar on ``database_url``, and its readiness URL."""
    config = folder / f"{name}.toml"
    config.write_text(
        f'database_url = "{database_url}"\n'
        f'secret_key = ["{SIGNING_KEY}"]\n'
        f'origins = ["{corpus.ORIGIN}"]\n'
        "ratelimit = false\n"
        "spam_min_seconds = 0  # no form token to fetch before each post\n"
        'moderation = "none"\n'
        "trusted_proxies = 1  # X-Forwarded-For names the reader, as behind nginx\n")
    port = free_port()
    command = [str(Path(sys.executable).with_name("kommentar")), "--config", str(config),
               "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers),
               "--threads", str(threads),
               # Isso under gunicorn writes no access log: neither does any server measured.
               "--no-access-log"]
    return command, f"http://127.0.0.1:{port}/api/openapi.json"


def isso(folder: Path, venv: Path, workers: int) -> tuple[list[str], str, Path]:
    """The command serving Isso (as its docs run it under gunicorn), its readiness URL and
    its config file, which points at ``isso.db`` in ``folder``."""
    config = folder / "isso.cfg"
    config.write_text(
        "[general]\n"
        f"dbpath = {folder / 'isso.db'}\n"
        f"host = {corpus.ORIGIN}\n"
        "gravatar = false\n"
        "[moderation]\n"
        "enabled = false\n"
        "[server]\n"
        "trusted-proxies = 127.0.0.1\n"
        "[guard]\n"
        "enabled = false\n")  # its rate limits: off
    port = free_port()
    command = [str(venv / "bin" / "gunicorn"), "--workers", str(workers), "--preload",
               "--bind", f"127.0.0.1:{port}", "isso.run"]
    return command, f"http://127.0.0.1:{port}/info", config


def ceiling(answers: Path, workers: int, threads: int) -> tuple[list[str], str, dict[str, str]]:
    """The bare Flask app under the gunicorn settings ``kommentar serve`` uses."""
    port = free_port()
    command = [str(Path(sys.executable).with_name("gunicorn")), "--chdir", str(BENCH),
               "--workers", str(workers), "--threads", str(threads),
               "--worker-class", "gthread" if threads > 1 else "sync", "--timeout", "30",
               "--bind", f"127.0.0.1:{port}", "ceiling:app"]
    return command, f"http://127.0.0.1:{port}/ready", {"BENCH_CEILING": str(answers)}


def _run(*command: str, check: bool = True) -> int:
    return subprocess.run(command, check=check).returncode  # noqa: S603 - fixed commands


def seed_isso(venv: Path, config: Path) -> None:
    """Fill Isso's database with the plan, under Isso's own Python (``isso_seed.py``)."""
    _run(str(venv / "bin" / "python"), str(BENCH / "isso_seed.py"), str(config))


def ensure_isso(venv: Path) -> Path:
    """Isso 0.14.0 and gunicorn in ``venv``, installed from PyPI the first time."""
    marker = venv / f".isso-{ISSO_VERSION}"
    if not marker.exists():
        print(f"installing isso=={ISSO_VERSION} and gunicorn into {venv} ...", flush=True)
        shutil.rmtree(venv, ignore_errors=True)
        _run(sys.executable, "-m", "venv", str(venv))
        _run(str(venv / "bin" / "pip"), "install", "--quiet", f"isso=={ISSO_VERSION}", "gunicorn")
        marker.touch()
    return venv


def ensure_wrk() -> str:
    """The path of wrk, installing the Debian package when missing and running as root."""
    found = shutil.which("wrk")
    if found:
        return found
    apt = shutil.which("apt-get")
    if os.geteuid() != 0 or apt is None:
        sys.exit("wrk is missing: install it with `apt-get install -y wrk` (as root)")
    print("installing wrk with apt-get ...", flush=True)
    os.environ["DEBIAN_FRONTEND"] = "noninteractive"
    if _run(apt, "install", "-y", "wrk", check=False):
        _run(apt, "update")
        _run(apt, "install", "-y", "wrk")
    return shutil.which("wrk") or sys.exit("apt-get did not install wrk")


@contextmanager
def postgres_database(admin_url: str, label: str) -> Iterator[str]:
    """A fresh PostgreSQL database, dropped when the block ends; yields its URL."""
    import psycopg2

    name = f"kommentar_bench_{label}_{uuid.uuid4().hex[:8]}"
    admin = psycopg2.connect(admin_url, connect_timeout=5)
    admin.autocommit = True
    try:
        with admin.cursor() as cursor:
            cursor.execute(f'CREATE DATABASE "{name}"')
        yield f"{admin_url.rsplit('/', 1)[0]}/{name}"
    finally:
        with admin.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def postgres_version(admin_url: str) -> str:
    """The server's version, for the report."""
    import psycopg2

    with psycopg2.connect(admin_url, connect_timeout=3) as connection:
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            return cursor.fetchone()[0]


def postgres_problem(admin_url: str) -> str | None:
    """Why PostgreSQL at ``admin_url`` cannot be used, or None when it can."""
    try:
        import psycopg2
    except ImportError:
        return "psycopg2 is not installed"
    try:
        psycopg2.connect(admin_url, connect_timeout=3).close()
    except psycopg2.OperationalError as error:
        return f"not reachable at {admin_url}: {str(error).strip()}"
    return None
