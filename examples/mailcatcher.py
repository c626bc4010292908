"""make run's mail catcher: an SMTP server on 127.0.0.1:1025 that prints every mail it gets
(sender, recipient, subject and the plain-text part) instead of delivering it, so that a
newcomer sees what Kommentar sends without a real mail server.

``python examples/mailcatcher.py [--port 1025]``; make run points Kommentar at it with
``smtp_host = "127.0.0.1"``, ``smtp_port = 1025`` and ``smtp_security = "none"``.
"""

from __future__ import annotations

import argparse
import asyncio
import email
import email.policy
import sys

from aiosmtpd.smtp import SMTP


class Printer:
    """aiosmtpd's handler: each message, told in a few lines on standard output."""

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's name
        message = email.message_from_bytes(envelope.original_content,
                                           policy=email.policy.default)
        body = message.get_body(("plain",))
        text = body.get_content().replace("\r\n", "\n") if body else "(no plain-text part)\n"
        print(f"\n--- mail caught: to {', '.join(envelope.rcpt_tos)} " + "-" * 30,
              f"From: {message['From']}", f"To: {message['To']}",
              f"Subject: {message['Subject']}", "", text.rstrip("\n"), "-" * 60,
              sep="\n", flush=True)
        return "250 Caught and printed by the mail catcher"


async def serve(host: str, port: int) -> None:
    """Listen until interrupted."""
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: SMTP(Printer(), hostname="mailcatcher", loop=loop), host, port)
    print(f"mail catcher: mail sent to {host}:{port} is printed here", flush=True)
    async with server:
        await server.serve_forever()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=1025)
    args = parser.parse_args()
    try:
        asyncio.run(serve(args.host, args.port))
    except OSError as error:
        print(f"mail catcher: cannot listen on {args.host}:{args.port}: {error.strerror}",
              file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
