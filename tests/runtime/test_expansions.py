"""`expand()` joins includes to posts and users, on responses fetched from a loopback server."""

from __future__ import annotations

import copy
from typing import Any

import twitter_api
from twitter_api._expansions import ReferencedPost, expand
from twitter_api.auth import BearerToken
from twitter_api.models import StreamPostsResponse

from tests.loopback import Exchange, Loopback

# Shaped like a real GET /2/tweets?ids=...&expansions=... answer, trimmed.
POSTS_RESPONSE: dict[str, Any] = {
    "data": [
        {
            "id": "1880000000000000001",
            "text": "Launch day! @TwitterDev https://t.co/abc",
            "author_id": "2244994945",
            "attachments": {"media_keys": ["3_1880000000000000101", "7_1880000000000000102"]},
            "geo": {"place_id": "01a9a39529b27f36"},
            "entities": {"mentions": [{"start": 13, "end": 24, "username": "twitterdev"}]},
            "referenced_posts": [{"type": "quoted", "id": "1880000000000000009"}],
        },
        {
            "id": "1880000000000000002",
            "text": "@X which one?",
            "author_id": "6253282",
            "in_reply_to_user_id": "783214",
            "attachments": {"poll_ids": ["1880000000000000201"]},
            "referenced_posts": [{"type": "replied_to", "id": "1880000000000000001"}],
            "entities": {"mentions": [{"start": 0, "end": 2, "username": "X", "id": "783214"}]},
        },
        {
            "id": "1880000000000000003",
            "text": "author and media withheld from the includes",
            "author_id": "999",
            "attachments": {"media_keys": ["3_404"]},
        },
    ],
    "includes": {
        "users": [
            {"id": "2244994945", "name": "Developers", "username": "XDevelopers"},
            {"id": "783214", "name": "X", "username": "X"},
            {"id": "6253282", "name": "Twitter API", "username": "TwitterDev"},
        ],
        "media": [
            {
                "media_key": "3_1880000000000000101",
                "type": "photo",
                "url": "https://pbs.twimg.com/media/a.jpg",
            },
            {"media_key": "7_1880000000000000102", "type": "video", "duration_ms": 4000},
        ],
        "polls": [
            {
                "id": "1880000000000000201",
                "voting_status": "closed",
                "options": [{"position": 1, "label": "this", "votes": 3}],
            }
        ],
        "places": [{"id": "01a9a39529b27f36", "full_name": "Manhattan, NY", "country": "US"}],
        "posts": [{"id": "1880000000000000009", "text": "the quoted post", "author_id": "783214"}],
    },
}

USERS_RESPONSE: dict[str, Any] = {
    "data": [
        {
            "id": "2244994945",
            "name": "Developers",
            "username": "XDevelopers",
            "pinned_post_id": "1880000000000000001",
        },
        {"id": "783214", "name": "X", "username": "X", "pinned_post_id": "404"},
    ],
    "includes": {"posts": [{"id": "1880000000000000001", "text": "pinned", "author_id": "1"}]},
}


def _serve(body: dict[str, Any]) -> Loopback:
    def handler(ex: Exchange) -> None:
        ex.respond(200, body)

    return Loopback(handler)


