"""The ceiling: a bare Flask app that answers each benchmarked read with the very bytes
and headers Kommentar answered it with (captured just before, compressed as Kommentar
sent them), served by gunicorn with Kommentar's worker settings. What Kommentar reaches
of its throughput is what its own work costs; no server on this stack does better.

``BENCH_CEILING`` names a JSON file of ``{"path?query": [status, headers, body as
base64]}``, written by ``run.py``.
"""

from __future__ import annotations

import base64
import json
import os

from flask import Flask, Response, request

app = Flask(__name__)
with open(os.environ["BENCH_CEILING"], encoding="utf-8") as file:
    ANSWERS = {key: (status, headers, base64.b64decode(body))
               for key, (status, headers, body) in json.load(file).items()}


@app.get("/ready")
def ready() -> str:
    """For the harness to know the workers are up."""
    return "ready"


@app.get("/<path:path>")
def answer(path: str) -> Response:
    """The captured answer to this path and query; 304 when the ETag matches."""
    status, headers, body = ANSWERS[f"{request.path}?{request.query_string.decode()}"]
    etag = headers.get("ETag")
    if etag is not None and request.headers.get("If-None-Match") == etag:
        return Response(status=304, headers={name: headers[name] for name in
                                             ("ETag", "Cache-Control", "Vary") if name in headers})
    return Response(body, status=status, headers=headers)
