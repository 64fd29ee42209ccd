"""A separate process sharing the token store: waits for "go" on stdin, makes N API calls.

argv: store (a path or a redis:// URL) fake_url client_id calls. Prints one JSON line: the
status codes it got (-1: the call raised; -400: it raised invalid_grant).
"""

from __future__ import annotations

import json
import sys
from concurrent.futures import ThreadPoolExecutor

import httpx
from twitter_api.auth import OAuth2PKCE


def main() -> None:
    store, url, client_id, calls = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    auth = OAuth2PKCE(
        client_id,
        "http://127.0.0.1:8976/callback",
        ["tweet.read", "users.read", "offline.access"],
        token_store=store,
        token_url=url + "/2/oauth2/token",
    )
    with httpx.Client(auth=auth, timeout=30) as client:
        assert auth.token is not None  # loaded, and expired, before the start signal
        print("ready", flush=True)
        sys.stdin.readline()

        def call(_: int) -> int:
            try:
                return client.get(url + "/2/users/me").status_code
            except Exception as exc:  # reported to the test, which fails on it
                return -1 if "invalid_grant" not in str(exc) else -400

        with ThreadPoolExecutor(calls) as pool:
            statuses = list(pool.map(call, range(calls)))
    print(json.dumps(statuses), flush=True)


if __name__ == "__main__":
    main()
