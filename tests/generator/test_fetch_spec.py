"""The real spec history, pinned and regenerated step by step: 2.152 -> 2.157 -> 2.159 -> 2.167."""

from __future__ import annotations

import copy
import hashlib
import json
import socket
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml

from generator.cli import main
from generator.errors import GeneratorError
from generator.evolve.fetch_spec import version_key
from generator.load.spec_source import MAX_REDIRECTS, MAX_SPEC_BYTES, fetch_bytes, url_allowed
from tests.conftest import FEATURES_SPEC, SNAPSHOTS, methods_source, run_sdkgen
from tests.loopback import Exchange, Handler, Loopback, scripted


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


def test_chain_regenerates_with_changelog_and_semver(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The snapshots lie outside the project and beside it: fetch-spec keeps them in the cache.
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
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
    client = methods_source(project / "generated" / "twitter_api")
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


# --------------------------------------------------------------------------------------------
# The spec is untrusted input: where it comes from, how big it is, what version, and that it
# generates, are all checked before anything is pinned.
# --------------------------------------------------------------------------------------------

FEATURES = yaml.safe_load(FEATURES_SPEC.read_text(encoding="utf-8"))
PINNED = "1.2"


def _features(version: str, **top: Any) -> bytes:
    document = copy.deepcopy(FEATURES)
    document["info"]["version"] = version
    document.update(top)
    return json.dumps(document).encode()


def _small_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, overlay: str = "") -> Path:
    """A project pinned to the feature spec at PINNED; the cwd of the in-process CLI."""
    project = tmp_path / "proj"
    (project / "spec").mkdir(parents=True)
    pinned = _features(PINNED)
    (project / "spec" / "pinned.json").write_bytes(pinned)
    (project / "spec" / "lock.toml").write_text(
        'source_url = "https://api.example.test/openapi.json"\n'
        f'version = "{PINNED}"\nsha256 = "{hashlib.sha256(pinned).hexdigest()}"\n'
        'package_version = "1.0.0"\nsnapshot = "pinned.json"\n'
    )
    overlays = ""
    if overlay:
        (project / "spec" / "overlay.yaml").write_text(overlay)
        overlays = 'overlays = ["spec/overlay.yaml"]\n'
    (project / "pyproject.toml").write_text(
        f'[tool.sdkgen]\nspec_lock = "spec/lock.toml"\noutput = "generated"\n{overlays}'
    )
    monkeypatch.chdir(project)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return project


