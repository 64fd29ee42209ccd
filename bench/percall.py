"""Per-call cost worker: runs inside the bench venv, prints one JSON document on stdout.

Every contender is built once and warmed up, and its digest is checked against the raw httpx
baseline (same values decoded from the same bytes). Then rounds are interleaved: in each round
every contender times one short batch of calls, in a rotating order, after a `gc.collect()`
outside the clock (import-time objects are frozen first, so that collection stays cheap).
Per-round ratios to the baseline pair up batches run milliseconds apart, which cancels most of
the drift of a shared machine.

Usage: python percall.py --base-url URL [--rounds N] [--single-batch N] [--page-batch N]
       [--skip NAME ...]
"""

from __future__ import annotations

import argparse
import gc
import json
import statistics
import sys
import time
import traceback
import warnings
from typing import Any

from contenders import BASELINE, CONTENDERS, Call

WARMUP = 30


def _time_batch(call: Call, n: int) -> float:
    gc.collect()
    start = time.perf_counter()
    for _ in range(n):
        call()
    return (time.perf_counter() - start) / n


def _measure(calls: dict[str, Call], rounds: int, batch: int) -> dict[str, dict[str, float]]:
    names = list(calls)
    per_call: dict[str, list[float]] = {n: [] for n in names}
    for r in range(rounds):
        order = names[r % len(names) :] + names[: r % len(names)]
        for name in order:
            per_call[name].append(_time_batch(calls[name], batch))
    base = per_call[BASELINE]
    out: dict[str, dict[str, float]] = {}
    for name in names:
        ratios = [t / b for t, b in zip(per_call[name], base, strict=True)]
        quartiles = statistics.quantiles(ratios, n=4) if len(ratios) > 1 else ratios * 3
        out[name] = {
            "median_us": statistics.median(per_call[name]) * 1e6,
            "ratio": statistics.median(ratios),
            "ratio_q1": quartiles[0],
            "ratio_q3": quartiles[2],
        }
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--base-url", required=True)
    ap.add_argument("--rounds", type=int, default=150)
    ap.add_argument("--single-batch", type=int, default=25)
    ap.add_argument("--page-batch", type=int, default=5)
    ap.add_argument("--skip", nargs="*", default=[])
    args = ap.parse_args()

    # tweepy warns once that the spec-shaped post lacks edit_history_tweet_ids.
    warnings.filterwarnings("ignore", message="Tweet data missing")
    singles: dict[str, Call] = {}
    pages: dict[str, Call] = {}
    unavailable: dict[str, str] = {}
    base_single, base_page = CONTENDERS[BASELINE](args.base_url)
    expected = (base_single(), base_page())
    for name, factory in CONTENDERS.items():
        if name in args.skip:
            unavailable[name] = "skipped"
            continue
        try:
            single, page = factory(args.base_url)
            got = (single(), page())
        except Exception as exc:  # a broken contender is reported, not fatal
            traceback.print_exc(file=sys.stderr)
            unavailable[name] = f"{type(exc).__name__}: {exc}"[:200]
            continue
        if got != expected:
            unavailable[name] = f"decoded different values: {got!r:.200} != {expected!r:.200}"
            continue
        singles[name], pages[name] = single, page
        for _ in range(WARMUP):
            single()
        for _ in range(WARMUP // 3):
            page()

    # Park the libraries' import-time objects outside the collector, so the per-batch
    # collection below only sweeps garbage made by the calls themselves.
    gc.collect()
    gc.freeze()
    result: dict[str, Any] = {
        "single": _measure(singles, args.rounds, args.single_batch),
        "page": _measure(pages, args.rounds, args.page_batch),
        "unavailable": unavailable,
        "rounds": args.rounds,
        "single_batch": args.single_batch,
        "page_batch": args.page_batch,
    }
    json.dump(result, sys.stdout)


if __name__ == "__main__":
    main()
