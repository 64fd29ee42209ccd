"""The real spec history, pinned and regenerated step by step: 2.152 -> 2.157 -> 2.159 -> 2.167."""

from __future__ import annotations

import hashlib
import tomllib
from pathlib import Path

import pytest

from tests.conftest import SNAPSHOTS, run_sdkgen


def _project(tmp_path: Path, version: str) -> Path:
    project = tmp_path / "proj"
    (project / "spec").mkdir(parents=True)
    sha = hashlib.sha256(SNAPSHOTS[version].read_bytes()).hexdigest()
    (project / "spec" / "lock.toml").write_text(
        f'source_url = "https://api.x.com/2/openapi.json"\nversion = "{version}"\n'
        f'sha256 = "{sha}"\npackage_version = "1.0.0"\nsnapshot = "{SNAPSHOTS[version]}"\n'
    )
    (project / "pyproject.toml").write_text(
        '[tool.sdkgen]\nspec_lock = "spec/lock.toml"\noutput = "generated"\n'
    )
    return project


def _lock(project: Path) -> dict[str, str]:
    return tomllib.loads((project / "spec" / "lock.toml").read_text())


def test_chain_regenerates_with_changelog_and_semver(tmp_path: Path) -> None:
    project = _project(tmp_path, "2.152")
    assert run_sdkgen("generate", cwd=project).returncode == 0
    versions = ["1.0.0"]
    for version in ("2.157", "2.159", "2.167"):
        fetched = run_sdkgen("fetch-spec", "--from", str(SNAPSHOTS[version]), cwd=project)
        assert fetched.returncode == 0, fetched.stderr
        assert "operation" in fetched.stdout  # the diff summary
        lock = _lock(project)
        assert lock["version"] == version
        assert lock["sha256"] == hashlib.sha256(SNAPSHOTS[version].read_bytes()).hexdigest()
        versions.append(lock["package_version"])
        generated = run_sdkgen("generate", cwd=project)
        assert generated.returncode == 0, generated.stderr
        assert run_sdkgen("check", cwd=project).returncode == 0
        init = (project / "generated" / "twitter_api" / "_spec_info.py").read_text()
        assert f'SPEC_VERSION: Final = "{version}"' in init
        assert f'PACKAGE_VERSION: Final = "{lock["package_version"]}"' in init
    # Every real step removes or renames something clients use: a major bump each time.
    assert versions == ["1.0.0", "2.0.0", "3.0.0", "4.0.0"]
    client = (project / "generated" / "twitter_api" / "_client.py").read_text()
    assert "def get_user_public_keys(" not in client  # removed in 2.167
    changelog = (project / "generated" / "CHANGELOG.md").read_text()
    headings = [line for line in changelog.splitlines() if line.startswith("## ")]
    assert [h.split(" ")[1] for h in headings] == ["4.0.0", "3.0.0", "2.0.0"]
    newest = changelog.split("\n## ")[1]
    assert "2.167" in newest and "Migration notes" in newest
    assert "get_user_public_keys" in newest


def test_fetch_of_the_pinned_spec_changes_nothing(tmp_path: Path) -> None:
    project = _project(tmp_path, "2.167")
    before = (project / "spec" / "lock.toml").read_bytes()
    result = run_sdkgen("fetch-spec", "--from", str(SNAPSHOTS["2.167"]), cwd=project)
    assert result.returncode == 0
    assert "nothing to do" in result.stdout
    assert (project / "spec" / "lock.toml").read_bytes() == before
    assert not (project / "generated").exists()


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ('{"openapi": "3.0.0",\n  "info": }', ":2:11: invalid JSON"),
        (
            '{"openapi": "3.0.0", "info": {"title": "t", "version": "9"}, "paths": {"/a": '
            '{"get": {"operationId": "a", "responses": {"200": {"description": "ok", "content": '
            '{"application/json": {"schema": {"$ref": "#/components/schemas/Gone"}}}}}}}}}',
            "dangling $ref",
        ),
    ],
)
def test_fetch_of_a_bad_spec_keeps_the_lock(tmp_path: Path, content: str, expected: str) -> None:
    project = _project(tmp_path, "2.167")
    before = (project / "spec" / "lock.toml").read_bytes()
    bad = tmp_path / "bad.json"
    bad.write_text(content)
    result = run_sdkgen("fetch-spec", "--from", str(bad), cwd=project)
    assert result.returncode == 2
    assert expected in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert (project / "spec" / "lock.toml").read_bytes() == before
    assert not (project / "generated" / "CHANGELOG.md").exists()
