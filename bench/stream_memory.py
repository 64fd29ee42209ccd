"""Memory of a long stream: RSS while `Client` and `AsyncClient` read N sample-stream posts.

    .venv/bin/python bench/stream_memory.py [N]

The loopback server (`server.py --stream-lines N`, its own process) sends the posts the
throughput benchmark uses; each client reads every post's id, text and expanded author, with
reconnect recovery off (the default). RSS is read after the first tenth of the posts, when
buffers and caches have settled, and at the end: a stream that kept anything per post would
grow with N.
"""

from __future__ import annotations

import asyncio
import gc
import sys
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from loopback import running_server
from twitter_api import AsyncClient, Client
from twitter_api.auth import BearerToken

FIELDS = {"expansions": ["author_id"], "tweet_fields": ["author_id", "created_at"]}


def rss_mib() -> float:
    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[1])
    return pages * 4096 / 2**20


class _Checkpoints:
    """RSS after the first tenth of the posts and after the last one."""

    def __init__(self, total: int) -> None:
        self.total, self.settled_at, self.count = total, max(total // 10, 1), 0
        self.settled = self.end = 0.0
        self.chars = 0

    def read(self, post_id: str, text: str, username: str) -> bool:
        """Count one post; whether the last one is in."""
        self.count += 1
        self.chars += len(post_id) + len(text) + len(username)
        if self.count == self.settled_at:
            gc.collect()
            self.settled = rss_mib()
        if self.count == self.total:
            gc.collect()
            self.end = rss_mib()
            return True
        return False

    def line(self, name: str) -> str:
        growth = self.end - self.settled
        return (
            f"{name}: {self.count:,} posts; RSS {self.settled:.1f} MiB after "
            f"{self.settled_at:,}, {self.end:.1f} MiB after {self.count:,} ({growth:+.1f} MiB)"
        )


def sync_client(base_url: str, total: int) -> _Checkpoints:
    seen = _Checkpoints(total)
    client = Client(auth=BearerToken("t"), base_url=base_url)
    with client.stream_posts_sample(**FIELDS) as stream:
        for item in stream:
            post, users = item.data, item.includes.users
            if seen.read(post.id, post.text, users[0].username):
                break
    return seen


def async_client(base_url: str, total: int) -> _Checkpoints:
    async def read() -> _Checkpoints:
        seen = _Checkpoints(total)
        client = AsyncClient(auth=BearerToken("t"), base_url=base_url)
        async with client.stream_posts_sample(**FIELDS) as stream:
            async for item in stream:
                post, users = item.data, item.includes.users
                if seen.read(post.id, post.text, users[0].username):
                    break
        return seen

    return asyncio.run(read())


def main() -> None:
    total = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    runs: dict[str, Callable[[str, int], _Checkpoints]] = {
        "Client": sync_client,
        "AsyncClient": async_client,
    }
    for name, run in runs.items():
        with running_server("--stream-lines", str(total)) as base_url:
            seen = run(base_url, total)
        if seen.count != total:
            raise SystemExit(f"{name}: read {seen.count:,} posts of {total:,}")
        print(seen.line(name))


if __name__ == "__main__":
    main()
