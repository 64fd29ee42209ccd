"""OAuth2PKCE against the loopback fake X: authorization, exchange, refresh, revoke, login."""

from __future__ import annotations

import json
import stat
import threading
import time
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from auth_fake_x import FakeX, approve_in_place_of_a_browser
from auth_support import USER_SCOPES, free_port
from twitter_api.auth import (
    AccessDeniedError,
    AuthError,
    LoginTimeoutError,
    NotLoggedInError,
    OAuth2PKCE,
    OAuthError,
    StateMismatchError,
    Token,
)


def make_auth(fake: FakeX, store: Path | None, **kwargs: object) -> OAuth2PKCE:
    return OAuth2PKCE(
        fake.client_id,
        fake.redirect_uri,
        kwargs.pop("scopes", USER_SCOPES),  # type: ignore[arg-type]
        client_secret=kwargs.pop("client_secret", fake.client_secret),  # type: ignore[arg-type]
        token_store=store,
        authorize_url=fake.authorize_url,
        token_url=fake.token_url,
        revoke_url=fake.revoke_url,
        **kwargs,  # type: ignore[arg-type]
    )


def logged_in(fake: FakeX, store: Path | None, **kwargs: object) -> OAuth2PKCE:
    auth = make_auth(fake, store, **kwargs)
    auth.complete(approve_in_place_of_a_browser(auth.authorization_url()))
    return auth


def stored(store: Path) -> dict[str, object]:
    data = json.loads(store.read_text())
    assert isinstance(data, dict)
    return data


# -- the authorization URL ------------------------------------------------------------------------


def test_authorization_url_carries_every_pkce_parameter(fake: FakeX) -> None:
    auth = make_auth(fake, None)
    url = auth.authorization_url()
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == fake.authorize_url
    query = {k: v for k, v in parse_qs(parts.query).items()}
    assert all(len(v) == 1 for v in query.values())
    params = {k: v[0] for k, v in query.items()}
    assert set(params) == {
        "response_type",
        "client_id",
        "redirect_uri",
        "scope",
        "state",
        "code_challenge",
        "code_challenge_method",
    }
    assert params["response_type"] == "code"
    assert params["client_id"] == fake.client_id
    assert params["redirect_uri"] == fake.redirect_uri
    assert params["scope"] == "tweet.read users.read offline.access"
    assert params["code_challenge_method"] == "S256"
    assert len(params["code_challenge"]) == 43
    assert len(params["state"]) >= 22
    # Each URL is new: another state, another verifier (so another challenge).
    other = {k: v[0] for k, v in parse_qs(urlsplit(auth.authorization_url()).query).items()}
    assert other["state"] != params["state"]
    assert other["code_challenge"] != params["code_challenge"]


def test_plain_method_is_available(fake: FakeX, store_path: Path) -> None:
    auth = make_auth(fake, store_path, code_challenge_method="plain")
    url = auth.authorization_url()
    assert parse_qs(urlsplit(url).query)["code_challenge_method"] == ["plain"]
    auth.complete(approve_in_place_of_a_browser(url))
    assert fake.outcomes("token") == ["authorization_code:plain:ok"]


# -- complete() -----------------------------------------------------------------------------------


def test_public_client_exchange_persists_a_private_token(fake: FakeX, store_path: Path) -> None:
    auth = make_auth(fake, store_path)
    token = auth.complete(approve_in_place_of_a_browser(auth.authorization_url()))

    assert fake.outcomes("token") == ["authorization_code:S256:ok"]
    exchange = fake.events[-1]
    assert exchange.form["client_id"] == fake.client_id
    assert exchange.form["redirect_uri"] == fake.redirect_uri
    assert set(exchange.form) == {
        "grant_type",
        "code",
        "redirect_uri",
        "code_verifier",
        "client_id",
    }
    assert "authorization" not in exchange.headers

    data = stored(store_path)
    assert data["access_token"] == token.access_token.reveal()
    assert data["refresh_token"] == token.refresh_token.reveal()  # type: ignore[union-attr]
    assert data["scope"] == "offline.access tweet.read users.read"
    assert stat.S_IMODE(store_path.stat().st_mode) == 0o600
    assert stat.S_IMODE(store_path.parent.stat().st_mode) == 0o700
    assert auth.granted_scopes == frozenset(USER_SCOPES)
    assert auth.security_scheme == "OAuth2UserToken"


