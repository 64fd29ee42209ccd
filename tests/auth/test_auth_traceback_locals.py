"""No secret in a traceback printed with its local variables (as Sentry and rich print them).

Each failure is produced for real against the fake X server, which here also quotes back the
form and credentials it received in its error answers. The traceback of the exception, its
cause and context included, is formatted with `capture_locals=True` and searched for every
secret value involved: tokens, client secret, code verifier, authorization code, bearer and
OAuth 1.0a credentials.
"""

from __future__ import annotations

import asyncio
import base64
import functools
import textwrap
import threading
import time
import traceback
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import httpx
import pytest
from auth_fake_x import FakeX, approve_in_place_of_a_browser
from auth_support import USER_SCOPES, free_port
from twitter_api import AsyncClient, Client
from twitter_api._config import ConfigError
from twitter_api._secrets import Secret
from twitter_api.auth import (
    AppOnly,
    AuthError,
    BearerToken,
    FileTokenStore,
    OAuth1,
    OAuth2PKCE,
    OAuthError,
    Token,
)

CLIENT_SECRET = "cs-LOCALS-0001"
SCOPE = " ".join(USER_SCOPES)


def formatted(call: Callable[[], object], expected: type[BaseException]) -> str:
    """The traceback of what `call` raises, with locals, from the package's first frame on.

    This frame (whose `call` holds what the test passed in) is left out: only what the
    package's and httpx's frames hold is under test.
    """
    try:
        call()
    except expected as exc:
        assert exc.__traceback__ is not None
        below_here = exc.__traceback__.tb_next
        te = traceback.TracebackException(type(exc), exc, below_here, capture_locals=True)
        return "".join(te.format())
    raise AssertionError(f"{call} did not raise {expected.__name__}")


def assert_hidden(text: str, secrets: Iterable[str]) -> None:
    assert " = " in text  # the locals really were captured
    for secret in secrets:
        assert secret and secret not in text, f"{secret!r} is visible in:\n{text}"


def basic(user: str, password: str) -> str:
    return base64.b64encode(f"{user}:{password}".encode()).decode()


@pytest.fixture
def echoing() -> FakeX:
    fake = FakeX(client_secret=CLIENT_SECRET).start()
    fake.echo_in_errors = True
    try:
        yield fake
    finally:
        fake.stop()


def pkce(
    fake: FakeX,
    store: Path | None,
    client_secret: str = CLIENT_SECRET,
    http_client: httpx.Client | None = None,
) -> OAuth2PKCE:
    return OAuth2PKCE(
        fake.client_id,
        fake.redirect_uri,
        USER_SCOPES,
        client_secret=client_secret,
        token_store=store,
        authorize_url=fake.authorize_url,
        token_url=fake.token_url,
        revoke_url=fake.revoke_url,
        http_client=http_client,
    )


def spent_refresh_store(fake: FakeX, path: Path) -> tuple[str, str]:
    """A store holding an expired access token and a refresh token X has already used."""
    access, refresh = fake.issue(SCOPE, expires_in=-10)
    assert refresh is not None
    spent = httpx.post(
        fake.token_url,
        data={"grant_type": "refresh_token", "refresh_token": refresh},
        headers={"Authorization": f"Basic {basic(fake.client_id, CLIENT_SECRET)}"},
    )
    assert spent.status_code == 200
    store = FileTokenStore(path)
    lock = store.lock()
    lock.acquire()
    try:
        store.save(Token(Secret(access), Secret(refresh), expires_at=time.time() - 10, scope=None))
    finally:
        lock.release()
    return access, refresh


def test_failed_refresh_sync(echoing: FakeX, tmp_path: Path) -> None:
    access, refresh = spent_refresh_store(echoing, tmp_path / "bot.json")
    client = Client(auth=pkce(echoing, tmp_path / "bot.json"), base_url=echoing.url)
    text = formatted(client.get_users_me, OAuthError)
    assert "OAuthError: OAuth error 'invalid_grant'" in text
    assert "[redacted]" in text  # the echoed refresh token was scrubbed from the message
    assert_hidden(text, [access, refresh, CLIENT_SECRET, basic(echoing.client_id, CLIENT_SECRET)])


