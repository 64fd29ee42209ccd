"""Streaming throughput: sample-stream lines over loopback, typed clients against raw httpx.

The loopback server (`server.py --stream-lines N`, its own process) sends N lines, each a post
with its author expanded (`includes.users`), chunked in 16 KiB pieces with a blank keep-alive
line after every tenth. Each client runs in a fresh process and, for every post, reads the
post id, its text and the expanded author's username. Rounds alternate the clients' order;
reported are the medians of posts per second and CPU microseconds per post, and the median of
per-round ratios to raw httpx: `iter_lines` + `json.loads` for the sync clients, and
`httpx.AsyncClient` `aiter_lines` + `json.loads` (on asyncio) for the async one. The clock
starts at the first post, so imports and connecting are not counted.

`python bench/streaming.py` runs this step alone (bench venv created if needed).
Worker mode (inside the bench venv): `streaming.py --worker NAME --base-url URL --lines N`.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
PATH = "/2/tweets/sample/stream"
PARAMS = {"expansions": "author_id", "tweet.fields": "author_id,created_at,public_metrics"}
RAW = "raw httpx iter_lines + json.loads"
OURS = "ours (twitter_api)"
XDK = "xdk"
RAW_ASYNC = "raw httpx.AsyncClient aiter_lines + json.loads"
OURS_ASYNC = "ours (twitter_api AsyncClient)"

Item = tuple[str, str, str]


def _raw(base_url: str) -> Iterator[Item]:
    import httpx

    with httpx.Client(base_url=base_url, headers={"Authorization": "Bearer t"}) as http:
        with http.stream("GET", PATH, params=PARAMS) as response:
            for line in response.iter_lines():
                if line:
                    doc = json.loads(line)
                    post = doc["data"]
                    yield post["id"], post["text"], doc["includes"]["users"][0]["username"]


def _ours(base_url: str) -> Iterator[Item]:
    from twitter_api import Client  # type: ignore[import-not-found, unused-ignore]
    from twitter_api.auth import BearerToken  # type: ignore[import-not-found, unused-ignore]

    client = Client(auth=BearerToken("t"), base_url=base_url)
    with client.stream_posts_sample(
        expansions=["author_id"], tweet_fields=["author_id", "created_at", "public_metrics"]
    ) as stream:
        for item in stream:
            post = item.data
            yield post.id, post.text, item.includes.users[0].username


def _xdk(base_url: str) -> Iterator[Item]:
    from xdk import Client  # type: ignore[import-not-found, unused-ignore]

    client = Client(bearer_token="t", base_url=base_url)
    for item in client.stream.posts_sample(
        expansions=["author_id"], tweet_fields=["author_id", "created_at", "public_metrics"]
    ):
        post = item.data
        yield post.id, post.text, item.includes.users[0].username


async def _raw_async(base_url: str) -> AsyncIterator[Item]:
    import httpx

    async with httpx.AsyncClient(base_url=base_url, headers={"Authorization": "Bearer t"}) as http:
        async with http.stream("GET", PATH, params=PARAMS) as response:
            async for line in response.aiter_lines():
                if line:
                    doc = json.loads(line)
                    post = doc["data"]
                    yield post["id"], post["text"], doc["includes"]["users"][0]["username"]


async def _ours_async(base_url: str) -> AsyncIterator[Item]:
    from twitter_api import AsyncClient  # type: ignore[import-not-found, unused-ignore]
    from twitter_api.auth import BearerToken  # type: ignore[import-not-found, unused-ignore]

    client = AsyncClient(auth=BearerToken("t"), base_url=base_url)
    async with client.stream_posts_sample(
        expansions=["author_id"], tweet_fields=["author_id", "created_at", "public_metrics"]
    ) as stream:
        async for item in stream:
            post = item.data
            yield post.id, post.text, item.includes.users[0].username


CLIENTS: dict[str, Callable[[str], Iterator[Item]]] = {RAW: _raw, OURS: _ours, XDK: _xdk}
ASYNC_CLIENTS: dict[str, Callable[[str], AsyncIterator[Item]]] = {
    RAW_ASYNC: _raw_async,
    OURS_ASYNC: _ours_async,
}
NAMES = [*CLIENTS, *ASYNC_CLIENTS]
# The baseline of each client's throughput ratio: raw httpx of the same kind, sync or async.
BASELINE = {**dict.fromkeys(CLIENTS, RAW), **dict.fromkeys(ASYNC_CLIENTS, RAW_ASYNC)}


class _Tally:
    """Counts the posts read and sums their lengths, so every client reads the same values."""

    def __init__(self, first: Item) -> None:
        self.count, self.chars, self.last = 1, len(first[1]) + len(first[2]), first

    def add(self, item: Item) -> None:
        self.count += 1
        self.chars += len(item[1]) + len(item[2])
        self.last = item

    def result(self, wall: float, cpu: float, lines: int) -> dict[str, Any]:
        digest = [self.count, self.chars, *self.last]
        return {"wall": wall, "cpu": cpu, "timed": lines - 1, "digest": digest}


def worker(name: str, base_url: str, lines: int) -> dict[str, Any]:
    """Read `lines` posts with one client; the clock runs from the first post to the last,
    so imports and connecting are not counted."""
    if name in ASYNC_CLIENTS:
        import asyncio

        return asyncio.run(_async_worker(name, base_url, lines))
    items = CLIENTS[name](base_url)
    tally = _Tally(next(items))
    wall, cpu = time.perf_counter(), time.process_time()
    for item in items:
        tally.add(item)
        if tally.count == lines:
            break
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    items.close()  # type: ignore[attr-defined]
    return tally.result(wall, cpu, lines)


async def _async_worker(name: str, base_url: str, lines: int) -> dict[str, Any]:
    items = ASYNC_CLIENTS[name](base_url)
    tally = _Tally(await anext(items))
    wall, cpu = time.perf_counter(), time.process_time()
    async for item in items:
        tally.add(item)
        if tally.count == lines:
            break
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    await items.aclose()  # type: ignore[attr-defined]
    return tally.result(wall, cpu, lines)


def _run_worker(python: Path, name: str, base_url: str, lines: int) -> dict[str, Any]:
    cmd = [str(python), str(HERE / "streaming.py"), "--worker", name, "--base-url", base_url]
    done = subprocess.run(
        [*cmd, "--lines", str(lines)], cwd=HERE, capture_output=True, text=True, timeout=600
    )
    if done.returncode != 0:
        tail = done.stderr.strip().splitlines()[-1:] or ["no output"]
        return {"error": tail[0]}
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def measure(
    python: Path, lines: int, rounds: int, log: Callable[[str], None] = print
) -> dict[str, Any]:
    from loopback import running_server

    names = NAMES
    samples: dict[str, list[dict[str, Any]]] = {n: [] for n in names}
    errors: dict[str, str] = {}
    with running_server("--stream-lines", str(lines)) as base_url:
        expected = _run_worker(python, RAW, base_url, lines)  # also warms the .pyc files
        for name in names[1:]:
            got = _run_worker(python, name, base_url, lines)
            if "error" in got:
                errors[name] = got["error"]
            elif got["digest"] != expected["digest"]:
                errors[name] = f"read other values than raw httpx: {got['digest'][:3]}"
        live = [n for n in names if n not in errors]
        for r in range(rounds):
            order = live[r % len(live) :] + live[: r % len(live)]
            for name in order:
                got = _run_worker(python, name, base_url, lines)
                if "error" in got:
                    raise RuntimeError(f"{name}: {got['error']}")
                samples[name].append(got)
            log(f"streaming round {r + 1}/{rounds}")
    rows: dict[str, Any] = {}
    for name in names:
        if name in errors:
            rows[name] = {"error": errors[name]}
            continue
        mine, base = samples[name], samples[BASELINE[name]]
        rows[name] = {
            "posts_per_s": statistics.median(s["timed"] / s["wall"] for s in mine),
            "cpu_us_per_post": statistics.median(s["cpu"] / s["timed"] * 1e6 for s in mine),
            "ratio": statistics.median(
                b["wall"] / s["wall"] for s, b in zip(mine, base, strict=True)
            ),
        }
    return {"lines": lines, "rounds": rounds, "rows": rows}


def table(result: dict[str, Any]) -> list[str]:
    out = [
        f"### Streaming ({result['lines']:,} sample-stream lines per run, "
        f"{result['rounds']} alternated rounds)",
        "",
        "| client | posts/s | CPU per post | throughput vs raw httpx (sync or async) |",
        "|---|---:|---:|---:|",
    ]
    for name, row in result["rows"].items():
        if "error" in row:
            out.append(f"| {name} | unavailable: {row['error']} | | |")
        else:
            out.append(
                f"| {name} | {row['posts_per_s']:,.0f} | {row['cpu_us_per_post']:.1f} us "
                f"| {row['ratio']:.2f}x |"
            )
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--worker", choices=NAMES)
    ap.add_argument("--base-url")
    ap.add_argument("--lines", type=int, default=100_000, help="posts per run")
    ap.add_argument("--rounds", type=int, default=5, help="alternated rounds")
    args = ap.parse_args()
    if args.worker:
        print(json.dumps(worker(args.worker, args.base_url, args.lines)))
        return
    sys.path.insert(0, str(HERE))
    import benchenv

    repo = HERE.parent
    python = benchenv.ensure(repo, HERE / ".work" / "venv")
    benchenv.install_generated(repo, python)
    print("\n".join(table(measure(python, args.lines, args.rounds))))


if __name__ == "__main__":
    main()
