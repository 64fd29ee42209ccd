"""User code of per-call options and typed pagination checked with mypy --strict and with
pyright in strict mode.

What users write is accepted; each deliberate mistake is reported on its own line.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

from tests.client.test_readme_types import mypy
from tests.pyright_support import strict_errors

ACCEPTED = textwrap.dedent(
    """\
    from typing import assert_type

    import httpx

    from twitter_api import AsyncClient, Client
    from twitter_api.models import (
        CreatePostsRequest,
        CreatePostsResponse,
        GetUsersPostsResponse,
        Post,
        StreamPostsSampleResponse,
    )

    client = Client(headers={"X-Trace": "1"}, timeout=httpx.Timeout(10.0, connect=2.0))
    slow = client.with_options(timeout=60.0, max_retries=0, wait_on_rate_limit=True)
    pages = client.paginate(client.get_users_posts, id="1", max_results=5, limit=2, max_items=7)
    for page in pages:
        assert_type(page, GetUsersPostsResponse)
    for post in pages.items():
        assert_type(post, Post)
        text: str | None = post.text
    created = slow.create_posts(
        body={"text": "hi"},
        timeout=None,
        extra_headers={"X-A": "b"},
        extra_query={"debug": 1},
        extra_body={"made_with": "x"},
    )
    assert_type(created, CreatePostsResponse)
    # Request enums are closed; a value read back stays open to values added later.
    request = CreatePostsRequest(text="hi", reply_settings="following")
    setting: str | None = request.reply_settings


    async def main() -> None:
        async with AsyncClient(headers={"X-Trace": "2"}) as ac:
            async for p in ac.paginate(ac.get_users_posts, id="1", max_items=3).items():
                assert_type(p, Post)
            await ac.with_options(timeout=httpx.Timeout(1.0)).get_posts_by_id("1", timeout=5)
            async with ac.stream_posts_sample().with_options(backfill_minutes=2) as stream:
                async for item in stream:
                    assert_type(item, StreamPostsSampleResponse)
        with client.stream_posts_sample().with_options(stall_timeout=5, max_reconnects=None):
            pass
    """
)

# Each line marked `# error` must be reported, and no other.
MISTAKES = textwrap.dedent(
    """\
    import twitter_api.auth
    from twitter_api import AsyncClient, Client
    from twitter_api.models import CreatePostsRequest

    # A misspelt name is an error, not an Any (the lazy module __getattr__ is not typed).
    typo: int = twitter_api.Clinet  # error
    typo_too: int = twitter_api.auth.BearerTokn  # error
    client = Client()
    client.paginate(client.get_users_posts, idd="1")  # error
    client.paginate(client.get_users_posts, id=1)  # error
    for post in client.paginate(client.get_users_posts, id="1").items():
        n: int = post.text  # error
    for page in client.paginate(client.get_users_posts, id="1", limit="2"):  # error
        page.no_such_field  # error
    client.paginate(client.get_users_posts, id="1", max_items=2.5)  # error
    client.get_users_posts("1", timeout="3")  # error
    client.get_users_posts("1", extra_headers={"a": 1})  # error
    client.get_users_posts("1", extra_query=["a"])  # error
    client.with_options(max_retries="2")  # error
    Client(headers=["a"])  # error
    CreatePostsRequest(reply_settings="anyone")  # error
    client.stream_posts_sample().with_options(backfil_minutes=2)  # error
    client.stream_posts_sample().with_options(stall_timeout="5")  # error


    async def main() -> None:
        ac = AsyncClient()
        async for p in ac.paginate(ac.get_users_posts, idd="1"):  # error
            pass
    """
)


MARKED = {i for i, line in enumerate(MISTAKES.splitlines(), 1) if line.endswith("# error")}


def _write(tmp_path: Path) -> list[Path]:
    files = []
    for name, code in (("accepted", ACCEPTED), ("mistakes", MISTAKES)):
        path = tmp_path / f"{name}.py"
        path.write_text(code, encoding="utf-8")
        files.append(path)
    return files


def test_typed_options_and_pagination_user_code(tmp_path: Path) -> None:
    errors = mypy(_write(tmp_path), tmp_path)
    assert errors["accepted.py"] == set()
    assert errors["mistakes.py"] == MARKED


def test_typed_options_and_pagination_user_code_under_pyright(
    tmp_path: Path, generated_site: Path
) -> None:
    errors = strict_errors(generated_site, _write(tmp_path), tmp_path)
    assert errors["accepted.py"] == {}
    assert set(errors["mistakes.py"]) == MARKED, errors["mistakes.py"]
