"""The package's command line: log in, check the keys, call any endpoint.

    python -m <package> auth login|status|verify|logout [--config PATH] [--profile NAME]
    python -m <package> request METHOD PATH [-d JSON] [-q key=value ...] [--config] [--profile]

Results go to stdout, diagnostics to stderr. Exit codes: 0 success, 1 the operation failed
(not logged in, rejected by X), 2 bad usage or configuration.
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Final

from ._config import ConfigError, Settings, load_settings
from ._exceptions import APIError, APIStatusError, OperationNotAllowedError
from ._names import COMMAND, ENV_CONFIG, ENV_CONFIG_DATA
from ._secrets import InsecureFileError
from ._spec_info import PACKAGE_NAME, PACKAGE_VERSION, SPEC_VERSION
from .auth import OAuth2PKCE

if TYPE_CHECKING:
    from ._client import Client

__all__ = ["main"]

PROG: Final = COMMAND
# Where each flow's credentials come from, when there is no login to run.
_NO_LOGIN: Final = {
    "app": "its client_id and client_secret fetch an app-only token when needed",
    "bearer": "its bearer token comes from the developer portal",
    "oauth1": "its access token and secret come from the developer portal",
}
USER_FLOWS: Final = frozenset({"pkce", "oauth1"})
OK: Final = 0
FAILED: Final = 1
USAGE: Final = 2


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        settings = load_settings(args.config, args.profile)
        return int(args.run(settings, args))
    except (ConfigError, InsecureFileError) as exc:
        print(f"{PROG}: {exc}", file=sys.stderr)
        return USAGE
    except APIStatusError as exc:
        print(f"{PROG}: {exc}", file=sys.stderr)
        _print_body(exc.response.content, sys.stderr)
        return FAILED
    except APIError as exc:
        print(f"{PROG}: {exc}", file=sys.stderr)
        return FAILED
    except KeyboardInterrupt:
        return 130


def _parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--config",
        metavar="PATH",
        help=f"Config.toml to read (default: {ENV_CONFIG}, {ENV_CONFIG_DATA} or ./Config.toml)",
    )
    common.add_argument(
        "--profile",
        metavar="NAME",
        help="auth profile (default: the default_profile setting, else the first profile)",
    )
    parser = argparse.ArgumentParser(prog=PROG, description="X API client command line")
    parser.add_argument(
        "--version",
        action="version",
        version=f"{PACKAGE_NAME} {PACKAGE_VERSION} (spec {SPEC_VERSION})",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    auth = commands.add_parser("auth", help="log in and check credentials")
    actions = auth.add_subparsers(dest="action", required=True, metavar="ACTION")
    login = actions.add_parser("login", parents=[common], help="OAuth 2.0 login in a browser")
    login.add_argument("--no-browser", action="store_true", help="only print the URL to open")
    login.add_argument("--timeout", type=float, default=300.0, help="seconds to wait (300)")
    login.set_defaults(run=_login)
    status = actions.add_parser("status", parents=[common], help="show the stored token")
    status.set_defaults(run=_status)
    verify = actions.add_parser("verify", parents=[common], help="call /2/users/me")
    verify.set_defaults(run=_verify)
    logout = actions.add_parser("logout", parents=[common], help="revoke and forget the token")
    logout.set_defaults(run=_logout)

    request = commands.add_parser("request", parents=[common], help="call any endpoint")
    request.add_argument("method", help="GET, POST, PUT, DELETE, ...")
    request.add_argument("path", help="e.g. /2/users/me")
    request.add_argument("-d", "--data", metavar="JSON", help="JSON body (@FILE reads a file)")
    request.add_argument(
        "-q", "--query", metavar="KEY=VALUE", action="append", default=[], help="repeatable"
    )
    request.set_defaults(run=_request)
    return parser


def _how_to_check(settings: Settings) -> str:
    """The one piece of advice every `auth` command gives for checking a profile."""
    profile = f" --profile {shlex.quote(settings.profile)}"
    if settings.flow in USER_FLOWS:
        return f"`{PROG} auth verify{profile}` checks it"
    from ._operations import BY_METHOD  # the generated table; imported late like the client

    sample = BY_METHOD.get("get_posts_by_id")
    call = f"GET {sample.path.replace('{id}', '20')}" if sample else "METHOD PATH"
    return f"an app-only call checks it: `{PROG} request {call}{profile}`"


def _pkce(settings: Settings, action: str) -> OAuth2PKCE | None:
    if isinstance(settings.auth, OAuth2PKCE):
        return settings.auth
    source = _NO_LOGIN.get(settings.flow, "it has no login")
    print(
        f"{PROG}: profile {settings.profile!r} uses flow {settings.flow!r}: {source}, so there "
        f"is nothing to {action}; {_how_to_check(settings)}",
        file=sys.stderr,
    )
    return None


def _login(settings: Settings, args: argparse.Namespace) -> int:
    auth = _pkce(settings, "log in")
    if auth is None:
        return USAGE
    token = auth.login(open_browser=not args.no_browser, timeout=args.timeout)
    where = auth.token_store.location if auth.token_store else "memory only"
    print(f"Logged in (profile {settings.profile!r}); token stored in {where}")
    print(f"Granted scopes: {' '.join(sorted(token.scope or ())) or '(not stated)'}")
    return OK


def _status(settings: Settings, args: argparse.Namespace) -> int:
    print(f"profile:  {settings.profile}")
    print(f"flow:     {settings.flow}")
    print(f"base_url: {settings.base_url}")
    auth = settings.auth
    if not isinstance(auth, OAuth2PKCE):
        print(f"credentials: configured ({_how_to_check(settings)})")
        return OK
    print(f"token_store: {auth.token_store.location if auth.token_store else '(memory only)'}")
    token = auth.token
    if token is None:
        print(f"logged in: no (run `{PROG} auth login`)")
        return FAILED
    print("logged in: yes")
    if token.expires_at is not None:
        left = token.expires_at - time.time()
        when = time.strftime("%Y-%m-%d %H:%M:%S %Z", time.localtime(token.expires_at))
        state = f"in {left / 60:.0f} min" if left > 0 else f"{-left / 60:.0f} min ago"
        print(f"access token expires: {when} ({state})")
    print(f"refresh token: {'yes' if token.refresh_token else 'no (offline.access not granted)'}")
    print(f"granted scopes: {' '.join(sorted(token.scope or ())) or '(not stated)'}")
    missing = sorted(set(auth.scopes) - (token.scope or set(auth.scopes)))
    if missing:
        print(f"configured but not granted: {' '.join(missing)} (log in again)")
    return OK


def _verify(settings: Settings, args: argparse.Namespace) -> int:
    if settings.flow not in USER_FLOWS:
        print(
            f"{PROG}: profile {settings.profile!r} uses flow {settings.flow!r} (app-only), and "
            f"`auth verify` asks who the user is (flow pkce or oauth1); {_how_to_check(settings)}",
            file=sys.stderr,
        )
        return USAGE
    with _client(settings) as c:
        # Looked up by name: the runtime is shared by clients of specs without getUsersMe.
        get_users_me: Callable[..., Any] | None = getattr(c, "get_users_me", None)
        if get_users_me is None:
            print(f"{PROG}: this client has no getUsersMe operation", file=sys.stderr)
            return FAILED
        try:
            me = get_users_me(user_fields=["username"])
        except OperationNotAllowedError as exc:
            print(f"{PROG}: {exc}", file=sys.stderr)
            return FAILED
    user = me.data
    if user is None:
        print(f"{PROG}: X answered without a user", file=sys.stderr)
        return FAILED
    print(f"OK: authenticated as @{user.username} (id {user.id})")
    return OK


def _logout(settings: Settings, args: argparse.Namespace) -> int:
    auth = _pkce(settings, "log out")
    if auth is None:
        return USAGE
    if auth.revoke():
        print(f"Logged out: tokens revoked and removed (profile {settings.profile!r})")
    else:
        print(f"Not logged in (profile {settings.profile!r}); nothing to revoke")
    return OK


def _request(settings: Settings, args: argparse.Namespace) -> int:
    params: dict[str, Any] = {}
    for item in args.query:
        key, sep, value = item.partition("=")
        if not sep or not key:
            print(f"{PROG}: -q wants KEY=VALUE, not {item!r}", file=sys.stderr)
            return USAGE
        previous = params.get(key)
        if previous is None:
            params[key] = value
        else:  # a repeated key becomes a list, which the client comma-joins as X expects
            params[key] = [*previous, value] if isinstance(previous, list) else [previous, value]
    body: Any = None
    if args.data is not None:
        try:
            text = _read_data(args.data)
            body = json.loads(text)
        except (OSError, ValueError) as exc:
            print(f"{PROG}: -d is not usable JSON: {exc}", file=sys.stderr)
            return USAGE
    # "2/users/me" is taken as "/2/users/me"; anything else goes to the client's own check.
    path = "/" + args.path if args.path[:1].isalnum() and "://" not in args.path else args.path
    with _client(settings) as c:
        try:
            response = c.request(args.method.upper(), path, params=params or None, json=body)
        except ValueError as exc:  # a path that would leave base_url's origin; nothing sent
            print(f"{PROG}: {exc}", file=sys.stderr)
            return USAGE
    _print_body(response.content, sys.stdout)
    return OK


def _client(settings: Settings) -> Client:
    from ._client import Client  # the generated client; imported late to keep startup fast

    return Client(
        auth=settings.auth,
        base_url=settings.base_url,
        timeout=settings.timeout,
        allow_insecure_http=settings.allow_insecure_http,
    )


def _read_data(value: str) -> str:
    if value.startswith("@"):
        with open(value[1:], encoding="utf-8") as handle:
            return handle.read()
    return value


def _print_body(content: bytes, stream: Any) -> None:
    if not content:
        return
    try:
        print(json.dumps(json.loads(content), indent=2, ensure_ascii=False), file=stream)
    except ValueError:
        print(content.decode("utf-8", "replace"), file=stream)