def test_failed_refresh_async(echoing: FakeX, tmp_path: Path) -> None:
    access, refresh = spent_refresh_store(echoing, tmp_path / "bot.json")
    client = AsyncClient(auth=pkce(echoing, tmp_path / "bot.json"), base_url=echoing.url)
    text = formatted(functools.partial(asyncio.run, client.get_users_me()), OAuthError)
    assert "OAuthError: OAuth error 'invalid_grant'" in text
    assert_hidden(text, [access, refresh, CLIENT_SECRET, basic(echoing.client_id, CLIENT_SECRET)])


def exchanging(auth: OAuth2PKCE, callback: str, asynchronous: bool) -> Callable[[], object]:
    """`complete(callback)` or its async form, to call from `formatted`."""
    if asynchronous:
        return functools.partial(asyncio.run, auth.acomplete(callback))
    return functools.partial(auth.complete, callback)


@pytest.mark.parametrize("asynchronous", [False, True], ids=["sync", "async"])
def test_failed_code_exchange(echoing: FakeX, asynchronous: bool) -> None:
    wrong = f"cs-LOCALS-WRONG-0002-{asynchronous}"
    auth = pkce(echoing, None, client_secret=wrong)
    callback = approve_in_place_of_a_browser(auth.authorization_url())
    text = formatted(exchanging(auth, callback, asynchronous), OAuthError)
    del callback
    assert "OAuthError: OAuth error 'invalid_client'" in text
    code_and_verifier = echoing.seen_secrets - {CLIENT_SECRET}
    assert len(code_and_verifier) == 2  # the code and the verifier the server received
    assert_hidden(text, [*code_and_verifier, wrong, basic(echoing.client_id, wrong)])


@pytest.mark.parametrize("asynchronous", [False, True], ids=["sync", "async"])
def test_failed_code_exchange_after_login(tmp_path: Path, asynchronous: bool) -> None:
    fake = FakeX(
        client_secret=CLIENT_SECRET, redirect_uri=f"http://127.0.0.1:{free_port()}/callback"
    ).start()
    fake.echo_in_errors = True
    wrong = f"cs-LOCALS-WRONG-0003-{asynchronous}"
    try:
        auth = pkce(fake, tmp_path / "bot.json", client_secret=wrong)

        def user_in_a_browser(url: str) -> None:
            def run() -> None:
                httpx.get(approve_in_place_of_a_browser(url))

            threading.Thread(target=run, daemon=True).start()

        login: Callable[[], object] = functools.partial(
            auth.login, open_browser=False, timeout=30, open_url=user_in_a_browser
        )
        if asynchronous:
            coroutine = auth.alogin(open_browser=False, timeout=30, open_url=user_in_a_browser)
            login = functools.partial(asyncio.run, coroutine)
        text = formatted(login, OAuthError)
    finally:
        fake.stop()
    code_and_verifier = fake.seen_secrets - {CLIENT_SECRET}
    assert len(code_and_verifier) == 2
    assert_hidden(text, [*code_and_verifier, wrong, basic(fake.client_id, wrong)])


@pytest.mark.parametrize("asynchronous", [False, True], ids=["sync", "async"])
def test_unreachable_token_endpoint_during_the_exchange(echoing: FakeX, asynchronous: bool) -> None:
    auth = pkce(echoing, None)
    auth.token_url = f"http://127.0.0.1:{free_port()}/2/oauth2/token"  # nobody listens
    callback = approve_in_place_of_a_browser(auth.authorization_url())
    [verifier] = [v.reveal() for v in auth._pending.values()]
    text = formatted(exchanging(auth, callback, asynchronous), AuthError)
    del callback
    assert "ConnectError" in text  # the httpx cause is kept, and printed
    assert "The above exception was the direct cause" in text
    [code] = echoing.seen_secrets - {CLIENT_SECRET}
    assert_hidden(text, [code, verifier, CLIENT_SECRET, basic(echoing.client_id, CLIENT_SECRET)])


def test_failed_async_revocation(echoing: FakeX, tmp_path: Path) -> None:
    wrong = "cs-LOCALS-WRONG-0014"
    access, refresh = echoing.issue(SCOPE, expires_in=3600)
    assert refresh is not None
    store = FileTokenStore(tmp_path / "bot.json")
    store.save(Token(Secret(access), Secret(refresh), expires_at=None, scope=None))
    auth = pkce(echoing, tmp_path / "bot.json", client_secret=wrong)
    text = formatted(functools.partial(asyncio.run, auth.arevoke()), OAuthError)
    assert "OAuthError: OAuth error 'invalid_client'" in text
    assert_hidden(text, [access, refresh, wrong, basic(echoing.client_id, wrong)])


