"""Session fixture: a Stoplight Prism mock of the pinned X API v2 spec on 127.0.0.1.

Prism is installed by `.ci/run` (npm, pinned by tests/integration/package-lock.json) into
tests/integration/node_modules. It serves static examples (no `--dynamic`), validates every
request against the spec, and reads the spec from disk only, so it never touches the network.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parent.parent
SPEC_PATH = REPO_ROOT.parent / "shared" / "spec" / "x-api-v2-2.167.json"
PRISM_BIN = HERE / "node_modules" / ".bin" / "prism"

# Upper bound for Prism to parse the 2 MB spec and bind; it normally needs 2-5 s.
_STARTUP_LIMIT_S = 120.0
_PORT_ATTEMPTS = 3


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _log_tail(log_path: Path, limit: int = 3000) -> str:
    text = log_path.read_text(encoding="utf-8", errors="replace")
    return text[-limit:]


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is not None:
        return
    # Prism runs in its own session, so the whole group (node and any workers) goes.
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)


def _wait_ready(proc: subprocess.Popen[bytes], base_url: str, log_path: Path) -> bool:
    """True once Prism answers; False if it exited early (e.g. the port was taken meanwhile)."""
    deadline = time.monotonic() + _STARTUP_LIMIT_S
    with httpx.Client(timeout=2.0) as probe:
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                return False
            try:
                # getOpenApiSpec has no security and no parameters: a 200 means routes are live.
                if probe.get(f"{base_url}/2/openapi.json").status_code == 200:
                    return True
            except httpx.TransportError:
                pass
            time.sleep(0.2)
    pytest.fail(
        f"Prism did not answer within {_STARTUP_LIMIT_S:.0f} s; log:\n{_log_tail(log_path)}"
    )


@pytest.fixture(scope="session")
def prism_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Base URL of a running Prism mock of x-api-v2-2.167.json; stopped after the session."""
    if not PRISM_BIN.exists():
        pytest.fail(
            f"Stoplight Prism is not installed ({PRISM_BIN} is missing): run .ci/run, or "
            "`npm ci --ignore-scripts --prefix tests/integration`"
        )
    if not SPEC_PATH.is_file():
        pytest.fail(f"spec snapshot not found at {SPEC_PATH} (expected ../shared beside the repo)")

    log_dir = tmp_path_factory.mktemp("prism")
    env = dict(os.environ, SCARF_ANALYTICS="false", DO_NOT_TRACK="1", NO_UPDATE_NOTIFIER="1")
    for attempt in range(_PORT_ATTEMPTS):
        port = _free_port()
        base_url = f"http://127.0.0.1:{port}"
        log_path = log_dir / f"prism-{attempt}.log"
        with log_path.open("wb") as log:
            proc = subprocess.Popen(
                [
                    str(PRISM_BIN),
                    "mock",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(port),
                    "--dynamic=false",
                    "--errors=false",
                    "--verboseLevel",
                    "warn",
                    str(SPEC_PATH),
                ],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=HERE,
                env=env,
                start_new_session=True,
            )
        try:
            ready = _wait_ready(proc, base_url, log_path)
        except BaseException:
            _stop(proc)
            raise
        if ready:
            break
        _stop(proc)
    else:
        pytest.fail(f"Prism exited before answering; last log:\n{_log_tail(log_path)}")

    try:
        yield base_url
    finally:
        _stop(proc)
