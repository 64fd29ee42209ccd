"""Endpoint trust: which sources may decide where credentials are sent.

Endpoint settings (`base_url`, `*_url`) and `allow_insecure_http` route credentials, so a value
other than the default is taken only from a file owned by the current user that group and
others cannot write, and from the implicit `./Config.toml` only when the profile's credentials
are literals in that same file: a file planted in the working directory must not redirect
credentials from the environment, other files or the token store. URLs must be https, or http
to a loopback host, unless `allow_insecure_http = true`.
"""

from __future__ import annotations

from collections.abc import Mapping

from .. import _spec_info
from .._endpoints import insecure_http_reason
from .._files import owned_by_user
from ..auth._app_only import DEFAULT_TOKEN_URL as APP_TOKEN_URL
from ..auth._store import is_network_store
from ._schema import (
    DEFAULT_FILE,
    ENDPOINT_KEYS,
    ENV_CONFIG,
    PROFILE_KEYS,
    ROUTING_KEYS,
    Problems,
    describe,
)
from ._sources import Layer, Merged, Value


def check_endpoints(
    profile: str, flow: str, merged: Merged, allow_http: bool, problems: Problems
) -> None:
    """Refuse endpoint settings that would send credentials where the user did not choose."""
    values = merged.profiles[profile]
    checked: list[tuple[str, str | None, Value]] = [
        (key, None, value) for key, value in merged.module.items() if key in ROUTING_KEYS
    ]
    checked += [(key, profile, value) for key, value in values.items() if key in ROUTING_KEYS]
    for key, owner, value in checked:
        what = describe(key, owner)
        if not isinstance(value.raw, str if key in ENDPOINT_KEYS else bool):
            continue  # reported while type-checking
        if key in ENDPOINT_KEYS:
            reason = insecure_http_reason(str(value.raw), allow_insecure_http=allow_http)
            if reason is not None:
                problems.add(value.location, f"{what} {reason}", key, owner)
        layer = value.layer
        if layer is None or layer.opened is None or value.raw == _default_endpoint(key, flow):
            continue
        opened = layer.opened
        if not owned_by_user(opened.uid) or opened.writable_by_others:
            problems.add(
                value.location,
                f"{what} is refused: it decides where credentials go, and the file is owned by "
                f"another user or writable by group or others (mode {opened.mode:04o}); fix: "
                f"chmod go-w {layer.label} (and own it), or set it in an environment variable",
                key,
                owner,
            )
        elif layer.implicit:
            outside = _credentials_outside(layer, values, flow)
            if outside:
                problems.add(
                    value.location,
                    f"{what} is refused: ./{DEFAULT_FILE} is read only because it is in the "
                    f"working directory, and it must not redirect credentials it does not hold "
                    f"({', '.join(outside)}); name the file with --config or {ENV_CONFIG} "
                    "to use it",
                    key,
                    owner,
                )


def check_token_store(profile: str, merged: Merged, problems: Problems) -> None:
    """Refuse a token store on the network named by the implicit `./Config.toml`: it would
    receive the tokens of whoever logs in (a planted file in a cloned repository)."""
    value = merged.profiles[profile].get("token_store")
    if value is None or value.layer is None or not value.layer.implicit:
        return
    if isinstance(value.raw, str) and is_network_store(value.raw):
        problems.add(
            value.location,
            f"{describe('token_store', profile)} is refused: ./{DEFAULT_FILE} is read only "
            "because it is in the working directory, and a store on the network would receive "
            f"the account's tokens; name the file with --config or {ENV_CONFIG} to use it",
            "token_store",
            profile,
        )


def _default_endpoint(key: str, flow: str) -> object:
    if key == "base_url":
        return _spec_info.DEFAULT_BASE_URL
    if key == "authorize_url":
        return _spec_info.OAUTH2_AUTHORIZE_URL
    if key == "token_url":
        return _spec_info.OAUTH2_TOKEN_URL if flow == "pkce" else APP_TOKEN_URL
    if key == "revoke_url":
        return _spec_info.OAUTH2_REVOKE_URL
    return False  # allow_insecure_http


def _credentials_outside(layer: Layer, values: Mapping[str, Value], flow: str) -> list[str]:
    """The profile's credentials that are not literals written in `layer`, described."""
    found: list[str] = []
    for key, value in values.items():
        if PROFILE_KEYS[key] != "secret":
            continue
        if value.layer is not layer:
            found.append(f"`{key}` from {value.location.source}")
        elif isinstance(value.raw, dict):
            found.append(f"`{key}` from {{ {next(iter(value.raw))} = ... }}")
    if flow == "pkce":
        found.append("the token store")
    return found
