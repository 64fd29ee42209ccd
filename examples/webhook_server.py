"""A small WSGI endpoint receiving X webhooks, on the standard library's `wsgiref` alone.

    X_API_SECRET=... python examples/webhook_server.py --port 8080 --path /webhooks/x

    GET  /webhooks/x?crc_token=...  answers X's CRC challenge
    POST /webhooks/x                checks x-twitter-webhooks-signature (403 when wrong),
                                    parses the event and prints one line about it

X_API_SECRET is the app's consumer secret (API key secret), the key X signs with. Put the
endpoint behind HTTPS (X only calls https:// URLs) and register it with
`client.create_webhooks(body={"url": ...})`. `--port 0` picks a free port; the line
`listening on http://...` tells which.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qs
from wsgiref.simple_server import make_server

from twitter_api import webhooks
from twitter_api.models import ActivityStreamResponse

MAX_BODY = 1 << 20  # X's deliveries are far smaller; refuse to buffer more than this

StartResponse = Callable[[str, list[tuple[str, str]]], Any]


def _answer(
    start_response: StartResponse, status: str, body: bytes, kind: str = "text/plain"
) -> Iterable[bytes]:
    start_response(status, [("Content-Type", kind), ("Content-Length", str(len(body)))])
    return [body]


def _describe(event: ActivityStreamResponse | dict[str, Any]) -> str:
    """One line about an event, without its content (it may hold private messages)."""
    if isinstance(event, ActivityStreamResponse):
        event_type = event.data.event_type if event.data else None
        return f"activity event {event_type!s}"
    kinds = sorted(k for k in event if k.endswith("_events"))
    return f"account activity for user {event.get('for_user_id')!s}: {', '.join(kinds)}"


def make_app(consumer_secret: str, path: str) -> Callable[..., Iterable[bytes]]:
    def app(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("PATH_INFO") != path:
            return _answer(start_response, "404 Not Found", b"not found\n")
        method = environ.get("REQUEST_METHOD")
        if method == "GET":
            tokens = parse_qs(environ.get("QUERY_STRING", "")).get("crc_token", [])
            if len(tokens) != 1:
                return _answer(start_response, "400 Bad Request", b"one crc_token expected\n")
            try:
                answer = webhooks.crc_response(tokens[0], consumer_secret)
            except ValueError as exc:
                return _answer(start_response, "400 Bad Request", f"{exc}\n".encode())
            body = json.dumps(answer).encode()
            return _answer(start_response, "200 OK", body, "application/json")
        if method == "POST":
            try:
                length = int(environ.get("CONTENT_LENGTH") or "")
            except ValueError:
                return _answer(start_response, "411 Length Required", b"length required\n")
            if not 0 <= length <= MAX_BODY:
                return _answer(start_response, "413 Content Too Large", b"too large\n")
            raw_body = environ["wsgi.input"].read(length)
            # wsgiref exposes the header as HTTP_X_TWITTER_WEBHOOKS_SIGNATURE.
            header = environ.get("HTTP_X_TWITTER_WEBHOOKS_SIGNATURE")
            if not webhooks.verify_signature(raw_body, header, consumer_secret):
                return _answer(start_response, "403 Forbidden", b"bad signature\n")
            try:
                event = webhooks.parse_event(raw_body)
            except ValueError as exc:
                return _answer(start_response, "400 Bad Request", f"{exc}\n".encode())
            print(_describe(event), flush=True)
            return _answer(start_response, "200 OK", b"")
        start_response("405 Method Not Allowed", [("Allow", "GET, POST")])
        return [b""]

    return app


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Receive X webhooks.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--path", default="/webhooks/x")
    args = parser.parse_args(argv)
    secret = os.environ.get("X_API_SECRET", "")
    if not secret:
        print("webhook_server: set X_API_SECRET to the app's consumer secret", file=sys.stderr)
        return 2
    with make_server(args.host, args.port, make_app(secret, args.path)) as server:
        host, port = server.server_address[:2]
        print(f"listening on http://{host!s}:{port}{args.path}", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
