"""`sdkgen` as an installed tool: a wheel that works from any folder, and its flags."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import sysconfig
import textwrap
import tomllib
from pathlib import Path

import pytest

from tests.conftest import FEATURES_SPEC, ROOT, SNAPSHOTS, run_sdkgen


def _run(args: list[str], cwd: Path, env: dict[str, str] | None = None) -> str:
    result = subprocess.run(
        args, cwd=cwd, capture_output=True, text=True, check=False, env=env or dict(os.environ)
    )
    assert result.returncode == 0, f"{args}: {result.stdout}\n{result.stderr}"
    return result.stdout


def test_the_wheel_generates_from_a_folder_without_a_project(tmp_path: Path) -> None:
    # Built from a copy, so the build leaves nothing in the checkout.
    source = tmp_path / "source"
    ignore = shutil.ignore_patterns("__pycache__", "*.egg-info")
    for folder in ("generator", "templates", "spec/overlays"):
        shutil.copytree(ROOT / folder, source / folder, ignore=ignore)
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    wheels = tmp_path / "wheels"
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
    _run([*pip, "wheel", str(source), "--no-deps", "--no-build-isolation", "-w", str(wheels)], ROOT)
    (wheel,) = wheels.glob("*.whl")
    shutil.rmtree(source)  # nothing may be read from the sources any more

    # A fresh venv with the wheel; its dependencies come from this venv's site-packages
    # (a .pth line), so the test needs no network. Editable installs there are not seen:
    # .pth files in a directory added by a .pth line are not processed.
    venv = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", str(venv)], tmp_path)
    python = venv / "bin" / "python"
    site = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    here = sysconfig.get_paths()["purelib"]
    (Path(site) / "deps.pth").write_text(here + "\n", encoding="utf-8")
    _run([*pip, "--python", str(python), "install", "--no-deps", str(wheel)], tmp_path)

    work = tmp_path / "empty"
    work.mkdir()
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    spec = str(SNAPSHOTS["2.167"])
    out = _run(
        [str(venv / "bin" / "sdkgen"), "generate", "--spec", spec, "--output", "out"], work, env
    )
    assert "files in out" in out
    located = _run(
        [str(python), "-c", "import generator.resources as r; print(r.TEMPLATES, r.OVERLAYS)"],
        work,
        env,
    )
    templates, overlays = map(Path, located.split())
    assert templates.is_relative_to(venv) and overlays.is_relative_to(venv), located
    assert len(list(overlays.glob("*.yaml"))) == len(list((ROOT / "spec/overlays").glob("*.yaml")))
    probe = (
        "import twitter_api, twitter_api.models as m; "
        "print(twitter_api.__file__, twitter_api.Client.get_posts_by_id.__name__, m.Post.__name__)"
    )
    printed = _run([str(python), "-c", probe], work / "out", env)
    assert printed.split() == [
        str(work / "out" / "twitter_api" / "__init__.py"),
        "get_posts_by_id",
        "Post",
    ]


def test_package_name_renames_what_users_read(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = run_sdkgen(
        "generate", "--spec", str(FEATURES_SPEC), "--output", str(out), "--package-name", "xclient"
    )
    assert result.returncode == 0, result.stderr
    leftovers = [
        f"{path.relative_to(out)}:{number}"
        for path in sorted(out.rglob("*"))
        if path.is_file()
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if "twitter_api" in line.lower()
    ]
    assert leftovers == []
    example = (out / "Config.example.toml").read_text(encoding="utf-8")
    assert "[xclient.profiles.user]" in example and "XCLIENT_CONFIG_DATA" in example
    assert 'name = "xclient"' in (out / "pyproject.toml").read_text(encoding="utf-8")

    probe = textwrap.dedent(
        """
        import logging, os
        from xclient._config import ConfigError, load_settings
        from xclient._logging import configure_from_env
        settings = load_settings()
        print(settings.profile, settings.flow, settings.timeout)
        configure_from_env()
        print(logging.getLogger("xclient").level == logging.DEBUG)
        try:
            load_settings(environ={"TWITTER_API_CONFIG_DATA": os.environ["XCLIENT_CONFIG_DATA"]})
        except ConfigError as exc:
            print("old name ignored")
        """
    )
    env = {
        **os.environ,
        "PYTHONPATH": str(out),
        "XCLIENT_CONFIG_DATA": '[xclient.profiles.bot]\nflow = "bearer"\nbearer_token = "t"\n',
        "XCLIENT_BOT_BEARER_TOKEN": "from-env",
        "XCLIENT_TIMEOUT": "7",
        "XCLIENT_LOG": "debug",
    }
    printed = _run([sys.executable, "-c", probe], tmp_path, env)
    assert printed.splitlines() == ["bot bearer 7.0", "True", "old name ignored"]
    usage = _run([sys.executable, "-m", "xclient", "--help"], tmp_path, env)
    assert "usage: python -m xclient" in usage
    login = _run([sys.executable, "-m", "xclient", "auth", "login", "--help"], tmp_path, env)
    assert "XCLIENT_CONFIG, XCLIENT_CONFIG_DATA" in " ".join(login.split())


def _classes(out: Path) -> set[str]:
    return {
        line.split("(")[0].removeprefix("class ")
        for path in (out / "twitter_api" / "models").glob("*.py")
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.startswith("class ")
    }


def test_a_tag_filter_keeps_only_the_schemas_its_operations_reach(tmp_path: Path) -> None:
    everything, media = tmp_path / "all", tmp_path / "media"
    assert (
        run_sdkgen("generate", "--spec", str(FEATURES_SPEC), "--output", str(everything)).returncode
        == 0
    )
    result = run_sdkgen(
        "generate", "--spec", str(FEATURES_SPEC), "--output", str(media), "--tags", "Media"
    )
    assert result.returncode == 0, result.stderr
    assert {"Item", "ItemPage", "CreateItemRequest", "UploadRequest"} <= _classes(everything)
    # UploadRequest is the Media body; Problem's variants parse every error body.
    assert _classes(media) == {
        "UploadRequest",
        "UploadItemMediaResponse",
        "UploadItemMediaResponseData",
        "InvalidProblem",
        "NotFoundProblem",
    }


def test_an_unknown_tag_or_operation_exits_2_with_a_suggestion(tmp_path: Path) -> None:
    out = tmp_path / "out"
    spec = str(FEATURES_SPEC)
    cases = {
        ("--tags", "Item"): "no operation has the tag 'Item'; did you mean 'Items'?",
        ("--operations", "getItem"): "no operation has the operationId 'getItem'; did you mean",
        ("--tags", "Nothing"): "no operation has the tag 'Nothing'\n",
    }
    for flags, message in cases.items():
        result = run_sdkgen("generate", "--spec", spec, "--output", str(out), *flags)
        assert result.returncode == 2
        assert message in result.stderr
        assert len(result.stderr.splitlines()) == 1
        assert not out.exists()
    getitem = run_sdkgen(
        "generate", "--spec", spec, "--output", str(out), "--operations", "getItem"
    )
    assert "'getItemById'" in getitem.stderr


def _post_fields(out: Path) -> str:
    types = (out / "twitter_api" / "types.py").read_text(encoding="utf-8")
    return types.split("PostField: TypeAlias = Literal[", 1)[1].split("]", 1)[0]


def test_overlay_flag_and_the_warning_when_the_x_sanitations_are_missing(tmp_path: Path) -> None:
    spec = str(SNAPSHOTS["2.167"])
    bare = run_sdkgen("generate", "--spec", spec, "--output", str(tmp_path / "bare"))
    assert bare.returncode == 0, bare.stderr
    warnings = [line for line in bare.stderr.splitlines() if "sanitations" in line]
    assert len(warnings) == 1
    assert "20-selectable-id-fields.yaml" in warnings[0] and "--overlay FILE" in warnings[0]
    assert '"author_id"' not in _post_fields(tmp_path / "bare")

    overlay = ROOT / "spec" / "overlays" / "20-selectable-id-fields.yaml"
    fixed = run_sdkgen(
        "generate", "--spec", spec, "--output", str(tmp_path / "fixed"), "--overlay", str(overlay)
    )
    assert fixed.returncode == 0, fixed.stderr
    assert "sanitations" not in fixed.stderr
    assert '"author_id"' in _post_fields(tmp_path / "fixed")

    # A spec the sanitations were not written for: nothing to say.
    other = run_sdkgen("generate", "--spec", str(FEATURES_SPEC), "--output", str(tmp_path / "f"))
    assert other.returncode == 0 and "sanitations" not in other.stderr


def test_a_clone_without_the_shared_snapshot_says_where_it_looked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = tmp_path / "clone"
    (repo / "spec").mkdir(parents=True)
    (repo / "scripts").mkdir()
    shutil.copy(ROOT / "scripts" / "setup", repo / "scripts" / "setup")
    lock = (ROOT / "spec" / "x-api-v2.lock.toml").read_text(encoding="utf-8")
    # Plain http is refused before any connection: the download fallback fails offline.
    lock = lock.replace("https://api.x.com/2/openapi.json", "http://sdkgen.invalid/openapi.json")
    (repo / "spec" / "x-api-v2.lock.toml").write_text(lock, encoding="utf-8")
    (repo / "pyproject.toml").write_text(
        '[tool.sdkgen]\nspec_lock = "spec/x-api-v2.lock.toml"\n', encoding="utf-8"
    )
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    expected = tmp_path / "shared" / "spec" / "x-api-v2-2.167.json"

    result = run_sdkgen("generate", cwd=repo)
    assert result.returncode == 2
    (line,) = result.stderr.splitlines()
    assert f"not at {expected.resolve()} nor in the cache {tmp_path / 'cache'}" in line
    assert "clone the shared folder beside the repository" in line
    assert not (repo / "generated").exists()

    setup = subprocess.run(
        ["bash", str(repo / "scripts" / "setup")], capture_output=True, text=True, check=False
    )
    assert setup.returncode == 1
    assert f"the pinned spec snapshot {expected.resolve()}" in setup.stderr
    assert "clone the shared folder beside this repository" in setup.stderr


def test_the_generated_readme_teaches_each_flow_with_calls_that_exist() -> None:
    import twitter_api
    from twitter_api import auth

    readme = (ROOT / "generated" / "README.md").read_text(encoding="utf-8")
    for heading in (
        "### OAuth 2.0 with PKCE",
        "### App-only",
        "### Bearer token",
        "### OAuth 1.0a",
        "## Config.toml",
        "## Pagination",
        "## Streaming",
        "## Errors",
        "## Logging",
        "## Operations",
    ):
        assert f"\n{heading}" in readme, heading
    for flow in ("pkce", "app", "bearer", "oauth1"):
        assert f'flow = "{flow}"' in readme
    assert "TWITTER_API_LOG=debug" in readme and "TWITTER_API_CONFIG_DATA" in readme
    # Every Python example compiles, and every name it takes from the package exists.
    blocks = [b.split("```", 1)[0] for b in readme.split("```python\n")[1:]]
    assert len(blocks) >= 6
    called: set[str] = set()
    for block in blocks:
        compile(block, "README.md", "exec")
        for line in block.splitlines():
            if line.startswith("from twitter_api"):
                module = {"from twitter_api.auth": auth}.get(line.split(" import")[0], twitter_api)
                for name in line.split(" import ")[1].split(", "):
                    assert hasattr(module, name), line
        called |= set(re.findall(r"\bclient\.(\w+)", block))
    called -= {"paginate"}
    assert called and all(hasattr(twitter_api.Client, name) for name in called), called
    assert {"get_users_me", "get_posts_by_id", "get_users_posts"} <= called
    # The operations table: one row per operation of the package.
    operations = readme.partition("\n## Operations\n")[2].partition("\n## ")[0]
    rows = [line for line in operations.splitlines() if line.startswith("| ") and "`" in line]
    assert len(rows) == len(twitter_api._operations.BY_METHOD)
    assert "| Posts | `get_posts_by_id` | GET /2/tweets/\\{id\\} |" in readme


def test_sdkgen_version() -> None:
    from generator import __version__

    result = run_sdkgen("--version")
    assert result.returncode == 0 and result.stdout == f"sdkgen {__version__}\n"


def test_the_wheel_lists_every_generator_package() -> None:
    # [tool.setuptools] names the packages one by one (the templates are mapped in), so a new
    # stage package must be added there or the wheel lacks it.
    listed = set(
        tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]
    )
    on_disk = {
        ".".join(init.parent.relative_to(ROOT).parts)
        for init in (ROOT / "generator").rglob("__init__.py")
    }
    assert on_disk and on_disk <= listed
    assert listed - on_disk == {"generator._templates", "generator._overlays"}
