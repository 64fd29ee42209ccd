"""The auth objects inside the generated Client: from_config, refresh, per-operation security."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from auth_fake_x import FakeX, approve_in_place_of_a_browser
from twitter_api import AsyncClient, Client, OperationNotAllowedError
from twitter_api.auth import BearerToken, OAuth2PKCE


def write_config(tmp_path: Path, fake: FakeX, scopes: list[str]) -> Path:
    config = tmp_path / "Config.toml"
    config.write_text(
        f"""
[twitter_api]
base_url = "{fake.url}"
timeout = 5

[twitter_api.profiles.bot]
flow = "pkce"
client_id = "{fake.client_id}"
redirect_uri = "{fake.redirect_uri}"
scopes = {scopes!r}
token_store = "bot.json"
authorize_url = "{fake.authorize_url}"
token_url = "{fake.token_url}"
"""
    )
    config.chmod(0o600)
    return config


def log_in(client: Client | AsyncClient) -> None:
    auth = client.auth
    assert isinstance(auth, OAuth2PKCE)
    auth.complete(approve_in_place_of_a_browser(auth.authorization_url()))


def test_from_config_logs_in_and_refreshes(fake: FakeX, tmp_path: Path) -> None:
    config = write_config(tmp_path, fake, ["tweet.read", "users.read", "offline.access"])
    with Client.from_config(config) as client:
        log_in(client)
        assert client.get_users_me().data.username == "fake_user"  # type: ignore[union-attr]
        fake.expire_access_tokens()
        assert client.get_users_me().data.username == "fake_user"  # type: ignore[union-attr]
    assert fake.outcomes("me") == ["me:200", "me:401", "me:200"]
    assert fake.count("refresh_token:ok") == 1


def test_async_client_from_config(fake: FakeX, tmp_path: Path) -> None:
    config = write_config(tmp_path, fake, ["tweet.read", "users.read", "offline.access"])

    async def main() -> str | None:
        async with AsyncClient.from_config(config) as client:
            log_in(client)
            fake.expire_access_tokens()
            me = await client.get_users_me()
            return me.data.username if me.data else None

    assert asyncio.run(main()) == "fake_user"
    assert fake.count("refresh_token:ok") == 1


def test_missing_scope_is_refused_before_sending(fake: FakeX, tmp_path: Path) -> None:
    config = write_config(tmp_path, fake, ["tweet.read", "offline.access"])
    with Client.from_config(config) as client:
        log_in(client)
        with pytest.raises(OperationNotAllowedError, match=r"users\.read"):
            client.get_users_me()
    assert fake.outcomes("me") == []


def test_app_only_bearer_is_refused_on_a_user_context_operation(fake: FakeX) -> None:
    with Client(auth=BearerToken("app-token"), base_url=fake.url) as client:
        with pytest.raises(OperationNotAllowedError, match="BearerToken"):
            client.get_users_me()
    assert fake.events == []
