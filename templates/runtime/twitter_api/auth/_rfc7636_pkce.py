"""Proof Key for Code Exchange (RFC 7636) as pure functions, plus the OAuth `state` value."""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from typing import Final, Literal

__all__ = [
    "CODE_VERIFIER_PATTERN",
    "ChallengeMethod",
    "code_challenge",
    "new_code_verifier",
    "new_state",
]

ChallengeMethod = Literal["S256", "plain"]

# RFC 7636 section 4.1: code-verifier = 43*128unreserved, unreserved = ALPHA / DIGIT / "-" / "." /
# "_" / "~".
CODE_VERIFIER_PATTERN: Final = re.compile(r"[A-Za-z0-9\-._~]{43,128}")

# 32 random bytes -> 43 base64url characters: 256 bits, the RFC's recommended entropy.
_VERIFIER_BYTES: Final = 32
# 24 bytes = 192 bits (>= 128 required): a forged callback cannot guess an outstanding state.
_STATE_BYTES: Final = 24


def new_code_verifier(nbytes: int = _VERIFIER_BYTES) -> str:
    """A fresh high-entropy verifier; `nbytes` between 32 and 96 keeps it within 43-128 chars."""
    if not 32 <= nbytes <= 96:
        raise ValueError("nbytes must be between 32 and 96")
    return base64.urlsafe_b64encode(secrets.token_bytes(nbytes)).rstrip(b"=").decode("ascii")


def code_challenge(verifier: str, method: ChallengeMethod = "S256") -> str:
    """The code_challenge for `verifier` (section 4.2)."""
    if not CODE_VERIFIER_PATTERN.fullmatch(verifier):
        raise ValueError("the code verifier must be 43-128 characters of [A-Za-z0-9-._~]")
    if method == "plain":
        return verifier
    if method == "S256":
        digest = hashlib.sha256(verifier.encode("ascii")).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")
    raise ValueError(f"unknown code challenge method {method!r}")


def new_state() -> str:
    """An unguessable, single-use value binding a callback to the request that caused it."""
    return secrets.token_urlsafe(_STATE_BYTES)
