"""Credentials reach only base_url's origin: path values, request() paths, http, redirects."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from twitter_api import AsyncClient, Client
from twitter_api._cli import main
from twitter_api._secrets import Secret
from twitter_api.auth import (
    AppOnly,
    BearerToken,
    FileTokenStore,
    OAuth2PKCE,
    OAuth2UserToken,
    OAuthError,
    Token,
)

from tests.loopback import Exchange, Loopback

TOKEN = "bearer-Kq7-secret"


class Recorder:
    """An httpx.MockTransport handler that keeps every request it is given."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        request.read()
        self.requests.append(request)
        return httpx.Response(200, json={"data": {"id": "1"}})


def client_for(recorder: Recorder, **kwargs: object) -> Client:
    transport = httpx.MockTransport(recorder)
    return Client(
        auth=OAuth2UserToken(TOKEN),
        http_client=httpx.Client(transport=transport),
        **kwargs,  # type: ignore[arg-type]
    )


def ok(exchange: Exchange) -> None:
    exchange.respond(200, {"data": {"id": "1"}})


@pytest.fixture
def evil() -> Iterator[Loopback]:
    """A second loopback server standing for the attacker's host: it must receive nothing."""
    with Loopback(ok) as server:
        yield server


# -- 1. path parameter values -------------------------------------------------------------------


DOT_SEGMENT_VALUES = [
    *["..", ".", "%2e%2E", "%2E", "%2e.", "%252e%252e"],
    # Holding one once a server decodes `%2f` or splits on `/` or `\\`:
    *["../..", "..%2f..", "..%252f..", "a/../b", "a\\..\\b", "12%2F.%2F34", "x/.."],
    *["..;x", ".;x", "a/..;jsessionid=1/b"],  # Tomcat drops `;params` before resolving dots
]


@pytest.mark.parametrize("value", DOT_SEGMENT_VALUES)
def test_dot_segment_path_values_are_refused_before_sending(value: str) -> None:
    # Sent as is, `..` makes httpx call DELETE /2/lists/1234: the delete-list endpoint.
    rec = Recorder()
    with pytest.raises(ValueError) as caught:
        client_for(rec).remove_lists_member_by_user_id("1234", value)
    assert str(caught.value) == (
        f"removeListsMemberByUserId: path parameter 'user_id' must not be {value!r}: it is or "
        "holds a dot segment (`.`, `..`), which would change which endpoint is called"
    )
    assert rec.requests == []


def test_a_none_path_value_is_refused_before_sending() -> None:
    rec = Recorder()
    with pytest.raises(ValueError) as caught:
        client_for(rec).get_users_by_id(None)  # type: ignore[arg-type]
    assert str(caught.value) == "getUsersById: path parameter 'id' is required, not None"
    assert rec.requests == []


def test_path_values_are_one_percent_encoded_segment() -> None:
    rec = Recorder()
    client = client_for(rec)
    client.remove_lists_member_by_user_id("12/34;a", "a?b#c d..")
    assert rec.requests[0].method == "DELETE"
    assert rec.requests[0].url.raw_path == b"/2/lists/12%2F34%3Ba/members/a%3Fb%23c%20d.."
    assert rec.requests[0].url.host == "api.x.com"


# -- 2. client.request(method, path) -------------------------------------------------------------

REFUSED_PATHS = {
    "@evil.example/2/users/me": "must start with a single '/'",
    ".evil.example/2/users/me": "must start with a single '/'",
    "//evil.example/2/users/me": "must start with a single '/'",
    "2/users/me": "must start with a single '/'",
    "/\\evil.example/2/users/me": "must not contain backslashes",
    "/2/users/me\r\nHost: evil.example": "control characters",
    "https://evil.example/2/users/me": "points to https://evil.example:443",
    "https://api.x.com.evil.example/2/users/me": "points to https://api.x.com.evil.example:443",
    "https://api.x.com@evil.example/2/users/me": "must not carry a user name or password",
    "https://x@api.x.com/2/users/me": "must not carry a user name or password",
    "https://u:p@api.x.com/2/users/me": "must not carry a user name or password",
    "http://api.x.com/2/users/me": "points to http://api.x.com:80",
    "https://api.x.com:8443/2/users/me": "points to https://api.x.com:8443",
}


