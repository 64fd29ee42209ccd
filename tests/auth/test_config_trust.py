"""Which config files may say where credentials go, and how config and secret files are read."""

from __future__ import annotations

import os
import textwrap
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from twitter_api import Client
from twitter_api._config import ConfigError, load_settings
from twitter_api.auth import BearerToken

from tests.loopback import Exchange, Loopback

TOKEN = "env-bearer-Vb8"
BEARER_FROM_ENV = {"TWITTER_API_BOT_FLOW": "bearer", "TWITTER_API_BOT_BEARER_TOKEN": TOKEN}


def write(path: Path, text: str, mode: int = 0o600) -> Path:
    path.write_text(textwrap.dedent(text).lstrip())
    path.chmod(mode)
    return path


def problems(caught: pytest.ExceptionInfo[ConfigError]) -> list[str]:
    return [str(p) for p in caught.value.problems]


@pytest.fixture
def evil() -> Iterator[Loopback]:
    def handle(exchange: Exchange) -> None:
        exchange.respond(200, {"data": {"id": "1"}})

    with Loopback(handle) as server:
        yield server


# -- endpoint settings only from files the user owns and alone can write ------------------------


BASE_URL_FILE = """
    [twitter_api]
    base_url = "https://proxy.example"
    [twitter_api.profiles.bot]
    flow = "bearer"
    bearer_token = { env = "X_BEARER" }
"""


@pytest.mark.parametrize("mode", [0o620, 0o602, 0o660])
def test_endpoints_from_a_file_others_can_write_are_refused(tmp_path: Path, mode: int) -> None:
    config = write(tmp_path / "shared.toml", BASE_URL_FILE, mode)
    with pytest.raises(ConfigError) as caught:
        load_settings(config, environ={"X_BEARER": TOKEN})
    assert problems(caught) == [
        f"{config}:2:1: `base_url` in [twitter_api] is refused: it decides where credentials "
        f"go, and the file is owned by another user or writable by group or others (mode "
        f"{mode:04o}); fix: chmod go-w {config} (and own it), or set it in an environment variable"
    ]
    assert TOKEN not in str(caught.value)


def test_endpoints_from_a_file_of_another_user_are_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = write(tmp_path / "theirs.toml", BASE_URL_FILE)
    monkeypatch.setattr(os, "getuid", lambda: os.stat(config).st_uid + 4242)
    with pytest.raises(ConfigError, match="owned by another user"):
        load_settings(config, environ={"X_BEARER": TOKEN})


def test_trusted_files_and_default_values_are_accepted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Group may read (no literal secret here), nobody else may write: accepted.
    config = write(tmp_path / "mine.toml", BASE_URL_FILE, 0o644)
    assert load_settings(config, environ={"X_BEARER": TOKEN}).base_url == "https://proxy.example"
    # A foreign file that only repeats the defaults redirects nothing.
    write(config, BASE_URL_FILE.replace("https://proxy.example", "https://api.x.com"), 0o666)
    monkeypatch.setattr(os, "getuid", lambda: os.stat(config).st_uid + 4242)
    assert load_settings(config, environ={"X_BEARER": TOKEN}).base_url == "https://api.x.com"


# -- ./Config.toml found in the working directory -------------------------------------------------


