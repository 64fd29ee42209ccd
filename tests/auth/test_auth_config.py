"""The Config.toml loader: sources and precedence, secrets, permissions, collected errors."""

from __future__ import annotations

import textwrap
import traceback
from pathlib import Path

import httpx
import pytest
from twitter_api._config import ConfigError, Settings, load_settings
from twitter_api.auth import AppOnly, BearerToken, OAuth1, OAuth2PKCE


def write(path: Path, text: str, mode: int = 0o600) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip())
    path.chmod(mode)
    return path


def authorization(settings: Settings) -> str:
    """The Authorization header the profile's auth puts on a request (no network needed)."""
    request = httpx.Request("GET", "https://api.x.com/2/users/me")
    return next(settings.auth.sync_auth_flow(request)).headers["Authorization"]


def problems(exc: pytest.ExceptionInfo[ConfigError]) -> list[str]:
    return [str(p) for p in exc.value.problems]


PKCE = """
    [twitter_api]
    base_url = "http://127.0.0.1:9"
    timeout = 12.5

    [twitter_api.profiles.bot]
    flow = "pkce"
    client_id = "bot-client"
    redirect_uri = "http://127.0.0.1:8976/callback"
    scopes = ["tweet.read", "users.read", "offline.access"]
    token_store = "state/bot.json"
    token_url = "http://127.0.0.1:9/2/oauth2/token"
"""


def test_a_pkce_profile(tmp_path: Path) -> None:
    config = write(tmp_path / "conf" / "Config.toml", PKCE)
    settings = load_settings(config, environ={})
    assert (settings.base_url, settings.timeout, settings.profile) == (
        "http://127.0.0.1:9",
        12.5,
        "bot",
    )
    assert settings.flow == "pkce"
    auth = settings.auth
    assert isinstance(auth, OAuth2PKCE)
    assert auth.client_id == "bot-client"
    assert auth.scopes == ("tweet.read", "users.read", "offline.access")
    assert auth.token_store is not None
    # A relative store path is relative to the file that names it.
    assert auth.token_store.path == tmp_path / "conf" / "state" / "bot.json"
    assert auth.token_url == "http://127.0.0.1:9/2/oauth2/token"
    assert auth.authorize_url == "https://x.com/i/oauth2/authorize"  # X's consent page


def test_defaults_and_the_default_token_store(tmp_path: Path) -> None:
    config = write(
        tmp_path / "Config.toml",
        """
        [twitter_api.profiles.me]
        flow = "pkce"
        client_id = "c"
        redirect_uri = "http://127.0.0.1:8976/callback"
        scopes = ["users.read", "offline.access"]
        """,
    )
    settings = load_settings(config, environ={"XDG_STATE_HOME": str(tmp_path / "xdg")})
    assert (settings.base_url, settings.timeout) == ("https://api.x.com", 30.0)
    assert isinstance(settings.auth, OAuth2PKCE)
    assert settings.auth.token_store is not None
    assert settings.auth.token_store.path == tmp_path / "xdg" / "twitter_api" / "me.json"


def test_secret_forms_literal_env_and_file(tmp_path: Path) -> None:
    write(tmp_path / "secrets" / "token-secret", "from-a-file\n")
    config = write(
        tmp_path / "Config.toml",
        """
        [twitter_api.profiles.lit]
        flow = "bearer"
        bearer_token = "literal-bearer"

        [twitter_api.profiles.o1]
        flow = "oauth1"
        api_key = "k"
        api_secret = { env = "MY_API_SECRET" }
        access_token = "t"
        access_token_secret = { file = "secrets/token-secret" }
        """,
    )
    bearer = load_settings(config, "lit", environ={})
    assert isinstance(bearer.auth, BearerToken)
    assert authorization(bearer) == "Bearer literal-bearer"

    signed = load_settings(config, "o1", environ={"MY_API_SECRET": "from-env"})
    assert isinstance(signed.auth, OAuth1)
    # The signature proves which secrets were used: recompute it with the expected ones.
    expected = OAuth1("k", "from-env", "t", "from-a-file", clock=lambda: 1, nonce=lambda: "n")
    signed.auth._clock = lambda: 1  # type: ignore[attr-defined]
    signed.auth._nonce = lambda: "n"  # type: ignore[attr-defined]
    request = httpx.Request("GET", "https://api.x.com/2/users/me")
    assert signed.auth.authorization_header(request) == expected.authorization_header(request)