def _fetch(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(["fetch-spec", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _unchanged(project: Path, lock_before: bytes) -> bool:
    return (project / "spec" / "lock.toml").read_bytes() == lock_before and not (
        project / "generated"
    ).exists()


def _serve(data: bytes) -> Handler:
    def handle(exchange: Exchange) -> None:
        exchange.respond_raw(200, data)

    return handle


def _redirect(location: str) -> Handler:
    def handle(exchange: Exchange) -> None:
        exchange.respond_raw(302, b"", {"Location": location})

    return handle


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def test_fetch_from_a_loopback_url_pins_it_and_writes_only_the_changelog(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    project = _small_project(tmp_path, monkeypatch)
    new = _features("1.3")
    with Loopback(_serve(new)) as server:
        code, out, err = _fetch(capsys, "--from", f"{server.url}/openapi.json")
    assert (code, err) == (0, "")
    assert [r.path for r in server.requests] == ["/openapi.json"]
    lock = _lock(project)
    assert lock["version"] == "1.3"
    assert lock["sha256"] == hashlib.sha256(new).hexdigest()
    assert lock["source_url"] == f"{server.url}/openapi.json"
    assert "pinned 1.3" in out
    # The full generation ran in memory: nothing but the changelog was written.
    assert [p.name for p in (project / "generated").iterdir()] == ["CHANGELOG.md"]


def test_plain_http_to_another_host_is_refused_before_any_request(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    project = _small_project(tmp_path, monkeypatch)
    before = (project / "spec" / "lock.toml").read_bytes()
    url = "http://example.invalid/openapi.json"
    code, out, err = _fetch(capsys, "--from", url)
    assert (code, out) == (2, "")
    # Had it been attempted, the error would be a name-resolution failure instead.
    assert err == (
        f"sdkgen: error: {url}: only https URLs are fetched (plain http: loopback only)\n"
    )
    assert _unchanged(project, before)


def test_credentials_in_a_spec_url_are_refused_and_never_printed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    project = _small_project(tmp_path, monkeypatch)
    before = (project / "spec" / "lock.toml").read_bytes()
    with Loopback(_serve(_features("1.3"))) as server:
        url = server.url.replace("http://", "http://alice:hunter2@") + "/openapi.json"
        code, out, err = _fetch(capsys, "--from", url)
        assert server.requests == []
    assert (code, out) == (2, "")
    assert err == (
        f"sdkgen: error: {server.url}/openapi.json: credentials in a spec URL are not accepted\n"
    )
    assert "hunter2" not in err
    assert _unchanged(project, before)


def test_redirect_to_plain_http_elsewhere_is_refused_without_following_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    project = _small_project(tmp_path, monkeypatch)
    before = (project / "spec" / "lock.toml").read_bytes()
    with Loopback(_redirect("http://example.invalid/openapi.json")) as server:
        code, _, err = _fetch(capsys, "--from", f"{server.url}/spec")
    assert code == 2
    assert err == (
        f"sdkgen: error: {server.url}/spec: redirect to http://example.invalid/openapi.json "
        "refused: not https\n"
    )
    assert len(server.requests) == 1
    assert _unchanged(project, before)


def test_redirect_to_https_is_followed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    project = _small_project(tmp_path, monkeypatch)
    before = (project / "spec" / "lock.toml").read_bytes()
    target = f"https://127.0.0.1:{_closed_port()}/openapi.json"
    with Loopback(_redirect(target)) as server:
        code, _, err = _fetch(capsys, "--from", f"{server.url}/spec")
    assert code == 2
    # Followed: the https URL was connected to (and nothing listens there).
    assert err.startswith(f"sdkgen: error: {server.url}/spec: cannot download {target}: ")
    assert err.count("\n") == 1
    assert _unchanged(project, before)


def test_relative_redirect_on_loopback_is_followed_and_redirects_are_bounded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    project = _small_project(tmp_path, monkeypatch)
    with Loopback(scripted(_redirect("/moved.json"), _serve(_features("1.3")))) as server:
        code, _, err = _fetch(capsys, "--from", f"{server.url}/spec")
    assert (code, err) == (0, "")
    assert [r.path for r in server.requests] == ["/spec", "/moved.json"]
    before = (project / "spec" / "lock.toml").read_bytes()
    with Loopback(_redirect("/again")) as server:
        code, _, err = _fetch(capsys, "--from", f"{server.url}/again")
    assert code == 2
    assert err == f"sdkgen: error: {server.url}/again: more than {MAX_REDIRECTS} redirects\n"
    assert len(server.requests) == MAX_REDIRECTS + 1
    assert (project / "spec" / "lock.toml").read_bytes() == before


def test_https_redirecting_to_loopback_http_is_not_allowed() -> None:
    # Plain http stays allowed only when the fetch started on plain loopback http.
    assert url_allowed("http://127.0.0.1:9/x", loopback_http=True)
    assert url_allowed("http://[::1]:9/x", loopback_http=True)
    assert url_allowed("http://localhost/x", loopback_http=True)
    assert not url_allowed("http://127.0.0.1:9/x", loopback_http=False)
    assert not url_allowed("http://10.0.0.1/x", loopback_http=True)
    assert not url_allowed("ftp://127.0.0.1/x", loopback_http=True)
    assert url_allowed("https://api.x.com/2/openapi.json", loopback_http=False)


def test_a_declared_oversize_download_is_refused_before_reading(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    project = _small_project(tmp_path, monkeypatch)
    before = (project / "spec" / "lock.toml").read_bytes()

    def huge(exchange: Exchange) -> None:
        handler = exchange._handler
        handler.send_response(200)
        handler.send_header("Content-Length", str(MAX_SPEC_BYTES + 1))
        handler.end_headers()
        handler.wfile.write(b"{}")  # the rest never comes
        handler.wfile.flush()
        handler.close_connection = True

    with Loopback(huge) as server:
        code, _, err = _fetch(capsys, "--from", f"{server.url}/spec")
    assert code == 2
    assert err == f"sdkgen: error: {server.url}/spec: larger than the 64 MiB limit\n"
    assert _unchanged(project, before)


def test_an_undeclared_oversize_download_stops_at_the_cap() -> None:
    def stream(exchange: Exchange) -> None:
        exchange.start_stream()
        for _ in range(4):
            exchange.chunk(b"x" * 600)
        exchange.end_stream()

    with Loopback(stream) as server:
        with pytest.raises(GeneratorError, match=r": larger than the 1000 bytes limit$"):
            fetch_bytes(f"{server.url}/spec", max_bytes=1000)
        assert len(fetch_bytes(f"{server.url}/spec", max_bytes=2400)) == 2400


def test_local_files_are_capped_too(tmp_path: Path) -> None:
    big = tmp_path / "big.json"
    big.write_bytes(b" " * 11)
    with pytest.raises(GeneratorError, match=r"big\.json: larger than the 10 bytes limit$"):
        fetch_bytes(str(big), max_bytes=10)
    assert fetch_bytes(str(big), max_bytes=11) == b" " * 11
    # A device has no size to check: the read itself stops.
    with pytest.raises(GeneratorError, match=r"^/dev/zero: larger than the 10 bytes limit$"):
        fetch_bytes("/dev/zero", max_bytes=10)


def test_a_sparse_oversize_file_is_refused_by_fetch_spec(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    project = _small_project(tmp_path, monkeypatch)
    before = (project / "spec" / "lock.toml").read_bytes()
    big = tmp_path / "big.json"
    with big.open("wb") as handle:
        handle.truncate(MAX_SPEC_BYTES + 1)
    code, _, err = _fetch(capsys, "--from", str(big))
    assert code == 2
    assert err == f"sdkgen: error: {big}: larger than the 64 MiB limit\n"
    assert _unchanged(project, before)


def test_versions_compare_by_dotted_numbers() -> None:
    assert version_key("2.159") == (2, 159)
    assert version_key("2.159") < version_key("2.167") < version_key("2.1670")  # type: ignore[operator]
    assert version_key("1.9") < version_key("1.10")  # type: ignore[operator]
    assert version_key("2.167-beta") is None
    assert version_key("") is None
    assert version_key("v2") is None


@pytest.mark.parametrize(
    ("version", "message"),
    [
        ("1.1", "version 1.1 is older than the pinned 1.2; pass --allow-downgrade"),
        ("1.3-rc1", "cannot tell whether version '1.3-rc1' is older than the pinned '1.2'"),
    ],
)
def test_an_older_or_incomparable_version_needs_allow_downgrade(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    version: str,
    message: str,
) -> None:
    project = _small_project(tmp_path, monkeypatch)
    before = (project / "spec" / "lock.toml").read_bytes()
    older = tmp_path / "older.json"
    older.write_bytes(_features(version))
    code, _, err = _fetch(capsys, "--from", str(older))
    assert code == 2
    assert err.startswith(f"sdkgen: error: {older}:#/info/version: {message}")
    assert err.count("\n") == 1
    assert _unchanged(project, before)
    code, _, err = _fetch(capsys, "--from", str(older), "--allow-downgrade")
    assert (code, err) == (0, "")
    assert _lock(project)["version"] == version


def test_a_newer_version_by_number_is_not_a_downgrade(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _small_project(tmp_path, monkeypatch)
    newer = tmp_path / "newer.json"
    newer.write_bytes(_features("1.10"))  # "1.10" < "1.2" as text
    code, _, err = _fetch(capsys, "--from", str(newer))
    assert (code, err) == (0, "")


_FAILING_OVERLAY = """\
overlay: 1.0.0
info: {title: notes, version: "1"}
actions:
  - target: $.info
    description: mark the document
    update: {x-note: generated}
"""


@pytest.mark.parametrize(
    ("overlay", "top", "expected"),
    [
        # Validates and parses, but the package cannot be rendered from it.
        (
            "",
            {
                "paths": {
                    **FEATURES["paths"],
                    "/extra": {
                        "get": {
                            "operationId": "getExtra",
                            "parameters": [
                                {
                                    "name": "gone",
                                    "in": "path",
                                    "required": True,
                                    "schema": {"type": "string"},
                                }
                            ],
                            "responses": {"204": {"description": "none"}},
                        }
                    },
                }
            },
            "openapi.json:#/paths/~1extra/get: path parameter 'gone' is not in the path",
        ),
        # The project's own overlays no longer apply to it.
        (
            _FAILING_OVERLAY,
            {"info": {"title": "Feature API", "version": "1.3", "x-note": ["list"]}},
            "cannot merge list with str at #/info/x-note",
        ),
    ],
)
def test_a_spec_that_validates_but_does_not_generate_is_not_pinned(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    overlay: str,
    top: dict[str, Any],
    expected: str,
) -> None:
    project = _small_project(tmp_path, monkeypatch, overlay)
    before = (project / "spec" / "lock.toml").read_bytes()
    with Loopback(_serve(_features("1.3", **top))) as server:
        code, _, err = _fetch(capsys, "--from", f"{server.url}/openapi.json")
    assert code == 2
    assert expected in err and err.startswith("sdkgen: error: ")
    assert err.count("\n") == 1
    assert _unchanged(project, before)


def test_the_lock_records_a_snapshot_path_relative_to_the_repository(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    project = _project(tmp_path / "work", "2.159")
    assert run_sdkgen("generate", cwd=project).returncode == 0
    beside = tmp_path / "work" / "shared" / "x-2.167.json"
    beside.parent.mkdir()
    beside.write_bytes(SNAPSHOTS["2.167"].read_bytes())
    fetched = run_sdkgen("fetch-spec", "--from", str(beside), cwd=project)
    assert fetched.returncode == 0, fetched.stderr
    assert _lock(project)["snapshot"] == "../../shared/x-2.167.json"
    assert run_sdkgen("generate", cwd=project).returncode == 0

    # A file elsewhere on this machine: no path of it in the lock; the cache holds the spec.
    project = _project(tmp_path / "other", "2.159")
    assert run_sdkgen("generate", cwd=project).returncode == 0
    elsewhere = tmp_path / "downloads" / "x-2.167.json"
    elsewhere.parent.mkdir()
    elsewhere.write_bytes(SNAPSHOTS["2.167"].read_bytes())
    fetched = run_sdkgen("fetch-spec", "--from", str(elsewhere), cwd=project)
    assert fetched.returncode == 0, fetched.stderr
    lock_text = (project / "spec" / "lock.toml").read_text()
    assert "snapshot" not in _lock(project) and str(tmp_path) not in lock_text
    assert "the lock records no snapshot path" in fetched.stdout
    sha = _lock(project)["sha256"]
    assert (tmp_path / "cache" / "sdkgen" / "specs" / f"{sha}.json").is_file()
    elsewhere.unlink()
    generated = run_sdkgen("generate", cwd=project)
    assert generated.returncode == 0, generated.stderr