def test_posts_joined_to_their_includes() -> None:
    with _serve(POSTS_RESPONSE) as server:
        client = twitter_api.Client(auth=BearerToken("t"), base_url=server.url)
        response = client.get_posts_by_ids(
            ids=["1880000000000000001", "1880000000000000002", "1880000000000000003"],
            expansions=["author_id", "attachments.media_keys", "referenced_posts"],
        )
    assert server.requests[0].query["expansions"] == [
        "author_id,attachments.media_keys,referenced_posts"
    ]
    expanded = expand(response)
    first, second, third = expanded.posts
    assert [item.post.id for item in expanded] == [p["id"] for p in POSTS_RESPONSE["data"]]
    assert type(first.post).__name__ == "Post"

    assert first.author is not None and type(first.author).__name__ == "User"
    assert first.author.username == "XDevelopers"
    assert [(type(m).__name__, m.media_key, m.type) for m in first.media] == [
        ("Media", "3_1880000000000000101", "photo"),
        ("Media", "7_1880000000000000102", "video"),
    ]
    assert first.place is not None and first.place.full_name == "Manhattan, NY"
    assert [u.username for u in first.mentions] == ["TwitterDev"]  # matched ignoring case
    assert first.quoted is not None and first.quoted.text == "the quoted post"
    assert first.referenced == [ReferencedPost("quoted", "1880000000000000009", first.quoted)]
    quoted_author = expanded.post(first.quoted).author
    assert quoted_author is not None and quoted_author.username == "X"
    assert first.poll is None and first.in_reply_to_user is None and first.replied_to is None

    assert second.author is not None and second.author.username == "TwitterDev"
    assert second.in_reply_to_user is not None and second.in_reply_to_user.username == "X"
    assert second.poll is not None and second.poll.voting_status == "closed"
    assert second.poll.options is not None and second.poll.options[0].label == "this"
    assert [u.id for u in second.mentions] == ["783214"]
    # Referenced, but not in includes: the reference is kept, the post is None.
    assert second.referenced == [ReferencedPost("replied_to", "1880000000000000001", None)]
    assert second.media == [] and second.place is None

    assert third.author is None and third.media == []
    assert expanded.users == []
    assert len(expanded.includes) == 3 + 2 + 1 + 1 + 1


def test_users_joined_to_their_pinned_posts() -> None:
    with _serve(USERS_RESPONSE) as server:
        client = twitter_api.Client(auth=BearerToken("t"), base_url=server.url)
        response = client.get_users_by_ids(
            ids=["2244994945", "783214"], expansions=["pinned_post_id"]
        )
    expanded = expand(response)
    assert expanded.posts == []
    developers, x = expanded.users
    assert type(developers.user).__name__ == "User" and developers.user.username == "XDevelopers"
    assert developers.pinned_post is not None and developers.pinned_post.text == "pinned"
    assert type(developers.pinned_post).__name__ == "Post"
    assert x.pinned_post is None and x.most_recent_post is None


def test_stream_line_and_single_object_data() -> None:
    line = StreamPostsResponse.from_dict(
        {
            "data": POSTS_RESPONSE["data"][1],
            "includes": {"users": POSTS_RESPONSE["includes"]["users"]},
            "matching_rules": [{"id": "1", "tag": "t"}],
        }
    )
    (item,) = expand(line)
    assert item.author is not None and item.author.username == "TwitterDev"
    assert item.in_reply_to_user is not None and item.in_reply_to_user.id == "783214"


def test_plain_json_and_the_older_tweets_vocabulary() -> None:
    legacy = copy.deepcopy(POSTS_RESPONSE)
    for post in legacy["data"]:
        if "referenced_posts" in post:
            post["referenced_tweets"] = post.pop("referenced_posts")
    legacy["includes"]["tweets"] = legacy["includes"].pop("posts")
    expanded = expand(legacy)  # a plain mapping, as from client.request(...).json()
    first = expanded.posts[0]
    assert type(first.post).__name__ == "Post"
    assert first.quoted is not None and type(first.quoted).__name__ == "Post"
    assert first.quoted.text == "the quoted post"
    assert first.author is not None and type(first.author).__name__ == "User"
    assert expanded.includes.user_by_username("xdevelopers") is first.author


def test_response_without_includes_expands_to_nothing() -> None:
    expanded = expand({"data": {"id": "1", "text": "alone", "author_id": "2"}})
    (item,) = expanded.posts
    assert item.author is None and item.media == [] and item.referenced == []
    assert len(expanded.includes) == 0
    assert expand({"errors": [{"title": "Not Found"}]}).posts == []
