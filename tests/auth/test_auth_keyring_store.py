"""token_store = "keyring:": the token lives in the OS credential store, through `keyring`.

The OS store is replaced by an in-memory keyring backend (keyring.set_keyring), so these tests
read exactly what the package handed to the credential store.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import keyring
import keyring.backend
import keyring.errors
import pytest
from auth_fake_x import FakeX
from auth_support import USER_SCOPES, write_pkce_config
from twitter_api._config import load_settings
from twitter_api._secrets import Secret
from twitter_api.auth import (
    KeyringTokenStore,
    OAuth2PKCE,
    Token,
    TokenStoreError,
    open_token_store,
)
from twitter_api.auth._store import encode_record


class MemoryKeyring(keyring.backend.KeyringBackend):
    """A credential store in a dict: (service, user) -> password."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.entries: dict[tuple[str, str], str] = {}
        self.broken = False

    def get_password(self, service: str, username: str) -> str | None:
        if self.broken:
            raise keyring.errors.KeyringLocked("the keyring is locked")
        return self.entries.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        if self.broken:
            raise keyring.errors.PasswordSetError("the keyring is locked")
        self.entries[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if self.entries.pop((service, username), None) is None:
            raise keyring.errors.PasswordDeleteError("no such entry")


@pytest.fixture
def memory_keyring(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[MemoryKeyring]:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    try:
        yield backend
    finally:
        keyring.set_keyring(previous)


def write_config(tmp_path: Path, store: str) -> Path:
    return write_pkce_config(tmp_path / "Config.toml", "desk", store)


def test_a_config_profile_keeps_its_token_in_the_keyring(
    memory_keyring: MemoryKeyring, tmp_path: Path
) -> None:
    auth = load_settings(write_config(tmp_path, "keyring:"), environ={}).auth
    assert isinstance(auth, OAuth2PKCE)
    assert isinstance(auth.token_store, KeyringTokenStore)
    assert auth.token_store.location == "keyring:twitter_api/desk"
    named = open_token_store("keyring:acme-bots", name="desk")
    assert named.location == "keyring:acme-bots/desk"


def test_a_refreshed_token_goes_to_the_keyring_and_nowhere_else(
    fake: FakeX, memory_keyring: MemoryKeyring, tmp_path: Path
) -> None:
    access, refresh = fake.issue(" ".join(USER_SCOPES), expires_in=-10)
    expired = Token(
        access_token=Secret(access),
        refresh_token=Secret(refresh or ""),
        expires_at=time.time() - 10,
        scope=frozenset(USER_SCOPES),
    )
    memory_keyring.entries[("twitter_api", "bot")] = encode_record(expired).decode()
    store = KeyringTokenStore(name="bot")
    auth = OAuth2PKCE(
        fake.client_id, fake.redirect_uri, USER_SCOPES, token_store=store, token_url=fake.token_url
    )
    with httpx.Client(auth=auth, timeout=30) as client:
        assert client.get(fake.url + "/2/users/me").status_code == 200
    assert fake.outcomes("token") == ["refresh_token:ok"]
    renewed = store.load()
    assert renewed is not None and renewed.access_token != expired.access_token
    assert memory_keyring.entries == {("twitter_api", "bot"): encode_record(renewed).decode()}
    # On disk there is only the lock file, which holds nothing.
    on_disk = [p for p in (tmp_path / "state").rglob("*") if p.is_file()]
    assert on_disk == [store.lock_path]
    assert store.lock_path.read_bytes() == b""

    assert store.delete() is True
    assert memory_keyring.entries == {}
    assert store.delete() is False


def test_a_keyring_failure_is_a_store_error_that_reveals_nothing(
    memory_keyring: MemoryKeyring,
) -> None:
    store = KeyringTokenStore(name="bot")
    memory_keyring.broken = True
    with pytest.raises(TokenStoreError, match=r"keyring:twitter_api/bot.*KeyringLocked"):
        store.load()
    token = Token(access_token=Secret("at-Kr9-secret"), refresh_token=Secret("rt-Kr9-secret"))
    with pytest.raises(TokenStoreError, match="PasswordSetError") as caught:
        store.save(token)
    assert "Kr9" not in str(caught.value)
    assert caught.value.__cause__ is None and caught.value.__suppress_context__


def test_a_malformed_keyring_entry_is_named(memory_keyring: MemoryKeyring) -> None:
    memory_keyring.entries[("twitter_api", "bot")] = "not json at-Zq1"
    with pytest.raises(TokenStoreError, match=r"keyring:twitter_api/bot .*invalid JSON") as caught:
        KeyringTokenStore(name="bot").load()
    assert "Zq1" not in str(caught.value)


def test_without_the_keyring_extra_the_error_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setitem(sys.modules, "keyring", None)  # as if keyring were not installed
    with pytest.raises(TokenStoreError, match=r"needs the keyring package: pip install"):
        open_token_store("keyring:")
    from twitter_api._config import ConfigError

    with pytest.raises(ConfigError, match="needs the keyring package"):
        load_settings(write_config(tmp_path, "keyring:"), environ={})
