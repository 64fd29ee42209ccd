"""Every httpx exception reaches the caller as an APIError, with the httpx one as its cause.

Each condition is produced for real where a server can produce it (a body whose
Content-Encoding is a lie, a broken status line), or by the client's own configuration (an
unsupported scheme, an illegal header, a URL too long); a transport only raises what no server
can provoke (a stream error, too many redirects). Normal calls, raw responses, `request()`,
pagination, streams and auth token requests are covered, sync and async.

A redirect loop no longer reaches httpx's redirect limit: the client and the token requests
never follow a redirect, whatever the user's http_client says, so the loop costs one request.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import ssl
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import httpx
import pytest
import twitter_api
from twitter_api import APIConnectionError, APIError, APIResponseError, APIStatusError
from twitter_api._secrets import Secret
from twitter_api._streaming import StreamOptions
from twitter_api.auth import AppOnly, BearerToken, OAuth2PKCE, OAuthError, Token

from tests.loopback import Exchange, Loopback

POST = {"id": "20", "text": "hello"}
NOT_GZIP = b"this body is not gzip at all\n"
FAST = StreamOptions(stall_timeout=2.0, network_backoff=0.001, network_backoff_max=0.001)
E = TypeVar("E", bound=BaseException)


def gzip_lie(ex: Exchange, status: int = 200) -> None:
    ex.respond_raw(status, NOT_GZIP, {"Content-Encoding": "gzip"})


def redirect_loop(ex: Exchange) -> None:
    ex.respond(302, None, {"Location": ex.request.path})


def broken_status_line(ex: Exchange) -> None:
    ex._handler.wfile.write(b"NOT-HTTP nonsense\r\n\r\n")
    ex._handler.wfile.flush()
    ex._handler.close_connection = True


def raised(call: Callable[[], Any], expected: type[E]) -> E:
    with pytest.raises(expected) as info:
        call()
    return info.value


def run(coro_fn: Callable[[], Awaitable[Any]]) -> Callable[[], Any]:
    return lambda: asyncio.run(coro_fn())  # type: ignore[arg-type]


def sync_client(url: str, **kwargs: Any) -> twitter_api.Client:
    return twitter_api.Client(auth=BearerToken("t"), base_url=url, **kwargs)


def async_client(url: str, **kwargs: Any) -> twitter_api.AsyncClient:
    return twitter_api.AsyncClient(auth=BearerToken("t"), base_url=url, **kwargs)


# -- a body that fails its Content-Encoding -----------------------------------------------------


@pytest.mark.parametrize("status", [200, 503])
def test_undecodable_body_is_a_response_error_and_not_retried(status: int) -> None:
    with Loopback(lambda ex: gzip_lie(ex, status)) as server, sync_client(server.url) as client:
        error = raised(lambda: client.get_posts_by_id("20"), APIResponseError)
    assert str(error) == "GET /2/tweets/20: the response body cannot be decoded (DecodingError)"
    assert isinstance(error.__cause__, httpx.DecodingError)
    assert error.response.status_code == status
    assert len(server.requests) == 1


def test_undecodable_body_async_raw_response_and_request() -> None:
    async def main(url: str) -> list[BaseException]:
        errors: list[BaseException] = []
        async with async_client(url) as client:
            for call in (
                lambda: client.get_posts_by_id("20"),
                lambda: client.with_raw_response(client.get_posts_by_id, "20"),
                lambda: client.request("GET", "/2/tweets/20"),
            ):
                try:
                    await call()
                except APIError as exc:
                    errors.append(exc)
        return errors

    with Loopback(gzip_lie) as server:
        errors = asyncio.run(main(server.url))
        with sync_client(server.url) as client:
            errors.append(raised(lambda: client.request("GET", "/2/tweets/20"), APIError))
            raw = lambda: client.with_raw_response(client.get_posts_by_id, "20")  # noqa: E731
            errors.append(raised(raw, APIError))
    assert len(errors) == 5
    for error in errors:
        assert type(error) is APIResponseError
        assert isinstance(error.__cause__, httpx.DecodingError)


def _pages_then_lie(ex: Exchange) -> None:
    if "pagination_token" in ex.request.query:
        gzip_lie(ex)
    else:
        ex.respond(200, {"data": [POST], "meta": {"result_count": 1, "next_token": "t2"}})


def test_pagination_surfaces_the_error_of_a_later_page() -> None:
    seen: list[str] = []
    with Loopback(_pages_then_lie) as server, sync_client(server.url) as client:

        def walk() -> None:
            for post in client.paginate(client.get_users_posts, id="42").items():
                seen.append(post.id)

        error = raised(walk, APIResponseError)

        async def walk_async() -> None:
            async with async_client(server.url) as aclient:
                async for post in aclient.paginate(aclient.get_users_posts, id="42").items():
                    seen.append(post.id)

        async_error = raised(run(walk_async), APIResponseError)
    assert seen == ["20", "20"]
    assert isinstance(error.__cause__, httpx.DecodingError)
    assert isinstance(async_error.__cause__, httpx.DecodingError)


def test_stream_with_an_undecodable_body_is_raised_not_reconnected() -> None:
    with Loopback(gzip_lie) as server, sync_client(server.url) as client:
        stream = client.stream_posts().with_options(FAST)

        def consume() -> None:
            with stream as s:
                list(s)

        error = raised(consume, APIResponseError)

        async def consume_async() -> int:
            async with async_client(server.url) as aclient:
                astream = aclient.stream_posts().with_options(FAST)
                try:
                    async with astream as s:
                        [x async for x in s]
                finally:
                    connections.append(astream.connections)
            return 0

        connections: list[int] = []
        async_error = raised(run(consume_async), APIResponseError)
    assert stream.connections == 1 and connections == [1]
    assert len(server.requests) == 2
    for e in (error, async_error):
        assert isinstance(e.__cause__, httpx.DecodingError)
        assert str(e) == (
            "streamPosts on /2/tweets/search/stream: the response body cannot be decoded "
            "(DecodingError)"
        )


# -- redirect loops (a user's http_client that follows redirects) -----------------------------

REDIRECT = (
    "302 Found for GET /2/tweets/20: a redirect, which is not followed so that credentials "
    "reach only base_url"
)


def test_a_redirect_loop_is_one_request_and_a_status_error_sync_and_async() -> None:
    with Loopback(redirect_loop) as server:
        following = httpx.Client(follow_redirects=True, max_redirects=3)
        with sync_client(server.url, http_client=following) as client:
            error = raised(lambda: client.get_posts_by_id("20"), APIStatusError)
            assert len(server.requests) == 1
            response = client.request("GET", "/2/tweets/20")  # raw: the 3xx itself
        assert response.status_code == 302
        assert response.headers["location"] == "/2/tweets/20"
        assert len(server.requests) == 2

        async def main() -> tuple[APIStatusError, int]:
            following = httpx.AsyncClient(follow_redirects=True, max_redirects=3)
            async with async_client(server.url, http_client=following) as client:
                try:
                    await client.get_posts_by_id("20")
                except APIStatusError as exc:
                    raw = await client.request("GET", "/2/tweets/20")
                    return exc, raw.status_code
            raise AssertionError("a 302 was taken for a result")

        async_error, async_status = asyncio.run(main())
        assert async_status == 302
        assert len(server.requests) == 4  # one per call: nothing followed, nothing retried
    for e in (error, async_error):
        assert type(e) is APIStatusError
        assert e.status_code == 302
        assert str(e) == REDIRECT


def test_a_stream_redirect_is_raised_on_opening_without_reconnecting(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger="twitter_api")
    with Loopback(redirect_loop) as server:
        following = httpx.Client(follow_redirects=True, max_redirects=2)
        with sync_client(server.url, http_client=following) as client:
            stream = client.stream_posts().with_options(FAST)
            error = raised(stream.__enter__, APIStatusError)
        assert len(server.requests) == 1

        async def main() -> int:
            following = httpx.AsyncClient(follow_redirects=True, max_redirects=2)
            async with async_client(server.url, http_client=following) as aclient:
                astream = aclient.stream_posts().with_options(FAST)
                try:
                    async with astream:
                        pass
                finally:
                    connections.append(astream.connections)
            return 0

        connections: list[int] = []
        async_error = raised(run(main), APIStatusError)
        assert len(server.requests) == 2
    assert stream.connections == 1 and connections == [1]
    for e in (error, async_error):
        assert e.status_code == 302
        assert str(e) == REDIRECT.replace("/2/tweets/20", "/2/tweets/search/stream")
    assert reconnects(caplog) == []


def test_too_many_redirects_from_a_users_transport_is_a_connection_error() -> None:
    # The client never follows redirects, so only a transport can raise this; it is not retried.
    calls: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        raise httpx.TooManyRedirects("Exceeded maximum allowed redirects.", request=request)

    transport = httpx.MockTransport(handler)
    with sync_client("http://127.0.0.1:9", http_client=httpx.Client(transport=transport)) as c:
        error = raised(lambda: c.get_posts_by_id("20"), APIConnectionError)

    async def main() -> None:
        http = httpx.AsyncClient(transport=httpx.MockTransport(handler))
        async with async_client("http://127.0.0.1:9", http_client=http) as aclient:
            await aclient.get_posts_by_id("20")

    async_error = raised(run(main), APIConnectionError)
    assert [r.url.path for r in calls] == ["/2/tweets/20", "/2/tweets/20"]
    for e in (error, async_error):
        assert type(e) is APIConnectionError
        assert str(e) == "too many redirects: GET /2/tweets/20"
        assert isinstance(e.__cause__, httpx.TooManyRedirects)
        assert e.request is not None and e.request.url.path == "/2/tweets/20"


# -- requests httpx refuses to send ------------------------------------------------------------


# A stream reconnects after network errors; these would fail the same way every time.
NO_CURE = StreamOptions(stall_timeout=2.0, network_backoff=0.001, max_reconnects=3)


def reconnects(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if "reconnecting" in r.getMessage()]


def test_unsupported_scheme(caplog: pytest.LogCaptureFixture) -> None:
    # With credentials such a base_url is refused outright, plain http allowed or not...
    for allow_insecure_http in (False, True):
        with pytest.raises(ValueError, match="base_url must be an https URL"):
            sync_client("ftp://127.0.0.1:9", allow_insecure_http=allow_insecure_http)
    # ...so only a client without auth gets as far as httpx, which refuses the scheme.
    caplog.set_level(logging.WARNING, logger="twitter_api")
    with twitter_api.Client(base_url="ftp://127.0.0.1:9", max_retries=0) as client:
        error = raised(lambda: client.get_posts_by_id("20"), APIConnectionError)
        assert isinstance(error.__cause__, httpx.UnsupportedProtocol)
        stream = client.stream_posts().with_options(NO_CURE)
        stream_error = raised(stream.__enter__, APIConnectionError)
    assert isinstance(stream_error.__cause__, httpx.UnsupportedProtocol)

    async def main() -> None:
        async with twitter_api.AsyncClient(base_url="ftp://127.0.0.1:9", max_retries=0) as c:
            async with c.stream_posts().with_options(NO_CURE):
                pass

    async_error = raised(run(main), APIConnectionError)
    assert isinstance(async_error.__cause__, httpx.UnsupportedProtocol)
    assert reconnects(caplog) == []


def test_illegal_header_value_is_a_local_protocol_error(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger="twitter_api")
    with Loopback(lambda ex: ex.respond(200, {"data": POST})) as server:
        with sync_client(server.url, max_retries=0) as base:
            client = base.with_options(headers={"X-Note": "a\nb"})
            error = raised(lambda: client.get_posts_by_id("20"), APIConnectionError)
            stream = client.stream_posts().with_options(NO_CURE)
            stream_error = raised(stream.__enter__, APIConnectionError)
    assert isinstance(error.__cause__, httpx.LocalProtocolError)
    assert isinstance(stream_error.__cause__, httpx.LocalProtocolError)
    assert server.requests == []
    assert reconnects(caplog) == []


def test_broken_status_line_is_a_remote_protocol_error() -> None:
    with Loopback(broken_status_line) as server, sync_client(server.url, max_retries=0) as c:
        error = raised(lambda: c.get_posts_by_id("20"), APIConnectionError)
    host = server.url.removeprefix("http://")
    assert str(error) == f"connection failed: GET /2/tweets/20: RemoteProtocolError ({host})"
    assert isinstance(error.__cause__, httpx.RemoteProtocolError)


def test_invalid_url_sync_and_async() -> None:
    # A base_url httpx cannot parse is refused when the client is made, auth or not.
    bad = "http://127.0.0.1:12x"
    for make in (
        lambda: sync_client(bad),
        lambda: async_client(bad),
        lambda: twitter_api.Client(base_url=bad),
        lambda: twitter_api.AsyncClient(base_url=bad),
    ):
        with pytest.raises(ValueError, match=r"^base_url is not a valid URL$"):
            make()
    # A URL httpx refuses can still come from a call's own arguments; nothing is sent.
    too_long = "9" * 70_000
    with Loopback(lambda ex: ex.respond(200, {"data": POST})) as server:
        with sync_client(server.url) as client:
            error = raised(lambda: client.get_posts_by_id(too_long), APIError)

        async def main() -> None:
            async with async_client(server.url) as client:
                await client.get_posts_by_id(too_long)

        async_error = raised(run(main), APIError)
    assert server.requests == []
    for e in (error, async_error):
        assert type(e) is APIError
        assert str(e) == "invalid URL for getPostsById: URL too long"
        assert isinstance(e.__cause__, httpx.InvalidURL)


def test_stream_error_from_a_transport() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.StreamConsumed()

    transport = httpx.MockTransport(handler)
    with sync_client("http://127.0.0.1:9", http_client=httpx.Client(transport=transport)) as c:
        error = raised(lambda: c.get_posts_by_id("20"), APIConnectionError)
    assert str(error) == "connection failed: GET /2/tweets/20: StreamConsumed (127.0.0.1:9)"
    assert isinstance(error.__cause__, httpx.StreamConsumed)


def test_status_error_raised_by_a_users_event_hook() -> None:
    hooked = httpx.Client(event_hooks={"response": [lambda r: r.raise_for_status()]})
    with Loopback(lambda ex: ex.respond(404, {"title": "Not Found"})) as server:
        with sync_client(server.url, http_client=hooked) as client:
            error = raised(lambda: client.get_posts_by_id("20"), APIError)
    assert type(error) is APIError
    assert isinstance(error.__cause__, httpx.HTTPStatusError)


# -- auth token requests ----------------------------------------------------------------------


def _app_token(broken: Callable[[Exchange], None]) -> Callable[[Exchange], None]:
    def handle(ex: Exchange) -> None:
        if ex.request.path == "/oauth2/token":
            broken(ex)
        else:
            ex.respond(200, {"data": POST})

    return handle


def test_app_only_token_request_errors_sync_and_async() -> None:
    with Loopback(_app_token(gzip_lie)) as server:
        auth = AppOnly("key", "secret", token_url=server.url + "/oauth2/token")
        with twitter_api.Client(auth=auth, base_url=server.url) as client:
            error = raised(lambda: client.get_posts_by_id("20"), OAuthError)

        async def main() -> None:
            async with twitter_api.AsyncClient(auth=auth, base_url=server.url) as aclient:
                await aclient.get_posts_by_id("20")

        async_error = raised(run(main), OAuthError)
    for e in (error, async_error):
        assert str(e) == (
            "OAuth error 'invalid_response': the token response body cannot be decoded (HTTP 200)"
        )
        assert isinstance(e.__cause__, httpx.DecodingError)
    assert [r.path for r in server.requests] == ["/oauth2/token", "/oauth2/token"]


TOKEN_REDIRECT = (
    "OAuth error 'invalid_response': the endpoint answered with a redirect, which is not "
    "followed so that credentials reach only the configured URL (HTTP 302)"
)


def test_app_only_token_request_redirect_loop_and_invalid_url() -> None:
    with Loopback(_app_token(redirect_loop)) as server:
        auth = AppOnly("key", "secret", token_url=server.url + "/oauth2/token")
        following = httpx.Client(follow_redirects=True, max_redirects=2)
        with twitter_api.Client(auth=auth, base_url=server.url, http_client=following) as c:
            error = raised(lambda: c.get_posts_by_id("20"), OAuthError)

        async def main() -> None:
            following = httpx.AsyncClient(follow_redirects=True, max_redirects=2)
            async with twitter_api.AsyncClient(
                auth=auth, base_url=server.url, http_client=following
            ) as aclient:
                await aclient.get_posts_by_id("20")

        async_error = raised(run(main), OAuthError)
    # One token request each; no redirect followed, and no API call without a bearer.
    assert [r.path for r in server.requests] == ["/oauth2/token", "/oauth2/token"]
    for e in (error, async_error):
        assert str(e) == TOKEN_REDIRECT
        assert e.status_code == 302
    with pytest.raises(ValueError, match=r"^token_url is not a valid URL$"):
        AppOnly("key", "secret", token_url="http://127.0.0.1:12x/oauth2/token")


def _pkce(url: str, http_client: httpx.Client | None = None, store: Any = None) -> OAuth2PKCE:
    return OAuth2PKCE(
        "cid",
        "http://127.0.0.1:8976/callback",
        ["tweet.read", "users.read", "offline.access"],
        token_url=url + "/2/oauth2/token",
        http_client=http_client,
        token_store=store,
    )


def _callback_for(auth: OAuth2PKCE) -> str:
    state = httpx.URL(auth.authorization_url()).params["state"]
    return f"http://127.0.0.1:8976/callback?code=c1&state={state}"


def test_code_exchange_errors() -> None:
    with Loopback(gzip_lie) as server:
        auth = _pkce(server.url)
        error = raised(lambda: auth.complete(_callback_for(auth)), OAuthError)
    assert isinstance(error.__cause__, httpx.DecodingError)
    assert error.status_code == 200

    with Loopback(redirect_loop) as server:
        following = httpx.Client(follow_redirects=True, max_redirects=2)
        auth = _pkce(server.url, following)
        loop = raised(lambda: auth.complete(_callback_for(auth)), OAuthError)
        assert [r.path for r in server.requests] == ["/2/oauth2/token"]
    assert str(loop) == TOKEN_REDIRECT
    assert auth.token is None

    with pytest.raises(ValueError, match=r"^token_url is not a valid URL$"):
        _pkce("http://127.0.0.1:12x")


def test_refresh_with_an_undecodable_token_response_sync_and_async() -> None:
    def handle(ex: Exchange) -> None:
        if ex.request.path == "/2/oauth2/token":
            gzip_lie(ex)
        else:
            ex.respond(200, {"data": POST})

    expired = Token(Secret("old"), Secret("rt"), expires_at=time.time() - 10, scope=None)
    with Loopback(handle) as server:
        auth = _pkce(server.url)
        auth._remember(expired)
        with twitter_api.Client(auth=auth, base_url=server.url) as client:
            error = raised(lambda: client.get_posts_by_id("20"), OAuthError)

        async def main() -> None:
            async with twitter_api.AsyncClient(auth=auth, base_url=server.url) as aclient:
                await aclient.get_posts_by_id("20")

        async_error = raised(run(main), OAuthError)
    for e in (error, async_error):
        assert isinstance(e.__cause__, httpx.DecodingError)
    assert [r.path for r in server.requests] == ["/2/oauth2/token", "/2/oauth2/token"]


def test_a_connection_failure_says_why_and_to_which_host() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    # Nothing listens on that port now: the OS refuses the connection.
    with sync_client(f"http://127.0.0.1:{port}", max_retries=0) as c:
        refused = raised(lambda: c.get_posts_by_id("20"), APIConnectionError)
    assert str(refused) == (
        f"connection failed: GET /2/tweets/20: ConnectError (Connection refused, 127.0.0.1:{port})"
    )

    tls = ssl.SSLCertVerificationError(1, "certificate verify failed: self-signed certificate")
    tls.reason = "CERTIFICATE_VERIFY_FAILED"
    causes: list[BaseException] = [socket.gaierror(-2, "Name or service not known"), tls]

    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("details", request=request) from causes.pop(0)

    transport = httpx.MockTransport(handler)
    with sync_client(
        "https://api.x.com", http_client=httpx.Client(transport=transport), max_retries=0
    ) as c:
        unresolved = raised(lambda: c.get_posts_by_id("20"), APIConnectionError)
        untrusted = raised(lambda: c.get_posts_by_id("20"), APIConnectionError)
    assert str(unresolved).endswith("ConnectError (the host name does not resolve, api.x.com)")
    assert str(untrusted).endswith(
        "ConnectError (TLS failed: CERTIFICATE_VERIFY_FAILED, api.x.com)"
    )


def test_a_token_request_that_cannot_connect_is_named_not_the_api_call() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    token_url = f"http://127.0.0.1:{closed}/2/oauth2/token?tenant=q-SECRET"
    with Loopback(lambda ex: ex.respond(200, {"data": POST})) as api:
        auth = AppOnly("cid", "sec-SECRET", token_url=token_url)
        with twitter_api.Client(auth=auth, base_url=api.url, max_retries=0) as client:
            error = raised(
                lambda: client.request("GET", "/2/tweets/search/recent"), APIConnectionError
            )

        async def main() -> None:
            async with twitter_api.AsyncClient(auth=auth, base_url=api.url, max_retries=0) as ac:
                await ac.request("GET", "/2/tweets/search/recent")

        async_error = raised(run(main), APIConnectionError)
    for e in (error, async_error):
        assert str(e) == (
            "connection failed: POST /2/oauth2/token (sent by the auth for GET "
            f"/2/tweets/search/recent): ConnectError (Connection refused, 127.0.0.1:{closed})"
        )
    assert api.requests == []  # no API call without a bearer


def test_a_token_request_that_times_out_is_named_with_its_host() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/oauth2/token":
            raise httpx.ReadTimeout("details", request=request)
        return httpx.Response(200, json={"data": POST})

    auth = AppOnly("cid", "sec", token_url="https://auth.test:8443/oauth2/token")
    http = httpx.Client(transport=httpx.MockTransport(handler))
    with twitter_api.Client(auth=auth, http_client=http, max_retries=0) as client:
        error = raised(lambda: client.get_posts_by_id("20"), twitter_api.APITimeoutError)
    assert str(error) == (
        "timed out: POST /oauth2/token (sent by the auth for GET /2/tweets/20) (auth.test:8443)"
    )
