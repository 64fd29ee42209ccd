"""Where the auth classes send secrets: https endpoints, no redirects, X's consent page, Basic."""

from __future__ import annotations

import asyncio
import textwrap
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from twitter_api import Client
from twitter_api._config import ConfigError, load_settings
from twitter_api._secrets import Secret
from twitter_api.auth import AppOnly, FileTokenStore, OAuth2PKCE, OAuthError, Token

from tests.loopback import Exchange, Loopback

SCOPES = ["users.read", "offline.access"]
REDIRECT_URI = "http://127.0.0.1:8976/callback"
TOKEN_JSON = {
    "token_type": "bearer",
    "access_token": "access-new",
    "refresh_token": "refresh-new",
    "expires_in": 7200,
    "scope": "users.read offline.access",
}


def pkce(**kwargs: object) -> OAuth2PKCE:
    return OAuth2PKCE("client-1", REDIRECT_URI, SCOPES, **kwargs)  # type: ignore[arg-type]


def answer_token(exchange: Exchange) -> None:
    exchange.respond(200, TOKEN_JSON)


@pytest.fixture
def evil() -> Iterator[Loopback]:
    """The host a redirect points to: it must receive nothing."""
    with Loopback(answer_token) as server:
        yield server


@pytest.fixture
def redirecting(evil: Loopback) -> Iterator[Loopback]:
    """A token and revocation endpoint that answers every request with a 307 to `evil`."""

    def handle(exchange: Exchange) -> None:
        exchange.respond(307, {}, {"Location": evil.url + exchange.request.path})

    with Loopback(handle) as server:
        yield server


# -- 3. plain http -------------------------------------------------------------------------------


@pytest.mark.parametrize("setting", ["authorize_url", "token_url", "revoke_url"])
def test_pkce_refuses_plain_http_endpoints(setting: str) -> None:
    url = "http://auth.example/2/oauth2/x"
    with pytest.raises(ValueError) as caught:
        pkce(client_secret="client-secret-Wq3", **{setting: url})
    assert str(caught.value).startswith(f"{setting} uses plain http to auth.example")
    assert "client-secret-Wq3" not in str(caught.value)
    assert getattr(pkce(allow_insecure_http=True, **{setting: url}), setting) == url
    loopback = "http://127.0.0.1:9/2/oauth2/x"
    assert getattr(pkce(**{setting: loopback}), setting) == loopback


def test_app_only_refuses_a_plain_http_token_url() -> None:
    with pytest.raises(ValueError, match=r"^token_url uses plain http to auth\.example"):
        AppOnly("key", "app-secret-Jw2", token_url="http://auth.example/oauth2/token")
    allowed = AppOnly("key", "s", token_url="http://auth.example/t", allow_insecure_http=True)
    assert allowed.token_url == "http://auth.example/t"
    assert AppOnly("key", "s", token_url="http://[::1]:9/t").token_url == "http://[::1]:9/t"


def write_config(path: Path, text: str) -> Path:
    path.write_text(textwrap.dedent(text).lstrip())
    path.chmod(0o600)
    return path


def test_config_refuses_plain_http_endpoints_naming_key_and_place(tmp_path: Path) -> None:
    config = write_config(
        tmp_path / "Config.toml",
        """
        [twitter_api]
        base_url = "http://api.example"

        [twitter_api.profiles.app]
        flow = "app"
        client_id = "key"
        client_secret = { env = "APP_SECRET" }
        token_url = "http://auth.example/oauth2/token"
        """,
    )
    with pytest.raises(ConfigError) as caught:
        load_settings(config, environ={"APP_SECRET": "app-secret-Jw2"})
    assert [str(p).split(" uses plain http")[0] for p in caught.value.problems] == [
        f"{config}:2:1: `base_url` in [twitter_api]",
        f"{config}:8:1: `token_url` in profile `app`",
    ]
    assert "app-secret-Jw2" not in str(caught.value)


