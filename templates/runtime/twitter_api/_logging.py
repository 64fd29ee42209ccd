"""Logging under the package's name, with secrets redacted.

Nothing here logs a secret on purpose; the filter is a second line of defence for values
that reach a message by accident (a URL with a code, an error body echoing a token).
`<PACKAGE>_LOG=debug|info` (`_names.ENV_LOG`) turns on a stderr handler without touching the
`logging` configuration.
"""

from __future__ import annotations

import functools
import logging
import os
import re
from typing import Final

from ._names import ENV_LOG

__all__ = ["RedactingFilter", "configure_from_env", "redact"]

PACKAGE: Final = __name__.rpartition(".")[0]
REDACTED: Final = "[redacted]"

# Parameter names whose values are secrets, in OAuth forms, JSON bodies, headers and reprs.
_SECRET_KEYS: Final = (
    "access_token|refresh_token|id_token|client_secret|code_verifier|code|"
    "oauth_token|oauth_token_secret|oauth_signature|oauth_verifier|oauth_consumer_key|"
    "bearer_token|api_key|api_secret|access_token_secret|consumer_key|consumer_secret|"
    "password|token"
)
# Not after a letter or "_" (so "token" never matches inside "oauth_token"), but after "%26" or
# "%3F" (also encoded twice), where a URL-encoded form puts a name.
_START: Final = r"(?:(?<![A-Za-z_])|(?<=%3[Ff])|(?<=%253[Ff]))"


@functools.cache
def _patterns() -> tuple[re.Pattern[str], ...]:
    # Compiled on first use: they cost milliseconds, and most processes never log.
    return (
        # "key": "value", 'key': 'value' (a dict repr, also of bytes: b'key': b'value'),
        # ('key', 'value') (form data as pairs) and \"key\": \"value\" (JSON in a string)
        re.compile(
            rf"(?i)(?P<b>b?)(?P<q>\\*[\"'])(?P<k>(?:{_SECRET_KEYS}))(?P=q)(?P<sep>\s*[:=,]\s*)"
            r"(?P<vb>b?)(?P<v>\\*[\"'])(.*?)(?P=v)"
        ),
        # key="value" (OAuth 1.0a Authorization header parameters), key='value', key = "value"
        re.compile(rf"(?i){_START}(?P<k>(?:{_SECRET_KEYS}))(?P<eq>\s*=\s*)(?P<v>[\"'])(.*?)(?P=v)"),
        # key=value in a query or form, key = value, and key%3Dvalue URL-encoded once or more
        re.compile(
            rf"(?i){_START}(?P<k>(?:{_SECRET_KEYS}))(?P<eq>[ \t]*=[ \t]*|%(?:25)*3D)"
            r"(?:(?!%(?:25)*26)[^&\s\"',;])+"
        ),
        # key: value and key: "value" in prose or YAML ("code: 404" is a status: no bare `code`)
        re.compile(
            rf"(?i){_START}(?P<k>(?!code\b)(?:{_SECRET_KEYS})):[ \t]*"
            r"(?:(?P<v>[\"'])(.*?)(?P=v)|(?![\s\"'\[])[^\s\"',;]+)"
        ),
        # Authorization header schemes, also URL- or form-encoded (Bearer%20..., Bearer+...)
        re.compile(r"(?i)\b(?P<k>Bearer|Basic)(?P<sp>\s+|%(?:25)*20|\+)[A-Za-z0-9\-._~+/%]+=*"),
    )


def _quoted(m: re.Match[str]) -> str:
    return f"{m['b']}{m['q']}{m['k']}{m['q']}{m['sep']}{m['vb']}{m['v']}{REDACTED}{m['v']}"


def redact(text: str) -> str:
    """`text` with every recognisable secret value replaced by [redacted]."""
    quoted, header, form, prose, scheme = _patterns()
    text = quoted.sub(_quoted, text)
    text = header.sub(lambda m: f"{m['k']}{m['eq']}{m['v']}{REDACTED}{m['v']}", text)
    text = form.sub(lambda m: f"{m['k']}{m['eq']}{REDACTED}", text)
    text = prose.sub(lambda m: f"{m['k']}: {m['v'] or ''}{REDACTED}{m['v'] or ''}", text)
    return scheme.sub(lambda m: f"{m['k']}{m['sp']}{REDACTED}", text)


class RedactingFilter(logging.Filter):
    """Rewrites each record with secrets redacted (never drops a record).

    The message is formatted with its args and redacted; exception and stack text that holds
    a secret is replaced by its redacted rendering (the exception object itself is dropped
    from that record, as its message cannot be changed without changing the exception).
    """

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message or record.args:
            record.msg, record.args = cleaned, None
        if record.exc_info and record.exc_info[1] is not None:
            text = record.exc_text or _FORMATTER.formatException(record.exc_info)
            if redact(text) != text:
                record.exc_info, record.exc_text = None, redact(text)
        elif record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


_FORMATTER = logging.Formatter()
_FILTER = RedactingFilter()


def package_logger(name: str = PACKAGE) -> logging.Logger:
    """A logger of this package, with the redacting filter attached."""
    logger = logging.getLogger(name)
    if _FILTER not in logger.filters:
        logger.addFilter(_FILTER)
    return logger


def configure_from_env() -> None:
    level = os.environ.get(ENV_LOG, "").strip().upper()
    if level not in ("DEBUG", "INFO"):
        return
    logger = package_logger()
    logger.setLevel(level)
    if not any(getattr(h, "_package_handler", False) for h in logger.handlers):
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
        handler.addFilter(_FILTER)  # records of child loggers pass handler filters too
        handler._package_handler = True  # type: ignore[attr-defined]
        logger.addHandler(handler)
