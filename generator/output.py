"""Writing the rendered files, and comparing them with what is on disk.

The output folder belongs to the generator, and only the files it wrote there are its own:
`.sdkgen-manifest.json` lists them, and a run deletes or overwrites nothing else. A folder
that is not empty and has no manifest is refused; so is a folder or file inside it that is a
symbolic link, and a manifest entry that would point outside it.

A new output folder appears whole or not at all. In an existing one each file is replaced
atomically; the manifest is first widened to the old and the new files together, and written
last with exactly the new ones, so a run killed at any point leaves every file whole and
listed, and the next run finishes the job. Only files whose bytes changed are rewritten.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import tempfile
from pathlib import Path, PurePosixPath

from generator.errors import GeneratorError

MANIFEST = ".sdkgen-manifest.json"
# In-progress writes are named after their target, so they are known to be the generator's.
PARTIAL_SUFFIX = ".sdkgen-partial"
# Left alone in the output directory and not reported by `check`: build and install
# by-products, and the changelog, which `fetch-spec` appends to.
_UNMANAGED_DIRS = frozenset({"__pycache__", "build", "dist", ".pytest_cache", ".mypy_cache"})
_UNMANAGED_FILES = frozenset({"CHANGELOG.md", MANIFEST})
_NAME_MAX = 255


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


# mkstemp/mkdtemp create private files; what the generator writes is ordinary, readable source.
_UMASK = _umask()
FILE_MODE = 0o666 & ~_UMASK
DIR_MODE = 0o777 & ~_UMASK


def write_atomic(path: Path, data: bytes) -> None:
    """Replace a file so readers see the old or the new bytes, never a part (fsync, rename)."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    _write_and_replace(fd, Path(tmp), path, data)


def _write_and_replace(fd: int, tmp: Path, path: Path, data: bytes) -> None:
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, FILE_MODE)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _partial(path: Path) -> Path:
    return path.with_name(f".{path.name}{PARTIAL_SUFFIX}")


def _write_owned(path: Path, data: bytes) -> None:
    """`write_atomic` with a temporary file named after its target (see PARTIAL_SUFFIX)."""
    tmp = _partial(path)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
    _write_and_replace(fd, tmp, path, data)


def manifest_bytes(files: dict[str, bytes]) -> bytes:
    listing = {"generator": "sdkgen", "files": sorted(files)}
    return (json.dumps(listing, indent=1) + "\n").encode()


def check_relative(root: Path, rel: str) -> None:
    """A path the generator may write below `root`: relative, plain parts, no link on the way."""
    pure = PurePosixPath(rel)
    parts = pure.parts
    if (
        not parts
        or pure.is_absolute()
        or "\\" in rel
        or "\0" in rel
        or any(p in ("", ".", "..") or len(p.encode()) > _NAME_MAX for p in parts)
    ):
        raise GeneratorError(str(root), "", f"refusing the output path {rel!r}: not a plain path")
    current = root
    for part in parts:
        current = current / part
        if current.is_symlink():
            raise GeneratorError(
                str(current), "", "is a symbolic link inside the output folder; refusing to follow"
            )


def read_manifest(root: Path) -> set[str] | None:
    """The files a previous run wrote into `root`, or None when it has no manifest."""
    path = root / MANIFEST
    try:
        info = path.lstat()
    except FileNotFoundError:
        return None
    if not stat.S_ISREG(info.st_mode) or info.st_size > 16 * 1024 * 1024:
        raise GeneratorError(str(path), "", "not a regular file of sdkgen's; refusing the folder")
    try:
        data = json.loads(path.read_bytes())
    except (OSError, ValueError) as exc:
        raise GeneratorError(str(path), "", f"unreadable manifest: {exc}") from None
    files = data.get("files") if isinstance(data, dict) else None
    if not isinstance(files, list) or not all(isinstance(f, str) for f in files):
        raise GeneratorError(str(path), "files", "the manifest must list file names")
    for rel in files:
        check_relative(root, rel)
    return set(files)


def _walk(root: Path) -> set[str]:
    """Every file below `root`, except build by-products and the unmanaged files."""
    found: set[str] = set()
    if not root.is_dir():
        return found
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [
            d for d in dirnames if d not in _UNMANAGED_DIRS and not d.endswith(".egg-info")
        ]
        for name in filenames:
            rel = (Path(dirpath) / name).relative_to(root).as_posix()
            if rel not in _UNMANAGED_FILES:
                found.add(rel)
    return found


def stale_files(root: Path, files: dict[str, bytes]) -> list[str]:
    """Files that differ from, are missing from, or are extra to what would be written."""
    expected = {**files, MANIFEST: manifest_bytes(files)}
    stale = [rel for rel, data in expected.items() if _read(root / rel) != data]
    stale += sorted(_walk(root) - set(files))
    return sorted(stale)


def _read(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except OSError:
        return None


def write_output(root: Path, files: dict[str, bytes]) -> list[str]:
    """Make `root` hold exactly `files` among the files sdkgen wrote; return what changed."""
    for rel in files:
        check_relative(root, rel)
    try:
        if not os.path.lexists(root):
            return _create(root, files)
        if not root.is_dir():
            raise GeneratorError(str(root), "", "the output path exists and is not a folder")
        return _update(root, files)
    except OSError as exc:
        raise GeneratorError(str(root), "", f"cannot write the output: {exc.strerror}") from None


def _create(root: Path, files: dict[str, bytes]) -> list[str]:
    root.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{root.name}.", dir=root.parent))
    os.chmod(tmp, DIR_MODE)
    try:
        for rel, data in {**files, MANIFEST: manifest_bytes(files)}.items():
            target = tmp / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        os.replace(tmp, root)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return sorted(files)


def _update(root: Path, files: dict[str, bytes]) -> list[str]:
    owned = read_manifest(root)
    if owned is None:
        if any(root.iterdir()):
            raise GeneratorError(
                str(root),
                "",
                f"the output folder is not empty and has no {MANIFEST}: sdkgen writes only into "
                "a folder it created (choose a new --output, or empty this one)",
            )
        owned = set()
    for rel in owned:
        check_relative(root, rel)
        _partial(root / rel).unlink(missing_ok=True)  # left by a run that was killed
    foreign = sorted(rel for rel in set(files) - owned if os.path.lexists(root / rel))
    if foreign:
        raise GeneratorError(
            str(root / foreign[0]),
            "",
            "exists but sdkgen did not write it; refusing to overwrite "
            f"({len(foreign)} such file(s))",
        )
    # Everything this run may touch is listed before it is touched.
    _write_owned(root / MANIFEST, manifest_bytes(dict.fromkeys(owned | set(files), b"")))
    changed: list[str] = []
    for rel, data in files.items():
        target = root / rel
        if _read(target) == data:
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        _write_owned(target, data)
        changed.append(rel)
    for rel in sorted(owned - set(files)):
        target = root / rel
        if os.path.lexists(target):
            target.unlink()
            changed.append(rel)
        parent = target.parent
        while parent != root and parent.is_dir() and not any(parent.iterdir()):
            parent.rmdir()
            parent = parent.parent
    _write_owned(root / MANIFEST, manifest_bytes(files))
    return sorted(changed)
