"""The loopback HTTP server that receives the authorization redirect during `login()`.

It binds only the redirect URI's own host and port (a loopback address, RFC 8252 section 7.3;
`localhost` binds 127.0.0.1, never every interface), answers the redirect with one small page
telling the user to close the tab, and never logs request lines: they carry the authorization
code. Any local process can reach the port, so a callback counts only when its `state` is the
one this login sent to X: others get an error page and the wait goes on. The state is checked
before anything else in the callback is read, so a forged `?error=...` cannot end the login.
"""

from __future__ import annotations

import hmac
import html
import ipaddress
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from socketserver import TCPServer
from types import TracebackType
from typing import Final, cast
from urllib.parse import parse_qs, urlsplit

import anyio

from ._errors import AuthError, LoginTimeoutError

__all__ = ["LoopbackReceiver"]

_POLL_SECONDS: Final = 0.05  # how soon close() stops the server
_PAGE: Final = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title></head>
<body style="font-family: sans-serif; margin: 3em">
<h1>{title}</h1><p>{detail}</p><p>You can close this tab and return to the terminal.</p>
</body></html>
"""


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, host: str, port: int, expected_path: str, base_url: str) -> None:
        self.address_family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.expected_path = expected_path
        self.base_url = base_url
        self.callback_url: str | None = None
        self.expected_state: str | None = None
        self.received = threading.Event()
        self.claim = threading.Lock()
        super().__init__((host, port), _Handler)

    def is_expected(self, state: str | None) -> bool:
        expected = self.expected_state
        if expected is None or state is None:
            return False
        return hmac.compare_digest(expected.encode(), state.encode())

    def server_bind(self) -> None:
        # HTTPServer.server_bind would do a reverse DNS lookup of the host; nothing needs it.
        TCPServer.server_bind(self)
        self.server_name, self.server_port = str(self.server_address[0]), self.server_address[1]


class _Handler(BaseHTTPRequestHandler):
    timeout = 10.0  # an idle browser pre-connection is dropped rather than kept forever

    @property
    def _server(self) -> _Server:
        # Only `_Server` serves this handler; `self.server` is typed as any socketserver's.
        return cast("_Server", self.server)

    def do_GET(self) -> None:  # the name http.server dispatches to
        parts = urlsplit(self.path)
        if parts.path != self._server.expected_path:
            self._reply(404, "Not found", "This address only receives one authorization.")
            return
        query = parse_qs(parts.query)
        states = query.get("state", [])
        if len(states) != 1 or not self._server.is_expected(states[0]):
            # Not the login in progress (stale tab, another app, a forgery): keep waiting.
            self._reply(
                400,
                "Unknown authorization",
                "This callback does not belong to the login in progress and was ignored.",
            )
            return
        if not self._server.claim.acquire(blocking=False):
            self._reply(404, "Not found", "This address only receives one authorization.")
            return
        self._server.callback_url = self._server.base_url + self.path
        error = query.get("error", [""])[0]
        if error:
            # The error code comes from the URL: escape it, and show only a plausible code.
            shown = error if error.replace("_", "").isalnum() and len(error) <= 64 else "error"
            self._reply(200, "Authorization failed", f"The server answered: {html.escape(shown)}.")
        else:
            self._reply(200, "Authorization received", "The command line finishes the login.")
        self._server.received.set()

    def _reply(self, status: int, title: str, detail: str) -> None:
        body = _PAGE.format(title=title, detail=detail).encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        # The default writes the request line (with the code) to stderr.
        return


class LoopbackReceiver:
    """Listens on the redirect URI from construction until `close()`; `wait()` for the redirect."""

    def __init__(self, redirect_uri: str) -> None:
        parts = urlsplit(redirect_uri)
        host = parts.hostname or ""
        if parts.scheme != "http" or parts.port is None or not _is_loopback(host):
            raise AuthError(
                f"login() needs a loopback redirect_uri such as http://127.0.0.1:8976/callback, "
                f"not {redirect_uri!r}; use authorization_url() and complete() otherwise"
            )
        bind_host = "127.0.0.1" if host == "localhost" else host
        netloc = f"[{host}]" if ":" in host else host
        try:
            self._server = _Server(
                bind_host, parts.port, parts.path or "/", f"http://{netloc}:{parts.port}"
            )
        except OSError as exc:
            raise AuthError(
                f"cannot listen on {host}:{parts.port} for the login callback: {exc.strerror}"
            ) from None
        # A thread per connection: a browser's idle pre-connection must not block the redirect.
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(_POLL_SECONDS,), daemon=True
        )
        self._thread.start()

    def expect_state(self, state: str) -> None:
        """The `state` of the authorization URL sent to the user; other callbacks are ignored."""
        self._server.expected_state = state

    def wait(self, timeout: float) -> str:
        """The callback URL the browser was redirected to; LoginTimeoutError after `timeout`."""
        self._server.received.wait(timeout)
        return self._callback(timeout)

    async def wait_async(self, timeout: float) -> str:
        """`wait()` for async code: polls the flag the server thread sets, so the event loop
        keeps running other tasks and a cancelled login stops waiting at once."""
        with anyio.move_on_after(timeout):
            while not self._server.received.is_set():
                await anyio.sleep(_POLL_SECONDS)
        return self._callback(timeout)

    def _callback(self, timeout: float) -> str:
        if not self._server.received.is_set() or self._server.callback_url is None:
            raise LoginTimeoutError(
                f"no authorization callback reached {self._server.base_url}"
                f"{self._server.expected_path} within {timeout:g} s; run the login again"
            )
        return self._server.callback_url

    def close(self) -> None:
        self._server.shutdown()
        self._thread.join()
        self._server.server_close()

    def __enter__(self) -> LoopbackReceiver:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
