"""The READMEs' code type-checks under mypy --strict and pyright's strict mode, and so does
typical user code.

The repository README's Python blocks whose first line says "mypy --strict accepts this block"
and every Python block of the generated package's README are checked against `generated/`.
Code with deliberate mistakes must be rejected, each mistake on the line where it is: a check
that accepted everything would fail here.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

from tests.conftest import ROOT
from tests.pyright_support import strict_errors

MARKER = "# mypy --strict accepts this block"
# README -> whether only its marked blocks are checked.
READMES = {ROOT / "README.md": True, ROOT / "generated" / "README.md": False}

# Typical user code for what the READMEs promise: narrowing, copies, JSON, typed problems.
USER_CODE = textwrap.dedent(
    """\
    from typing import Any

    from twitter_api import APIStatusError, Client, ResponseValidationError, required
    from twitter_api.models import InvalidRequestProblem, Post
    from twitter_api.types import Problem


    def first_words(client: Client) -> str:
        try:
            post = client.get_posts_by_id("20")
        except APIStatusError as err:
            problem: Problem | None = err.problem
            if isinstance(problem, InvalidRequestProblem):
                return problem.detail
            return problem.title if problem is not None else str(err)
        try:
            data: Post = required(post.data, "data")
        except ResponseValidationError as missing:
            return str(missing)
        wire: dict[str, Any] = data.to_dict()
        compact: str = data.to_json()
        return f"{required(data.text, 'data.text')[:10]} {len(wire)} {compact}"
    """
)

# Each mistake ends with `# error`: mypy must report that line, and no other.
MISTAKES = textwrap.dedent(
    """\
    from twitter_api import APIStatusError, Client, required


    def mistakes(client: Client) -> None:
        post = client.get_posts_by_id("20")
        print(post.data.text)  # error
        text: int = required(required(post.data, "data").text, "data.text")  # error
        try:
            client.get_posts_by_id("21")
        except APIStatusError as err:
            print(err.problem.title)  # error
            if err.problem is not None:
                print(err.problem.no_such_field)  # error
        print(post.to_json().keys())  # error
    """
)


def readme_blocks() -> list[tuple[str, str]]:
    blocks: list[tuple[str, str]] = []
    for readme, marked_only in READMES.items():
        text = readme.read_text(encoding="utf-8")
        for i, match in enumerate(re.finditer(r"```python\n(.*?)```", text, re.DOTALL)):
            if match[1].startswith(MARKER) or not marked_only:
                blocks.append((f"{readme.parent.name}_readme_{i}", match[1]))
    return blocks


def mypy(files: list[Path], cwd: Path) -> dict[str, set[int]]:
    """Run mypy --strict once over `files`; the lines with errors, by file name."""
    result = subprocess.run(
        [
            *(sys.executable, "-m", "mypy", "--strict", "--no-incremental"),
            *("--cache-dir", os.devnull, "--hide-error-context", "--no-error-summary"),
            *(f.name for f in files),
        ],
        cwd=cwd,
        env={**os.environ, "MYPYPATH": str(ROOT / "generated")},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode in (0, 1), result.stdout + result.stderr
    errors: dict[str, set[int]] = {f.name: set() for f in files}
    for line in result.stdout.splitlines():
        if re.match(r"[^:]+\.py:\d+: note:", line):
            continue  # mypy's hint under an error ("defined here"), not an error itself
        found = re.match(r"([^:]+\.py):(\d+): error:", line)
        assert found, f"unexpected mypy output: {line}"
        errors[found[1]].add(int(found[2]))
    return errors


def _write_checked_code(tmp_path: Path) -> list[Path]:
    blocks = readme_blocks()
    # Both READMEs lead with a checked example; losing the marker must not skip the check.
    assert {name.split("_readme_")[0] for name, _ in blocks} == {ROOT.name, "generated"}
    files = []
    for name, code in [*blocks, ("user_code", USER_CODE), ("mistakes", MISTAKES)]:
        path = tmp_path / f"{re.sub(r'[^a-z0-9_]', '_', name.lower())}.py"
        path.write_text(code, encoding="utf-8")
        files.append(path)
    return files


MISTAKE_LINES = {n for n, line in enumerate(MISTAKES.splitlines(), 1) if line.endswith("# error")}


def test_readme_code_and_user_code_pass_and_mistakes_are_reported(tmp_path: Path) -> None:
    files = _write_checked_code(tmp_path)
    errors = mypy(files, tmp_path)
    mistakes = errors.pop("mistakes.py")
    assert errors == {f.name: set() for f in files if f.name != "mistakes.py"}
    assert mistakes == MISTAKE_LINES


def test_pyright_strict_accepts_the_same_code_and_reports_the_same_mistakes(
    tmp_path: Path, generated_site: Path
) -> None:
    files = _write_checked_code(tmp_path)
    errors = strict_errors(generated_site, files, tmp_path)
    mistakes = errors.pop("mistakes.py")
    assert errors == {f.name: {} for f in files if f.name != "mistakes.py"}
    assert set(mistakes) == MISTAKE_LINES, mistakes
