"""Checking each merged value against the kind its key expects.

TOML values must already have the right type; strings from environment variables are converted
(`"5"` -> 5.0, `"a b"` -> a list of scopes, `"yes"` -> True). Secret references are checked for
shape only here: `_secrets` resolves them, for the chosen profile alone.
"""

from __future__ import annotations

import re
from typing import Final
from urllib.parse import urlsplit

from .. import _spec_info
from ._schema import FLOWS, MODULE_KEYS, PROFILE_KEYS, Kind, Problems, describe, did_you_mean
from ._sources import Merged, Value

_BOOLS: Final = {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}


def check_values(merged: Merged, problems: Problems) -> dict[str, object]:
    """The checked module settings; profile values from the environment are converted in place."""
    module = {k: typed(MODULE_KEYS[k], v, k, None, problems) for k, v in merged.module.items()}
    for name, values in merged.profiles.items():
        for key, value in values.items():
            # Passed straight on, so no local of this frame keeps a checked secret.
            _keep_converted(value, typed(PROFILE_KEYS[key], value, key, name, problems))
    return module


def _keep_converted(value: Value, checked: object) -> None:
    if value.from_env and checked is not None:
        value.raw = checked  # e.g. "a b c" from a variable -> ["a", "b", "c"]


def typed(kind: Kind, value: Value, key: str, profile: str | None, problems: Problems) -> object:
    """The checked value (None after reporting a problem). Secrets stay unresolved here."""
    raw = value.raw
    from_env = value.from_env
    what = describe(key, profile)

    def bad(message: str) -> None:
        problems.add(value.location, f"{what} {message}", key, profile)

    if kind in ("secret", "id"):
        if isinstance(raw, str) and raw:
            return raw
        if isinstance(raw, dict) and len(raw) == 1:
            [(source, target)] = raw.items()
            if source in ("env", "file", "keyring") and isinstance(target, str) and target:
                return raw
            if (
                source == "command"
                and isinstance(target, list)
                and target
                and all(isinstance(part, str) and part for part in target)
            ):
                return raw
        bad(
            'must be a non-empty string, { env = "NAME" }, { file = "PATH" }, '
            '{ keyring = "SERVICE/NAME" } or { command = ["program", "arg", ...] }'
        )
        return None
    if kind == "scopes":
        if from_env:
            raw = [s for s in re.split(r"[\s,]+", str(raw)) if s]
        if not isinstance(raw, list) or not all(isinstance(s, str) for s in raw):
            bad('must be a list of scope names, e.g. ["tweet.read", "users.read"]')
            return None
        unknown = [s for s in raw if s not in _spec_info.OAUTH2_SCOPES]
        if unknown:
            hints = "".join(did_you_mean(s, _spec_info.OAUTH2_SCOPES) for s in unknown[:1])
            bad(f"names scopes the API does not define: {', '.join(map(repr, unknown))}{hints}")
            return None
        return raw
    if kind == "number":
        if from_env:
            try:
                raw = float(str(raw))
            except ValueError:
                bad(f"must be a number of seconds, not {raw!r}")
                return None
        if isinstance(raw, bool) or not isinstance(raw, int | float) or not raw > 0:
            bad("must be a positive number of seconds")
            return None
        return float(raw)
    if kind == "bool":
        if from_env:
            raw = _BOOLS.get(str(raw).strip().lower(), raw)
        if not isinstance(raw, bool):
            bad("must be true or false")
            return None
        return raw
    if not isinstance(raw, str) or not raw:
        bad("must be a non-empty string")
        return None
    if kind == "flow" and raw not in FLOWS:
        bad(f"must be one of {', '.join(map(repr, FLOWS))}, not {raw!r}{did_you_mean(raw, FLOWS)}")
        return None
    if kind == "url":
        try:
            parts = urlsplit(raw)
        except ValueError:  # e.g. an unclosed IPv6 bracket
            parts = None
        if parts is None or parts.scheme not in ("http", "https") or not parts.netloc:
            bad(f"must be an http(s) URL, not {raw!r}")
            return None
    return raw
