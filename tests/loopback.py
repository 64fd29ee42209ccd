"""A loopback HTTP/1.1 server for tests, whose handlers write the raw response, faults included.

Each request is recorded (method, path, query, headers, body) and handed to a handler that
can answer plainly, stream chunks, stall, cut the connection mid-body, or wait until the
client hangs up. Every wait is bounded, so a broken test fails instead of hanging.
"""

from __future__ import annotations

import json
import select
import socket
import struct
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email.message import Message
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

WAIT = 10.0  # upper bound of any wait in a handler, seconds


@dataclass
class Recorded:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes
    at: float = field(default_factory=time.time)  # arrival, seconds since the epoch
    target: str = ""  # the request target exactly as sent: path and query

    def json(self) -> Any:
        return json.loads(self.body)

    def multipart(self) -> dict[str, Part]:
        """The parts of a multipart/form-data body, by field name."""
        head = f"Content-Type: {self.headers['content-type']}\r\n\r\n".encode()
        message = BytesParser(policy=HTTP).parsebytes(head + self.body)
        parts: dict[str, Part] = {}
        for item in message.iter_parts():
            assert isinstance(item, Message)
            name = item.get_param("name", header="content-disposition")
            filename = item.get_param("filename", header="content-disposition")
            payload = item.get_payload(decode=True)
            assert isinstance(name, str) and isinstance(payload, bytes)
            parts[name] = Part(
                payload, filename if isinstance(filename, str) else None, item.get_content_type()
            )
        return parts


@dataclass
class Part:
    data: bytes
    filename: str | None
    content_type: str


@dataclass
class Exchange:
    """One request and the means to answer it on the raw connection."""

    request: Recorded
    number: int  # 1-based order of arrival
    _handler: BaseHTTPRequestHandler
    closed_by_client: threading.Event = field(default_factory=threading.Event)

    def respond(self, status: int, body: Any = None, headers: dict[str, str] | None = None) -> None:
        data = b"" if body is None else json.dumps(body).encode()
        h = self._handler
        h.send_response(status)
        h.send_header("Content-Type", "application/json")
        h.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            h.send_header(name, value)
        h.end_headers()
        h.wfile.write(data)
        h.wfile.flush()

    def respond_raw(
        self,
        status: int,
        data: bytes,
        headers: dict[str, str] | None = None,
        *,
        reset_after: int | None = None,
    ) -> None:
        """Answer with these exact body bytes; with `reset_after`, send that many of them and
        then reset the connection (RST), as a dying peer does mid-body."""
        h = self._handler
        h.send_response(status)
        h.send_header("Content-Type", "application/json")
        h.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            h.send_header(name, value)
        h.end_headers()
        h.wfile.write(data if reset_after is None else data[:reset_after])
        h.wfile.flush()
        if reset_after is not None:
            h.close_connection = True
            # SO_LINGER with a zero timeout makes close() send RST instead of FIN.
            h.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            h.connection.close()

    def respond_until_close(self, status: int, data: bytes) -> None:
        """Answer with a body of no stated length, which ends when the server closes (FIN)."""
        h = self._handler
        h.send_response(status)
        h.send_header("Content-Type", "application/json")
        h.send_header("Connection", "close")
        h.end_headers()
        h.wfile.write(data)
        h.wfile.flush()
        h.close_connection = True

    def reset(self) -> None:
        """Reset the connection (RST) without answering: the request arrived, no reply did."""
        h = self._handler
        h.close_connection = True
        h.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        h.connection.close()

    def start_stream(self, status: int = 200) -> None:
        h = self._handler
        h.send_response(status)
        h.send_header("Content-Type", "application/json")
        h.send_header("Transfer-Encoding", "chunked")
        h.end_headers()
        h.wfile.flush()

    def chunk(self, data: bytes) -> None:
        self._handler.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self._handler.wfile.flush()

    def line(self, obj: Any) -> None:
        self.chunk(json.dumps(obj).encode() + b"\r\n")

    def keep_alive(self) -> None:
        self.chunk(b"\r\n")

    def end_stream(self) -> None:
        self._handler.wfile.write(b"0\r\n\r\n")
        self._handler.wfile.flush()

    def cut(self) -> None:
        """Drop the connection at once, mid-body (no terminating chunk)."""
        self._handler.close_connection = True
        self._handler.connection.shutdown(socket.SHUT_RDWR)

    def wait_until_client_hangs_up(self, timeout: float = WAIT) -> bool:
        """Block (sending nothing: a stall) until the client closes its end, or the timeout."""
        self._handler.close_connection = True
        sock = self._handler.connection
        readable, _, _ = select.select([sock], [], [], timeout)
        if readable:
            try:
                closed = sock.recv(1) == b""
            except OSError:
                closed = True
            if closed:
                self.closed_by_client.set()
                return True
        return False


Handler = Callable[[Exchange], None]


class Loopback:
    """`with Loopback(handler) as server: ... server.url ... server.requests`."""

    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.requests: list[Recorded] = []
        self.exchanges: list[Exchange] = []
        self.errors: list[BaseException] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def __enter__(self) -> Loopback:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(WAIT)
        if self.errors and exc_info[0] is None:
            raise AssertionError(f"the loopback handler failed: {self.errors[0]!r}")

    def _record(self, handler: BaseHTTPRequestHandler) -> Exchange:
        split = urlsplit(handler.path)
        headers = {k.lower(): v for k, v in handler.headers.items()}
        body = _read_body(handler, headers)
        recorded = Recorded(
            handler.command, split.path, parse_qs(split.query), headers, body, target=handler.path
        )
        with self._lock:
            self.requests.append(recorded)
            exchange = Exchange(recorded, len(self.requests), handler)
            self.exchanges.append(exchange)
        return exchange

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # small writes would wait for delayed ACKs

            def _handle(self) -> None:
                exchange = server._record(self)
                try:
                    server.handler(exchange)
                except (BrokenPipeError, ConnectionResetError, OSError):
                    self.close_connection = True  # the client went away: part of some tests
                except BaseException as exc:  # surfaced by Loopback.__exit__
                    server.errors.append(exc)
                    self.close_connection = True

            do_GET = do_POST = do_PUT = do_DELETE = _handle

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return _Handler


def _read_body(handler: BaseHTTPRequestHandler, headers: dict[str, str]) -> bytes:
    if "content-length" in headers:
        return handler.rfile.read(int(headers["content-length"]))
    if headers.get("transfer-encoding", "").lower() == "chunked":
        out = bytearray()
        while True:
            size = int(handler.rfile.readline().split(b";")[0].strip(), 16)
            if size == 0:
                handler.rfile.readline()
                return bytes(out)
            out += handler.rfile.read(size)
            handler.rfile.readline()
    return b""


def scripted(*steps: Handler) -> Handler:
    """A handler that answers the n-th request with the n-th step (the last one repeats)."""
    remaining: Iterator[Handler] = iter(steps)
    last: list[Handler] = []
    lock = threading.Lock()

    def handle(exchange: Exchange) -> None:
        with lock:
            step = next(remaining, None)
            if step is not None:
                last[:] = [step]
            else:
                step = last[0]
        step(exchange)

    return handle
