"""`sdkgen fetch-spec`: pin a new version of the spec.

Gets the document, checks it generates, prints what changed against the pinned one, then
updates the lock (sha256, version, the package version bumped by semver) and adds a section
to the generated package's CHANGELOG.md. Nothing is changed when any step fails.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

from generator.changelog import bump_version, changelog_section, update_changelog
from generator.errors import GeneratorError
from generator.output import write_atomic
from generator.pipeline import Selection, build_api
from generator.settings import find_project, load_settings
from generator.spec_diff import diff_specs
from generator.spec_source import (
    LoadedSpec,
    SpecLock,
    load_locked_spec,
    load_spec,
    store_in_cache,
)


def cli_main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(prog="sdkgen fetch-spec", description=__doc__)
    parser.add_argument(
        "--from", dest="source", help="URL or path of the spec (default: the lock's source_url)"
    )
    args = parser.parse_args(argv)
    settings = load_settings(find_project(Path.cwd()))
    if settings.spec_lock is None:
        raise GeneratorError("pyproject.toml", "tool.sdkgen.spec_lock", "no spec lock configured")
    lock = SpecLock.read(settings.spec_lock)
    new = load_spec(args.source or lock.source_url)
    # A spec we cannot generate from is never pinned.
    build_api(new.origin, new.document, new.sha256, Selection())
    if new.sha256 == lock.sha256:
        print(f"sdkgen fetch-spec: {new.origin} is the pinned spec {lock.version}; nothing to do")
        return 0
    old = _pinned(lock)
    diff = diff_specs(
        old.document if old else {"openapi": "3.0.0", "info": {}, "paths": {}},
        new.document,
        old_origin=old.origin if old else "(none)",
        new_origin=new.origin,
    )
    print(diff.summary)
    package_version = bump_version(lock.package_version, diff)
    section = changelog_section(diff, lock.version if old else None, new.version, package_version)
    _append_changelog(settings.output / "CHANGELOG.md", section)
    is_local = not new.origin.startswith(("http://", "https://"))
    updated = SpecLock(
        lock.path,
        new.origin if not is_local else lock.source_url,
        new.version,
        new.sha256,
        Path(new.origin).resolve() if is_local else None,
        package_version,
    )
    if not is_local:
        store_in_cache(new)
    write_atomic(lock.path, updated.render().encode())
    print(
        f"sdkgen fetch-spec: pinned {new.version} (sha256 {new.sha256[:12]}...), package "
        f"{lock.package_version} -> {package_version}; run `sdkgen generate`"
    )
    return 0


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