def test_app_flow(tmp_path: Path) -> None:
    config = write(
        tmp_path / "Config.toml",
        """
        [twitter_api.profiles.app]
        flow = "app"
        client_id = "key"
        client_secret = { env = "APP_SECRET" }
        """,
    )
    settings = load_settings(config, environ={"APP_SECRET": "s"})
    assert isinstance(settings.auth, AppOnly)
    assert settings.auth.token_url == "https://api.x.com/oauth2/token"


# -- sources and precedence -----------------------------------------------------------------------


def test_precedence_env_then_files_in_order_then_inline_data(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    # ./Config.toml: read only when no other source is given, so it loses to everything here.
    write(tmp_path / "Config.toml", '[twitter_api]\ntimeout = 1.0\nbase_url = "https://cwd"\n')
    data = """
        [twitter_api]
        timeout = 2.0
        base_url = "https://data"
        default_profile = "from-data"
        [twitter_api.profiles.p]
        flow = "bearer"
        bearer_token = "data-token"
        [twitter_api.profiles.q]
        flow = "bearer"
        bearer_token = "q-data"
    """
    second = write(
        tmp_path / "second.toml",
        """
        [twitter_api]
        timeout = 3.0
        base_url = "https://second"
        default_profile = "p"
        [twitter_api.profiles.p]
        bearer_token = "second-token"
        """,
    )
    first = write(
        tmp_path / "first.toml",
        """
        [twitter_api]
        timeout = 4.0
        base_url = "https://first"
        """,
    )
    env = {
        "TWITTER_API_CONFIG": f"{first}:{second}",
        "TWITTER_API_CONFIG_DATA": textwrap.dedent(data),
        "TWITTER_API_TIMEOUT": "5",
    }
    settings = load_settings(environ=env)
    assert settings.timeout == 5.0  # environment variable
    assert settings.base_url == "https://first"  # the first file beats the second
    assert settings.profile == "p"  # default_profile: the second file beats the inline data
    assert authorization(settings) == "Bearer second-token"  # per key: file beats data
    assert authorization(load_settings(profile="q", environ=env)) == "Bearer q-data"

    env["TWITTER_API_P_BEARER_TOKEN"] = "env-token"
    assert authorization(load_settings(environ=env)) == "Bearer env-token"

    # An explicit path replaces TWITTER_API_CONFIG (the inline data still applies).
    only_second = load_settings(second, environ={**env, "TWITTER_API_TIMEOUT": "6"})
    assert (only_second.base_url, only_second.timeout) == ("https://second", 6.0)

    # With no path, no TWITTER_API_CONFIG and no inline data: ./Config.toml.
    write(
        tmp_path / "Config.toml",
        '[twitter_api]\ntimeout = 1.0\n[twitter_api.profiles.x]\nflow = "bearer"\n'
        'bearer_token = "cwd-token"\n',
    )
    fallback = load_settings(environ={})
    assert (fallback.timeout, authorization(fallback)) == (1.0, "Bearer cwd-token")


def test_environment_can_define_and_override_profiles(tmp_path: Path) -> None:
    config = write(
        tmp_path / "Config.toml",
        """
        [twitter_api.profiles.my-bot]
        flow = "pkce"
        client_id = "file-id"
        redirect_uri = "http://127.0.0.1:8976/callback"
        scopes = ["users.read"]
        """,
    )
    env = {
        "TWITTER_API_MY_BOT_CLIENT_ID": "env-id",
        "TWITTER_API_MY_BOT_SCOPES": "users.read, tweet.read offline.access",
        "TWITTER_API_MY_BOT_TOKEN_STORE": str(tmp_path / "s.json"),
        "TWITTER_API_ENVONLY_FLOW": "bearer",
        "TWITTER_API_ENVONLY_BEARER_TOKEN": "env-only-token",
        "TWITTER_API_KEY": "belongs to some other tool",  # matches no key: ignored
    }
    settings = load_settings(config, "my-bot", environ=env)
    assert isinstance(settings.auth, OAuth2PKCE)
    assert settings.auth.client_id == "env-id"
    assert settings.auth.scopes == ("users.read", "tweet.read", "offline.access")
    assert authorization(load_settings(config, "envonly", environ=env)) == "Bearer env-only-token"
    # Without a profile argument the first profile defined in a file is the default.
    assert load_settings(config, environ=env).profile == "my-bot"


# -- errors ----------------------------------------------------------------------------------------


def test_every_problem_is_reported_with_its_location(tmp_path: Path) -> None:
    config = write(
        tmp_path / "Config.toml",
        """
        [twitter_api]
        timeout = "soon"
        colour = "blue"

        [twitter_api.profiles.bot]
        flow = "pkce"
        redirect_uri = "127.0.0.1:8976"
        scopes = ["tweet.read", "tweets.write"]
        client_secret = { env = "UNSET_SECRET" }
        clientid = "typo"
        bearer_token = { env = "X" }

        [twitter_api.profiles.other]
        flow = "telepathy"
        """,
    )
    with pytest.raises(ConfigError) as caught:
        load_settings(config, "bot", environ={"X": "x"})
    name = str(config)
    assert problems(caught) == [
        f"{name}:3:1: unknown key `colour` in [twitter_api]",
        f"{name}:10:1: unknown key `clientid` in profile `bot`; did you mean `client_id`?",
        f"{name}:2:1: `timeout` in [twitter_api] must be a positive number of seconds",
        f"{name}:7:1: `redirect_uri` in profile `bot` must be an http(s) URL, not '127.0.0.1:8976'",
        f"{name}:8:1: `scopes` in profile `bot` names scopes the API does not define: "
        "'tweets.write'; did you mean `tweet.write`?",
        f"{name}:14:1: `flow` in profile `other` must be one of 'pkce', 'app', 'bearer', "
        "'oauth1', not 'telepathy'",
        f"{name}:5:1: value not provided for required key `client_id` in profile `bot` "
        "(flow `pkce`)",
        f"{name}:11:1: key `bearer_token` in profile `bot` is not used by flow `pkce`",
        f"{name}:9:1: `client_secret` in profile `bot`: environment variable UNSET_SECRET is "
        "not set or empty",
    ]
    first = caught.value.problems[0]
    assert (first.key, first.profile) == ("colour", None)
    assert str(caught.value).startswith("9 configuration problems:\n")


def test_malformed_toml_names_file_line_and_column(tmp_path: Path) -> None:
    config = write(tmp_path / "Config.toml", '[twitter_api]\ntimeout = 3\nbase_url = "x\n')
    with pytest.raises(ConfigError) as caught:
        load_settings(config, environ={})
    assert problems(caught)[0].startswith(f"{config}:3:")
    assert "malformed TOML" in problems(caught)[0]


def test_urls_that_cannot_be_parsed_are_reported_not_raised(tmp_path: Path) -> None:
    config = write(
        tmp_path / "Config.toml",
        """
        [twitter_api.profiles.bot]
        flow = "pkce"
        client_id = "bot-client"
        redirect_uri = "http://[::1:8976/callback"
        scopes = ["tweet.read"]
        """,
    )
    with pytest.raises(ConfigError) as caught:
        load_settings(config, environ={"TWITTER_API_BASE_URL": "https://[x]/"})
    found = problems(caught)
    assert (
        "environment variable TWITTER_API_BASE_URL: `base_url` in [twitter_api] must be an "
        "http(s) URL, not 'https://[x]/'"
    ) in found
    assert (
        f"{config}:4:1: `redirect_uri` in profile `bot` must be an http(s) URL, "
        "not 'http://[::1:8976/callback'"
    ) in found


def test_config_error_is_named_after_the_module_users_import_it_from(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(tmp_path / "missing.toml", environ={})
    [line, *_] = traceback.format_exception_only(caught.value)
    assert line.startswith("twitter_api._config.ConfigError: 1 configuration problem:")


def test_inline_data_and_environment_locations(tmp_path: Path) -> None:
    env = {
        "TWITTER_API_CONFIG_DATA": '[twitter_api.profiles.b]\nflow = "bearer"\nbearer_token = 7\n',
        "TWITTER_API_B_FLOW": "bearer",
        "TWITTER_API_TIMEOUT": "never",
    }
    with pytest.raises(ConfigError) as caught:
        load_settings(environ=env)
    assert problems(caught) == [
        "environment variable TWITTER_API_TIMEOUT: `timeout` in [twitter_api] must be a number "
        "of seconds, not 'never'",
        "TWITTER_API_CONFIG_DATA:3:1: `bearer_token` in profile `b` must be a non-empty string, "
        '{ env = "NAME" }, { file = "PATH" }, { keyring = "SERVICE/NAME" } or '
        '{ command = ["program", "arg", ...] }',
    ]


def test_missing_sources_and_profiles(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError, match="no auth profile is defined"):
        load_settings(environ={})
    with pytest.raises(ConfigError) as caught:
        load_settings(tmp_path / "absent.toml", environ={})
    assert problems(caught)[0] == f"{tmp_path / 'absent.toml'}: config file not found"
    config = write(
        tmp_path / "Config.toml",
        """
        [twitter_api]
        default_profile = "ghost"
        [twitter_api.profiles.a]
        flow = "bearer"
        bearer_token = { env = "T" }
        """,
    )
    with pytest.raises(ConfigError) as caught:
        load_settings(config, environ={"T": "t"})
    assert problems(caught) == [f"{config}:2:1: default_profile names an undefined profile `ghost`"]
    with pytest.raises(ConfigError, match=r"profile `zzz` is not defined \(profiles: a\)"):
        load_settings(config, "zzz", environ={"T": "t"})


def test_other_modules_tables_are_left_alone(tmp_path: Path) -> None:
    config = write(
        tmp_path / "Config.toml",
        """
        [some_other_module]
        anything = 1
        [twitter_api.profiles.a]
        flow = "bearer"
        bearer_token = { env = "T" }
        """,
    )
    assert load_settings(config, environ={"T": "t"}).profile == "a"


def test_nested_and_dotted_keys_are_located(tmp_path: Path) -> None:
    config = write(
        tmp_path / "Config.toml",
        """
        # a comment with [brackets] and "quotes"
        [twitter_api]
        note = '''
        [twitter_api.profiles.fake]
        '''
        profiles.a.flow = "bearer"
        profiles.a."bearer_token" = { env = "T", file = "x" }
        """,
    )
    with pytest.raises(ConfigError) as caught:
        load_settings(config, environ={"T": "t"})
    assert problems(caught) == [
        f"{config}:3:1: unknown key `note` in [twitter_api]",
        f"{config}:7:1: `bearer_token` in profile `a` must be a non-empty string, "
        '{ env = "NAME" }, { file = "PATH" }, { keyring = "SERVICE/NAME" } or '
        '{ command = ["program", "arg", ...] }',
    ]


# -- permissions -----------------------------------------------------------------------------------


LITERAL = """
    [twitter_api.profiles.b]
    flow = "bearer"
    bearer_token = "literal-in-a-shared-file"
"""


def test_a_readable_file_with_a_literal_secret_is_refused(tmp_path: Path) -> None:
    config = write(tmp_path / "Config.toml", LITERAL, mode=0o644)
    with pytest.raises(ConfigError) as caught:
        load_settings(config, environ={})
    (message,) = problems(caught)
    assert message.startswith(f"{config}:3:1: the file holds a literal secret (`bearer_token`)")
    assert "(mode 0644)" in message
    assert f"chmod 600 {config}" in message
    assert "literal-in-a-shared-file" not in str(caught.value)

    # The documented opt-out, from the file itself or from the environment.
    write(
        tmp_path / "Config.toml",
        "[twitter_api]\nallow_insecure_permissions = true\n" + LITERAL,
        mode=0o644,
    )
    assert load_settings(config, environ={}).profile == "b"
    write(tmp_path / "Config.toml", LITERAL, mode=0o640)
    opted = load_settings(config, environ={"TWITTER_API_ALLOW_INSECURE_PERMISSIONS": "true"})
    assert opted.profile == "b"


def test_indirect_secrets_may_live_in_a_readable_config(tmp_path: Path) -> None:
    config = write(
        tmp_path / "Config.toml",
        '[twitter_api.profiles.b]\nflow = "bearer"\nbearer_token = { env = "T" }\n',
        mode=0o644,
    )
    assert authorization(load_settings(config, environ={"T": "from-env"})) == "Bearer from-env"


def test_a_readable_secret_file_is_refused(tmp_path: Path) -> None:
    write(tmp_path / "token.txt", "file-secret-value", mode=0o604)
    config = write(
        tmp_path / "Config.toml",
        '[twitter_api.profiles.b]\nflow = "bearer"\nbearer_token = { file = "token.txt" }\n',
    )
    with pytest.raises(ConfigError) as caught:
        load_settings(config, environ={})
    (message,) = problems(caught)
    assert f"chmod 600 {tmp_path / 'token.txt'}" in message
    assert "file-secret-value" not in message


def test_a_readable_token_store_is_refused(tmp_path: Path) -> None:
    write(tmp_path / "state" / "bot.json", "{}", mode=0o644)
    config = write(tmp_path / "Config.toml", PKCE)
    with pytest.raises(ConfigError) as caught:
        load_settings(config, environ={})
    (message,) = problems(caught)
    store = tmp_path / "state" / "bot.json"
    assert message.startswith(f"{config}:10:1: the token store {store} is readable")
    assert f"chmod 600 {store}" in message


def test_a_misspelt_flow_or_module_key_gets_a_suggestion(tmp_path: Path) -> None:
    config = write(
        tmp_path / "Config.toml",
        """
        [twitter_api]
        timout = 3
        [twitter_api.profiles.a]
        flow = "pcke"
        """,
    )
    with pytest.raises(ConfigError) as caught:
        load_settings(config)
    assert problems(caught) == [
        f"{config}:2:1: unknown key `timout` in [twitter_api]; did you mean `timeout`?",
        f"{config}:4:1: `flow` in profile `a` must be one of 'pkce', 'app', 'bearer', "
        "'oauth1', not 'pcke'; did you mean `pkce`?",
    ]


@pytest.mark.parametrize("broken", ["missing", "malformed"])
def test_a_file_that_cannot_be_read_is_the_only_problem(tmp_path: Path, broken: str) -> None:
    config = tmp_path / "Config.toml"
    if broken == "malformed":
        write(config, '[twitter_api.profiles.bot]\nflow = "bearer\n')
    with pytest.raises(ConfigError) as caught:
        load_settings(config, environ={})
    (only,) = problems(caught)
    assert only.startswith(str(config))
    assert "no auth profile" not in only
    # Readable but without a profile: that is the problem then.
    write(config, "[twitter_api]\ntimeout = 3\n")
    with pytest.raises(ConfigError) as caught:
        load_settings(config, environ={})
    assert ["no auth profile is defined" in p for p in problems(caught)] == [True]
