"""The sync runtime is derived from the async one: the token rewrite, and its place in output."""

from __future__ import annotations

import ast
import contextlib
import io
import shutil
import textwrap
from pathlib import Path

import pytest

from generator.cli import main as sdkgen_main
from generator.errors import GeneratorError
from generator.render import package as render
from generator.unasync import RENAMES, rename, sync_name, unasync
from tests.conftest import FEATURES_SPEC, ROOT, run_sdkgen

TWINS = sorted(render.RUNTIME.rglob("_async_*.py"))


def _sync(source: str) -> str:
    return unasync(textwrap.dedent(source), "_async_x.py")


@pytest.mark.parametrize(("async_name", "sync"), sorted(RENAMES.items()))
def test_every_name_of_the_table_is_rewritten_as_code(async_name: str, sync: str) -> None:
    assert _sync(f"x = a.{async_name}\ny = {async_name}\n") == f"x = a.{sync}\ny = {sync}\n"


def test_keywords_are_dropped_with_their_space() -> None:
    source = """
        async def f(client):
            async with client.stream() as s:
                async for line in s.aiter_lines():
                    async with lock:
                        await s.aclose()
            return await g(await h(x), [await k() for k in ks])
    """
    assert _sync(source) == textwrap.dedent("""
        def f(client):
            with client.stream() as s:
                for line in s.iter_lines():
                    with lock:
                        s.close()
            return g(h(x), [k() for k in ks])
    """)


def test_strings_comments_and_fstrings_are_left_as_written() -> None:
    source = '''
        async def f():
            """Call `aclose()` with `async with`; await it."""
            note = "async for x in y: await z.aread()"  # async with: aclose, AsyncStream
            return f"{note} async {note!r:>8} await", b"aread", r"\\aclose"
    '''
    expected = '''
        def f():
            """Call `aclose()` with `async with`; await it."""
            note = "async for x in y: await z.aread()"  # async with: aclose, AsyncStream
            return f"{note} async {note!r:>8} await", b"aread", r"\\aclose"
    '''
    assert _sync(source) == textwrap.dedent(expected)


def test_an_await_inside_an_fstring_is_refused_not_left_to_fail_later() -> None:
    with pytest.raises(GeneratorError, match=r"_async_x.py:line 2: async code left"):
        _sync('async def f():\n    return f"{await g()}"\n')


def test_type_wrappers_are_rewritten_with_their_brackets() -> None:
    source = """
        from collections.abc import AsyncGenerator, Awaitable, Callable
        from typing import (
            Awaitable,
            Any,
        )
        from typing import (
            Any,
            Awaitable,  # of a coroutine
        )
        from typing import Any, Awaitable
        f: Callable[[int], Awaitable[dict[str, Awaitable[int]]]]
        g: AsyncGenerator[tuple[int, str], bytes]
    """
    assert _sync(source) == textwrap.dedent("""
        from collections.abc import Generator, Callable
        from typing import (
            Any,
        )
        from typing import (
            Any,  # of a coroutine
        )
        from typing import Any
        f: Callable[[int], dict[str, int]]
        g: Generator[tuple[int, str], bytes, None]
    """)


def test_async_modules_and_their_imports_become_sync_ones() -> None:
    source = "from ._async_streaming import AsyncStream\nimport asyncio\nasyncio.sleep(1)\n"
    assert _sync(source) == "from ._sync_streaming import Stream\nimport time\ntime.sleep(1)\n"
    assert sync_name("_async_flow.py") == "_sync_flow.py"
    assert rename("_async_media") == "_sync_media"
    assert rename("request") == "request"
    with pytest.raises(ValueError, match="_async_"):
        sync_name("_flow.py")


def test_an_async_name_missing_from_the_table_is_refused() -> None:
    with pytest.raises(GeneratorError) as caught:
        _sync("import x\n\n\nasync def f():\n    return await x.AsyncThing()\n")
    assert str(caught.value) == (
        "_async_x.py:line 5: no sync spelling for 'AsyncThing': "
        "add it to generator/unasync.py RENAMES"
    )


def test_source_that_does_not_tokenize_is_refused() -> None:
    with pytest.raises(GeneratorError, match=r"_async_x\.py: cannot tokenize"):
        _sync("def f(:\n    x = (\n")


@pytest.mark.parametrize("path", TWINS, ids=lambda p: p.name)
def test_runtime_twins_in_the_generated_package_hold_no_async_code(path: Path) -> None:
    rel = path.relative_to(render.RUNTIME)
    twin = ROOT / "generated" / "twitter_api" / rel.with_name(sync_name(rel.name))
    text = twin.read_text(encoding="utf-8")
    assert f"# The sync twin of {rel.as_posix()}, derived by generator/unasync.py.\n" in text
    async_nodes = (ast.AsyncFunctionDef, ast.AsyncFor, ast.AsyncWith, ast.Await)
    assert not [n for n in ast.walk(ast.parse(text)) if isinstance(n, async_nodes)]
    names = {n.id for n in ast.walk(ast.parse(text)) if isinstance(n, ast.Name)}
    assert not [n for n in names if "async" in n.lower()]


def test_no_sync_twin_is_kept_among_the_hand_written_runtime() -> None:
    kept = [p.name for p in render.RUNTIME.rglob("_sync_*.py")]
    assert kept == []
    assert len(TWINS) == 5


def test_a_hand_written_sync_twin_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    runtime = tmp_path / "runtime"
    shutil.copytree(render.RUNTIME, runtime)
    (runtime / "_sync_streaming.py").write_text("x = 1\n", encoding="utf-8")
    monkeypatch.setattr(render, "RUNTIME", runtime)
    monkeypatch.chdir(tmp_path)  # no project settings: the flags alone
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        code = sdkgen_main(
            ["generate", "--spec", str(FEATURES_SPEC), "--output", str(tmp_path / "o")]
        )
    assert code == 2
    assert "_sync_streaming.py: a sync twin is derived from its _async_ module" in err.getvalue()
    assert not (tmp_path / "o").exists()


def test_check_names_a_sync_twin_edited_by_hand(tmp_path: Path) -> None:
    out = tmp_path / "out"
    args = ["--spec", str(FEATURES_SPEC), "--output", str(out)]
    assert run_sdkgen("generate", *args).returncode == 0
    assert run_sdkgen("check", *args).returncode == 0
    twin = out / "twitter_api" / "_sync_streaming.py"
    twin.write_text(twin.read_text() + "# edited by hand\n")
    stale = run_sdkgen("check", *args)
    assert stale.returncode == 1
    assert "twitter_api/_sync_streaming.py" in stale.stderr
