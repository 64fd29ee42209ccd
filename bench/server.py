"""A small threaded HTTP/1.1 server on 127.0.0.1 that serves fixed JSON bodies.

It runs in its own process so it never competes with the measured client for the GIL.
Connections are kept alive (one thread per connection), so the benchmarks measure requests,
not TCP set-up. Responses are pre-encoded: the server's own cost per request is a few
microseconds of parsing the request head and one `sendall`.

Usage: `python server.py` prints `PORT <n>` on stdout, then serves until stdin closes.
"""

from __future__ import annotations

import socket
import sys
import threading
import time

from fixtures import encode, post_page, single_post

_MAX_HEAD = 64 * 1024


def _response(status: str, body: bytes) -> bytes:
    reset = int(time.time()) + 900
    head = (
        f"HTTP/1.1 {status}\r\n"
        "Content-Type: application/json; charset=utf-8\r\n"
        f"Content-Length: {len(body)}\r\n"
        "x-rate-limit-limit: 900\r\n"
        "x-rate-limit-remaining: 899\r\n"
        f"x-rate-limit-reset: {reset}\r\n"
        "\r\n"
    )
    return head.encode() + body


_SINGLE = _response("200 OK", encode(single_post()))
_PAGE = _response("200 OK", encode(post_page()))
_NOT_FOUND = _response(
    "404 Not Found",
    b'{"title":"Not Found Error","detail":"no fixture for this path",'
    b'"type":"https://api.twitter.com/2/problems/resource-not-found"}',
)


def route(target: bytes) -> bytes:
    """Pick the canned response for a request target (path plus query)."""
    path = target.split(b"?", 1)[0]
    if path == b"/2/tweets":
        return _PAGE
    if path.startswith(b"/2/tweets/") and path.count(b"/") == 3:
        return _SINGLE
    return _NOT_FOUND


def _content_length(head: bytes) -> int:
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return int(value.strip())
    return 0


def _serve_connection(conn: socket.socket) -> None:
    conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    buf = b""
    with conn:
        while True:
            end = buf.find(b"\r\n\r\n")
            if end < 0:
                if len(buf) > _MAX_HEAD:
                    return
                chunk = conn.recv(65536)
                if not chunk:
                    return
                buf += chunk
                continue
            head, buf = buf[:end], buf[end + 4 :]
            # Drain a request body, if any, so the next request head starts clean.
            need = _content_length(head)
            while len(buf) < need:
                chunk = conn.recv(65536)
                if not chunk:
                    return
                buf += chunk
            buf = buf[need:]
            target = head.split(b" ", 2)[1] if head.count(b" ") >= 2 else b"/"
            conn.sendall(route(target))
            if b"\r\nconnection: close" in head.lower():
                return


def serve(listener: socket.socket) -> None:
    while True:
        try:
            conn, _ = listener.accept()
        except OSError:
            return
        threading.Thread(target=_serve_connection, args=(conn,), daemon=True).start()


def main() -> None:
    listener = socket.create_server(("127.0.0.1", 0), backlog=128)
    threading.Thread(target=serve, args=(listener,), daemon=True).start()
    print(f"PORT {listener.getsockname()[1]}", flush=True)
    # The parent closes our stdin (or dies) to stop us.
    sys.stdin.read()
    listener.close()


if __name__ == "__main__":
    main()
