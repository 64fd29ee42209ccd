"""A small threaded HTTP/1.1 server on 127.0.0.1 that serves fixed JSON bodies.

It runs in its own process so it never competes with the measured client for the GIL.
Connections are kept alive (one thread per connection), so the benchmarks measure requests,
not TCP set-up. Responses are pre-encoded: the server's own cost per request is a few
microseconds of parsing the request head and one `sendall`.

`/2/tweets/sample/stream` answers with `--stream-lines` sample-stream lines (chunked, with
X's blank keep-alive lines between them) and then ends the body.

Usage: `python server.py [--stream-lines N]` prints `PORT <n>` on stdout, then serves until
stdin closes.
"""

from __future__ import annotations

import socket
import sys
import threading
import time

from fixtures import encode, post_page, single_post, stream_lines

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


_STREAM_PATH = b"/2/tweets/sample/stream"
_STREAM_HEAD = (
    b"HTTP/1.1 200 OK\r\nContent-Type: application/json; charset=utf-8\r\n"
    b"Transfer-Encoding: chunked\r\n\r\n"
)
_CHUNK = 16 * 1024  # TCP-sized pieces: lines straddle chunk boundaries, as they do from X


def _chunked(data: bytes) -> list[bytes]:
    return [
        b"%x\r\n%s\r\n" % (len(piece), piece)
        for piece in (data[i : i + _CHUNK] for i in range(0, len(data), _CHUNK))
    ]


def send_stream(conn: socket.socket, lines: int) -> None:
    """`lines` posts, a keep-alive blank line after every tenth, then the end of the body."""
    cycle = stream_lines()
    body = b"".join(
        line + (b"\r\n\r\n" if i % 10 == 9 else b"\r\n") for i, line in enumerate(cycle)
    )
    whole, rest = divmod(lines, len(cycle))
    frames = _chunked(body)
    conn.sendall(_STREAM_HEAD)
    for _ in range(whole):
        for frame in frames:
            conn.sendall(frame)
    if rest:
        for frame in _chunked(b"".join(line + b"\r\n" for line in cycle[:rest])):
            conn.sendall(frame)
    conn.sendall(b"0\r\n\r\n")


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


def _serve_connection(conn: socket.socket, stream_lines: int) -> None:
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
            if target.split(b"?", 1)[0] == _STREAM_PATH:
                try:
                    send_stream(conn, stream_lines)
                except OSError:
                    return  # the client had read enough and hung up
                continue
            conn.sendall(route(target))
            if b"\r\nconnection: close" in head.lower():
                return


def serve(listener: socket.socket, stream_lines: int) -> None:
    while True:
        try:
            conn, _ = listener.accept()
        except OSError:
            return
        threading.Thread(target=_serve_connection, args=(conn, stream_lines), daemon=True).start()


def main() -> None:
    stream_lines = 1000
    if sys.argv[1:2] == ["--stream-lines"]:
        stream_lines = int(sys.argv[2])
    listener = socket.create_server(("127.0.0.1", 0), backlog=128)
    threading.Thread(target=serve, args=(listener, stream_lines), daemon=True).start()
    print(f"PORT {listener.getsockname()[1]}", flush=True)
    # The parent closes our stdin (or dies) to stop us.
    sys.stdin.read()
    listener.close()


if __name__ == "__main__":
    main()