def test_confidential_client_uses_http_basic(confidential_fake: FakeX, store_path: Path) -> None:
    auth = make_auth(confidential_fake, store_path)
    auth.complete(approve_in_place_of_a_browser(auth.authorization_url()))
    exchange = confidential_fake.events[-1]
    assert confidential_fake.outcomes("token") == ["authorization_code:S256:ok"]
    assert exchange.headers["authorization"].startswith("Basic ")
    assert "client_id" not in exchange.form


def test_tampered_state_is_refused_before_any_exchange(fake: FakeX) -> None:
    auth = make_auth(fake, None)
    callback = approve_in_place_of_a_browser(auth.authorization_url())
    forged = callback.replace("state=", "state=x")
    with pytest.raises(StateMismatchError):
        auth.complete(forged)
    assert fake.outcomes("token") == []


def test_state_is_single_use(fake: FakeX) -> None:
    auth = make_auth(fake, None)
    callback = approve_in_place_of_a_browser(auth.authorization_url())
    auth.complete(callback)
    with pytest.raises(StateMismatchError):
        auth.complete(callback)
    assert fake.outcomes("token") == ["authorization_code:S256:ok"]


def test_only_recent_authorization_attempts_stay_valid(fake: FakeX) -> None:
    auth = make_auth(fake, None)
    urls = [auth.authorization_url() for _ in range(20)]
    with pytest.raises(StateMismatchError):
        auth.complete(approve_in_place_of_a_browser(urls[0]))
    auth.complete(approve_in_place_of_a_browser(urls[-1]))
    assert fake.outcomes("token") == ["authorization_code:S256:ok"]


def test_access_denied_is_a_clear_error(fake: FakeX) -> None:
    auth = make_auth(fake, None)
    callback = approve_in_place_of_a_browser(auth.authorization_url(), decision="deny")
    assert "error=access_denied" in callback
    with pytest.raises(AccessDeniedError, match="declined"):
        auth.complete(callback)
    assert fake.outcomes("token") == []


def test_fake_server_enforces_pkce(fake: FakeX) -> None:
    """The fake is only a fair test if it rejects what X rejects: wrong verifier, reused code."""
    auth = make_auth(fake, None)
    code = parse_qs(urlsplit(approve_in_place_of_a_browser(auth.authorization_url())).query)
    form = {
        "grant_type": "authorization_code",
        "code": code["code"][0],
        "redirect_uri": fake.redirect_uri,
        "code_verifier": "W" * 43,
        "client_id": fake.client_id,
    }
    wrong = httpx.post(fake.token_url, data=form)
    assert (wrong.status_code, wrong.json()["error"]) == (400, "invalid_grant")
    again = httpx.post(fake.token_url, data=form)
    assert (again.status_code, again.json()["error"]) == (400, "invalid_grant")
    assert fake.outcomes("token") == [
        "authorization_code:bad_verifier",
        "authorization_code:reused",
    ]


# -- using and refreshing the token ---------------------------------------------------------------


def test_requests_carry_the_bearer(fake: FakeX, store_path: Path) -> None:
    auth = logged_in(fake, store_path)
    with httpx.Client(auth=auth) as client:
        response = client.get(fake.url + "/2/users/me")
    assert response.status_code == 200
    assert response.json()["data"]["username"] == "fake_user"
    assert response.request.headers["Authorization"] == (
        f"Bearer {stored(store_path)['access_token']}"
    )


def test_a_new_object_reads_the_store(fake: FakeX, store_path: Path) -> None:
    logged_in(fake, store_path)
    again = make_auth(fake, store_path)
    assert again.granted_scopes == frozenset(USER_SCOPES)
    with httpx.Client(auth=again) as client:
        assert client.get(fake.url + "/2/users/me").status_code == 200
    assert fake.count("refresh_token:ok") == 0


