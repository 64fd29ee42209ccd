"""Where POSIX pieces are missing: no fcntl, no file modes; and private folders on disk.

The package must import and work without `fcntl` (Windows has none); only a token store
file, which needs a cross-process lock, may refuse, and then with a one-line reason.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import textwrap
import types
from collections.abc import Iterator
from pathlib import Path

import pytest
from auth_fake_x import FakeX
from auth_support import PYTHON, subprocess_env
from twitter_api import _secrets
from twitter_api._config import ConfigError, load_settings
from twitter_api._secrets import Secret
from twitter_api.auth import BearerToken, FileTokenStore, Token, _single_flight

BEARER = "bearer-PORTABLE-0001"

NO_FCNTL = textwrap.dedent(
    """
    import json, os, sys
    sys.modules["fcntl"] = None  # what `import fcntl` finds on Windows: nothing
    from twitter_api import Client
    from twitter_api.auth import Token, FileTokenStore, TokenStoreError
    from twitter_api._secrets import Secret

    config, store_path, os_name = sys.argv[1], sys.argv[2], os.name
    out = {"os_name": os_name}
    with Client.from_config(config, profile="bot") as client:
        response = client.request("GET", "/echo")
        out["authorization"] = response.json()["headers"]["authorization"]
    with Client.from_config(config, profile="app") as client:  # fetches and caches a bearer
        response = client.request("GET", "/echo")
        out["app_authorization"] = response.json()["headers"]["authorization"]
    pkce = Client.from_config(config, profile="user").auth
    out["pkce_token"] = pkce.token  # read from a store that does not exist yet: None
    store = FileTokenStore(store_path)
    try:
        lock = store.lock()
        lock.acquire()
    except TokenStoreError as exc:
        out["lock_error"] = str(exc)
    out["store_load"] = store.load() is None
    print(json.dumps(out))
    """
)


def test_the_package_works_without_fcntl_except_a_token_store_lock(tmp_path: Path) -> None:
    fake = FakeX().start()
    try:
        config = tmp_path / "Config.toml"
        config.write_text(
            textwrap.dedent(
                f"""
                [twitter_api]
                base_url = "{fake.url}"
                [twitter_api.profiles.bot]
                flow = "bearer"
                bearer_token = "{BEARER}"
                [twitter_api.profiles.app]
                flow = "app"
                client_id = "{fake.app_key}"
                client_secret = "{fake.app_secret}"
                token_url = "{fake.app_token_url}"
                [twitter_api.profiles.user]
                flow = "pkce"
                client_id = "cid"
                redirect_uri = "http://127.0.0.1:8976/callback"
                scopes = ["tweet.read", "users.read", "offline.access"]
                token_store = "state/user.json"
                """
            )
        )
        config.chmod(0o600)
        store_path = tmp_path / "other" / "bot.json"
        result = subprocess.run(
            [PYTHON, "-c", NO_FCNTL, str(config), str(store_path)],
            env=subprocess_env(),
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    finally:
        fake.stop()
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["os_name"] == os.name  # the platform itself was left unchanged
    assert out["authorization"] == f"Bearer {BEARER}"
    assert fake.outcomes("app_token") == ["app:ok"]
    [app_bearer] = [s for s in fake.seen_secrets if s.startswith("at-")]
    assert out["app_authorization"] == f"Bearer {app_bearer}"
    assert out["pkce_token"] is None
    assert out["store_load"] is True
    assert out["lock_error"] == (
        f"cannot lock {store_path}.lock: this Python has no file locking (neither fcntl nor "
        "msvcrt), so a token store file cannot be shared safely; keep the token in memory "
        "instead (OAuth2PKCE(..., token_store=None))"
    )
    assert "Traceback" not in result.stderr


class FakeMsvcrt(types.ModuleType):
    """Byte-range locks of one file as Windows keeps them, recorded call by call."""

    LK_UNLCK, LK_LOCK, LK_NBLCK = 0, 1, 2

    def __init__(self) -> None:
        super().__init__("msvcrt")
        self.calls: list[tuple[int, int]] = []
        self.held_elsewhere = False

    def locking(self, fd: int, mode: int, nbytes: int) -> None:
        assert nbytes == 1
        self.calls.append((fd, mode))
        if mode != self.LK_UNLCK and self.held_elsewhere:
            raise OSError(36, "Resource deadlock avoided")


@pytest.fixture
def windows(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeMsvcrt]:
    fake = FakeMsvcrt()
    monkeypatch.setitem(sys.modules, "msvcrt", fake)
    monkeypatch.setitem(sys.modules, "fcntl", None)  # Windows has no fcntl
    monkeypatch.setattr(sys, "platform", "win32")
    yield fake


def test_windows_locks_with_msvcrt_and_unlocks_before_closing(
    windows: FakeMsvcrt, tmp_path: Path
) -> None:
    lock = _single_flight.RefreshLock(tmp_path / "bot.json.lock")
    lock.acquire()
    [(fd, mode)] = windows.calls
    assert mode == windows.LK_LOCK
    os.fstat(fd)  # the descriptor stays open while the lock is held
    lock.release()
    assert windows.calls[-1] == (fd, windows.LK_UNLCK)
    with pytest.raises(OSError):
        os.fstat(fd)

    windows.held_elsewhere = True  # another process holds it
    windows.calls.clear()
    assert lock.try_acquire() is False
    [(fd, mode)] = windows.calls
    assert mode == windows.LK_NBLCK
    with pytest.raises(OSError):
        os.fstat(fd)  # closed again, and the thread lock is free for the next try
    windows.held_elsewhere = False
    assert lock.try_acquire() is True
    lock.release()


# Every check of the permission bits of a file the configuration reads: the config text, its
# mode, a secret file beside it (mode) or None, the refusal where modes exist, the token used.
# On Windows those bits mean nothing (see _secrets), so each check must step aside there.
BOT = '[twitter_api.profiles.bot]\nflow = "bearer"\n'
MODE_CHECKS = {
    "literal secret, config readable by others": (
        BOT + 'bearer_token = "literal-PORTABLE-0002"\n',
        0o644,
        None,
        "holds a literal secret .* group or others can read it",
        "literal-PORTABLE-0002",
    ),
    "secret file readable by others": (
        BOT + 'bearer_token = { file = "bearer.txt" }\n',
        0o600,
        0o644,
        "the secret file .*bearer.txt is readable by group or others",
        "file-PORTABLE-0003",
    ),
    "endpoint in a config writable by others": (
        '[twitter_api]\nbase_url = "https://api.example"\n'
        + BOT
        + 'bearer_token = { env = "X_BEARER" }\n',
        0o666,
        None,
        "`base_url` in \\[twitter_api\\] is refused: it decides where credentials go",
        "env-PORTABLE-0004",
    ),
}


@pytest.mark.parametrize("case", MODE_CHECKS)
def test_mode_checks_are_skipped_where_the_os_has_no_posix_modes(
    case: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    text, mode, secret_file_mode, refusal, token = MODE_CHECKS[case]
    config = tmp_path / "Config.toml"
    config.write_text(text)
    config.chmod(mode)
    if secret_file_mode is not None:
        (tmp_path / "bearer.txt").write_text("file-PORTABLE-0003\n")
        (tmp_path / "bearer.txt").chmod(secret_file_mode)
    environ = {"X_BEARER": "env-PORTABLE-0004"}
    with pytest.raises(ConfigError, match=refusal):
        load_settings(config, environ=environ)
    monkeypatch.setattr(_secrets, "POSIX_MODES", False)
    settings = load_settings(config, environ=environ)
    assert isinstance(settings.auth, BearerToken)
    assert settings.auth._token.reveal() == token


# -- every folder the token store creates is private ------------------------------------------


def modes_below(home: Path, *parts: str) -> list[int]:
    path, modes = home, []
    for part in parts:
        path = path / part
        modes.append(stat.S_IMODE(path.stat().st_mode))
    return modes


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "home"
    home.mkdir(mode=0o755)
    monkeypatch.setenv("HOME", str(home))
    return home


@pytest.mark.parametrize("umask", [0o022, 0o277])
def test_save_makes_each_missing_folder_0700_and_leaves_existing_ones(
    home: Path, umask: int
) -> None:
    (home / ".local").mkdir(mode=0o755)  # exists already: not the store's to change
    store = FileTokenStore("~/.local/state/twitter_api/bot.json")
    token = Token(access_token=Secret("a"), refresh_token=None)
    old = os.umask(umask)
    try:
        store.save(token)
    finally:
        os.umask(old)
    assert store.path == home / ".local" / "state" / "twitter_api" / "bot.json"
    assert modes_below(home, ".local", "state", "twitter_api") == [0o755, 0o700, 0o700]
    assert stat.S_IMODE(home.stat().st_mode) == 0o755
    assert stat.S_IMODE(store.path.stat().st_mode) == 0o600
    assert store.load() == token


def test_the_lock_makes_each_missing_folder_0700_too(home: Path) -> None:
    store = FileTokenStore("~/.local/state/twitter_api/bot.json")
    old = os.umask(0o022)
    try:
        lock = store.lock()
        lock.acquire()
        lock.release()
    finally:
        os.umask(old)
    assert modes_below(home, ".local", "state", "twitter_api") == [0o700, 0o700, 0o700]
    assert stat.S_IMODE(store.lock_path.stat().st_mode) == 0o600


def test_save_works_without_posix_only_calls(
    store_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Windows has neither os.fchmod (before 3.13) nor O_DIRECTORY; the store must not need them.
    monkeypatch.delattr(os, "O_DIRECTORY")
    monkeypatch.delattr(os, "fchmod")
    monkeypatch.setattr(sys, "platform", "win32")
    store = FileTokenStore(store_path)
    token = Token(access_token=Secret("a"), refresh_token=Secret("r"))
    store.save(token)
    assert store.load() == token


def test_the_windows_branches_type_check() -> None:
    # The msvcrt branch never runs here; mypy for the win32 platform checks it against typeshed.
    import twitter_api

    package = Path(twitter_api.__file__).parent
    files = ["auth/_single_flight.py", "auth/_token_store.py", "_secrets.py", "_files.py"]
    mypy = ["mypy", "--strict", "--platform", "win32", "--no-incremental", "--cache-dir"]
    result = subprocess.run(
        [PYTHON, "-m", *mypy, os.devnull, *(str(package / f) for f in files)],
        cwd=package.parent,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:]