def test_failed_app_only_token(echoing: FakeX) -> None:
    wrong = "app-secret-LOCALS-0004"
    auth = AppOnly(echoing.app_key, wrong, token_url=echoing.app_token_url)
    client = Client(auth=auth, base_url=echoing.url)
    text = formatted(functools.partial(client.search_posts_recent, query="x"), OAuthError)
    assert "OAuthError: OAuth error 'invalid_request'" in text
    assert_hidden(text, [wrong, basic(echoing.app_key, wrong)])


def test_status_errors_with_static_credentials(echoing: FakeX) -> None:
    from twitter_api import AuthenticationError

    bearer = "bearer-LOCALS-0005"
    oauth1 = ["o1key-LOCALS-0006", "o1secret-LOCALS-0007", "o1tok-LOCALS-0008", "o1ts-LOCALS-0009"]
    bearer_client = Client(auth=BearerToken(bearer), base_url=echoing.url)
    oauth1_client = Client(auth=OAuth1(*oauth1), base_url=echoing.url)
    texts = [
        formatted(
            functools.partial(bearer_client.search_posts_recent, query="x"), AuthenticationError
        ),
        formatted(oauth1_client.get_users_me, AuthenticationError),
    ]
    for text in texts:
        assert "AuthenticationError: 401" in text
        assert_hidden(text, [bearer, *oauth1])


# -- configuration errors ---------------------------------------------------------------------

CONFIG_SECRETS = {
    "bearer_token": "bearer-CONFIG-0010",
    "api_key": "o1key-CONFIG-0011",
    "api_secret": "o1secret-CONFIG-0012",
    "access_token": "o1tok-CONFIG-0013",
    "access_token_secret": "o1ts-CONFIG-0014",
    "client_secret": "cs-CONFIG-0015",
}
ENV_SECRET = "env-CONFIG-0016"


def write_config(path: Path, extra: str = "") -> Path:
    s = CONFIG_SECRETS
    path.write_text(
        textwrap.dedent(
            f"""
            [twitter_api.profiles.bearer]
            flow = "bearer"
            bearer_token = "{s["bearer_token"]}"
            [twitter_api.profiles.oauth1]
            flow = "oauth1"
            api_key = "{s["api_key"]}"
            api_secret = "{s["api_secret"]}"
            access_token = "{s["access_token"]}"
            access_token_secret = "{s["access_token_secret"]}"
            [twitter_api.profiles.app]
            flow = "app"
            client_id = "app-id"
            client_secret = "{s["client_secret"]}"
            [twitter_api.profiles.user]
            flow = "pkce"
            client_id = "user-id"
            client_secret = {{ env = "X_LOCALS_SECRET" }}
            redirect_uri = "http://127.0.0.1:8976/callback"
            scopes = ["tweet.read", "users.read", "offline.access"]
            """
        )
        + extra
    )
    return path


@pytest.mark.parametrize("profile", ["bearer", "oauth1", "app", "user"])
def test_config_file_with_literal_secrets_readable_by_others(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, profile: str
) -> None:
    monkeypatch.setenv("X_LOCALS_SECRET", ENV_SECRET)
    config = write_config(tmp_path / "Config.toml")
    config.chmod(0o644)
    text = formatted(functools.partial(Client.from_config, config, profile), ConfigError)
    assert "group or others can read it" in text
    assert_hidden(text, [*CONFIG_SECRETS.values(), ENV_SECRET])


@pytest.mark.parametrize("profile", ["bearer", "oauth1", "app", "user"])
def test_config_with_a_bad_key_next_to_secrets(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, profile: str
) -> None:
    monkeypatch.setenv("X_LOCALS_SECRET", ENV_SECRET)
    extra = f'client_secrett = "{CONFIG_SECRETS["client_secret"]}"\n'  # a typo, under [user]
    config = write_config(tmp_path / "Config.toml", extra)
    config.chmod(0o600)
    text = formatted(functools.partial(Client.from_config, config, profile), ConfigError)
    assert "unknown key `client_secrett` in profile `user`" in text
    assert_hidden(text, [*CONFIG_SECRETS.values(), ENV_SECRET])