def test_proactive_refresh_persists_before_use(fake: FakeX, store_path: Path) -> None:
    now = [time.time()]
    auth = logged_in(fake, store_path, clock=lambda: now[0], refresh_leeway=60.0)
    first = stored(store_path)
    seen: list[tuple[str, object]] = []
    fake.on_user_call = lambda token: seen.append((token, stored(store_path)["access_token"]))

    now[0] += fake.access_lifetime - 30  # inside the leeway, not yet expired
    with httpx.Client(auth=auth) as client:
        assert client.get(fake.url + "/2/users/me").status_code == 200

    assert fake.outcomes("token") == ["authorization_code:S256:ok", "refresh_token:ok"]
    refresh_form = fake.events[-2].form
    assert refresh_form["refresh_token"] == first["refresh_token"]
    assert refresh_form["client_id"] == fake.client_id
    second = stored(store_path)
    assert second["access_token"] != first["access_token"]
    assert second["refresh_token"] != first["refresh_token"]  # rotated
    # The API saw the new token only after the store already held it.
    assert seen == [(second["access_token"], second["access_token"])]


def test_reactive_refresh_once_on_401(fake: FakeX, store_path: Path) -> None:
    auth = logged_in(fake, store_path)
    fake.expire_access_tokens()  # X says no; the client still thinks the token is fine
    with httpx.Client(auth=auth) as client:
        response = client.get(fake.url + "/2/users/me")
    assert response.status_code == 200
    assert fake.outcomes("me") == ["me:401", "me:200"]
    assert fake.count("refresh_token:ok") == 1


def test_a_second_401_is_returned_not_looped(fake: FakeX, store_path: Path) -> None:
    auth = logged_in(fake, store_path)
    fake.access_lifetime = -1  # every token X issues is dead on arrival
    fake.expire_access_tokens()
    with httpx.Client(auth=auth) as client:
        response = client.get(fake.url + "/2/users/me")
    assert response.status_code == 401
    assert fake.outcomes("me") == ["me:401", "me:401"]
    assert fake.count("refresh_token:ok") == 1


def test_a_spent_refresh_token_is_a_clear_error(fake: FakeX, store_path: Path) -> None:
    now = [time.time()]
    auth = logged_in(fake, store_path, clock=lambda: now[0])
    spent = stored(store_path)["refresh_token"]
    httpx.post(
        fake.token_url,
        data={"grant_type": "refresh_token", "refresh_token": spent, "client_id": fake.client_id},
    )
    now[0] += fake.access_lifetime + 1
    with httpx.Client(auth=auth) as client, pytest.raises(OAuthError) as caught:
        client.get(fake.url + "/2/users/me")
    assert caught.value.error == "invalid_grant"
    assert "log in again" in str(caught.value)


def test_async_client_refreshes_the_same_way(fake: FakeX, store_path: Path) -> None:
    import asyncio

    auth = logged_in(fake, store_path)
    fake.expire_access_tokens()

    async def main() -> int:
        async with httpx.AsyncClient(auth=auth) as client:
            return (await client.get(fake.url + "/2/users/me")).status_code

    assert asyncio.run(main()) == 200
    assert fake.outcomes("me") == ["me:401", "me:200"]
    assert fake.count("refresh_token:ok") == 1