@pytest.mark.parametrize("table", ["module", "profile"])
def test_config_allow_insecure_http_reaches_the_client_and_the_auth(
    tmp_path: Path, table: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("APP_SECRET", "s")
    allow = "allow_insecure_http = true\n"
    config = write_config(
        tmp_path / "Config.toml",
        f"""
        [twitter_api]
        base_url = "http://api.example"
        {allow if table == "module" else ""}
        [twitter_api.profiles.app]
        flow = "app"
        client_id = "key"
        client_secret = {{ env = "APP_SECRET" }}
        token_url = "http://auth.example/oauth2/token"
        {allow if table == "profile" else ""}
        """,
    )
    settings = load_settings(config)
    assert settings.allow_insecure_http is True
    assert isinstance(settings.auth, AppOnly)
    assert settings.auth.token_url == "http://auth.example/oauth2/token"
    client = Client.from_config(config)
    assert client.base_url == "http://api.example"


# -- 4. no redirects at the token and revocation endpoints ---------------------------------------


def following(asynchronous: bool) -> dict[str, httpx.Client | httpx.AsyncClient]:
    """An HTTP client for OAuth2PKCE that would follow redirects if asked to."""
    if asynchronous:
        return {"async_http_client": httpx.AsyncClient(follow_redirects=True)}
    return {"http_client": httpx.Client(follow_redirects=True)}


@pytest.mark.parametrize("asynchronous", [False, True], ids=["sync", "async"])
def test_code_exchange_does_not_follow_a_redirect(
    redirecting: Loopback, evil: Loopback, asynchronous: bool
) -> None:
    auth = pkce(
        client_secret="client-secret-Wq3",
        token_url=redirecting.url + "/2/oauth2/token",
        **following(asynchronous),
    )
    state = parse_qs(urlsplit(auth.authorization_url()).query)["state"][0]
    callback = f"{REDIRECT_URI}?code=code-Pz4&state={state}"
    with pytest.raises(OAuthError, match="redirect, which is not followed"):
        if asynchronous:
            asyncio.run(auth.acomplete(callback))
        else:
            auth.complete(callback)
    [exchange] = redirecting.requests
    assert b"code=code-Pz4" in exchange.body
    assert evil.requests == []
    assert auth.token is None


@pytest.mark.parametrize("asynchronous", [False, True], ids=["sync", "async"])
def test_revocation_does_not_follow_a_redirect(
    redirecting: Loopback, evil: Loopback, tmp_path: Path, asynchronous: bool
) -> None:
    store = FileTokenStore(tmp_path / "token.json")
    store.save(Token(access_token=Secret("access-Hh5"), refresh_token=Secret("refresh-Zy9")))
    auth = pkce(
        client_secret="client-secret-Wq3",
        token_store=store,
        revoke_url=redirecting.url + "/2/oauth2/revoke",
        **following(asynchronous),
    )
    with pytest.raises(OAuthError, match="redirect") as caught:
        if asynchronous:
            asyncio.run(auth.arevoke())
        else:
            auth.revoke()
    assert "refresh-Zy9" not in str(caught.value)
    assert [r.path for r in redirecting.requests] == ["/2/oauth2/revoke"]
    assert evil.requests == []
    assert store.load() is not None  # nothing was revoked, so nothing is forgotten


def test_app_only_token_fetch_does_not_follow_a_redirect(
    redirecting: Loopback, evil: Loopback
) -> None:
    auth = AppOnly("key", "app-secret-Jw2", token_url=redirecting.url + "/oauth2/token")
    http = httpx.Client(follow_redirects=True)
    with Client(auth=auth, base_url=redirecting.url, http_client=http) as client:
        with pytest.raises(OAuthError, match="redirect"):
            client.request("GET", "/2/tweets/search/recent")
    assert [r.path for r in redirecting.requests] == ["/oauth2/token"]
    assert evil.requests == []


# -- 13. X's consent page and HTTP Basic client authentication -----------------------------------


def test_the_default_authorization_url_is_x_consent_page() -> None:
    url = pkce().authorization_url()
    assert url.startswith("https://x.com/i/oauth2/authorize?response_type=code&client_id=client-1&")
    assert pkce().token_url == "https://api.x.com/2/oauth2/token"
    assert pkce().revoke_url == "https://api.x.com/2/oauth2/revoke"


# client_id "my:client" and secret "p@ss w/rd+é", each form-urlencoded (RFC 6749 2.3.1), joined
# with ":" and base64-encoded: base64("my%3Aclient:p%40ss+w%2Frd%2B%C3%A9").
BASIC = "Basic bXklM0FjbGllbnQ6cCU0MHNzK3clMkZyZCUyQiVDMyVBOQ=="


def test_confidential_clients_authenticate_with_http_basic(tmp_path: Path) -> None:
    now = [1000.0]
    with Loopback(answer_token) as server:
        auth = OAuth2PKCE(
            "my:client",
            REDIRECT_URI,
            SCOPES,
            client_secret="p@ss w/rd+é",
            token_store=tmp_path / "token.json",
            token_url=server.url + "/2/oauth2/token",
            clock=lambda: now[0],
        )
        state = parse_qs(urlsplit(auth.authorization_url()).query)["state"][0]
        auth.complete(f"{REDIRECT_URI}?code=code-Pz4&state={state}")
        now[0] += 7200.0  # the access token expired: the next call refreshes first
        with Client(auth=auth, base_url=server.url) as client:
            client.request("GET", "/2/users/me")
        exchange, refresh, call = server.requests
    for token_request in (exchange, refresh):
        assert token_request.path == "/2/oauth2/token"
        assert token_request.headers["authorization"] == BASIC
        assert token_request.headers["content-type"] == "application/x-www-form-urlencoded"
    assert parse_qs(exchange.body.decode()) == {
        "grant_type": ["authorization_code"],
        "code": ["code-Pz4"],
        "redirect_uri": [REDIRECT_URI],
        "code_verifier": [parse_qs(exchange.body.decode())["code_verifier"][0]],
    }
    assert refresh.body == b"grant_type=refresh_token&refresh_token=refresh-new"
    assert call.headers["authorization"] == "Bearer access-new"
