"""Config.toml: the runtime settings and auth profiles, Ballerina style.

    [<package>]                         # one table per module; other modules' tables are ignored
    base_url = "https://api.x.com"      # optional
    timeout = 30.0                      # optional, seconds
    default_profile = "bot"             # optional; else the first profile defined
    allow_insecure_permissions = false  # optional; true accepts secret files others can read
    allow_insecure_http = false         # optional (here or in a profile); true allows http URLs

    [<package>.profiles.bot]
    flow = "pkce"                       # "pkce" | "app" | "bearer" | "oauth1"
    client_id = "..."                   # client_id and secrets: "literal", { env = "NAME" }
    client_secret = { env = "X_SECRET" }  #   or { file = "PATH" } (relative to the config file)
    ...

Sources, highest precedence first (a key set by a higher source wins, key by key):

1. environment variables `<PACKAGE>_<PROFILE>_<KEY>` (e.g. `<PACKAGE>_BOT_CLIENT_ID`; the
   profile name upper-cased with non-alphanumerics as `_`) and `<PACKAGE>_<KEY>` for the
   module keys (`<PACKAGE>_TIMEOUT`). Variables that match no key are ignored.
2. the files given as `path` (one path or a list), or else listed in `<PACKAGE>_CONFIG`
   (separated by `os.pathsep`); an earlier file wins over a later one.
3. inline TOML in `<PACKAGE>_CONFIG_DATA`.

`<package>` is the package's generated name (`_names.TABLE`), `<PACKAGE>` the same upper-cased.
4. `./Config.toml`, read only when none of the three above is given.

Every problem is collected and reported at once in a `ConfigError`, each naming the key, the
profile and where it was set (file:line:column or the environment variable). Unknown keys are
errors. A file holding a literal secret, a `{ file = ... }` secret or a token store that group
or others can read is refused (fix: chmod 600) unless `allow_insecure_permissions = true`.
Secret values never appear in a message.

Endpoint settings (`base_url`, `*_url`) decide where credentials go, so a value other than the
default is taken only from a file owned by the current user that group and others cannot
write, and from the implicit `./Config.toml` only when the profile's credentials are literals
in that same file (a file planted in the working directory must not redirect credentials from
the environment, other files or the token store). They must be https, or http to a loopback
host, unless `allow_insecure_http = true`. Config and secret files must be regular files of
bounded size. A `{ command = [...] }` secret runs only from a named file the user owns and
others cannot write: never from the implicit `./Config.toml`.

The loader, one concern per module:

    _schema     the keys each table and flow accept; Location, ConfigProblem, ConfigError, Settings
    _sources    reading the files and the environment, merged by precedence
    _values     checking each value against its key's kind
    _trust      which sources may set the endpoints credentials are sent to
    _secrets    literal secrets in readable files; secret references resolved to `Secret`
    _profiles   the profile chosen, its flow's keys, the auth object built
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence

from .. import _spec_info
from ._profiles import allow_insecure_http, build_auth, choose_profile
from ._schema import DEFAULT_TIMEOUT, ConfigError, ConfigProblem, Problems, Settings
from ._schema import FLOWS as FLOWS
from ._schema import MODULE_KEYS as MODULE_KEYS
from ._schema import PROFILE_KEYS as PROFILE_KEYS
from ._secrets import refuse_readable_literal_secrets
from ._sources import Environment, PathArg, merge_sources
from ._trust import check_endpoints, check_token_store
from ._values import check_values

__all__ = ["ConfigError", "ConfigProblem", "Settings", "load_settings"]

# Tracebacks name the classes where they are imported from, not the module defining them.
ConfigError.__module__ = ConfigProblem.__module__ = Settings.__module__ = __name__


def load_settings(
    path: str | os.PathLike[str] | Sequence[str | os.PathLike[str]] | None = None,
    profile: str | None = None,
    *,
    environ: Mapping[str, str] | None = None,
) -> Settings:
    """Read the configuration and build the settings of one profile (the default one when None).

    Raises ConfigError listing every problem found.
    """
    # The variables may hold secrets: from here on every frame holds a view that hides them.
    environ = Environment(os.environ if environ is None else environ)
    settings, problems = _load(path, profile, environ)
    # Raised here, where no local holds a parsed value, a secret or the environment: tracebacks
    # printed with their locals (Sentry, rich) show this frame.
    if settings is None:
        raise ConfigError(problems)
    return settings


def _load(
    path: PathArg, profile: str | None, env: Environment
) -> tuple[Settings | None, list[ConfigProblem]]:
    problems = Problems()
    merged = merge_sources(path, env, problems)
    module = check_values(merged, problems)
    allow_insecure = module.get("allow_insecure_permissions") is True
    if not allow_insecure:
        refuse_readable_literal_secrets(merged, problems)

    chosen = choose_profile(profile, merged, module.get("default_profile"), problems)
    auth = None
    flow = ""
    allow_http = False
    if chosen is not None:
        flow_value = merged.profiles[chosen].get("flow")
        flow = flow_value.raw if flow_value and isinstance(flow_value.raw, str) else ""
        allow_http = allow_insecure_http(module, merged.profiles[chosen])
        check_endpoints(chosen, flow, merged, allow_http, problems)
        check_token_store(chosen, merged, problems)
        auth = build_auth(chosen, merged, env, allow_insecure, allow_http, problems)
    if problems or auth is None or chosen is None:
        return None, list(problems)
    base_url = module.get("base_url")
    timeout = module.get("timeout")
    settings = Settings(
        base_url=base_url if isinstance(base_url, str) else _spec_info.DEFAULT_BASE_URL,
        timeout=float(timeout) if isinstance(timeout, float) else DEFAULT_TIMEOUT,
        auth=auth,
        profile=chosen,
        flow=flow,
        allow_insecure_http=allow_http,
    )
    return settings, []
