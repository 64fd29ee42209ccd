"""Secrets from where teams keep them: the OS keyring and credential helper commands."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import httpx
import pytest
from twitter_api._config import ConfigError, Settings, load_settings
from twitter_api._config import _secrets as config_secrets

from tests.auth.test_auth_keyring_store import MemoryKeyring, memory_keyring

__all__ = ["memory_keyring"]  # the fixture, used by name below

HELPER = textwrap.dedent(
    """
    import pathlib, sys, time
    mode = sys.argv[1]
    if len(sys.argv) > 2:
        pathlib.Path(sys.argv[2]).write_text("ran")
    if mode == "ok":
        print("  helper-SECRET-4242  ")
    elif mode == "fail":
        print("helper-SECRET-4242 went to stderr", file=sys.stderr)
        sys.exit(3)
    elif mode == "slow":
        time.sleep(30)
    elif mode == "empty":
        pass
    """
)


def bearer_config(tmp_path: Path, source: str, mode: int = 0o600) -> Path:
    config = tmp_path / "Config.toml"
    config.write_text(
        f'[twitter_api.profiles.bot]\nflow = "bearer"\nbearer_token = {source}\n',
        encoding="utf-8",
    )
    config.chmod(mode)
    return config


def pkce_config(tmp_path: Path, token_store: str, mode: int = 0o600) -> Path:
    config = tmp_path / "Config.toml"
    config.write_text(
        '[twitter_api.profiles.bot]\nflow = "pkce"\nclient_id = "cid"\n'
        'redirect_uri = "http://127.0.0.1:8976/callback"\n'
        'scopes = ["tweet.read", "offline.access"]\n'
        f'token_store = "{token_store}"\n',
        encoding="utf-8",
    )
    config.chmod(mode)
    return config


def authorization(settings: Settings) -> str:
    request = httpx.Request("GET", "https://api.x.com/2/users/me")
    return next(settings.auth.sync_auth_flow(request)).headers["Authorization"]


def problems(exc: pytest.ExceptionInfo[ConfigError]) -> str:
    return "\n".join(str(p) for p in exc.value.problems)


def helper_command(tmp_path: Path, *args: str) -> str:
    script = tmp_path / "helper.py"
    script.write_text(HELPER, encoding="utf-8")
    parts = [sys.executable, str(script), *args]
    return "{ command = [" + ", ".join(f'"{p}"' for p in parts) + "] }"


def test_a_secret_from_the_os_keyring(tmp_path: Path, memory_keyring: MemoryKeyring) -> None:
    memory_keyring.entries[("x-api", "bot-bearer")] = "keyring-SECRET-1"
    settings = load_settings(
        bearer_config(tmp_path, '{ keyring = "x-api/bot-bearer" }'), environ={}
    )
    assert authorization(settings) == "Bearer keyring-SECRET-1"
    assert "keyring-SECRET-1" not in repr(settings)


@pytest.mark.parametrize(
    ("where", "message"),
    [
        ("x-api/missing", "no secret in the OS keyring under x-api/missing"),
        ("no-slash", 'must be "SERVICE/NAME"'),
    ],
)
def test_keyring_problems_are_named(
    tmp_path: Path, memory_keyring: MemoryKeyring, where: str, message: str
) -> None:
    with pytest.raises(ConfigError) as exc:
        load_settings(bearer_config(tmp_path, f'{{ keyring = "{where}" }}'), environ={})
    assert message in problems(exc)
    assert "Config.toml:3:" in problems(exc)


def test_a_locked_keyring_is_a_problem_not_a_crash(
    tmp_path: Path, memory_keyring: MemoryKeyring
) -> None:
    memory_keyring.broken = True
    with pytest.raises(ConfigError) as exc:
        load_settings(bearer_config(tmp_path, '{ keyring = "x-api/bot" }'), environ={})
    assert "the OS keyring failed (KeyringLocked)" in problems(exc)


def test_a_secret_from_a_credential_helper_command(tmp_path: Path) -> None:
    settings = load_settings(bearer_config(tmp_path, helper_command(tmp_path, "ok")), environ={})
    assert authorization(settings) == "Bearer helper-SECRET-4242"  # trimmed


def test_a_failing_helper_is_named_and_its_stderr_never_shown(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as exc:
        load_settings(bearer_config(tmp_path, helper_command(tmp_path, "fail")), environ={})
    text = problems(exc)
    assert "command 'python" in text and "exited with status 3" in text
    assert "helper-SECRET-4242" not in text and "stderr" not in text


def test_a_helper_that_prints_nothing_or_hangs_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(ConfigError) as exc:
        load_settings(bearer_config(tmp_path, helper_command(tmp_path, "empty")), environ={})
    assert "printed nothing" in problems(exc)
    monkeypatch.setattr(config_secrets, "COMMAND_TIMEOUT", 0.5)
    with pytest.raises(ConfigError) as exc:
        load_settings(bearer_config(tmp_path, helper_command(tmp_path, "slow")), environ={})
    assert "did not finish in 0.5 s" in problems(exc)


def test_a_missing_program_is_named(tmp_path: Path) -> None:
    source = '{ command = ["/nonexistent/op", "read", "op://vault/x"] }'
    with pytest.raises(ConfigError) as exc:
        load_settings(bearer_config(tmp_path, source), environ={})
    assert "command 'op' not found" in problems(exc)


@pytest.mark.parametrize("mode", [0o620, 0o602])
def test_a_command_from_a_file_others_can_change_is_never_run(tmp_path: Path, mode: int) -> None:
    marker = tmp_path / "ran"
    config = bearer_config(tmp_path, helper_command(tmp_path, "ok", str(marker)), mode)
    with pytest.raises(ConfigError) as exc:
        load_settings(config, environ={})
    assert "{ command = ... } is refused" in problems(exc)
    assert not marker.exists()


@pytest.mark.parametrize(
    "source", ["{ command = [] }", '{ command = ["x", 1] }', '{ command = "op read" }']
)
def test_a_malformed_command_is_a_typed_problem(tmp_path: Path, source: str) -> None:
    with pytest.raises(ConfigError) as exc:
        load_settings(bearer_config(tmp_path, source), environ={})
    assert '{ command = ["program", "arg", ...] }' in problems(exc)


def test_a_command_in_the_working_directory_config_is_never_run_unless_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A Config.toml in a cloned repository is the user's file, mode 600, and still not chosen.
    monkeypatch.chdir(tmp_path)
    marker = tmp_path / "ran"
    bearer_config(tmp_path, helper_command(tmp_path, "ok", str(marker)))
    with pytest.raises(ConfigError) as exc:
        load_settings(environ={})
    assert problems(exc) == (
        "Config.toml:3:1: `bearer_token` in profile `bot`: { command = ... } is refused: "
        "./Config.toml is read only because it is in the working directory; name the file "
        "with --config, TWITTER_API_CONFIG or Client.from_config(path) to run its command"
    )
    assert not marker.exists()
    # Named, the same file is the user's choice.
    settings = load_settings("Config.toml", environ={})
    assert authorization(settings) == "Bearer helper-SECRET-4242"
    assert marker.exists()


def test_a_command_in_inline_config_from_the_environment_is_never_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    marker = tmp_path / "ran"
    inline = (
        '[twitter_api.profiles.bot]\nflow = "bearer"\n'
        f"bearer_token = {helper_command(tmp_path, 'ok', str(marker))}\n"
    )
    with pytest.raises(ConfigError) as exc:
        load_settings(environ={"TWITTER_API_CONFIG_DATA": inline})
    assert "{ command = ... } is refused: it runs a program" in problems(exc)
    assert "TWITTER_API_CONFIG_DATA" in problems(exc)
    assert not marker.exists()


def test_a_redis_store_named_by_the_working_directory_config_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A planted file must not send the tokens of whoever logs in to a Redis of its choice.
    monkeypatch.chdir(tmp_path)
    pkce_config(tmp_path, "redis://evil.example:6379/0")
    with pytest.raises(ConfigError) as exc:
        load_settings(environ={})
    assert "`token_store` in profile `bot` is refused: ./Config.toml is read only" in problems(exc)
    assert load_settings("Config.toml", environ={}) is not None  # named, it is the user's choice


def test_a_redis_password_in_a_readable_config_is_a_literal_secret(tmp_path: Path) -> None:
    config = pkce_config(tmp_path, "redis://:pw-LEAK-9@127.0.0.1:6379/0", 0o644)
    with pytest.raises(ConfigError) as exc:
        load_settings(config, environ={})
    assert "holds a literal secret (`token_store`) and group or others can read it" in problems(exc)
    assert "pw-LEAK-9" not in problems(exc)
    config.chmod(0o600)
    assert load_settings(config, environ={}) is not None


def test_a_token_store_url_of_another_scheme_is_a_located_config_error(tmp_path: Path) -> None:
    config = pkce_config(tmp_path, "unix:///run/redis.sock")
    with pytest.raises(ConfigError) as exc:
        load_settings(config, environ={})
    assert problems(exc).endswith(
        "Config.toml:6:1: the token store URL scheme 'unix' is not supported: use a file path, "
        "keyring:, redis:// or rediss://"
    )
