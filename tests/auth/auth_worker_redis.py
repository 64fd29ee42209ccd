"""A machine sharing the account through Redis: waits for "go" on stdin, makes N calls at once.

argv: redis_url fake_url client_id threads. Prints "ready" once its token is loaded, then one
JSON line: the status of each call (-1: it raised; -400: it raised invalid_grant).
"""

from __future__ import annotations

import json
import sys
from concurrent.futures import ThreadPoolExecutor

import httpx
from twitter_api.auth import OAuth2PKCE


def main() -> None:
    store, url, client_id, threads = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    auth = OAuth2PKCE(
        client_id,
        "http://127.0.0.1:8976/callback",
        ["tweet.read", "users.read", "offline.access"],
        token_store=store,
        token_url=url + "/2/oauth2/token",
    )
    with httpx.Client(auth=auth, timeout=30) as client:
        assert auth.token is not None
        print("ready", flush=True)
        sys.stdin.readline()

        def call(_: int) -> int:
            try:
                return client.get(url + "/2/users/me").status_code
            except Exception as exc:  # reported to the test, which fails on it
                print(f"{type(exc).__name__}: {exc}", file=sys.stderr, flush=True)
                return -400 if "invalid_grant" in str(exc) else -1

        with ThreadPoolExecutor(threads) as pool:
            statuses = list(pool.map(call, range(threads)))
    print(json.dumps(statuses), flush=True)


if __name__ == "__main__":
    main()