def test_oauth1_signing_failure(echoing: FakeX) -> None:
    secrets = ["o1key-LOCALS-0017", "o1secret-LOCALS-0018", "o1tok-LOCALS-0019", "o1ts-LOCALS-0020"]
    client = httpx.Client(auth=OAuth1(*secrets))
    post = functools.partial(
        client.post,
        echoing.url + "/echo",
        content=b"a=\xff",  # a form body that is not UTF-8 cannot be signed
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    text = formatted(post, UnicodeDecodeError)
    assert "_request_parameters" in text
    assert_hidden(text, secrets)


def test_malformed_token_response_holding_tokens(echoing: FakeX) -> None:
    access, refresh = "at-LOCALS-0021", "rt-LOCALS-0022"

    def token_endpoint(request: httpx.Request) -> httpx.Response:
        body = {"access_token": access, "refresh_token": refresh, "expires_in": "soon"}
        return httpx.Response(200, json=body)

    answering = httpx.Client(transport=httpx.MockTransport(token_endpoint))
    auth = pkce(echoing, None, http_client=answering)
    callback = approve_in_place_of_a_browser(auth.authorization_url())
    text = formatted(functools.partial(auth.complete, callback), OAuthError)
    del callback
    assert "expires_in is not a number" in text
    assert_hidden(text, [access, refresh])


MIXED_FILE_SECRET = "o1secret-CONFIG-FILE-0023"
MIXED_LITERAL = "o1ts-CONFIG-0024"
ENV_OVERRIDE = "o1tok-ENV-0025"
# A last profile whose secrets come from everywhere at once: a variable it names, a file, a
# literal, and a per-key variable that overrides nothing (its value is merged last).
MIXED_PROFILE = f"""
[twitter_api.profiles.mixed]
flow = "oauth1"
api_key = {{ env = "X_LOCALS_SECRET" }}
api_secret = {{ file = "api_secret.txt" }}
access_token_secret = "{MIXED_LITERAL}"
"""
MIXED_ENV = {"X_LOCALS_SECRET": ENV_SECRET, "TWITTER_API_MIXED_ACCESS_TOKEN": ENV_OVERRIDE}


def crash_while_checking_values(monkeypatch: pytest.MonkeyPatch) -> None:
    from twitter_api._config import _values

    real = _values.typed

    def typed(*args: Any) -> object:
        if args[2:4] == ("access_token", "mixed"):  # the last value, right after a literal
            raise RuntimeError("unexpected")
        return real(*args)

    monkeypatch.setattr(_values, "typed", typed)


def crash_in(module: str, name: str) -> Callable[[pytest.MonkeyPatch], None]:
    def patch(monkeypatch: pytest.MonkeyPatch) -> None:
        def broken(*args: object) -> None:
            raise RuntimeError("unexpected")

        monkeypatch.setattr(f"twitter_api._config{module}.{name}", broken)

    return patch


@pytest.mark.parametrize("from_os_environ", [True, False], ids=["os.environ", "environ="])
@pytest.mark.parametrize(
    "crash",
    [
        crash_while_checking_values,
        crash_in("", "choose_profile"),  # after merging every source
        crash_in("._secrets", "read_small_file"),  # with a secret from a variable resolved
        crash_in("._profiles", "OAuth1"),  # with every secret resolved
    ],
    ids=["checking values", "choosing the profile", "resolving secrets", "building the auth"],
)
def test_unexpected_failure_while_loading_the_config(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    crash: Callable[[pytest.MonkeyPatch], None],
    from_os_environ: bool,
) -> None:
    # A bug or an OS error mid-load: the frames then hold the parsed files, the merged values,
    # the secrets resolved so far and the environment, whose variables may hold secrets too.
    from twitter_api._config import load_settings

    crash(monkeypatch)
    config = write_config(tmp_path / "Config.toml", MIXED_PROFILE)
    config.chmod(0o600)
    (tmp_path / "api_secret.txt").write_text(MIXED_FILE_SECRET)
    (tmp_path / "api_secret.txt").chmod(0o600)
    environ: dict[str, str] | None = None
    if from_os_environ:
        for name, value in MIXED_ENV.items():
            monkeypatch.setenv(name, value)
    else:
        environ = dict(MIXED_ENV)
    load = functools.partial(load_settings, config, "mixed", environ=environ)
    text = formatted(load, RuntimeError)
    del environ, load
    assert "merged = Merged(" in text and "Layer(label=" in text
    assert "env = <Environment: " in text
    secrets = [*CONFIG_SECRETS.values(), *MIXED_ENV.values(), MIXED_FILE_SECRET, MIXED_LITERAL]
    assert_hidden(text, secrets)
