"""A scripted HTTP server on 127.0.0.1 for fault tests: each request takes the next step."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class Step:
    """One scripted answer. `reset_after` bytes of the body are sent, then the socket dies."""

    status: int = 200
    body: Any = None
    raw: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)
    reset_after: int | None = None


@dataclass
class Seen:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes
    at: float


class Script:
    def __init__(self, steps: list[Step] | Callable[[Seen], Step]) -> None:
        self.steps = steps
        self.seen: list[Seen] = []
        self.lock = threading.Lock()

    def next(self, seen: Seen) -> Step:
        with self.lock:
            self.seen.append(seen)
            if callable(self.steps):
                return self.steps(seen)
            if not self.steps:
                return Step(500, {"title": "script exhausted"})
            return self.steps.pop(0)


def _handler(script: Script) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _serve(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            body = self.rfile.read(length) if length else b""
            parts = urlsplit(self.path)
            seen = Seen(
                self.command,
                parts.path,
                parse_qs(parts.query),
                {k.lower(): v for k, v in self.headers.items()},
                body,
                time.time(),
            )
            step = script.next(seen)
            data = (
                step.raw
                if step.raw is not None
                else (json.dumps(step.body).encode() if step.body is not None else b"")
            )
            self.send_response(step.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for k, v in step.headers.items():
                self.send_header(k, v)
            self.end_headers()
            if step.reset_after is not None:
                self.wfile.write(data[: step.reset_after])
                self.wfile.flush()
                # RST instead of FIN: the client sees a connection reset mid-body.
                self.connection.setsockopt(
                    socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00"
                )
                self.connection.close()
                self.close_connection = True
                return
            self.wfile.write(data)

        do_GET = do_POST = do_PUT = do_DELETE = _serve

    return Handler


@contextmanager
def serve(steps: list[Step] | Callable[[Seen], Step]) -> Iterator[tuple[str, Script]]:
    script = Script(steps)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(script))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", script
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def closed_port() -> int:
    """A port nothing listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
