"""`sdkgen fetch-spec`: pin a new version of the spec.

Gets the document (https only, size-capped), refuses one older than the pinned version,
generates the whole package from it in memory as `sdkgen generate` would, prints what changed
against the pinned one, then updates the lock (sha256, version, the package version bumped by
semver) and adds a section to the generated package's CHANGELOG.md. Nothing is changed when
any step fails.
"""

from __future__ import annotations

import argparse
import dataclasses
import re
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Final

from generator.encode import plain_line
from generator.errors import GeneratorError
from generator.evolve.changelog import bump_version, changelog_section, update_changelog
from generator.evolve.spec_diff import diff_specs
from generator.load import (
    LoadedSpec,
    Settings,
    SpecLock,
    cache_dir,
    find_project,
    is_url,
    load_locked_spec,
    load_settings,
    load_spec,
    store_in_cache,
)
from generator.pointers import pointer
from generator.write import write_atomic

_NUMERIC_VERSION: Final = re.compile(r"[0-9]+(?:\.[0-9]+)*")


def cli_main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(prog="sdkgen fetch-spec", description=__doc__)
    parser.add_argument(
        "--from", dest="source", help="URL or path of the spec (default: the lock's source_url)"
    )
    parser.add_argument(
        "--allow-downgrade",
        action="store_true",
        help="pin a spec whose info.version is older than the pinned one (or not comparable)",
    )
    args = parser.parse_args(argv)
    settings = load_settings(find_project(Path.cwd()))
    if settings.spec_lock is None:
        raise GeneratorError("pyproject.toml", "tool.sdkgen.spec_lock", "no spec lock configured")
    lock = SpecLock.read(settings.spec_lock)
    new = load_spec(args.source or lock.source_url)
    if new.sha256 == lock.sha256:
        print(
            plain_line(
                f"sdkgen fetch-spec: {new.origin} is the pinned spec {lock.version}; nothing to do"
            )
        )
        return 0
    if not args.allow_downgrade:
        _refuse_downgrade(new, lock.version)
    # A spec we cannot generate from is never pinned.
    _check_generates(settings, new)
    old = _pinned(lock)
    diff = diff_specs(
        old.document if old else {"openapi": "3.0.0", "info": {}, "paths": {}},
        new.document,
        old_origin=old.origin if old else "(none)",
        new_origin=new.origin,
    )
    print(plain_line(diff.summary))
    try:
        package_version = bump_version(lock.package_version, diff)
    except ValueError as exc:
        raise GeneratorError(str(lock.path), "package_version", str(exc)) from None
    section = changelog_section(diff, lock.version if old else None, new.version, package_version)
    _append_changelog(settings.output / "CHANGELOG.md", section)
    is_local = not is_url(new.origin)
    snapshot = _shareable_snapshot(settings.root, new) if is_local else None
    updated = SpecLock(
        lock.path,
        new.origin if not is_local else lock.source_url,
        new.version,
        new.sha256,
        snapshot,
        package_version,
    )
    if snapshot is None:
        store_in_cache(new)
    write_atomic(lock.path, updated.render().encode())
    print(
        plain_line(
            f"sdkgen fetch-spec: pinned {new.version} (sha256 {new.sha256[:12]}...), package "
            f"{lock.package_version} -> {package_version}; run `sdkgen generate`"
        )
    )
    return 0


def _shareable_snapshot(root: Path, new: LoadedSpec) -> Path | None:
    """The local spec as the lock's snapshot, when every clone finds it at the same relative
    place: inside the repository or a folder beside it (../shared). A file elsewhere is a
    path of this machine only: the spec goes to the cache (found there by its sha256)."""
    path = Path(new.origin).resolve()
    if path.is_relative_to(root.resolve().parent):
        return path
    print(
        plain_line(
            f"sdkgen fetch-spec: {new.origin} is outside the repository and the folders beside "
            f"it; the lock records no snapshot path, the spec is kept in the cache {cache_dir()}"
        )
    )
    return None


def version_key(version: str) -> tuple[int, ...] | None:
    """`2.159` -> (2, 159): dotted numbers compare part by part, so 2.159 < 2.167 < 2.1670.
    None for a version that is not dotted numbers."""
    text = version.strip()
    if not _NUMERIC_VERSION.fullmatch(text):
        return None
    return tuple(int(part) for part in text.split("."))


def _refuse_downgrade(new: LoadedSpec, pinned: str) -> None:
    where = pointer("info", "version")
    new_key, pinned_key = version_key(new.version), version_key(pinned)
    if new_key is None or pinned_key is None:
        raise GeneratorError(
            new.origin,
            where,
            f"cannot tell whether version {new.version!r} is older than the pinned {pinned!r} "
            "(not dotted numbers); pass --allow-downgrade to pin it anyway",
        )
    if new_key < pinned_key:
        raise GeneratorError(
            new.origin,
            where,
            f"version {new.version} is older than the pinned {pinned}; "
            "pass --allow-downgrade to pin it anyway",
        )


def _check_generates(settings: Settings, new: LoadedSpec) -> None:
    """Render every file `sdkgen generate` would write from `new`, writing none of them.

    The bytes already fetched are rendered (from a scratch copy), not a second download that
    could differ from what gets pinned.
    """
    from generator.cli import render_for

    with tempfile.TemporaryDirectory(prefix="sdkgen-fetch-") as scratch:
        copy = Path(scratch) / "spec"
        copy.write_bytes(new.raw)
        try:
            render_for(dataclasses.replace(settings, spec=str(copy)))
        except GeneratorError as exc:
            if exc.file != str(copy):
                raise
            raise GeneratorError(new.origin, exc.location, exc.message) from None


def _pinned(lock: SpecLock) -> LoadedSpec | None:
    try:
        return load_locked_spec(lock)
    except GeneratorError as exc:
        print(f"sdkgen fetch-spec: the pinned spec is not available ({exc}); diffing against none")
        return None


def _append_changelog(path: Path, section: str) -> None:
    """Newest section first; the same step fetched twice leaves one section."""
    current = path.read_text(encoding="utf-8") if path.is_file() else None
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, update_changelog(current, section).encode())
