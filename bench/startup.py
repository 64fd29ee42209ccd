"""Cold start: import + construct + first single-post lookup, each in a fresh interpreter.

Every probe is a tiny script given to `python -c`. Only `time` is imported before the clock
starts; constants are literals. The three phases are timed inside the child, and the wall time
of the whole child (interpreter start and exit included) is recorded too. Probes are run in a
rotating order, round after round, and each probe's first run (which writes .pyc files) is
discarded.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from contenders import EXPANSIONS, POST_FIELDS, STOCK_PACKAGE, USER_FIELDS
from fixtures import SINGLE_ID


@dataclass(frozen=True)
class Probe:
    name: str
    imports: str
    construct: str = ""
    # Binds `text` to the post text read from the parsed response (endpoint-only probes don't).
    call: str = ""
    needs_stock_path: bool = False


_KW = f"post_fields={POST_FIELDS!r}, expansions={EXPANSIONS!r}, user_fields={USER_FIELDS!r}"

PROBES = [
    Probe("import httpx", "import httpx"),
    Probe(
        "raw httpx + json.loads",
        "import json\nimport httpx",
        'c = httpx.Client(base_url=BASE, headers={"Authorization": "Bearer t"})',
        "p = {"
        f'"post.fields": {",".join(POST_FIELDS)!r}, "expansions": {",".join(EXPANSIONS)!r}, '
        f'"user.fields": {",".join(USER_FIELDS)!r}}}\n'
        f'text = json.loads(c.get("/2/tweets/{SINGLE_ID}", params=p).content)["data"]["text"]',
    ),
    Probe(
        "ours (twitter_api)",
        "from twitter_api import Client\nfrom twitter_api.auth import BearerToken",
        'c = Client(auth=BearerToken("t"), base_url=BASE)',
        f"text = c.get_posts_by_id({SINGLE_ID!r}, {_KW}).data.text",
    ),
    # The cold-start figures are imports of one endpoint: the method, bound and ready,
    # with its response model loaded, before any request is made.
    Probe(
        "ours, to first endpoint (no request)",
        "from twitter_api import Client\nfrom twitter_api.auth import BearerToken",
        'c = Client(auth=BearerToken("t"), base_url=BASE)',
        "endpoint = c.get_posts_by_id\nfrom twitter_api.models import GetPostsByIdResponse",
    ),
    Probe(
        "stock, to first endpoint (no request)",
        f"from {STOCK_PACKAGE} import AuthenticatedClient\n"
        f"from {STOCK_PACKAGE}.api.posts import get_posts_by_id",
        'c = AuthenticatedClient(base_url=BASE, token="t")',
        "endpoint = get_posts_by_id.sync",
        needs_stock_path=True,
    ),
    Probe(
        "stock openapi-python-client",
        f"from {STOCK_PACKAGE} import AuthenticatedClient\n"
        f"from {STOCK_PACKAGE}.api.posts import get_posts_by_id",
        'c = AuthenticatedClient(base_url=BASE, token="t")',
        f"text = get_posts_by_id.sync({SINGLE_ID!r}, client=c, {_KW}).data.text",
        needs_stock_path=True,
    ),
    Probe(
        "tweepy",
        "import tweepy",
        'c = tweepy.Client(bearer_token="t")\n'
        "import requests\n"
        "class Loopback(requests.adapters.HTTPAdapter):\n"
        "    def send(self, request, **kw):\n"
        '        request.url = BASE + request.url[len("https://api.twitter.com"):]\n'
        "        return super().send(request, **kw)\n"
        'c.session.mount("https://api.twitter.com", Loopback())',
        f"text = c.get_tweet({SINGLE_ID!r}, tweet_fields={POST_FIELDS!r}, "
        f"expansions={EXPANSIONS!r}, user_fields={USER_FIELDS!r}).data.text",
    ),
    Probe(
        "xdk",
        "import xdk",
        'c = xdk.Client(base_url=BASE, bearer_token="t")',
        f"text = c.posts.get_by_id({SINGLE_ID!r}, {_KW}).data.text",
    ),
]
BASELINE = "import httpx"
# What any httpx-based client needs at least: httpx.Client() also imports httpcore and builds
# a TLS context, so this row shows how far below it a client cannot go.
FLOOR = "raw httpx + json.loads"


def script(probe: Probe, base_url: str) -> str:
    return "\n".join(
        [
            "import time",
            # tweepy warns once that the spec-shaped post lacks edit_history_tweet_ids.
            "import warnings",
            'warnings.filterwarnings("ignore", message="Tweet data missing")',
            f"BASE = {base_url!r}",
            "text = None",
            "_t0 = time.perf_counter()",
            probe.imports,
            "_t1 = time.perf_counter()",
            probe.construct or "pass",
            "_t2 = time.perf_counter()",
            probe.call or "pass",
            "_t3 = time.perf_counter()",
            "import json, sys",
            "sys.stdout.write(json.dumps([_t1 - _t0, _t2 - _t1, _t3 - _t2, text]))",
        ]
    )


@dataclass
class _Samples:
    phases: list[list[float]] = field(default_factory=list)
    wall: list[float] = field(default_factory=list)


def _run_once(
    python: Path, probe: Probe, base_url: str, stock_dir: Path
) -> tuple[list[float], float, object]:
    env = dict(os.environ)
    env.pop("PYTHONPATH", None)
    # Users' interpreters keep .pyc files; a shell that disables them would time compilation.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    if probe.needs_stock_path:
        env["PYTHONPATH"] = str(stock_dir)
    start = time.perf_counter()
    done = subprocess.run(
        [str(python), "-c", script(probe, base_url)], env=env, capture_output=True, text=True
    )
    wall = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(done.stderr.strip().splitlines()[-1] if done.stderr else "failed")
    imp, con, call, text = json.loads(done.stdout)
    return [imp, con, call], wall, text


def measure(
    python: Path, base_url: str, stock_dir: Path, rounds: int, skip: set[str], expected_text: str
) -> dict[str, object]:
    """Median milliseconds per phase for each probe; failures are reported, not fatal."""
    samples: dict[str, _Samples] = {}
    unavailable: dict[str, str] = {}
    for probe in PROBES:
        if probe.name in skip:
            unavailable[probe.name] = "skipped"
            continue
        try:
            _, _, text = _run_once(python, probe, base_url, stock_dir)  # writes .pyc files
        except RuntimeError as exc:
            unavailable[probe.name] = str(exc)[:200]
            continue
        if probe.call and text is not None and text != expected_text:
            unavailable[probe.name] = f"read {text!r:.60} instead of the fixture's post text"
            continue
        samples[probe.name] = _Samples()
    active = [p for p in PROBES if p.name in samples]
    for r in range(rounds):
        for probe in active[r % len(active) :] + active[: r % len(active)]:
            if probe.name in unavailable:
                continue
            try:
                phases, wall, _ = _run_once(python, probe, base_url, stock_dir)
            except RuntimeError as exc:  # flaky contender: report it, keep the others
                unavailable[probe.name] = str(exc)[:200]
                del samples[probe.name]
                continue
            samples[probe.name].phases.append(phases)
            samples[probe.name].wall.append(wall)
    rows: dict[str, dict[str, float]] = {}
    for name, s in samples.items():
        totals = [sum(p) for p in s.phases]
        rows[name] = {
            "import_ms": statistics.median(p[0] for p in s.phases) * 1e3,
            "construct_ms": statistics.median(p[1] for p in s.phases) * 1e3,
            "call_ms": statistics.median(p[2] for p in s.phases) * 1e3,
            "total_ms": statistics.median(totals) * 1e3,
            "wall_ms": statistics.median(s.wall) * 1e3,
        }
    for key, ref in (("ratio", BASELINE), ("ratio_floor", FLOOR)):
        if ref in rows:
            base = rows[ref]["total_ms"]
            for row in rows.values():
                row[key] = row["total_ms"] / base
    return {"rows": rows, "unavailable": unavailable, "rounds": rounds}
