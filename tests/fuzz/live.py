"""``make fuzz``: schemathesis's own CLI, every check on, against a live server.

Starts ``kommentar serve`` on 127.0.0.1 (a free port, a temporary SQLite database, rate
limits off so the fuzzer is judged on answers rather than throttled), waits for its OpenAPI
document, runs ``schemathesis run --checks all`` with every phase (examples, coverage,
fuzzing, and the stateful phase that follows the document's links), signed in through
``hooks.py``, then stops the server and exits with schemathesis's status. The server's
log is printed when the run fails.
"""

from __future__ import annotations

import argparse
import os
import secrets
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
SITE = "http://127.0.0.1:8000"  # the site the fuzzer posts from, as the API tests do


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _server(folder: Path, port: int, log) -> subprocess.Popen:
    env = {**os.environ, "KOMMENTAR_SECRET_KEY": secrets.token_hex(16),
           "KOMMENTAR_ORIGINS": SITE, "KOMMENTAR_RATELIMIT": "false",
           # What a valid case posts is published, so the stateful phase can read it back:
           # no form-age, duplicate or link-count rule turns the fuzzer's writes into spam.
           "KOMMENTAR_SPAM_MIN_SECONDS": "0", "KOMMENTAR_SPAM_DUPLICATE_WINDOW": "0",
           "KOMMENTAR_SPAM_MAX_LINKS": "1000000",
           "KOMMENTAR_DATABASE_URL": f"sqlite:///{folder / 'fuzz.db'}"}
    env.pop("KOMMENTAR_CONFIG", None)
    return subprocess.Popen(
        [sys.executable, "-m", "kommentar.cli", "serve", "--host", "127.0.0.1",
         "--port", str(port)], env=env, stdout=log, stderr=subprocess.STDOUT, cwd=folder)


def _schemathesis(url: str, folder: Path, args: argparse.Namespace) -> int:
    command = [str(Path(sys.executable).with_name("schemathesis")),
               "--config-file", str(HERE / "schemathesis.toml"),
               "run", f"{url}/api/openapi.json", "--wait-for-schema", "30",
               "--checks", "all", "--header", f"Origin: {SITE}",
               "--max-examples", str(args.max_examples), "--workers", "1",
               "--generation-database", "none"]
    if args.seed is not None:
        command += ["--seed", str(args.seed)]
    env = {**os.environ, "SCHEMATHESIS_HOOKS": "hooks", "PYTHONPATH": str(HERE),
           "KOMMENTAR_FUZZ_SERVER": url, "KOMMENTAR_FUZZ_ORIGIN": SITE}
    return subprocess.call(command, env=env, cwd=folder)


def main(argv: list[str] | None = None) -> int:
    """Run the fuzzer against a fresh server; the exit status is schemathesis's."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-examples", type=int, default=50,
                        help="test cases per operation and phase")
    parser.add_argument("--seed", type=int, help="repeat an earlier run's cases")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="kommentar-fuzz-") as name:
        folder = Path(name)
        port = _free_port()
        with open(folder / "server.log", "wb") as log:
            server = _server(folder, port, log)
        try:
            status = _schemathesis(f"http://127.0.0.1:{port}", folder, args)
        finally:
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
        if status:
            sys.stdout.write((folder / "server.log").read_text(errors="replace")[-20_000:])
        return status


if __name__ == "__main__":
    sys.exit(main())