@pytest.mark.parametrize(("path", "why"), REFUSED_PATHS.items())
def test_request_refuses_paths_that_leave_the_origin(path: str, why: str) -> None:
    rec = Recorder()
    with pytest.raises(ValueError, match=r"^request\(\): ") as caught:
        client_for(rec).request("GET", path)
    assert why in str(caught.value)
    assert TOKEN not in str(caught.value)
    assert rec.requests == []


@pytest.mark.parametrize(
    "path",
    ["/2/users/me", "https://api.x.com/2/users/me", "HTTPS://API.X.COM:443/2/users/me"],
)
def test_request_accepts_paths_and_urls_on_the_origin(path: str) -> None:
    rec = Recorder()
    client_for(rec).request("GET", path, params={"user.fields": ["id", "name"]})
    [sent] = rec.requests
    assert (sent.url.scheme, sent.url.host, sent.url.port or 443) == ("https", "api.x.com", 443)
    assert sent.url.raw_path == b"/2/users/me?user.fields=id,name"
    assert sent.headers["authorization"] == f"Bearer {TOKEN}"


def test_request_keeps_a_query_given_in_the_path() -> None:
    rec = Recorder()
    client_for(rec).request("GET", "/2/users/me?a=1", params={"b": "2"})
    assert rec.requests[0].url.raw_path == b"/2/users/me?a=1&b=2"


def test_request_paths_are_checked_against_a_base_url_with_a_prefix() -> None:
    rec = Recorder()
    client = client_for(rec, base_url="https://proxy.test/x-api/")
    client.request("GET", "/2/users/me")
    assert str(rec.requests[0].url) == "https://proxy.test/x-api/2/users/me"
    with pytest.raises(ValueError, match=r"points to https://api\.x\.com:443"):
        client.request("GET", "https://api.x.com/2/users/me")
    assert len(rec.requests) == 1


def test_async_request_refuses_the_same_paths(evil: Loopback) -> None:
    with Loopback(ok) as api:
        port = evil.url.rsplit(":", 1)[1]

        async def run() -> None:
            async with AsyncClient(auth=BearerToken(TOKEN), base_url=api.url) as client:
                with pytest.raises(ValueError, match="must start with a single '/'"):
                    await client.request("GET", f"@127.0.0.1:{port}/2/users/me")
                response = await client.request("GET", "/2/users/me")
                assert response.json() == {"data": {"id": "1"}}

        asyncio.run(run())
        assert [r.path for r in api.requests] == ["/2/users/me"]
    assert evil.requests == []


def test_cli_request_goes_through_the_same_check(
    evil: Loopback,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    with Loopback(ok) as api:
        monkeypatch.chdir(tmp_path)
        monkeypatch.delenv("TWITTER_API_CONFIG", raising=False)
        monkeypatch.setenv(
            "TWITTER_API_CONFIG_DATA",
            f'[twitter_api]\nbase_url = "{api.url}"\n'
            f'[twitter_api.profiles.b]\nflow = "bearer"\nbearer_token = "{TOKEN}"\n',
        )
        # Appended to "http://127.0.0.1:<api>", this names the evil server as the host.
        port = evil.url.rsplit(":", 1)[1]
        code = main(["request", "GET", f"@127.0.0.1:{port}/2/users/me"])
        err = capsys.readouterr().err
        assert code == 2
        assert "request(): path must start with a single '/'" in err
        assert TOKEN not in err
        assert main(["request", "GET", "2/users/me"]) == 0  # a bare path still works
        assert [r.path for r in api.requests] == ["/2/users/me"]
    assert evil.requests == []


# -- 3. plain http -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "base_url", ["http://api.x.com", "http://10.0.0.7:8080", "ftp://api.x.com"]
)
def test_a_non_https_base_url_is_refused_with_credentials(base_url: str) -> None:
    with pytest.raises(ValueError, match=r"^base_url ") as caught:
        Client(auth=BearerToken(TOKEN), base_url=base_url)
    assert TOKEN not in str(caught.value)
    with pytest.raises(ValueError, match=r"^base_url "):
        AsyncClient(auth=BearerToken(TOKEN), base_url=base_url)


