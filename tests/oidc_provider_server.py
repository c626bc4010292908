"""oidc-provider-mock as a real OpenID Connect provider on 127.0.0.1, for ``RealProvider``
(tests/oidc_providers.py), which runs this file as a process of its own:

    python tests/oidc_provider_server.py PORT

A process, not a thread of the test run: the mock signs with the deprecated ``authlib.jose``,
whose warnings our ``filterwarnings = error`` would turn into failures, and its own
``run_server_in_thread`` listens on ``localhost`` where we listen on 127.0.0.1 only.

Where oidc-provider-mock 0.3.4 falls short of the providers we sign in with, this file puts
it right from outside, through Flask's request hooks (``like_real_providers``):
- it ignores PKCE (it registers no ``CodeChallenge``). RFC 7636 is added with RFC 9700's
  rule, as authlib's own ``CodeChallenge`` does: a code asked for with a ``code_challenge``
  is only exchanged with the ``code_verifier`` that matches it, a ``code_verifier`` for a
  code asked for without one is refused, and discovery says which methods it takes;
- when the person denies, its redirect drops the ``state``, which RFC 6749 section 4.1.2.1
  requires back with every error.
"""

from __future__ import annotations

import base64
import hashlib
import os
import sys
import warnings
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

# Before the mock is imported: authlib reads it on every request, and its authorization
# server refuses plain http without it.
os.environ["AUTHLIB_INSECURE_TRANSPORT"] = "1"
warnings.simplefilter("ignore")  # authlib.jose's deprecation, which is the mock's to fix

import flask  # noqa: E402
import oidc_provider_mock  # noqa: E402
import werkzeug.serving  # noqa: E402

CHALLENGE_METHODS = ("plain", "S256")


def _matches(verifier: str, challenge: str, method: str) -> bool:
    if method == "S256":
        digest = hashlib.sha256(verifier.encode("ascii")).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii") == challenge
    return verifier == challenge


def _oauth_error(error: str, description: str) -> flask.Response:
    response = flask.jsonify(error=error, error_description=description)
    response.status_code = 400
    response.headers["Cache-Control"] = "no-store"
    return response


def like_real_providers(app: flask.Flask) -> flask.Flask:
    """The mock's ``app`` with PKCE checked at its token endpoint and advertised in its
    discovery document, and ``state`` sent back with errors."""
    challenges: dict[str, tuple[str | None, str]] = {}  # code -> (challenge, method)

    @app.before_request
    def check_challenge_and_verifier():
        request = flask.request
        if request.path == "/oauth2/authorize":
            method = request.args.get("code_challenge_method")
            if method is not None and method not in CHALLENGE_METHODS:
                return _oauth_error("invalid_request", "Unsupported 'code_challenge_method'")
            if method is not None and not request.args.get("code_challenge"):
                return _oauth_error("invalid_request", "Missing 'code_challenge'")
        elif (request.path == "/oauth2/token" and request.method == "POST"
              and request.form.get("grant_type") == "authorization_code"):
            challenge, method = challenges.get(request.form.get("code", ""), (None, "plain"))
            verifier = request.form.get("code_verifier")
            if challenge is None and verifier:
                return _oauth_error("invalid_request", "The authorization request had no "
                                    "'code_challenge', but a 'code_verifier' was provided.")
            if challenge is not None and not verifier:
                return _oauth_error("invalid_request", "Missing 'code_verifier'")
            if challenge is not None and not _matches(verifier, challenge, method):
                return _oauth_error("invalid_grant", "Code challenge failed.")
        return None

    @app.after_request
    def remember_challenge(response: flask.Response) -> flask.Response:
        request = flask.request
        if request.path == "/oauth2/authorize" and response.status_code in (302, 303):
            location = urlsplit(response.headers.get("Location", ""))
            back = parse_qs(location.query)
            if "code" in back:
                challenges[back["code"][0]] = (request.args.get("code_challenge"),
                                               request.args.get("code_challenge_method",
                                                                "plain"))
            elif "error" in back and "state" not in back and "state" in request.args:
                query = f"{location.query}&{urlencode({'state': request.args['state']})}"
                response.headers["Location"] = urlunsplit(location._replace(query=query))
        elif request.path == "/.well-known/openid-configuration" and response.is_json:
            document = response.get_json()
            document["code_challenge_methods_supported"] = list(CHALLENGE_METHODS)
            response.set_data(flask.json.dumps(document))
        return response

    return app


def main(port: int) -> None:
    """Serve the provider on 127.0.0.1:``port`` until terminated."""
    app = like_real_providers(oidc_provider_mock.app(require_nonce=True))
    server = werkzeug.serving.make_server("127.0.0.1", port, app, threaded=True)
    print(f"oidc-provider-mock on http://127.0.0.1:{port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main(int(sys.argv[1]))
