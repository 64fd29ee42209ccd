"""Auth profiles: which one is used, what its flow requires, and the auth object it builds.

The profile is the one asked for, else `default_profile`, else the first one defined. Its flow
decides the required and optional keys (`_schema.FLOWS`); a key the flow does not use is an
error. Nothing is built from a configuration with any problem left.
"""

from __future__ import annotations

from collections.abc import Mapping

import httpx

from ..auth import AppOnly, BearerToken, OAuth1, OAuth2PKCE
from ._schema import (
    COMMON_PROFILE_KEYS,
    DEFAULT_FILE,
    ENV_CONFIG,
    ENV_CONFIG_DATA,
    FLOWS,
    MODULE,
    Location,
    Problems,
)
from ._secrets import Resolver
from ._sources import Environment, Merged, Value


def choose_profile(
    requested: str | None, merged: Merged, default: object, problems: Problems
) -> str | None:
    names = list(merged.profiles)
    if requested is None and isinstance(default, str):
        requested = default
        if requested not in merged.profiles:
            where = merged.module["default_profile"].location
            problems.add(where, f"default_profile names an undefined profile `{requested}`")
            return None
    if requested is None:
        if names:
            return names[0]
        if any(p.key is None and p.profile is None for p in problems):
            return None  # a source could not be read: the missing profile follows from that
        problems.add(
            Location("configuration"),
            f"no auth profile is defined; add a [{MODULE}.profiles.NAME] table "
            f"(sources: a path, {ENV_CONFIG}, {ENV_CONFIG_DATA} or ./{DEFAULT_FILE})",
        )
        return None
    if requested not in merged.profiles:
        known = ", ".join(names) or "none"
        problems.add(
            Location("configuration"),
            f"profile `{requested}` is not defined (profiles: {known})",
            profile=requested,
        )
        return None
    return requested


def allow_insecure_http(module: Mapping[str, object], profile: Mapping[str, Value]) -> bool:
    # The profile's setting wins over the module's.
    value = profile.get("allow_insecure_http")
    return (value.raw if value is not None else module.get("allow_insecure_http")) is True


def build_auth(
    name: str,
    merged: Merged,
    env: Environment,
    allow_insecure: bool,
    allow_http: bool,
    problems: Problems,
) -> httpx.Auth | None:
    values = merged.profiles[name]
    header = merged.headers.get(name, Location("configuration"))
    flow_value = values.get("flow")
    if flow_value is None:
        problems.add(header, f"value not provided for required key `flow` in profile `{name}`")
        return None
    flow = flow_value.raw
    if not isinstance(flow, str) or flow not in FLOWS:
        return None  # already reported while type-checking
    required, optional = FLOWS[flow]
    for key in sorted(required - values.keys()):
        problems.add(
            header,
            f"value not provided for required key `{key}` in profile `{name}` (flow `{flow}`)",
            key,
            name,
        )
    for key in sorted(values.keys() - required - optional - COMMON_PROFILE_KEYS):
        message = f"key `{key}` in profile `{name}` is not used by flow `{flow}`"
        problems.add(values[key].location, message, key, name)
    resolve = Resolver(name, values, env, allow_insecure, problems)
    store = resolve.token_store() if flow == "pkce" else None
    if problems:  # from this profile or anywhere else: build nothing from a broken config
        return None
    if flow == "pkce":
        return OAuth2PKCE(
            resolve.text("client_id"),
            resolve.text("redirect_uri"),
            resolve.scopes(),
            client_secret=resolve.optional_secret("client_secret"),
            token_store=store,
            authorize_url=resolve.optional_text("authorize_url"),
            token_url=resolve.optional_text("token_url"),
            revoke_url=resolve.optional_text("revoke_url"),
            allow_insecure_permissions=allow_insecure,
            allow_insecure_http=allow_http,
        )
    if flow == "app":
        return AppOnly(
            resolve.text("client_id"),
            resolve.secret("client_secret"),
            token_url=resolve.optional_text("token_url"),
            allow_insecure_http=allow_http,
        )
    if flow == "bearer":
        return BearerToken(resolve.secret("bearer_token"))
    return OAuth1(
        resolve.secret("api_key"),
        resolve.secret("api_secret"),
        resolve.secret("access_token"),
        resolve.secret("access_token_secret"),
    )
