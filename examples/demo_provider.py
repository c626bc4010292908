"""make run's sign-in provider: oidc-provider-mock (from the test extra), a real OpenID
Connect provider, on 127.0.0.1:8090, so that "Log in with Demo ID" works on the example pages
without registering anything anywhere. Its page lets you pick one of two demo people, or type
any name to be someone new.

``python examples/demo_provider.py [--port 8090]``; make run's config names it as
``[auth.providers.demo]`` with ``issuer = "http://127.0.0.1:8090"``. For trying things out
only: it signs anyone in as anyone.
"""

from __future__ import annotations

import argparse
import os
import warnings

# Before the mock is imported: its authorization server refuses plain http without it.
os.environ["AUTHLIB_INSECURE_TRANSPORT"] = "1"

import authlib.deprecate  # noqa: E402, F401 - it turns its warnings on when imported: first

warnings.simplefilter("ignore")  # then off: the mock's own use of the deprecated authlib.jose

import oidc_provider_mock  # noqa: E402
import werkzeug.serving  # noqa: E402

PEOPLE = [
    oidc_provider_mock.User(sub="ada", claims={
        "name": "Ada Lovelace", "email": "ada@example.org", "email_verified": True}),
    oidc_provider_mock.User(sub="grace", claims={
        "name": "Grace Hopper", "email": "grace@example.org", "email_verified": True}),
]


def main() -> None:
    """Serve the provider until interrupted."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8090)
    port = parser.parse_args().port
    app = oidc_provider_mock.app(require_nonce=True, user_claims=PEOPLE)
    server = werkzeug.serving.make_server("127.0.0.1", port, app, threaded=True)
    print(f"demo sign-in provider on http://127.0.0.1:{port}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
