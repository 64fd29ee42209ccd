"""`python -m twitter_api auth ...` and `request`, as a user runs them, against the fake X."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from auth_fake_x import FakeX, approve_in_place_of_a_browser
from auth_support import PYTHON, free_port, subprocess_env


@pytest.fixture
def loopback_fake() -> Iterator[FakeX]:
    server = FakeX(redirect_uri=f"http://127.0.0.1:{free_port()}/callback").start()
    try:
        yield server
    finally:
        server.stop()


def write_config(tmp_path: Path, fake: FakeX) -> Path:
    config = tmp_path / "Config.toml"
    config.write_text(
        f"""
[twitter_api]
base_url = "{fake.url}"
default_profile = "bot"

[twitter_api.profiles.bot]
flow = "pkce"
client_id = "{fake.client_id}"
redirect_uri = "{fake.redirect_uri}"
scopes = ["tweet.read", "users.read", "offline.access"]
token_store = "state/bot.json"
authorize_url = "{fake.authorize_url}"
token_url = "{fake.token_url}"
revoke_url = "{fake.revoke_url}"

[twitter_api.profiles.app]
flow = "bearer"
bearer_token = {{ env = "CLI_TEST_BEARER" }}
"""
    )
    config.chmod(0o600)
    return config


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [PYTHON, "-m", "twitter_api", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**subprocess_env(), "CLI_TEST_BEARER": "cli-bearer-1"},
        check=False,
    )


def test_login_status_verify_request_logout(loopback_fake: FakeX, tmp_path: Path) -> None:
    fake = loopback_fake
    config = str(write_config(tmp_path, fake))

    before = cli("auth", "status", "--config", config)
    assert before.returncode == 1
    assert "logged in: no" in before.stdout

    login = subprocess.Popen(
        [PYTHON, "-m", "twitter_api", "auth", "login", "--config", config, "--no-browser"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=subprocess_env(),
    )
    assert login.stderr is not None
    url = ""
    while not url:
        line = login.stderr.readline()
        assert line, "login ended without printing the URL"
        if line.strip().startswith(fake.authorize_url):
            url = line.strip()
    callback = approve_in_place_of_a_browser(url)
    assert httpx.get(callback).status_code == 200  # what the browser does next
    out, err = login.communicate(timeout=30)
    assert login.returncode == 0, err
    assert f"token stored in {tmp_path / 'state' / 'bot.json'}" in out
    assert "Granted scopes: offline.access tweet.read users.read" in out

    status = cli("auth", "status", "--config", config)
    assert status.returncode == 0, status.stderr
    assert "logged in: yes" in status.stdout
    assert "refresh token: yes" in status.stdout

    verify = cli("auth", "verify", "--config", config, "--profile", "bot")
    assert verify.returncode == 0, verify.stderr
    assert verify.stdout.strip() == "OK: authenticated as @fake_user (id 2244994945)"

    request = cli("request", "GET", "/2/users/me", "-q", "user.fields=username", "--config", config)
    assert request.returncode == 0, request.stderr
    assert json.loads(request.stdout) == {
        "data": {"id": "2244994945", "name": "Fake User", "username": "fake_user"}
    }

    logout = cli("auth", "logout", "--config", config)
    assert logout.returncode == 0, logout.stderr
    assert "tokens revoked" in logout.stdout
    assert fake.outcomes("revoke") == ["revoke:refresh_token", "revoke:access_token"]
    assert not (tmp_path / "state" / "bot.json").exists()
    assert cli("auth", "status", "--config", config).returncode == 1


def test_request_sends_query_and_json_body(loopback_fake: FakeX, tmp_path: Path) -> None:
    config = str(write_config(tmp_path, loopback_fake))
    result = cli(
        "request",
        "POST",
        "/echo",
        "-q",
        "a=1",
        "-q",
        "a=2",
        "-d",
        '{"text": "hi"}',
        "--config",
        config,
        "--profile",
        "app",
    )
    assert result.returncode == 0, result.stderr
    echoed = json.loads(result.stdout)
    assert echoed["path"] == "/echo?a=1,2"  # a repeated key is a list: comma-joined, as X wants
    assert json.loads(echoed["body"]) == {"text": "hi"}
    assert echoed["headers"]["authorization"] == "Bearer cli-bearer-1"


def test_failures_have_exit_codes_and_messages(loopback_fake: FakeX, tmp_path: Path) -> None:
    config = str(write_config(tmp_path, loopback_fake))
    # Every auth command gives an app-only profile the same advice: how to check it.
    advice = (
        "an app-only call checks it: `python -m twitter_api request GET /2/tweets/20 --profile app`"
    )
    for action in ("verify", "login", "logout"):
        result = cli("auth", action, "--config", config, "--profile", "app")
        assert result.returncode == 2
        assert result.stderr.startswith("python -m twitter_api: profile 'app' uses flow 'bearer'")
        assert result.stderr.rstrip().endswith(advice), result.stderr
    status = cli("auth", "status", "--config", config, "--profile", "app")
    assert status.returncode == 0 and f"credentials: configured ({advice})" in status.stdout
    version = cli("--version")
    assert version.returncode == 0 and version.stdout.startswith("twitter_api ")
    assert "(spec 2.167)" in version.stdout
    bad_json = cli("request", "POST", "/echo", "-d", "{nope", "--config", config)
    assert bad_json.returncode == 2
    assert "-d is not usable JSON" in bad_json.stderr
    missing = cli("auth", "status", "--config", str(tmp_path / "absent.toml"))
    assert missing.returncode == 2
    assert "config file not found" in missing.stderr
    not_found = cli("request", "GET", "/nowhere", "--config", config, "--profile", "app")
    assert not_found.returncode == 1
    assert "Not Found" in not_found.stderr
