"""Writing the rendered files, and comparing them with what is on disk.

Only files whose bytes changed are rewritten, so a spec bump is a small diff. A new output
directory appears whole or not at all; in an existing one each file is replaced atomically.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

# Left alone in the output directory: build and install by-products, and the changelog,
# which each regeneration appends to.
_UNMANAGED_DIRS = frozenset({"__pycache__", "build", "dist", ".pytest_cache", ".mypy_cache"})
_UNMANAGED_FILES = frozenset({"CHANGELOG.md"})


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
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, FILE_MODE)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _managed_files(root: Path) -> set[str]:
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
    stale = [rel for rel, data in files.items() if _read(root / rel) != data]
    stale += sorted(_managed_files(root) - set(files))
    return sorted(stale)


def _read(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except OSError:
        return None


def write_output(root: Path, files: dict[str, bytes]) -> list[str]:
    """Make `root` hold exactly `files` (plus unmanaged files); return what changed."""
    if not root.exists():
        root.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{root.name}.", dir=root.parent))
        os.chmod(tmp, DIR_MODE)
        try:
            for rel, data in files.items():
                target = tmp / rel
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(data)
            os.replace(tmp, root)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        return sorted(files)
    changed: list[str] = []
    for rel, data in files.items():
        target = root / rel
        if _read(target) == data:
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(target, data)
        changed.append(rel)
    for rel in sorted(_managed_files(root) - set(files)):
        (root / rel).unlink()
        changed.append(rel)
        parent = (root / rel).parent
        while parent != root and parent.is_dir() and not any(parent.iterdir()):
            parent.rmdir()
            parent = parent.parent
    return sorted(changed)