def test_without_offline_access_it_warns_and_expiry_needs_a_login(
    fake: FakeX, store_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    now = [time.time()]
    with pytest.warns(UserWarning, match="offline.access") as warned:
        auth = make_auth(
            fake, store_path, scopes=["tweet.read", "users.read"], clock=lambda: now[0]
        )
    # Said once: a log record as well would print it twice where logging is not configured.
    assert len(warned) == 1
    assert not [r for r in caplog.records if "offline.access" in r.getMessage()]
    token = auth.complete(approve_in_place_of_a_browser(auth.authorization_url()))
    assert token.refresh_token is None
    now[0] += fake.access_lifetime + 1
    with (
        httpx.Client(auth=auth) as client,
        pytest.raises(NotLoggedInError, match=r"offline\.access"),
    ):
        client.get(fake.url + "/2/users/me")
    assert fake.outcomes("me") == []


def test_no_token_yet_is_a_clear_error(fake: FakeX, store_path: Path) -> None:
    auth = make_auth(fake, store_path)
    with httpx.Client(auth=auth) as client, pytest.raises(NotLoggedInError, match="auth login"):
        client.get(fake.url + "/2/users/me")
    assert auth.granted_scopes is None


def test_in_memory_only_without_a_store(fake: FakeX, tmp_path: Path) -> None:
    auth = logged_in(fake, None)
    fake.expire_access_tokens()
    with httpx.Client(auth=auth) as client:
        assert client.get(fake.url + "/2/users/me").status_code == 200
    assert list(tmp_path.iterdir()) == []


# -- revoke() -------------------------------------------------------------------------------------


def test_revoke_revokes_both_tokens_and_clears_the_store(fake: FakeX, store_path: Path) -> None:
    auth = logged_in(fake, store_path)
    data = stored(store_path)
    assert auth.revoke() is True
    assert fake.outcomes("revoke") == ["revoke:refresh_token", "revoke:access_token"]
    assert fake.is_revoked(str(data["access_token"]))
    assert fake.is_revoked(str(data["refresh_token"]))
    assert not store_path.exists()
    assert auth.token is None
    assert auth.revoke() is False


# -- login() --------------------------------------------------------------------------------------


def test_login_receives_the_redirect_on_loopback(tmp_path: Path) -> None:
    fake = FakeX(redirect_uri=f"http://127.0.0.1:{free_port()}/callback").start()
    try:
        store = tmp_path / "store.json"
        auth = make_auth(fake, store)
        pages: list[httpx.Response] = []
        browsers: list[threading.Thread] = []

        def user_in_a_browser(url: str) -> None:
            def run() -> None:
                callback = approve_in_place_of_a_browser(url)
                pages.append(httpx.get(callback.split("?")[0] + "/elsewhere"))
                pages.append(httpx.get(callback))

            browsers.append(threading.Thread(target=run, daemon=True))
            browsers[0].start()

        token = auth.login(open_browser=False, timeout=30, open_url=user_in_a_browser)
        browsers[0].join(30)  # login may return before the browser has read its page
        assert isinstance(token, Token)
        assert stored(store)["access_token"] == token.access_token.reveal()
        # Only the redirect path is served, with the small page telling the user what to do.
        assert pages[0].status_code == 404
        assert pages[1].status_code == 200
        assert "close this tab" in pages[1].text
        assert pages[1].headers["Cache-Control"] == "no-store"
    finally:
        fake.stop()


def test_login_ignores_forged_callbacks_and_completes_with_the_real_code(tmp_path: Path) -> None:
    fake = FakeX(redirect_uri=f"http://127.0.0.1:{free_port()}/callback").start()
    try:
        store = tmp_path / "store.json"
        auth = make_auth(fake, store)
        other_state = urlsplit(auth.authorization_url()).query  # pending, but not this login's
        forged_state = parse_qs(other_state)["state"][0]
        pages: dict[str, httpx.Response] = {}
        real: list[str] = []
        browsers: list[threading.Thread] = []

        def user_and_attacker(url: str) -> None:
            def run() -> None:
                base = fake.redirect_uri
                # Any local process can reach the port: these must neither end nor win the login.
                pages["error"] = httpx.get(f"{base}?error=access_denied&state=wrong")
                pages["code"] = httpx.get(f"{base}?code=code-forged&state=wrong")
                pages["no state"] = httpx.get(f"{base}?error=access_denied")
                pages["other login"] = httpx.get(f"{base}?code=code-forged&state={forged_state}")
                pages["two states"] = httpx.get(
                    f"{base}?code=code-forged&state=wrong&state={_state_of(url)}"
                )
                callback = approve_in_place_of_a_browser(url)
                real.append(parse_qs(urlsplit(callback).query)["code"][0])
                pages["real"] = httpx.get(callback)

            browsers.append(threading.Thread(target=run, daemon=True))
            browsers[0].start()

        token = auth.login(open_browser=False, timeout=30, open_url=user_and_attacker)
        browsers[0].join(30)  # login may return before the browser has read its page
        for name in ("error", "code", "no state", "other login", "two states"):
            assert pages[name].status_code == 400, name
            assert "was ignored" in pages[name].text
        assert pages["real"].status_code == 200
        assert "Authorization received" in pages["real"].text
        # The one code exchanged is the real one, and it produced the stored token.
        exchanges = [e for e in fake.events if e.endpoint == "token"]
        assert [e.form["code"] for e in exchanges] == real
        assert [e.outcome for e in exchanges] == ["authorization_code:S256:ok"]
        assert stored(store)["access_token"] == token.access_token.reveal()
    finally:
        fake.stop()


def _state_of(url: str) -> str:
    return parse_qs(urlsplit(url).query)["state"][0]


def test_login_reports_a_real_denial_with_the_right_state(fake: FakeX) -> None:
    fake.stop()
    fake = FakeX(redirect_uri=f"http://127.0.0.1:{free_port()}/callback").start()
    try:
        auth = make_auth(fake, None)
        answers: list[httpx.Response] = []
        browsers: list[threading.Thread] = []

        def user_declines(url: str) -> None:
            def run() -> None:
                answers.append(httpx.get(approve_in_place_of_a_browser(url, decision="deny")))

            browsers.append(threading.Thread(target=run, daemon=True))
            browsers[0].start()

        with pytest.raises(AccessDeniedError, match="declined"):
            auth.login(open_browser=False, timeout=30, open_url=user_declines)
        browsers[0].join(30)  # login may return before the browser has read its page
        assert answers[0].status_code == 200
        assert "The server answered: access_denied." in answers[0].text
        assert fake.outcomes("token") == []
    finally:
        fake.stop()


def test_complete_checks_the_state_before_the_error(fake: FakeX) -> None:
    auth = make_auth(fake, None)
    auth.authorization_url()
    with pytest.raises(StateMismatchError):
        auth.complete(f"{fake.redirect_uri}?error=access_denied&state=wrong")
    assert len(auth._pending) == 1  # the real attempt is still pending


def test_login_times_out_cleanly_and_frees_the_port(capsys: pytest.CaptureFixture[str]) -> None:
    port = free_port()
    fake = FakeX(redirect_uri=f"http://127.0.0.1:{port}/callback").start()
    try:
        auth = make_auth(fake, None)
        with pytest.raises(LoginTimeoutError, match=r"within 0\.3 s"):
            auth.login(open_browser=False, timeout=0.3)
        assert "Open this URL" in capsys.readouterr().err
        with pytest.raises(LoginTimeoutError):  # the port is free again
            auth.login(open_browser=False, timeout=0.1)
        assert auth._pending == {}
    finally:
        fake.stop()


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
def test_login_binds_only_the_redirect_host(host: str) -> None:
    import socket

    port = free_port()
    fake = FakeX(redirect_uri=f"http://{host}:{port}/callback").start()
    try:
        auth = make_auth(fake, None)
        results: list[str] = []

        def probe(url: str) -> None:
            # Listening on 127.0.0.1 only: another loopback address is refused.
            for address in ("127.0.0.1", "127.0.0.2"):
                with socket.socket() as sock:
                    sock.settimeout(2)
                    try:
                        sock.connect((address, port))
                        results.append("connected")
                    except OSError:
                        results.append("refused")

        with pytest.raises(LoginTimeoutError, match=f"http://{host}:{port}/callback"):
            auth.login(open_browser=False, timeout=0.3, open_url=probe)
        assert results == ["connected", "refused"]
    finally:
        fake.stop()


@pytest.mark.parametrize(
    "redirect",
    [
        "http://0.0.0.0:8976/callback",
        "http://192.0.2.10:8976/callback",
        "http://example.com:8976/callback",
        "http://localhost.example.com:8976/callback",
        "https://127.0.0.1:8976/callback",
        "http://127.0.0.1/callback",
    ],
)
def test_login_refuses_a_redirect_it_cannot_serve_on_loopback(redirect: str) -> None:
    auth = OAuth2PKCE("fake-client-id", redirect, USER_SCOPES)
    opened: list[str] = []
    with pytest.raises(AuthError, match="login\\(\\) needs a loopback redirect_uri"):
        auth.login(open_browser=False, timeout=0.1, open_url=opened.append)
    assert opened == []
    assert auth._pending == {}


def test_login_needs_a_loopback_redirect(fake: FakeX) -> None:
    auth = OAuth2PKCE(fake.client_id, "https://example.com/callback", USER_SCOPES)
    with pytest.raises(AuthError, match="loopback redirect_uri"):
        auth.login(open_browser=False, timeout=0.1)
