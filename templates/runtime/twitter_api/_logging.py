"""Logging under the package's name, with secrets redacted.

Nothing here logs a secret on purpose; the filter is a second line of defence for values
that reach a message by accident (a URL with a code, an error body echoing a token).
`TWITTER_API_LOG=debug|info` turns on a stderr handler without touching `logging` config.
"""

from __future__ import annotations

import logging
import os
import re
from typing import Final

__all__ = ["RedactingFilter", "configure_from_env", "redact"]

PACKAGE: Final = __name__.rpartition(".")[0]
REDACTED: Final = "[redacted]"

# key=value and "key": "value" forms of OAuth parameters, and Authorization header values.
_SECRET_KEYS = (
    "access_token|refresh_token|id_token|client_secret|code_verifier|code|"
    "oauth_token|oauth_token_secret|oauth_signature|oauth_verifier|bearer_token|"
    "api_secret|access_token_secret|password|token"
)
_PATTERNS = (
    re.compile(rf"(?i)\b({_SECRET_KEYS})=([^&\s\"',;]+)"),
    re.compile(rf"(?i)(\"(?:{_SECRET_KEYS})\"\s*:\s*\")([^\"]+)(\")"),
    re.compile(r"(?i)\b(Bearer|Basic)\s+([A-Za-z0-9\-._~+/%]+=*)"),
    re.compile(rf"(?i)\b((?:{_SECRET_KEYS})=\")([^\"]*)(\")"),  # OAuth 1.0a header params
)


def redact(text: str) -> str:
    """`text` with every recognisable secret value replaced by [redacted]."""
    text = _PATTERNS[3].sub(lambda m: f"{m.group(1)}{REDACTED}{m.group(3)}", text)
    text = _PATTERNS[0].sub(lambda m: f"{m.group(1)}={REDACTED}", text)
    text = _PATTERNS[1].sub(lambda m: f"{m.group(1)}{REDACTED}{m.group(3)}", text)
    return _PATTERNS[2].sub(lambda m: f"{m.group(1)} {REDACTED}", text)


class RedactingFilter(logging.Filter):
    """Rewrites each record's message with secrets redacted (never drops a record)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message or record.args:
            record.msg, record.args = cleaned, None
        return True


_FILTER = RedactingFilter()


def package_logger(name: str = PACKAGE) -> logging.Logger:
    """A logger of this package, with the redacting filter attached."""
    logger = logging.getLogger(name)
    if _FILTER not in logger.filters:
        logger.addFilter(_FILTER)
    return logger


def configure_from_env() -> None:
    level = os.environ.get("TWITTER_API_LOG", "").strip().upper()
    if level not in ("DEBUG", "INFO"):
        return
    logger = package_logger()
    logger.setLevel(level)
    if not any(getattr(h, "_twitter_api", False) for h in logger.handlers):
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
        handler.addFilter(_FILTER)  # records of child loggers pass handler filters too
        handler._twitter_api = True  # type: ignore[attr-defined]
        logger.addHandler(handler)
