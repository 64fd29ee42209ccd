"""The whole login journey in a real headless Chromium, against the loopback fake X."""

from __future__ import annotations

import json
import queue
import stat
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from auth_fake_x import FakeX
from auth_support import USER_SCOPES, free_port
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait
from twitter_api.auth import AccessDeniedError, OAuth2PKCE, Token

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[webdriver.Chrome]:
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}",
    ):
        options.add_argument(flag)
    # An explicit driver path: selenium must not try to download one.
    driver = webdriver.Chrome(options=options, service=Service(executable_path=CHROMEDRIVER))
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture
def loopback_fake() -> Iterator[FakeX]:
    server = FakeX(redirect_uri=f"http://127.0.0.1:{free_port()}/callback").start()
    try:
        yield server
    finally:
        server.stop()


def run_login(auth: OAuth2PKCE) -> tuple[queue.Queue[str], list[object], threading.Thread]:
    urls: queue.Queue[str] = queue.Queue()
    outcome: list[object] = []

    def login() -> None:
        try:
            outcome.append(auth.login(open_browser=False, timeout=60, open_url=urls.put))
        except Exception as exc:
            outcome.append(exc)

    thread = threading.Thread(target=login, daemon=True)
    thread.start()
    return urls, outcome, thread


def make_auth(fake: FakeX, store: Path) -> OAuth2PKCE:
    return OAuth2PKCE(
        fake.client_id,
        fake.redirect_uri,
        USER_SCOPES,
        token_store=store,
        authorize_url=fake.authorize_url,
        token_url=fake.token_url,
    )


def test_login_journey_in_chromium(
    browser: webdriver.Chrome, loopback_fake: FakeX, tmp_path: Path
) -> None:
    store = tmp_path / "state" / "bot.json"
    auth = make_auth(loopback_fake, store)
    urls, outcome, thread = run_login(auth)

    browser.get(urls.get(timeout=30))
    assert browser.title == "Authorize app"
    browser.find_element(By.ID, "approve").click()
    # The fake redirects the browser to the loopback callback, which answers with its page.
    WebDriverWait(browser, 30).until(lambda d: d.title == "Authorization received")
    assert browser.current_url.startswith(loopback_fake.redirect_uri + "?code=")
    assert "close this tab" in browser.find_element(By.TAG_NAME, "body").text
    thread.join(30)

    (token,) = outcome
    assert isinstance(token, Token)
    data = json.loads(store.read_text())
    assert data["access_token"] == token.access_token.reveal()
    assert data["refresh_token"] == token.refresh_token.reveal()  # type: ignore[union-attr]
    assert stat.S_IMODE(store.stat().st_mode) == 0o600
    assert loopback_fake.outcomes("authorize") == ["consent:200"]
    assert loopback_fake.outcomes("token") == ["authorization_code:S256:ok"]


def test_declining_in_chromium(
    browser: webdriver.Chrome, loopback_fake: FakeX, tmp_path: Path
) -> None:
    store = tmp_path / "bot.json"
    urls, outcome, thread = run_login(make_auth(loopback_fake, store))
    browser.get(urls.get(timeout=30))
    browser.find_element(By.ID, "deny").click()
    WebDriverWait(browser, 30).until(lambda d: d.title == "Authorization failed")
    assert "access_denied" in browser.find_element(By.TAG_NAME, "body").text
    thread.join(30)
    (error,) = outcome
    assert isinstance(error, AccessDeniedError)
    assert not store.exists()
    assert loopback_fake.outcomes("token") == []
