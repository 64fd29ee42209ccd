"""No secret, token, code or verifier in logs, reprs, warnings or exception texts.

Every flow (and its failure modes) runs with DEBUG logging on every logger, httpx and httpcore
included; then everything observable is searched for every secret value involved.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from auth_fake_x import FakeX, approve_in_place_of_a_browser
from auth_support import USER_SCOPES
from twitter_api._config import load_settings
from twitter_api.auth import (
    AppOnly,
    BearerToken,
    FileTokenStore,
    OAuth1,
    OAuth2PKCE,
    OAuth2UserToken,
)

CLIENT_SECRET = "cs-LEAKCHECK-0001"
OTHER_SECRETS = [
    "bearer-LEAKCHECK-0002",
    "user-LEAKCHECK-0003",
    "o1key-LEAKCHECK-0004",
    "o1secret-LEAKCHECK-0005",
    "o1token-LEAKCHECK-0006",
    "o1tsecret-LEAKCHECK-0007",
    "env-LEAKCHECK-0008",
    "file-LEAKCHECK-0009",
    "literal-LEAKCHECK-0010",
]


class Everything(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.texts: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.texts.append(self.format(record))
        self.texts.append(repr(record.args))
        if record.exc_info and record.exc_info[1] is not None:
            self.texts.append(repr(record.exc_info[1]))


def observe(texts: list[str], *objects: Any) -> None:
    for obj in objects:
        texts.append(repr(obj))
        texts.append(str(obj))
        if isinstance(obj, BaseException):
            texts.append(repr(obj.args))
            cause = obj.__cause__ or obj.__context__
            if cause is not None:
                observe(texts, cause)


def expect_error(texts: list[str], call: Any, *args: Any) -> None:
    try:
        call(*args)
    except Exception as exc:
        observe(texts, exc)
    else:
        raise AssertionError(f"{call} did not fail")


def test_no_secret_is_ever_shown(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    handler = Everything()
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    texts: list[str] = []
    fake = FakeX(client_secret=CLIENT_SECRET).start()
    try:
        with warnings.catch_warnings(record=True) as caught_warnings:
            warnings.simplefilter("always")
            _exercise_every_flow(fake, tmp_path, texts, monkeypatch, _unobserved(handler))
    finally:
        fake.stop()
        root.removeHandler(handler)
        root.setLevel(old_level)
    texts += handler.texts
    texts += [str(w.message) for w in caught_warnings]
    captured = capsys.readouterr()
    texts += [captured.out, captured.err]

    secrets = set(fake.seen_secrets) | {CLIENT_SECRET, *OTHER_SECRETS}
    secrets.add(base64.b64encode(f"{fake.client_id}:{CLIENT_SECRET}".encode()).decode())
    assert len(fake.seen_secrets) > 10  # codes, verifiers, access and refresh tokens
    assert len(handler.texts) > 20  # the logging really was on
    haystack = "\n".join(texts)
    leaked = sorted(s for s in secrets if s in haystack)
    assert leaked == [], [_debug_where(haystack, s) for s in leaked]


def _unobserved(handler: logging.Handler) -> Callable[..., str]:
    """The user's browser: its own logs (httpcore shows the redirect with the code) are not
    the SDK's, so they are not captured."""

    def browser(url: str, decision: str = "approve") -> str:
        logging.getLogger().removeHandler(handler)
        try:
            return approve_in_place_of_a_browser(url, decision=decision)
        finally:
            logging.getLogger().addHandler(handler)

    return browser


