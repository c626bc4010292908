"""Benchmark: what webhooks cost a post.

Three servers (see ``posting.py`` for how they are run and compared): one without webhooks;
one with a webhook for every event, to a receiver in this process that answers at once,
whose background deliverer sends each post's call while wrk posts; and the same with its
deliverer off (``--no-deliver``), so the calls are only queued. A post with a webhook
writes one outbox row more in its transaction and waits for no receiver, so "queued only"
shows the write path's cost; "delivered meanwhile" adds the deliverer's work (an HTTP call
and a small transaction per post) on the same cores.

    .venv/bin/python bench/webhooks.py [--seconds 10] [--repeats 3]
"""

from __future__ import annotations

import base64
import http.server
import secrets
import threading

import posting


class Sink(http.server.BaseHTTPRequestHandler):
    """A webhook receiver that takes every call and answers 204 at once."""

    calls = 0

    def log_message(self, *args):
        pass

    def do_POST(self):  # noqa: N802 - http.server's naming
        self.rfile.read(int(self.headers["Content-Length"]))
        Sink.calls += 1
        self.send_response(204)
        self.end_headers()


def main() -> None:
    args = posting.arguments(__doc__.splitlines()[0], seconds=10)
    sink = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Sink)
    threading.Thread(target=sink.serve_forever, daemon=True).start()
    secret = "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()
    hook = (f'[[webhooks]]\nurl = "http://127.0.0.1:{sink.server_address[1]}/hook"\n'
            f'secret = "{secret}"\n')
    results = posting.compare(args, {
        "off": posting.Server("no webhooks"),
        "delivered": posting.Server("webhook, delivered meanwhile", hook),
        "queued": posting.Server("webhook, queued only", hook, deliver=False),
    })
    sink.shutdown()
    posting.table(results, f"{Sink.calls:,} webhook calls received", args)


if __name__ == "__main__":
    main()
