"""The output folder belongs to the generator, and only the files it wrote there.

A user's files beside or inside it survive byte for byte; a folder sdkgen did not create is
refused; links are not followed; a manifest is not trusted to point elsewhere; a run killed
at any point leaves whole files that the next run finishes.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from generator.write.output import MANIFEST
from tests.conftest import FEATURES_SPEC, NEUTRAL, ROOT, SNAPSHOTS, run_sdkgen


def _tree(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and not p.is_symlink() and "__pycache__" not in p.parts
    }


def _generate(out: Path, spec: Path = FEATURES_SPEC) -> subprocess.CompletedProcess[str]:
    return run_sdkgen("generate", "--spec", str(spec), "--output", str(out))


def _user_files(root: Path) -> dict[str, bytes]:
    files = {
        "notes.txt": b"my notes\n",
        "pyproject.toml": b"[project]\nname = 'mine'\n",
        "src/app.py": b"print('mine')\n",
        ".git/HEAD": b"ref: refs/heads/main\n",
    }
    for rel, data in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(data)
    return files


def _one_line_error(result: subprocess.CompletedProcess[str], *needles: str) -> None:
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("sdkgen: error: ")
    for needle in needles:
        assert needle in result.stderr, result.stderr


def test_a_non_empty_folder_without_a_manifest_is_refused_and_left_as_it_was(
    tmp_path: Path,
) -> None:
    out = tmp_path / "project"
    out.mkdir()
    _user_files(out)
    before = _tree(out)
    result = _generate(out)
    _one_line_error(result, str(out), "not empty", MANIFEST)
    assert _tree(out) == before


def test_an_empty_folder_is_taken_and_gets_a_manifest(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    assert _generate(out).returncode == 0
    manifest = json.loads((out / MANIFEST).read_text())
    on_disk = set(_tree(out)) - {MANIFEST}
    assert set(manifest["files"]) == on_disk
    assert "twitter_api/_client.py" in on_disk


def test_a_folder_holding_only_the_changelog_is_taken(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "CHANGELOG.md").write_text("# Changelog\n")
    assert _generate(out).returncode == 0
    assert (out / "CHANGELOG.md").read_text() == "# Changelog\n"
    assert "CHANGELOG.md" not in json.loads((out / MANIFEST).read_text())["files"]


def test_regenerating_leaves_a_users_files_byte_for_byte(tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert _generate(out).returncode == 0
    user = {
        "notes.txt": b"mine\n",
        "twitter_api/my_extension.py": b"X = 1\n",
        "docs/guide.md": b"# Guide\n",
    }
    for rel, data in user.items():
        (out / rel).parent.mkdir(parents=True, exist_ok=True)
        (out / rel).write_bytes(data)
    # A different spec: most generated files change, some go away.
    result = _generate(out, SNAPSHOTS["2.167"])
    assert result.returncode == 0, result.stderr
    for rel, data in user.items():
        assert (out / rel).read_bytes() == data
    assert not (out / "twitter_api" / "models" / "item.py").exists()  # the old spec's model
    result = _generate(out)
    assert result.returncode == 0, result.stderr
    for rel, data in user.items():
        assert (out / rel).read_bytes() == data
    assert "twitter_api/my_extension.py" not in json.loads((out / MANIFEST).read_text())["files"]


def test_a_users_file_where_a_new_generated_file_would_go_is_not_overwritten(
    tmp_path: Path,
) -> None:
    out = tmp_path / "out"
    assert _generate(out).returncode == 0
    before_manifest = (out / MANIFEST).read_bytes()
    mine = out / "twitter_api" / "models" / "post.py"  # the X spec generates this file
    mine.write_text("# mine\n")
    result = _generate(out, SNAPSHOTS["2.167"])
    _one_line_error(result, str(mine), "did not write")
    assert mine.read_text() == "# mine\n"
    assert (out / MANIFEST).read_bytes() == before_manifest


def test_symlinked_folders_inside_the_output_are_refused(tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert _generate(out).returncode == 0
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "keep.txt").write_text("keep")
    models = out / "twitter_api" / "models"
    for child in models.iterdir():
        child.unlink()
    models.rmdir()
    models.symlink_to(elsewhere, target_is_directory=True)
    result = _generate(out, SNAPSHOTS["2.167"])
    _one_line_error(result, str(models), "symbolic link")
    assert sorted(p.name for p in elsewhere.iterdir()) == ["keep.txt"]


@pytest.mark.parametrize("entry", ["../outside.txt", "/tmp/x", "a/../../outside.txt", "a\\b"])
def test_a_manifest_entry_outside_the_folder_is_refused(tmp_path: Path, entry: str) -> None:
    out = tmp_path / "out"
    assert _generate(out).returncode == 0
    outside = tmp_path / "outside.txt"
    outside.write_text("precious")
    manifest = json.loads((out / MANIFEST).read_text())
    manifest["files"].append(entry)
    (out / MANIFEST).write_text(json.dumps(manifest))
    result = _generate(out, SNAPSHOTS["2.167"])
    _one_line_error(result, "not a plain path")
    assert outside.read_text() == "precious"


def test_a_manifest_that_is_not_sdkgens_is_refused(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "data.txt").write_text("mine")
    (out / MANIFEST).write_text('{"files": "everything"}')
    _one_line_error(_generate(out), MANIFEST, "must list file names")
    assert (out / "data.txt").read_text() == "mine"


@pytest.mark.parametrize(
    "name", ["os", "class", "two words", "Ünicode", "a" * 65, "-x", "", "httpx", "anyio"]
)
def test_unusable_package_names_are_refused_from_flag_and_pyproject(
    tmp_path: Path, name: str
) -> None:
    result = run_sdkgen(
        "generate", "--spec", str(FEATURES_SPEC), "--output", str(tmp_path / "a"),
        f"--package-name={name}",
    )  # fmt: skip
    _one_line_error(result, "--package-name", "not a usable package name")
    project = tmp_path / "proj"
    project.mkdir()
    (project / "pyproject.toml").write_text(
        f'[tool.sdkgen]\nspec = "{FEATURES_SPEC}"\noutput = "gen"\n'
        f"package_name = {json.dumps(name)}\n"
    )
    result = run_sdkgen("generate", cwd=project)
    _one_line_error(result, "tool.sdkgen.package_name", "not a usable package name")
    assert not (project / "gen").exists() and not (tmp_path / "a").exists()


def test_a_run_killed_mid_write_leaves_whole_files_and_the_next_run_finishes(
    tmp_path: Path,
) -> None:
    out = tmp_path / "out"
    assert _generate(out).returncode == 0
    old = _tree(out)
    reference = tmp_path / "reference"
    assert _generate(reference, SNAPSHOTS["2.167"]).returncode == 0
    new = _tree(reference)
    # The manifest is widened before the first file is replaced: kill the writer right after
    # that, and a little later each try, so the kills land among the file replacements.
    landed_mid_write = False
    for delay in (0.0, 0.002, 0.005, 0.01, 0.02):
        process = subprocess.Popen(
            [sys.executable, "-m", "generator", "generate", "--spec", str(SNAPSHOTS["2.167"]),
             "--output", str(out)],
            env={**os.environ, "PYTHONPATH": str(ROOT)}, cwd=NEUTRAL,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        manifest = out / MANIFEST
        before = manifest.read_bytes()
        deadline = time.monotonic() + 60
        while manifest.read_bytes() == before and process.poll() is None:
            assert time.monotonic() < deadline
        time.sleep(delay)
        process.send_signal(signal.SIGKILL)
        process.wait()
        now = _tree(out)
        for rel, data in now.items():
            if rel == MANIFEST or rel.endswith(".sdkgen-partial"):
                continue
            assert data in (old.get(rel), new.get(rel)), f"{rel} is neither old nor new"
        if now != new:
            landed_mid_write = True
            break
    assert landed_mid_write, "no kill landed while files were being replaced"
    # Whatever the kill left, every file is listed, and the next run completes the job.
    listed = set(json.loads((out / MANIFEST).read_text())["files"])
    assert {r for r in _tree(out) if not r.endswith(".sdkgen-partial")} - {MANIFEST} <= listed
    result = _generate(out, SNAPSHOTS["2.167"])
    assert result.returncode == 0, result.stderr
    assert _tree(out) == new