@pytest.mark.parametrize(
    "base_url",
    ["http://127.0.0.1:9", "http://127.4.5.6:9", "http://[::1]:9", "http://localhost:9"],
)
def test_plain_http_to_a_loopback_host_is_accepted(base_url: str) -> None:
    assert Client(auth=BearerToken(TOKEN), base_url=base_url).base_url == base_url


def test_allow_insecure_http_and_clients_without_credentials() -> None:
    rec = Recorder()
    client = client_for(rec, base_url="http://api.internal", allow_insecure_http=True)
    client.request("GET", "/2/users/me")
    assert str(rec.requests[0].url) == "http://api.internal/2/users/me"
    assert rec.requests[0].headers["authorization"] == f"Bearer {TOKEN}"
    # Without auth there is nothing to protect.
    assert Client(base_url="http://api.internal").base_url == "http://api.internal"


# -- 4. redirects ------------------------------------------------------------------------------


def redirect_to(target: Loopback) -> object:
    def handle(exchange: Exchange) -> None:
        exchange.respond(307, {}, {"Location": target.url + exchange.request.path})

    return handle


def expired_login(tmp_path: Path, token_url: str, **kwargs: object) -> OAuth2PKCE:
    store = FileTokenStore(tmp_path / "token.json")
    store.save(
        Token(
            access_token=Secret("access-old"),
            refresh_token=Secret("refresh-Zy9"),
            expires_at=0.0,
            scope=frozenset({"users.read", "offline.access"}),
        )
    )
    return OAuth2PKCE(
        "client-1",
        "http://127.0.0.1:8976/callback",
        ["users.read", "offline.access"],
        client_secret="client-secret-Wq3",
        token_store=store,
        token_url=token_url,
        clock=lambda: 1000.0,
        **kwargs,  # type: ignore[arg-type]
    )


def test_api_calls_and_refreshes_never_follow_redirects(tmp_path: Path, evil: Loopback) -> None:
    with Loopback(redirect_to(evil)) as api:  # type: ignore[arg-type]
        auth = expired_login(tmp_path, api.url + "/2/oauth2/token")
        http = httpx.Client(follow_redirects=True)  # the user's choice must not matter
        with Client(auth=auth, base_url=api.url, http_client=http) as client:
            with pytest.raises(OAuthError, match="redirect, which is not followed") as caught:
                client.request("GET", "/2/users/me")
        assert "refresh-Zy9" not in str(caught.value)
        [refresh] = api.requests
        assert refresh.path == "/2/oauth2/token"
        assert b"refresh_token=refresh-Zy9" in refresh.body
    assert evil.requests == []


def test_async_refreshes_never_follow_redirects(tmp_path: Path, evil: Loopback) -> None:
    with Loopback(redirect_to(evil)) as api:  # type: ignore[arg-type]
        auth = expired_login(tmp_path, api.url + "/2/oauth2/token")

        async def run() -> None:
            http = httpx.AsyncClient(follow_redirects=True)
            async with AsyncClient(auth=auth, base_url=api.url, http_client=http) as client:
                with pytest.raises(OAuthError, match="redirect"):
                    await client.request("GET", "/2/users/me")
            await http.aclose()

        asyncio.run(run())
        assert [r.path for r in api.requests] == ["/2/oauth2/token"]
    assert evil.requests == []


def test_an_api_redirect_is_returned_not_followed(evil: Loopback) -> None:
    with Loopback(redirect_to(evil)) as api:  # type: ignore[arg-type]
        http = httpx.Client(follow_redirects=True)
        with Client(auth=BearerToken(TOKEN), base_url=api.url, http_client=http) as client:
            response = client.request("GET", "/2/users/me")
        assert response.status_code == 307
    assert evil.requests == []


def test_a_stream_connect_never_follows_a_token_redirect(evil: Loopback) -> None:
    # The stream's first request makes AppOnly fetch its bearer: that POST carries the secret.
    with Loopback(redirect_to(evil)) as api:  # type: ignore[arg-type]
        auth = AppOnly("key", "app-secret-Jw2", token_url=api.url + "/oauth2/token")
        http = httpx.Client(follow_redirects=True)
        with Client(auth=auth, base_url=api.url, http_client=http) as client:
            with pytest.raises(OAuthError, match="redirect"):
                with client.stream_posts_sample():
                    pass
        assert [r.path for r in api.requests] == ["/oauth2/token"]
    assert evil.requests == []