def _exercise_every_flow(
    fake: FakeX,
    tmp_path: Path,
    texts: list[str],
    monkeypatch: pytest.MonkeyPatch,
    browser: Callable[..., str],
) -> None:
    now = [time.time()]
    store = tmp_path / "state" / "bot.json"

    def pkce(**kwargs: Any) -> OAuth2PKCE:
        return OAuth2PKCE(
            fake.client_id,
            fake.redirect_uri,
            kwargs.pop("scopes", USER_SCOPES),
            client_secret=CLIENT_SECRET,
            token_store=store,
            authorize_url=fake.authorize_url,
            token_url=fake.token_url,
            revoke_url=fake.revoke_url,
            clock=lambda: now[0],
            **kwargs,
        )

    # Login, a stale callback, a denial, an unknown code.
    auth = pkce()
    callback = browser(auth.authorization_url())
    token = auth.complete(callback)
    observe(texts, auth, token, auth.token_store, auth.granted_scopes)
    expect_error(texts, auth.complete, callback)
    expect_error(texts, auth.complete, browser(auth.authorization_url(), decision="deny"))
    forged = auth.authorization_url()
    state = httpx.URL(forged).params["state"]
    expect_error(texts, auth.complete, f"{fake.redirect_uri}?code=code-made-up&state={state}")

    # Proactive refresh, reactive refresh, sync and async, and a spent refresh token.
    with httpx.Client(auth=auth) as client:
        now[0] += fake.access_lifetime
        observe(texts, client.get(fake.url + "/2/users/me").json())
        fake.expire_access_tokens()
        client.get(fake.url + "/2/users/me")

    async def async_call() -> None:
        async with httpx.AsyncClient(auth=auth) as client:
            fake.expire_access_tokens()
            await client.get(fake.url + "/2/users/me")

    asyncio.run(async_call())
    observe(texts, FileTokenStore(store).load())
    spent = auth.token
    assert spent is not None and spent.refresh_token is not None
    httpx.post(
        fake.token_url,
        data={"grant_type": "refresh_token", "refresh_token": spent.refresh_token.reveal()},
        auth=(fake.client_id, CLIENT_SECRET),
    )
    now[0] += fake.access_lifetime * 2
    with httpx.Client(auth=auth) as client:
        expect_error(texts, client.get, fake.url + "/2/users/me")
    auth.revoke()

    # No offline.access: the warning, and the error on expiry.
    short = pkce(scopes=["users.read"])
    short.complete(browser(short.authorization_url()))
    now[0] += fake.access_lifetime * 3
    with httpx.Client(auth=short) as client:
        expect_error(texts, client.get, fake.url + "/2/users/me")

    # App-only, good and bad credentials; static bearers; OAuth 1.0a.
    app = AppOnly(fake.app_key, fake.app_secret, token_url=fake.app_token_url)
    bad_app = AppOnly(fake.app_key, CLIENT_SECRET, token_url=fake.app_token_url)
    with httpx.Client(auth=app) as client:
        client.get(fake.url + "/2/tweets/search/recent")
        fake.expire_access_tokens()
        client.get(fake.url + "/2/tweets/search/recent")
    with httpx.Client(auth=bad_app) as client:
        expect_error(texts, client.get, fake.url + "/2/tweets/search/recent")
    statics = [
        BearerToken(OTHER_SECRETS[0]),
        OAuth2UserToken(OTHER_SECRETS[1], scopes=["users.read"]),
        OAuth1(*OTHER_SECRETS[2:6]),
    ]
    for static in statics:
        with httpx.Client(auth=static) as client:
            client.post(fake.url + "/echo?q=1", data={"a": "b"})
    observe(texts, app, bad_app, *statics)

    # The config loader: every secret form, and broken configs that mention secrets.
    secret_file = tmp_path / "secret.txt"
    secret_file.write_text(OTHER_SECRETS[7])
    secret_file.chmod(0o600)
    config = tmp_path / "Config.toml"
    config.write_text(
        "[twitter_api.profiles.a]\n"
        'flow = "oauth1"\n'
        f'api_key = "{OTHER_SECRETS[8]}"\n'
        'api_secret = { env = "LEAK_ENV" }\n'
        'access_token = { file = "secret.txt" }\n'
        f'access_token_secret = "{OTHER_SECRETS[8]}"\n'
    )
    config.chmod(0o600)
    monkeypatch.setenv("LEAK_ENV", OTHER_SECRETS[6])
    observe(texts, load_settings(config), load_settings(config).auth)
    config.chmod(0o644)
    expect_error(texts, load_settings, config)
    secret_file.chmod(0o644)
    config.chmod(0o600)
    expect_error(texts, load_settings, config)
    broken = tmp_path / "Broken.toml"
    broken.write_text(
        "[twitter_api.profiles.a]\n"
        'flow = "bearer"\n'
        f'bearer_token = {{ env = "LEAK_ENV", file = "{OTHER_SECRETS[8]}" }}\n'
        f'clientid = "{OTHER_SECRETS[8]}"\n'
    )
    broken.chmod(0o600)
    expect_error(texts, load_settings, broken)


def _debug_where(haystack: str, needle: str) -> str:
    i = haystack.find(needle)
    return haystack[max(0, i - 300) : i + 100]
