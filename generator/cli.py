"""`sdkgen`: the command line of the generator."""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from generator import __version__
from generator.encode import comment
from generator.errors import GeneratorError
from generator.load import (
    LoadedSpec,
    Settings,
    SpecLock,
    apply_overlays,
    cache_dir,
    check_package_name,
    find_project,
    load_locked_spec,
    load_settings,
    load_spec,
    would_apply,
)
from generator.model import Selection, build_api, check_profile, minimal_scopes, read_profile
from generator.render import RenderOptions, render_package
from generator.resources import OVERLAYS
from generator.write import stale_files, write_output

EXIT_BAD_INPUT = 2
DEFAULT_PACKAGE_VERSION = "1.0.0"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sdkgen", description="Generate the typed X API v2 client from its OpenAPI spec."
    )
    parser.add_argument("--version", action="version", version=f"sdkgen {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    def add_generation_flags(p: argparse.ArgumentParser) -> None:
        p.add_argument("--spec", help="spec path or URL (default: the pinned spec lock)")
        p.add_argument("--output", help="output directory (default: [tool.sdkgen] output)")
        p.add_argument("--package-name", help="Python package name (default: twitter_api)")
        p.add_argument("--config", help="Config.toml holding the auth profile")
        p.add_argument("--profile", help="auth profile name in the config")
        p.add_argument("--tags", nargs="+", metavar="T", help="only operations with these tags")
        p.add_argument("--operations", nargs="+", metavar="OP", help="only these operationIds")
        p.add_argument(
            "--overlay",
            action="append",
            default=[],
            metavar="FILE",
            help="an OpenAPI overlay applied after those of [tool.sdkgen] (repeatable)",
        )

    gen = sub.add_parser("generate", help="regenerate the client")
    add_generation_flags(gen)
    check = sub.add_parser("check", help="exit 1 when the output is not what generate writes")
    add_generation_flags(check)
    # Listed for --help; their own parsers take the arguments (see `_delegate`).
    sub.add_parser("diff", help="compare two specs; classify changes as breaking or not")
    sub.add_parser("fetch-spec", help="pin a new spec: validate, diff, update the lock")
    return parser


def _settings_for(args: argparse.Namespace) -> Settings:
    settings = load_settings(find_project(Path.cwd()))
    if args.spec:
        settings.spec = args.spec
    if args.output:
        settings.output = Path(args.output)
    if args.package_name is not None:  # an empty name is refused, not ignored
        settings.package_name = check_package_name(args.package_name, "--package-name", "")
    if args.config:
        settings.config = Path(args.config)
    if args.profile:
        settings.profile = args.profile
    if args.tags:
        settings.include_tags = list(args.tags)
    if args.operations:
        settings.include_operations = list(args.operations)
    settings.overlays += [Path(p) for p in args.overlay]
    return settings


def _load(settings: Settings) -> tuple[LoadedSpec, str]:
    """The spec to generate from, and the version the generated package gets."""
    if settings.spec:
        return load_spec(settings.spec), DEFAULT_PACKAGE_VERSION
    if settings.spec_lock is None:
        raise GeneratorError(
            "pyproject.toml", "tool.sdkgen", "no spec: pass --spec or set spec_lock"
        )
    lock = SpecLock.read(settings.spec_lock)
    try:
        return load_locked_spec(lock), lock.package_version
    except GeneratorError as exc:
        if lock.snapshot is None or lock.snapshot.is_file():
            raise
        # A fresh clone without the shared snapshots beside it: say where the spec was
        # looked for and how to get it, not only why the download fallback failed.
        raise GeneratorError(
            str(lock.path),
            "snapshot",
            f"the pinned spec {lock.version} is not at {lock.snapshot.resolve()} nor in the "
            f"cache {cache_dir()}, and the download failed ({exc}); put the snapshot there "
            "(clone the shared folder beside the repository) or pass --spec PATH_OR_URL",
        ) from None


@dataclass(frozen=True)
class Rendered:
    files: dict[str, bytes]
    # Overlay actions that matched nothing; operations the auth profile's scopes can't call.
    warnings: list[str]
    scopes: list[str]  # what a user-context token needs for every generated operation


def render_for(settings: Settings) -> Rendered:
    """Everything `generate` would write for these settings."""
    spec, package_version = _load(settings)
    sanitized = apply_overlays(spec.document, settings.overlays)
    selection = Selection(
        include_tags=settings.include_tags,
        exclude_tags=settings.exclude_tags,
        include_operations=settings.include_operations,
        exclude_operations=settings.exclude_operations,
    )
    api = build_api(spec.origin, sanitized.document, spec.sha256, selection)
    warnings = [f"stale overlay action: {action}" for action in sanitized.stale]
    warnings += api.warnings
    if not settings.overlays:
        warnings += _unapplied_sanitations(spec)
    auth_flow = ""
    if settings.config is not None:
        profile = read_profile(settings.config, settings.profile)
        warnings += check_profile(profile, api)
        auth_flow = profile.flow
    files = render_package(
        api,
        RenderOptions(settings.package_name, package_version, auth_flow),
        spec.origin,
    )
    return Rendered(files, warnings, minimal_scopes(api))


def _unapplied_sanitations(spec: LoadedSpec) -> list[str]:
    """A warning when the X sanitations shipped with sdkgen would change this spec: it is one
    they were written for (their targets match), and the client differs without them."""
    shipped = sorted(OVERLAYS.glob("*.yaml"))
    if not shipped:
        return []
    fixes = [path.name for path in shipped if would_apply(spec.document, path)]
    if not fixes:
        return []
    return [
        f"no overlay applied, but the X sanitations shipped with sdkgen fix this spec "
        f"({', '.join(fixes)}); pass each as --overlay FILE (they are in {OVERLAYS})"
    ]


def _generate(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    settings = _settings_for(args)
    rendered = render_for(settings)
    files = rendered.files
    changed = write_output(settings.output, files)
    # After the write: a run that fails prints its one error line and nothing else.
    for warning in rendered.warnings:
        print(f"sdkgen: warning: {warning}", file=sys.stderr)
    elapsed = time.perf_counter() - started
    print(
        f"sdkgen: {len(files)} files in {settings.output}, {len(changed)} changed ({elapsed:.2f}s)"
    )
    if rendered.scopes:
        print(f"sdkgen: user-context scopes these operations need: {' '.join(rendered.scopes)}")
    return 0


def _check(args: argparse.Namespace) -> int:
    settings = _settings_for(args)
    files = render_for(settings).files
    stale = stale_files(settings.output, files)
    if stale:
        print(f"sdkgen check: {settings.output} is stale; run `sdkgen generate`:", file=sys.stderr)
        for rel in stale:
            print(f"  {rel}", file=sys.stderr)
        return 1
    print(f"sdkgen check: {settings.output} is up to date ({len(files)} files)")
    return 0


def _delegate(command: str, rest: list[str]) -> int:
    """`diff` and `fetch-spec` parse their own arguments."""
    if command == "diff":
        from generator.evolve import diff_main

        return diff_main(rest)
    from generator.evolve import fetch_spec_main

    return fetch_spec_main(rest)


def _run(args_list: list[str]) -> int:
    if args_list and args_list[0] in ("diff", "fetch-spec"):
        return _delegate(args_list[0], args_list[1:])
    args = _parser().parse_args(args_list)
    if args.command == "generate":
        return _generate(args)
    if args.command == "check":
        return _check(args)
    return EXIT_BAD_INPUT


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    try:
        return _run(args_list)
    except GeneratorError as exc:
        message = str(exc)
    except RecursionError:
        message = "input nested too deeply to process"
    except MemoryError:
        message = "input too large to process"
    except Exception as exc:
        # Input the checks above did not foresee must still end in one line, not a traceback;
        # SDKGEN_DEBUG=1 shows the traceback for a bug report.
        if os.environ.get("SDKGEN_DEBUG"):
            raise
        message = f"unexpected {type(exc).__name__} while processing the input: {exc}"
    # One line, whatever the message holds (it may quote the spec).
    print(f"sdkgen: error: {comment(message)}", file=sys.stderr)
    return EXIT_BAD_INPUT
