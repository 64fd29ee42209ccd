"""AppOnly, BearerToken, OAuth2UserToken and OAuth1 against the loopback fake X."""

from __future__ import annotations

import asyncio
import base64
import re
from urllib.parse import unquote

import httpx
import pytest
from auth_fake_x import FakeX
from twitter_api.auth import (
    APIKey,
    AppOnly,
    BearerToken,
    HTTPBasic,
    OAuth1,
    OAuth2PKCE,
    OAuth2UserToken,
    OAuthError,
)
from twitter_api.auth._rfc5849_oauth1 import hmac_sha1_signature, signature_base_string


def app_only(fake: FakeX, secret: str | None = None) -> AppOnly:
    return AppOnly(fake.app_key, secret or fake.app_secret, token_url=fake.app_token_url)


def test_app_only_fetches_once_and_caches(fake: FakeX) -> None:
    auth = app_only(fake)
    with httpx.Client(auth=auth) as client:
        first = client.get(fake.url + "/2/tweets/search/recent", params={"query": "x"})
        second = client.get(fake.url + "/2/tweets/search/recent", params={"query": "y"})
    assert (first.status_code, second.status_code) == (200, 200)
    assert fake.outcomes("app_token") == ["app:ok"]
    fetch = next(e for e in fake.events if e.endpoint == "app_token")
    assert fetch.form == {"grant_type": "client_credentials"}
    expected = base64.b64encode(f"{fake.app_key}:{fake.app_secret}".encode()).decode()
    assert fetch.headers["authorization"] == f"Basic {expected}"
    assert first.request.headers["Authorization"] == second.request.headers["Authorization"]


def test_app_only_refetches_once_on_401(fake: FakeX) -> None:
    auth = app_only(fake)
    with httpx.Client(auth=auth) as client:
        assert client.get(fake.url + "/2/tweets/search/recent").status_code == 200
        fake.expire_access_tokens()
        assert client.get(fake.url + "/2/tweets/search/recent").status_code == 200
        fake.access_lifetime = -1  # now every bearer is dead: one re-fetch, then the 401 stands
        fake.expire_access_tokens()
        assert client.get(fake.url + "/2/tweets/search/recent").status_code == 401
    assert fake.outcomes("app_token") == ["app:ok"] * 3
    assert (
        fake.outcomes("search") == ["search:200", "search:401", "search:200"] + ["search:401"] * 2
    )


def test_app_only_async_and_bad_credentials(fake: FakeX) -> None:
    async def main(auth: AppOnly) -> int:
        async with httpx.AsyncClient(auth=auth) as client:
            return (await client.get(fake.url + "/2/tweets/search/recent")).status_code

    assert asyncio.run(main(app_only(fake))) == 200
    with pytest.raises(OAuthError) as caught:
        asyncio.run(main(app_only(fake, secret="wrong-secret")))
    assert caught.value.status_code == 403
    assert "wrong-secret" not in str(caught.value)


def test_security_schemes_and_scopes(fake: FakeX) -> None:
    assert AppOnly.security_scheme == "BearerToken"
    assert app_only(fake).granted_scopes is None
    assert BearerToken.security_scheme == "BearerToken"
    assert BearerToken("t").granted_scopes is None
    assert OAuth2UserToken.security_scheme == "OAuth2UserToken"
    assert OAuth2UserToken("t", scopes=["users.read"]).granted_scopes == frozenset({"users.read"})
    assert OAuth2UserToken("t").granted_scopes is None
    assert OAuth1.security_scheme == "UserToken"
    assert OAuth1("a", "b", "c", "d").granted_scopes is None
    assert OAuth2PKCE.security_scheme == "OAuth2UserToken"


def test_static_bearers_send_their_token(fake: FakeX) -> None:
    access, _ = fake.issue("users.read", 60, refresh=False)
    with httpx.Client(auth=OAuth2UserToken(access, scopes=["users.read"])) as client:
        response = client.get(fake.url + "/2/users/me")
    assert response.status_code == 200
    assert response.request.headers["Authorization"] == f"Bearer {access}"
    with httpx.Client(auth=BearerToken("app-bearer-1")) as client:
        echoed = client.get(fake.url + "/echo").json()
    assert echoed["headers"]["authorization"] == "Bearer app-bearer-1"


def test_oauth1_signs_what_the_server_receives(fake: FakeX) -> None:
    """Recompute the signature from what arrived at the server: query and form body count."""
    auth = OAuth1("ck-1", "cs-1", "tk-1", "ts-1", clock=lambda: 1700000000, nonce=lambda: "n0nce")
    with httpx.Client(auth=auth) as client:
        echoed = client.post(
            fake.url + "/echo?b=2&a=1%20x", data={"status": "Hello Ladies + Gentlemen!"}
        ).json()
    fields = {
        k: unquote(v) for k, v in re.findall(r'(\w+)="([^"]*)"', echoed["headers"]["authorization"])
    }
    assert fields["oauth_consumer_key"] == "ck-1"
    assert fields["oauth_token"] == "tk-1"
    assert fields["oauth_timestamp"] == "1700000000"
    assert fields["oauth_nonce"] == "n0nce"
    assert echoed["body"] == "status=Hello+Ladies+%2B+Gentlemen%21"
    params = [(k, v) for k, v in fields.items() if k != "oauth_signature"]
    params += [("b", "2"), ("a", "1 x"), ("status", "Hello Ladies + Gentlemen!")]
    base = signature_base_string("POST", fake.url + "/echo", params)
    assert fields["oauth_signature"] == hmac_sha1_signature(base, "cs-1", "ts-1")


def test_reprs_hide_credentials(fake: FakeX) -> None:
    objects = [
        BearerToken("bearer-value-1"),
        OAuth2UserToken("user-value-1", scopes=["users.read"]),
        OAuth1("oauth1-key-1", "oauth1-secret-1", "oauth1-token-1", "oauth1-token-secret-1"),
        AppOnly("app-key-value-1", "app-secret-value-1", token_url=fake.app_token_url),
        APIKey("api-key-value-1", name="X-API-Key"),
        HTTPBasic("user", "basic-password-1"),
    ]
    text = " ".join(repr(o) + str(o) for o in objects)
    for value in (
        "bearer-value-1",
        "user-value-1",
        "oauth1-key-1",
        "oauth1-secret-1",
        "oauth1-token-1",
        "app-secret-value-1",
        "api-key-value-1",
        "basic-password-1",
    ):
        assert value not in text


def test_public_names() -> None:
    import twitter_api.auth as auth

    assert set(auth.__all__) == {
        "APIKey",
        "HTTPBasic",
        "AccessDeniedError",
        "AppOnly",
        "AuthError",
        "BearerToken",
        "FileTokenStore",
        "KeyringTokenStore",
        "LoginTimeoutError",
        "MultiAuth",
        "NotLoggedInError",
        "OAuth1",
        "OAuth2PKCE",
        "OAuth2UserToken",
        "OAuthError",
        "RedisTokenStore",
        "StateMismatchError",
        "Secret",
        "StoreLock",
        "Token",
        "TokenStore",
        "TokenStoreError",
        "TokenStoreUnavailableError",
        "open_token_store",
    }
    for name in auth.__all__:
        # Secret is the package's credential wrapper, shared with webhooks.
        home = "twitter_api._secrets" if name == "Secret" else "twitter_api.auth."
        assert getattr(auth, name).__module__.startswith(home)
    for flow in (auth.AppOnly, auth.BearerToken, auth.OAuth1, auth.OAuth2PKCE):
        assert issubclass(flow, httpx.Auth)
