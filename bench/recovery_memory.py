"""Memory a stream's duplicate filter holds: RSS before and after remembering N post ids.

    .venv/bin/python bench/recovery_memory.py [N]

Ids look like X's (19 decimal digits) and all arrive within the 5 minute window, so none is
forgotten: the default `recent_ids_max` of 1,000,000 bounds what is kept.
"""

from __future__ import annotations

import gc
import sys

from twitter_api._streaming import _Recovery


def rss_mib() -> float:
    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[1])
    return pages * 4096 / 2**20


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    clock = [0.0]
    recovery = _Recovery(minutes=5, cap=1_000_000, now=lambda: clock[0])
    posts = ({"data": {"id": str(1_800_000_000_000_000_000 + n)}} for n in range(count))
    gc.collect()
    before = rss_mib()
    for raw in posts:
        clock[0] += 100.0 / count  # all within the window
        recovery.is_new(raw)
    gc.collect()
    after = rss_mib()
    print(f"{count:,} ids: RSS {before:.0f} -> {after:.0f} MiB (+{after - before:.0f} MiB)")


if __name__ == "__main__":
    main()
