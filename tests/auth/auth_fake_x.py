"""A fake X authorization and API server on 127.0.0.1, strict where X is strict.

- /2/oauth2/authorize (GET) shows a consent page; the form POSTs back and is redirected to the
  client's redirect_uri with `code` and `state` (or `error=access_denied`).
- /2/oauth2/token: authorization_code (PKCE enforced: a wrong verifier or a reused code is
  `invalid_grant`), refresh_token (rotating: every refresh token works once, a used one is
  `invalid_grant`). Public clients send client_id in the body; confidential ones use HTTP Basic.
- /2/oauth2/revoke, /oauth2/token (client_credentials, app-only), /2/users/me (user tokens),
  /2/tweets/search/recent (app-only bearer), /echo (returns what it received).

Every grant, token and verifier it sees is kept in `seen_secrets`, for the leak tests.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, parse_qsl, unquote_plus, urlencode, urlsplit

ME = {"id": "2244994945", "name": "Fake User", "username": "fake_user"}


@dataclass
class _Code:
    client_id: str
    redirect_uri: str
    challenge: str
    method: str
    scope: str
    used: bool = False
    issued: list[str] = field(default_factory=list)  # tokens issued from it (revoked on reuse)


@dataclass
class _Access:
    scope: str
    expires_at: float
    revoked: bool = False
    app_only: bool = False


@dataclass
class _Refresh:
    scope: str
    used: bool = False
    revoked: bool = False


@dataclass
class Event:
    endpoint: str
    outcome: str  # e.g. "authorization_code:ok", "refresh_token:invalid_grant", "me:200"
    form: dict[str, str]
    headers: dict[str, str]


class FakeX:
    def __init__(
        self,
        *,
        client_id: str = "fake-client-id",
        client_secret: str | None = None,
        redirect_uri: str = "http://127.0.0.1:8976/callback",
        access_lifetime: int = 7200,
        app_key: str = "fake-app-key",
        app_secret: str = "fake-app-secret",
    ) -> None:
        self.client_id = client_id
        self.client_secret = client_secret
        self.redirect_uri = redirect_uri
        self.access_lifetime = access_lifetime
        self.app_key = app_key
        self.app_secret = app_secret
        self.refresh_delay = 0.0  # seconds a refresh answer is held back (widens races)
        self.on_user_call: Callable[[str], None] | None = None  # sees each API bearer token
        self.on_refresh: Callable[[], None] | None = None  # runs before a refresh is answered
        # Refreshes to hold until `release_stalled` and then drop unprocessed, as if the
        # request never reached X (its client was killed meanwhile).
        self.stall_refreshes = 0
        self.stalled = threading.Event()
        self.release_stalled = threading.Event()
        # A careless server: error answers quote back the form and credentials they received.
        self.echo_in_errors = False
        self.lock = threading.Lock()
        self.events: list[Event] = []
        self.seen_secrets: set[str] = set()
        self._pending_consent: dict[str, dict[str, str]] = {}
        self._codes: dict[str, _Code] = {}
        self._access: dict[str, _Access] = {}
        self._refresh: dict[str, _Refresh] = {}
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.02,), daemon=True
        )

    # -- lifecycle and controls -------------------------------------------------------------

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def authorize_url(self) -> str:
        return self.url + "/2/oauth2/authorize"

    @property
    def token_url(self) -> str:
        return self.url + "/2/oauth2/token"

    @property
    def revoke_url(self) -> str:
        return self.url + "/2/oauth2/revoke"

    @property
    def app_token_url(self) -> str:
        return self.url + "/oauth2/token"

    def start(self) -> FakeX:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def issue(
        self, scope: str, expires_in: float, *, refresh: bool = True
    ) -> tuple[str, str | None]:
        """Seed a token pair directly (as if a login had happened)."""
        with self.lock:
            return self._issue_locked(scope, expires_in, refresh)

    def expire_access_tokens(self) -> None:
        with self.lock:
            for grant in self._access.values():
                grant.expires_at = 0.0

    def revoke_access_tokens(self) -> None:
        with self.lock:
            for grant in self._access.values():
                grant.revoked = True

    def outcomes(self, endpoint: str | None = None) -> list[str]:
        with self.lock:
            return [e.outcome for e in self.events if endpoint in (None, e.endpoint)]

    def count(self, outcome: str) -> int:
        return self.outcomes().count(outcome)

    def is_revoked(self, token: str) -> bool:
        with self.lock:
            if token in self._access:
                return self._access[token].revoked
            return self._refresh[token].revoked

    # -- grants -----------------------------------------------------------------------------

    def _new(self, prefix: str) -> str:
        value = f"{prefix}-{secrets.token_urlsafe(24)}"
        self.seen_secrets.add(value)
        return value

    def _issue_locked(
        self, scope: str, expires_in: float, refresh: bool, *, app_only: bool = False
    ) -> tuple[str, str | None]:
        access = self._new("at")
        self._access[access] = _Access(scope, time.time() + expires_in, app_only=app_only)
        refresh_token = None
        if refresh:
            refresh_token = self._new("rt")
            self._refresh[refresh_token] = _Refresh(scope)
        return access, refresh_token

    def _token_response(self, access: str, refresh: str | None, scope: str) -> dict[str, Any]:
        body: dict[str, Any] = {
            "token_type": "bearer",
            "expires_in": self.access_lifetime,
            "access_token": access,
            "scope": scope,
        }
        if refresh is not None:
            body["refresh_token"] = refresh
        return body

    def _client_ok(self, form: dict[str, str], headers: dict[str, str]) -> bool:
        basic = headers.get("authorization", "")
        if self.client_secret is None:  # public client: client_id in the body, no Basic
            return form.get("client_id") == self.client_id and not basic
        if not basic.startswith("Basic "):
            return False
        user, _, password = base64.b64decode(basic[6:]).decode().partition(":")
        return unquote_plus(user) == self.client_id and unquote_plus(password) == (
            self.client_secret
        )

    def token_endpoint(
        self, form: dict[str, str], headers: dict[str, str]
    ) -> tuple[int, dict[str, Any], str]:
        grant = form.get("grant_type", "")
        for name in ("code", "code_verifier", "refresh_token"):
            if name in form:
                self.seen_secrets.add(form[name])
        if not self._client_ok(form, headers):
            return 401, {"error": "invalid_client"}, f"{grant}:invalid_client"
        if grant == "authorization_code":
            return self._exchange_code(form)
        if grant == "refresh_token":
            return self._rotate(form)
        return 400, {"error": "unsupported_grant_type"}, f"{grant}:unsupported"

    def _exchange_code(self, form: dict[str, str]) -> tuple[int, dict[str, Any], str]:
        with self.lock:
            code = self._codes.get(form.get("code", ""))
            if code is None:
                return 400, {"error": "invalid_grant"}, "authorization_code:unknown_code"
            if code.used:
                # RFC 6749 4.1.2: a reused code revokes what it produced.
                for token in code.issued:
                    if token in self._access:
                        self._access[token].revoked = True
                    if token in self._refresh:
                        self._refresh[token].revoked = True
                return 400, {"error": "invalid_grant"}, "authorization_code:reused"
            code.used = True
            verifier = form.get("code_verifier", "")
            if code.method == "S256":
                digest = hashlib.sha256(verifier.encode()).digest()
                derived = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
            else:
                derived = verifier
            if not verifier or derived != code.challenge:
                return 400, {"error": "invalid_grant"}, "authorization_code:bad_verifier"
            if form.get("redirect_uri") != code.redirect_uri:
                return 400, {"error": "invalid_grant"}, "authorization_code:bad_redirect"
            refresh = "offline.access" in code.scope.split()
            access, refresh_token = self._issue_locked(code.scope, self.access_lifetime, refresh)
            code.issued += [access] + ([refresh_token] if refresh_token else [])
            body = self._token_response(access, refresh_token, code.scope)
            return 200, body, f"authorization_code:{code.method}:ok"

    def _rotate(self, form: dict[str, str]) -> tuple[int, dict[str, Any], str]:
        with self.lock:
            stall, self.stall_refreshes = self.stall_refreshes > 0, max(0, self.stall_refreshes - 1)
        if stall:
            self.stalled.set()
            self.release_stalled.wait(10)
            return 503, {"error": "temporarily_unavailable"}, "refresh_token:dropped"
        if self.refresh_delay:
            time.sleep(self.refresh_delay)
        if self.on_refresh is not None:
            self.on_refresh()
        with self.lock:
            grant = self._refresh.get(form.get("refresh_token", ""))
            if grant is None or grant.used or grant.revoked:
                return (
                    400,
                    {
                        "error": "invalid_grant",
                        "error_description": "Value passed for the token was invalid.",
                    },
                    "refresh_token:invalid_grant",
                )
            grant.used = True
            access, refresh_token = self._issue_locked(grant.scope, self.access_lifetime, True)
            return 200, self._token_response(access, refresh_token, grant.scope), "refresh_token:ok"

    def revoke_endpoint(
        self, form: dict[str, str], headers: dict[str, str]
    ) -> tuple[int, dict[str, Any], str]:
        if not self._client_ok(form, headers):
            return 401, {"error": "invalid_client"}, "revoke:invalid_client"
        token = form.get("token", "")
        with self.lock:
            if token in self._access:
                self._access[token].revoked = True
            elif token in self._refresh:
                self._refresh[token].revoked = True
        return 200, {"revoked": True}, f"revoke:{form.get('token_type_hint')}"

    def app_token_endpoint(
        self, form: dict[str, str], headers: dict[str, str]
    ) -> tuple[int, dict[str, Any], str]:
        expected = base64.b64encode(f"{self.app_key}:{self.app_secret}".encode()).decode()
        if headers.get("authorization") != f"Basic {expected}":
            return 403, {"errors": [{"code": 99, "message": "bad credentials"}]}, "app:forbidden"
        if form.get("grant_type") != "client_credentials":
            return 400, {"error": "unsupported_grant_type"}, "app:unsupported"
        with self.lock:
            access, _ = self._issue_locked("", self.access_lifetime, False, app_only=True)
        return 200, {"token_type": "bearer", "access_token": access}, "app:ok"

    def bearer_valid(self, headers: dict[str, str], *, app_only: bool) -> str | None:
        auth = headers.get("authorization", "")
        token = auth[7:] if auth.startswith("Bearer ") else ""
        with self.lock:
            grant = self._access.get(token)
            ok = (
                grant is not None
                and not grant.revoked
                and grant.expires_at > time.time()
                and grant.app_only == app_only
            )
        return token if ok else None

    # -- consent ----------------------------------------------------------------------------

    def consent_page(self, query: dict[str, str]) -> tuple[int, str]:
        problems = []
        if query.get("response_type") != "code":
            problems.append("response_type")
        if query.get("client_id") != self.client_id:
            problems.append("client_id")
        if query.get("redirect_uri") != self.redirect_uri:
            problems.append("redirect_uri")
        if query.get("code_challenge_method") not in ("S256", "plain"):
            problems.append("code_challenge_method")
        if not query.get("code_challenge") or not query.get("state") or not query.get("scope"):
            problems.append("code_challenge/state/scope")
        if problems:
            return 400, f"<p>invalid request: {html.escape(', '.join(problems))}</p>"
        request_id = secrets.token_urlsafe(8)
        with self.lock:
            self._pending_consent[request_id] = dict(query)
        return 200, (
            "<!doctype html><html><head><title>Authorize app</title></head><body>"
            f"<p>Fake X: allow this app the scopes {html.escape(query['scope'])}?</p>"
            '<form method="post" action="/2/oauth2/authorize">'
            f'<input type="hidden" name="request_id" value="{request_id}">'
            '<button id="approve" name="decision" value="approve">Authorize app</button>'
            '<button id="deny" name="decision" value="deny">Cancel</button>'
            "</form></body></html>"
        )

    def decide(self, form: dict[str, str]) -> str | None:
        """The redirect Location for a consent decision, or None for an unknown request."""
        with self.lock:
            query = self._pending_consent.pop(form.get("request_id", ""), None)
            if query is None:
                return None
            if form.get("decision") != "approve":
                params = {"error": "access_denied", "state": query["state"]}
            else:
                code = self._new("code")
                self._codes[code] = _Code(
                    client_id=query["client_id"],
                    redirect_uri=query["redirect_uri"],
                    challenge=query["code_challenge"],
                    method=query["code_challenge_method"],
                    scope=query["scope"],
                )
                params = {"code": code, "state": query["state"]}
        return query["redirect_uri"] + "?" + urlencode(params)


def _handler_for(fake: FakeX) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:
            return

        def _body(self) -> bytes:
            length = int(self.headers.get("Content-Length") or 0)
            return self.rfile.read(length) if length else b""

        def _headers(self) -> dict[str, str]:
            return {k.lower(): v for k, v in self.headers.items()}

        def _send(self, status: int, body: bytes, content_type: str, extra: dict[str, str]) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            for name, value in extra.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)

        def _json(self, status: int, payload: object) -> None:
            self._send(status, json.dumps(payload).encode(), "application/json", {})

        def _record(self, endpoint: str, outcome: str, form: dict[str, str]) -> None:
            with fake.lock:
                fake.events.append(Event(endpoint, outcome, form, self._headers()))

        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            headers = self._headers()
            if parts.path == "/2/oauth2/authorize":
                query = {k: v[0] for k, v in parse_qs(parts.query).items()}
                status, page = fake.consent_page(query)
                self._record("authorize", f"consent:{status}", query)
                self._send(status, page.encode(), "text/html; charset=utf-8", {})
            elif parts.path == "/2/users/me":
                token = fake.bearer_valid(headers, app_only=False)
                if token is None:
                    self._record("me", "me:401", {})
                    self._json(
                        401,
                        {
                            "title": "Unauthorized",
                            "type": "about:blank",
                            "status": 401,
                            "detail": "Unauthorized",
                        },
                    )
                    return
                if fake.on_user_call is not None:
                    fake.on_user_call(token)
                self._record("me", "me:200", {})
                self._json(200, {"data": ME})
            elif parts.path == "/2/tweets/search/recent":
                if fake.bearer_valid(headers, app_only=True) is None:
                    self._record("search", "search:401", {})
                    self._json(401, {"title": "Unauthorized", "status": 401})
                    return
                self._record("search", "search:200", {})
                self._json(200, {"data": [], "meta": {"result_count": 0}})
            elif parts.path == "/echo":
                self._json(200, {"method": "GET", "path": self.path, "headers": headers})
            else:
                self._json(404, {"title": "Not Found", "status": 404})

        def do_POST(self) -> None:
            parts = urlsplit(self.path)
            raw = self._body()
            headers = self._headers()
            form = dict(parse_qsl(raw.decode(), keep_blank_values=True))
            if parts.path == "/2/oauth2/authorize":
                location = fake.decide(form)
                if location is None:
                    self._send(400, b"unknown request", "text/plain", {})
                else:
                    self._send(302, b"", "text/plain", {"Location": location})
                return
            routes = {
                "/2/oauth2/token": ("token", fake.token_endpoint),
                "/2/oauth2/revoke": ("revoke", fake.revoke_endpoint),
                "/oauth2/token": ("app_token", fake.app_token_endpoint),
            }
            if parts.path in routes:
                endpoint, handle = routes[parts.path]
                status, payload, outcome = handle(form, headers)
                self._record(endpoint, outcome, form)
                if fake.echo_in_errors and status >= 400:
                    payload = {"error": payload.get("error", "invalid_request")}
                    payload["error_description"] = _echo(raw, headers)
                self._json(status, payload)
            elif parts.path == "/echo":
                self._json(
                    200,
                    {"method": "POST", "path": self.path, "headers": headers, "body": raw.decode()},
                )
            else:
                self._json(404, {"title": "Not Found", "status": 404})

    return Handler


def _echo(raw: bytes, headers: dict[str, str]) -> str:
    basic = headers.get("authorization", "")
    pair = base64.b64decode(basic[6:]).decode() if basic.startswith("Basic ") else ""
    form = json.dumps(dict(parse_qsl(raw.decode())))
    return f"rejected {raw.decode()} as {form} from {pair!r} ({basic})"


def approve_in_place_of_a_browser(authorization_url: str, *, decision: str = "approve") -> str:
    """Do what a user's browser does (load the consent page, press a button) and return the
    callback URL the server redirects to, without following it."""
    import re

    import httpx

    with httpx.Client(timeout=10.0) as client:
        page = client.get(authorization_url)
        page.raise_for_status()
        match = re.search(r'name="request_id" value="([^"]+)"', page.text)
        assert match, page.text
        action = str(page.url.copy_with(query=None))
        answer = client.post(action, data={"request_id": match[1], "decision": decision})
        assert answer.status_code == 302, answer.text
        return answer.headers["Location"]
