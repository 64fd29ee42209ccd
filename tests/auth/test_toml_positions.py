"""Positions of TOML tables and keys, as Config.toml errors report them."""

from __future__ import annotations

import tomllib

from twitter_api._toml_positions import key_positions, split_error_position

TEXT = '''\
# comment with a "quote" and [brackets]
[twitter_api]
timeout = 30.0
note = """multi
line = not a key
"""

[twitter_api.profiles."my bot"]
flow = "pkce"   # trailing comment
scopes = [
  "tweet.read",  # inside an array
  "users.read",
]
client_secret = { env = "X" }
'''


def test_tables_and_keys_have_their_line_and_column() -> None:
    tomllib.loads(TEXT)  # the scanner only sees documents tomllib accepted
    positions = key_positions(TEXT)
    assert positions[("twitter_api",)] == (2, 1)  # a table is where its header starts
    assert positions[("twitter_api", "timeout")] == (3, 1)
    assert positions[("twitter_api", "note")] == (4, 1)
    assert ("twitter_api", "line") not in positions  # inside a multi-line string
    assert positions[("twitter_api", "profiles", "my bot")] == (8, 1)
    assert positions[("twitter_api", "profiles")] == (8, 1)  # a prefix takes the first place
    assert positions[("twitter_api", "profiles", "my bot", "flow")] == (9, 1)
    assert positions[("twitter_api", "profiles", "my bot", "scopes")] == (10, 1)
    assert positions[("twitter_api", "profiles", "my bot", "client_secret")] == (14, 1)


def test_error_position_is_split_from_the_message() -> None:
    try:
        tomllib.loads('[a]\nkey = "open\n')
    except tomllib.TOMLDecodeError as exc:
        message, position = split_error_position(str(exc))
    assert position == (2, 12)
    assert "(at line" not in message and message
    assert split_error_position("no position here") == ("no position here", None)