@pytest.mark.parametrize(
    ("planted", "environ", "outside"),
    [
        (
            "",
            BEARER_FROM_ENV,
            "`bearer_token` from environment variable TWITTER_API_BOT_BEARER_TOKEN",
        ),
        (
            '[twitter_api.profiles.bot]\nflow = "bearer"\nbearer_token = { env = "X_BEARER" }\n',
            {"X_BEARER": TOKEN},
            "`bearer_token` from { env = ... }",
        ),
    ],
)
def test_a_planted_config_cannot_redirect_credentials_it_does_not_hold(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    evil: Loopback,
    planted: str,
    environ: dict[str, str],
    outside: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    for name in ("TWITTER_API_CONFIG", "TWITTER_API_CONFIG_DATA"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    write(tmp_path / "Config.toml", f'[twitter_api]\nbase_url = "{evil.url}"\n{planted}')
    with pytest.raises(ConfigError) as caught:
        Client.from_config()
    assert problems(caught) == [
        f"Config.toml:2:1: `base_url` in [twitter_api] is refused: ./Config.toml is read only "
        f"because it is in the working directory, and it must not redirect credentials it does "
        f"not hold ({outside}); name the file with --config or TWITTER_API_CONFIG to use it"
    ]
    assert TOKEN not in str(caught.value)
    assert evil.requests == []
    # Named explicitly, the same file is the user's choice.
    assert load_settings("Config.toml").base_url == evil.url


def test_a_working_directory_config_may_use_defaults_or_its_own_secrets(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "Config.toml", '[twitter_api]\nbase_url = "https://api.x.com"\n')
    settings = load_settings(environ=BEARER_FROM_ENV)
    assert isinstance(settings.auth, BearerToken)
    assert settings.base_url == "https://api.x.com"
    write(
        tmp_path / "Config.toml",
        '[twitter_api]\nbase_url = "https://proxy.example"\n'
        '[twitter_api.profiles.bot]\nflow = "bearer"\nbearer_token = "literal-in-file"\n',
    )
    assert load_settings(environ={}).base_url == "https://proxy.example"


# -- what a config or secret file may be ----------------------------------------------------------


def test_a_fifo_config_is_refused_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "Config.toml"
    os.mkfifo(fifo, 0o600)
    outcome: list[BaseException] = []

    def load() -> None:
        try:
            load_settings(fifo, environ={})
        except BaseException as exc:
            outcome.append(exc)

    worker = threading.Thread(target=load, daemon=True)
    worker.start()
    worker.join(10.0)  # a bound, not a measurement: a blocking open would never return
    if worker.is_alive():  # release the blocked open() so the thread can end
        os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
        worker.join(10.0)
        pytest.fail("opening a FIFO config blocked")
    [error] = outcome
    assert isinstance(error, ConfigError)
    assert str(error.problems[0]) == f"{fifo}: refusing the config file: it is not a regular file"


def test_a_device_secret_file_is_refused(tmp_path: Path) -> None:
    config = write(
        tmp_path / "Config.toml",
        '[twitter_api.profiles.bot]\nflow = "bearer"\nbearer_token = { file = "/dev/zero" }\n',
    )
    with pytest.raises(ConfigError) as caught:
        load_settings(config, environ={})
    assert problems(caught) == [
        f"{config}:3:1: `bearer_token` in profile `bot`: refusing /dev/zero: "
        "it is not a regular file"
    ]


def test_oversized_config_and_secret_files_are_refused(tmp_path: Path) -> None:
    big = write(tmp_path / "big.toml", "# padding\n" + "#" * (1024 * 1024))
    with pytest.raises(ConfigError) as caught:
        load_settings(big, environ={})
    assert (
        problems(caught)[0] == f"{big}: refusing the config file: it is larger than 1048576 bytes"
    )
    secret = write(tmp_path / "secret", "s" * (64 * 1024 + 1))
    config = write(
        tmp_path / "Config.toml",
        '[twitter_api.profiles.bot]\nflow = "bearer"\nbearer_token = { file = "secret" }\n',
    )
    with pytest.raises(ConfigError) as caught:
        load_settings(config, environ={})
    assert problems(caught) == [
        f"{config}:3:1: `bearer_token` in profile `bot`: refusing {secret}: "
        "it is larger than 65536 bytes"
    ]
    write(secret, "s" * (64 * 1024))  # exactly at the cap: accepted
    assert isinstance(load_settings(config, environ={}).auth, BearerToken)


def test_permissions_are_checked_on_the_opened_file_not_by_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Checking a path and then reading it lets the file be swapped in between; the loader
    # checks the descriptor it reads from, so it never needs to stat these paths.
    write(tmp_path / "secret", "from-file", 0o644)
    config = write(
        tmp_path / "Config.toml",
        '[twitter_api]\nbase_url = "https://proxy.example"\n'
        '[twitter_api.profiles.bot]\nflow = "bearer"\nbearer_token = { file = "secret" }\n',
        0o622,
    )
    real_stat = os.stat

    def guarded_stat(path: object, *args: object, **kwargs: object) -> os.stat_result:
        if Path(os.fsdecode(path)).name in ("secret", "Config.toml"):  # type: ignore[arg-type]
            raise AssertionError(f"stat by path: {path}")
        return real_stat(path, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "stat", guarded_stat)
    with pytest.raises(ConfigError) as caught:
        load_settings(config, environ={})
    messages = problems(caught)
    assert len(messages) == 2
    assert "mode 0622" in messages[0] and "`base_url`" in messages[0]
    assert "the secret file" in messages[1] and "mode 0644" in messages[1]
