"""Fixed, realistic response bodies served by the loopback server.

The shapes follow the 2.167 spec (`Post`, `User`, `Media`, `Expansions`) so every typed client
really parses them. A seeded RNG keeps the bytes identical across runs.
"""

from __future__ import annotations

import json
import random
from typing import Any

SINGLE_ID = "1346889436626259968"
PAGE_IDS = [str(1346889436626259968 + 7919 * i) for i in range(100)]

# One string keeps the vocabulary readable; the order feeds the seeded RNG.
_VOCABULARY = (
    "the api release notes today shipping new endpoint for developers rate limits are "
    "changing next week please migrate your apps before the deadline we love feedback "
    "threads search stream spaces lists bookmarks community media upload v2 docs"
)
_WORDS = _VOCABULARY.split()


def _text(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(_WORDS) for _ in range(words)).capitalize() + "."


def _user(rng: random.Random, uid: str) -> dict[str, Any]:
    handle = f"dev_{uid[-6:]}"
    return {
        "id": uid,
        "name": f"Developer {uid[-4:]}",
        "username": handle,
        "created_at": f"20{rng.randint(10, 23)}-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}T"
        f"0{rng.randint(0, 9)}:1{rng.randint(0, 9)}:2{rng.randint(0, 9)}.000Z",
        "protected": False,
        "verified": rng.random() < 0.3,
        "verified_type": "blue",
        "profile_image_url": f"https://pbs.twimg.com/profile_images/{uid}/photo_normal.jpg",
        "location": "San Francisco, CA",
        "url": f"https://t.co/{handle[:6]}",
        "public_metrics": {
            "followers_count": rng.randint(10, 900000),
            "following_count": rng.randint(10, 5000),
            "post_count": rng.randint(100, 90000),
            "listed_count": rng.randint(0, 3000),
            "like_count": rng.randint(0, 40000),
        },
    }


def _post(rng: random.Random, pid: str, author: str, rich: bool) -> dict[str, Any]:
    text = _text(rng, rng.randint(8, 20))
    post: dict[str, Any] = {
        "id": pid,
        "text": text,
        "author_id": author,
        "created_at": f"2024-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}T1{rng.randint(0, 9)}:"
        f"{rng.randint(10, 59)}:{rng.randint(10, 59)}.000Z",
        "conversation_id": pid,
        "lang": "en",
        "possibly_sensitive": False,
        "reply_settings": "everyone",
        "edit_history_post_ids": [pid],
        "public_metrics": {
            "repost_count": rng.randint(0, 900),
            "reply_count": rng.randint(0, 300),
            "like_count": rng.randint(0, 9000),
            "quote_count": rng.randint(0, 100),
            "bookmark_count": rng.randint(0, 200),
            "impression_count": rng.randint(1000, 900000),
        },
        "entities": {"hashtags": [{"start": 0, "end": 4, "tag": "api"}]},
    }
    if rich:
        post["entities"]["mentions"] = [
            {"start": 5, "end": 12, "username": "XDevs", "id": "2244994945"}
        ]
        post["entities"]["urls"] = [
            {
                "start": len(text) - 23,
                "end": len(text),
                "url": "https://t.co/AbCdEfGh12",
                "expanded_url": "https://developer.x.com/en/docs/x-api",
                "display_url": "developer.x.com/en/docs/x-api",
                "unwound_url": "https://developer.x.com/en/docs/x-api",
                "status": 200,
                "title": "X API documentation",
            }
        ]
        post["attachments"] = {"media_keys": ["3_1346889436626259968"]}
        post["context_annotations"] = [
            {
                "domain": {"id": "46", "name": "Business Taxonomy"},
                "entity": {"id": "1557697333571112960", "name": "Technology Business"},
            },
            {
                "domain": {"id": "131", "name": "Unified Twitter Taxonomy"},
                "entity": {"id": "848920371311001600", "name": "Technology"},
            },
        ]
        post["referenced_posts"] = [{"type": "quoted", "id": "1346800000000000001"}]
        post["edit_controls"] = {
            "edits_remaining": 5,
            "is_edit_eligible": True,
            "editable_until": "2024-05-01T13:34:56.000Z",
        }
    return post


def single_post() -> dict[str, Any]:
    """GET /2/tweets/{id} with expansions: the post, its author and its media."""
    rng = random.Random(20)
    author = "2244994945"
    return {
        "data": _post(rng, SINGLE_ID, author, rich=True),
        "includes": {
            "users": [_user(rng, author)],
            "media": [
                {
                    "media_key": "3_1346889436626259968",
                    "type": "photo",
                    "url": "https://pbs.twimg.com/media/EqXyZ123.jpg",
                    "width": 1200,
                    "height": 675,
                    "alt_text": "Screenshot of the developer portal",
                }
            ],
        },
    }


def post_page() -> dict[str, Any]:
    """GET /2/tweets?ids=... for 100 ids, authors expanded."""
    rng = random.Random(100)
    authors = [str(100000 + 37 * i) for i in range(20)]
    posts = [
        _post(rng, pid, rng.choice(authors), rich=i % 10 == 0) for i, pid in enumerate(PAGE_IDS)
    ]
    return {
        "data": posts,
        "includes": {"users": [_user(rng, a) for a in authors]},
        "meta": {"result_count": len(posts)},
    }


def stream_lines() -> list[bytes]:
    """200 distinct sample-stream lines: a post with its author expanded, one per line."""
    rng = random.Random(1)
    authors = [str(200000 + 41 * i) for i in range(50)]
    lines = []
    for i in range(200):
        author = rng.choice(authors)
        post = _post(rng, str(1346889436626259968 + 104729 * i), author, rich=i % 10 == 0)
        lines.append(encode({"data": post, "includes": {"users": [_user(rng, author)]}}))
    return lines


def encode(body: dict[str, Any]) -> bytes:
    """Compact JSON, as the API sends it."""
    return json.dumps(body, separators=(",", ":")).encode()


if __name__ == "__main__":
    print("single", len(encode(single_post())), "page", len(encode(post_page())))
