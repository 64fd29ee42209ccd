"""Redaction of secrets in log records, as a user's own logging setup receives them.

The package's loggers carry a filter; a user attaches handlers (to `twitter_api` or to the
root logger) with their own formatter, and must never see a secret: not in the message, not in
its %-args, not in exception text.
"""

from __future__ import annotations

import importlib
import logging
import pkgutil
from collections.abc import Iterator

import pytest
import twitter_api
from twitter_api._logging import PACKAGE, RedactingFilter, redact

SECRET = "S3cr3t-REDACT-0001"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            f"{{'access_token': '{SECRET}', 'token_type': 'bearer', 'refresh_token': '{SECRET}'}}",
            "{'access_token': '[redacted]', 'token_type': 'bearer', 'refresh_token': '[redacted]'}",
        ),
        (f"client_secret: {SECRET} (from env)", "client_secret: [redacted] (from env)"),
        (
            f"api_secret: \"{SECRET}\"\ntoken: '{SECRET}'",
            "api_secret: \"[redacted]\"\ntoken: '[redacted]'",
        ),
        (
            f'Authorization: OAuth oauth_consumer_key="{SECRET}", oauth_nonce="n1", '
            f'oauth_signature="{SECRET}%3D", oauth_token="{SECRET}", oauth_version="1.0"',
            'Authorization: OAuth oauth_consumer_key="[redacted]", oauth_nonce="n1", '
            'oauth_signature="[redacted]", oauth_token="[redacted]", oauth_version="1.0"',
        ),
        (
            f"next=%2Fcb%3Fgrant_type%3Drefresh_token%26refresh_token%3D{SECRET}%26client_id%3Dc",
            "next=%2Fcb%3Fgrant_type%3Drefresh_token%26refresh_token%3D[redacted]%26client_id%3Dc",
        ),
        (
            f"grant_type=refresh_token&access_token={SECRET}&client_id=c",
            "grant_type=refresh_token&access_token=[redacted]&client_id=c",
        ),
        (
            f'body: "{{\\"access_token\\": \\"{SECRET}\\", \\"scope\\": \\"a b\\"}}"',
            'body: "{\\"access_token\\": \\"[redacted]\\", \\"scope\\": \\"a b\\"}"',
        ),
        (
            f'{{"access_token":"{SECRET}","expires_in":7200}}',
            '{"access_token":"[redacted]","expires_in":7200}',
        ),
        (f"callback /cb?code={SECRET}&state=s1", "callback /cb?code=[redacted]&state=s1"),
        (f"Authorization: Bearer {SECRET}", "Authorization: Bearer [redacted]"),
        ("HTTP status code: 429", "HTTP status code: 429"),  # a status, not a secret
        (
            "oauth_token_secret='x' oauth_nonce='n'",
            "oauth_token_secret='[redacted]' oauth_nonce='n'",
        ),
        # bytes reprs, form data as pairs, spaces around `=`, twice URL-encoded, encoded schemes
        (
            f"{{b'access_token': b'{SECRET}', b'scope': b'a'}}",
            "{b'access_token': b'[redacted]', b'scope': b'a'}",
        ),
        (
            f"[('grant_type', 'refresh_token'), ('client_secret', '{SECRET}')]",
            "[('grant_type', 'refresh_token'), ('client_secret', '[redacted]')]",
        ),
        (f'client_secret = "{SECRET}"', 'client_secret = "[redacted]"'),
        (
            f"refresh_token = {SECRET} (from the store)",
            "refresh_token = [redacted] (from the store)",
        ),
        (
            f"cb%3Frefresh_token%253D{SECRET}%2526client_id%253Dc",
            "cb%3Frefresh_token%253D[redacted]%2526client_id%253Dc",
        ),
        (f"Authorization=Bearer%20{SECRET}&x=1", "Authorization=Bearer%20[redacted]&x=1"),
        (f"Authorization=Bearer+{SECRET}", "Authorization=Bearer+[redacted]"),
    ],
)
def test_redact(text: str, expected: str) -> None:
    assert redact(text) == expected


def package_loggers() -> list[str]:
    """The names of the loggers the package's modules create when imported."""
    for module in pkgutil.walk_packages(twitter_api.__path__, PACKAGE + "."):
        if module.name.split(".")[-1] != "__main__":
            importlib.import_module(module.name)
    manager = logging.Logger.manager.loggerDict
    return sorted(
        n
        for n, lg in manager.items()
        if n.split(".")[0] == PACKAGE and isinstance(lg, logging.Logger)
    )


class Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
        self.lines: list[str] = []
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)
        self.lines.append(self.format(record))


@pytest.fixture(params=["package", "root"])
def user_handler(request: pytest.FixtureRequest) -> Iterator[Collect]:
    """A handler the user attaches to the package logger or to the root logger."""
    target = logging.getLogger(PACKAGE if request.param == "package" else None)
    handler = Collect()
    old_level = target.level
    package = logging.getLogger(PACKAGE)
    old_package_level = package.level
    target.addHandler(handler)
    target.setLevel(logging.DEBUG)
    package.setLevel(logging.DEBUG)
    try:
        yield handler
    finally:
        target.removeHandler(handler)
        target.setLevel(old_level)
        package.setLevel(old_package_level)


def test_every_package_logger_redacts_for_a_user_handler(user_handler: Collect) -> None:
    names = package_loggers()
    assert {"twitter_api", "twitter_api.auth._oauth2_pkce", "twitter_api.auth._app_only"} <= set(
        names
    )
    for name in names:
        logger = logging.getLogger(name)
        assert any(isinstance(f, RedactingFilter) for f in logger.filters), name
        logger.debug("token response %s from %s", {"access_token": SECRET}, "/2/oauth2/token")
        logger.info("header Authorization: Bearer %s", SECRET)
    assert len(user_handler.lines) == 2 * len(names)
    for line in user_handler.lines:
        assert SECRET not in line
    first = user_handler.lines[0]
    assert first == (
        f"{names[0]} DEBUG token response {{'access_token': '[redacted]'}} from /2/oauth2/token"
    )
    assert user_handler.lines[1] == f"{names[0]} INFO header Authorization: Bearer [redacted]"


def test_exception_text_with_a_secret_is_redacted(user_handler: Collect) -> None:
    logger = logging.getLogger("twitter_api.auth._oauth2_pkce")
    try:
        raise RuntimeError(f"token endpoint said: refresh_token={SECRET}")
    except RuntimeError:
        logger.exception("refresh failed")
    [line] = user_handler.lines
    assert SECRET not in line
    assert line.startswith("twitter_api.auth._oauth2_pkce ERROR refresh failed\nTraceback")
    assert line.endswith("RuntimeError: token endpoint said: refresh_token=[redacted]")


def test_exception_info_without_a_secret_is_kept(user_handler: Collect) -> None:
    logger = logging.getLogger("twitter_api")
    error = ValueError("nothing secret here")
    logger.error("failed", exc_info=error)
    [record] = user_handler.records
    assert record.exc_info is not None and record.exc_info[1] is error
    assert user_handler.lines[0].endswith("ValueError: nothing secret here")


def test_stack_info_is_redacted(user_handler: Collect) -> None:
    # The stack shows source lines, and a source line may hold a literal credential.
    logging.getLogger("twitter_api").debug("here", stack_info=True)  # Bearer S3cr3t-REDACT-0001
    [line] = user_handler.lines
    assert "Stack (most recent call last)" in line and "# Bearer [redacted]" in line
    assert SECRET not in line
