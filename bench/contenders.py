"""The clients compared per call, each doing the same single-post lookup and 100-post page.

Every contender returns a digest of the fields a caller typically reads (text, a metric, the
expanded author) so lazy and eager parsers do comparable work, and so the bench can check that
all of them decoded the same bytes into the same values before timing anything.

Imports happen inside the factories: the worker only loads what it measures.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from fixtures import PAGE_IDS, SINGLE_ID

POST_FIELDS = [
    "author_id",
    "conversation_id",
    "created_at",
    "entities",
    "lang",
    "public_metrics",
    "text",
]
EXPANSIONS = ["author_id"]
USER_FIELDS = ["name", "public_metrics", "username", "verified"]
STOCK_PACKAGE = "stock_x_api"

Call = Callable[[], tuple[Any, ...]]
Factory = Callable[[str], tuple[Call, Call]]


def _digest_single(text: str, likes: int, username: str) -> tuple[Any, ...]:
    return (text, likes, username)


def raw_httpx(base_url: str) -> tuple[Call, Call]:
    import httpx

    http = httpx.Client(base_url=base_url, headers={"Authorization": "Bearer t"})
    single_params = {
        "post.fields": ",".join(POST_FIELDS),
        "expansions": ",".join(EXPANSIONS),
        "user.fields": ",".join(USER_FIELDS),
    }
    page_params = {"ids": ",".join(PAGE_IDS), **single_params}

    def single() -> tuple[Any, ...]:
        doc = json.loads(http.get(f"/2/tweets/{SINGLE_ID}", params=single_params).content)
        post = doc["data"]
        author = doc["includes"]["users"][0]["username"]
        return _digest_single(post["text"], post["public_metrics"]["like_count"], author)

    def page() -> tuple[Any, ...]:
        doc = json.loads(http.get("/2/tweets", params=page_params).content)
        posts = doc["data"]
        likes = sum(p["public_metrics"]["like_count"] for p in posts)
        return (len(posts), likes, posts[-1]["text"], doc["includes"]["users"][0]["username"])

    return single, page


def raw_httpx_url(base_url: str) -> tuple[Call, Call]:
    """Floor for httpx-based clients: the query string is encoded once, outside the clock."""
    from urllib.parse import urlencode

    import httpx

    http = httpx.Client(headers={"Authorization": "Bearer t"})
    fields = {
        "post.fields": ",".join(POST_FIELDS),
        "expansions": ",".join(EXPANSIONS),
        "user.fields": ",".join(USER_FIELDS),
    }
    single_url = f"{base_url}/2/tweets/{SINGLE_ID}?{urlencode(fields)}"
    page_url = f"{base_url}/2/tweets?{urlencode({'ids': ','.join(PAGE_IDS), **fields})}"

    def single() -> tuple[Any, ...]:
        doc = json.loads(http.get(single_url).content)
        post = doc["data"]
        author = doc["includes"]["users"][0]["username"]
        return _digest_single(post["text"], post["public_metrics"]["like_count"], author)

    def page() -> tuple[Any, ...]:
        doc = json.loads(http.get(page_url).content)
        posts = doc["data"]
        likes = sum(p["public_metrics"]["like_count"] for p in posts)
        return (len(posts), likes, posts[-1]["text"], doc["includes"]["users"][0]["username"])

    return single, page


def raw_requests(base_url: str) -> tuple[Call, Call]:
    """Reference point for tweepy and xdk, which are built on requests."""
    import requests  # type: ignore[import-untyped, unused-ignore]

    session = requests.Session()
    session.headers["Authorization"] = "Bearer t"
    single_params = {
        "post.fields": ",".join(POST_FIELDS),
        "expansions": ",".join(EXPANSIONS),
        "user.fields": ",".join(USER_FIELDS),
    }
    page_params = {"ids": ",".join(PAGE_IDS), **single_params}

    def single() -> tuple[Any, ...]:
        resp = session.get(f"{base_url}/2/tweets/{SINGLE_ID}", params=single_params)
        doc = json.loads(resp.content)
        post = doc["data"]
        author = doc["includes"]["users"][0]["username"]
        return _digest_single(post["text"], post["public_metrics"]["like_count"], author)

    def page() -> tuple[Any, ...]:
        doc = json.loads(session.get(f"{base_url}/2/tweets", params=page_params).content)
        posts = doc["data"]
        likes = sum(p["public_metrics"]["like_count"] for p in posts)
        return (len(posts), likes, posts[-1]["text"], doc["includes"]["users"][0]["username"])

    return single, page


def ours(base_url: str) -> tuple[Call, Call]:
    from twitter_api import Client  # type: ignore[import-not-found, unused-ignore]
    from twitter_api.auth import BearerToken  # type: ignore[import-not-found, unused-ignore]

    client = Client(auth=BearerToken("t"), base_url=base_url)

    def single() -> tuple[Any, ...]:
        r = client.get_posts_by_id(
            SINGLE_ID, post_fields=POST_FIELDS, expansions=EXPANSIONS, user_fields=USER_FIELDS
        )
        return _digest_single(
            r.data.text, r.data.public_metrics.like_count, r.includes.users[0].username
        )

    def page() -> tuple[Any, ...]:
        r = client.get_posts_by_ids(
            ids=PAGE_IDS, post_fields=POST_FIELDS, expansions=EXPANSIONS, user_fields=USER_FIELDS
        )
        posts = r.data
        likes = sum(p.public_metrics.like_count for p in posts)
        return (len(posts), likes, posts[-1].text, r.includes.users[0].username)

    return single, page


def stock(base_url: str) -> tuple[Call, Call]:
    """openapi-python-client 0.29.1 output for the same spec (package `stock_x_api`)."""
    import importlib

    pkg = importlib.import_module(STOCK_PACKAGE)
    by_id = importlib.import_module(f"{STOCK_PACKAGE}.api.posts.get_posts_by_id")
    by_ids = importlib.import_module(f"{STOCK_PACKAGE}.api.posts.get_posts_by_ids")
    client = pkg.AuthenticatedClient(base_url=base_url, token="t")

    def single() -> tuple[Any, ...]:
        r = by_id.sync(
            SINGLE_ID,
            client=client,
            post_fields=POST_FIELDS,
            expansions=EXPANSIONS,
            user_fields=USER_FIELDS,
        )
        return _digest_single(
            r.data.text, r.data.public_metrics.like_count, r.includes.users[0].username
        )

    def page() -> tuple[Any, ...]:
        r = by_ids.sync(
            client=client,
            ids=PAGE_IDS,
            post_fields=POST_FIELDS,
            expansions=EXPANSIONS,
            user_fields=USER_FIELDS,
        )
        posts = r.data
        likes = sum(p.public_metrics.like_count for p in posts)
        return (len(posts), likes, posts[-1].text, r.includes.users[0].username)

    return single, page


def tweepy_client(base_url: str) -> tuple[Call, Call]:
    import requests  # type: ignore[import-untyped, unused-ignore]
    import tweepy  # type: ignore[import-not-found, unused-ignore]

    client = tweepy.Client(bearer_token="t")
    _point_tweepy_at(client, base_url, requests)
    kwargs = {"tweet_fields": POST_FIELDS, "expansions": EXPANSIONS, "user_fields": USER_FIELDS}

    def single() -> tuple[Any, ...]:
        r = client.get_tweet(SINGLE_ID, **kwargs)
        return _digest_single(
            r.data.text, r.data.public_metrics["like_count"], r.includes["users"][0].username
        )

    def page() -> tuple[Any, ...]:
        r = client.get_tweets(PAGE_IDS, **kwargs)
        posts = r.data
        likes = sum(p.public_metrics["like_count"] for p in posts)
        return (len(posts), likes, posts[-1].text, r.includes["users"][0].username)

    return single, page


def _point_tweepy_at(client: Any, base_url: str, requests: Any) -> None:
    """tweepy hard-codes https://api.twitter.com; a session adapter reroutes it to loopback."""
    host = "https://api.twitter.com"

    class Loopback(requests.adapters.HTTPAdapter):  # type: ignore[misc]
        def send(self, request: Any, **kwargs: Any) -> Any:
            request.url = base_url + request.url[len(host) :]
            return super().send(request, **kwargs)

    client.session.mount(host, Loopback())


def xdk_client(base_url: str) -> tuple[Call, Call]:
    import xdk  # type: ignore[import-not-found, unused-ignore]

    client = xdk.Client(base_url=base_url, bearer_token="t")
    kwargs = {"post_fields": POST_FIELDS, "expansions": EXPANSIONS, "user_fields": USER_FIELDS}

    def single() -> tuple[Any, ...]:
        r = client.posts.get_by_id(SINGLE_ID, **kwargs)
        return _digest_single(
            r.data.text, r.data.public_metrics.like_count, r.includes.users[0].username
        )

    def page() -> tuple[Any, ...]:
        r = client.posts.get_by_ids(ids=PAGE_IDS, **kwargs)
        posts = r.data
        likes = sum(p.public_metrics.like_count for p in posts)
        return (len(posts), likes, posts[-1].text, r.includes.users[0].username)

    return single, page


# Display name -> factory. "raw httpx" is the baseline every ratio is taken against.
CONTENDERS: dict[str, Factory] = {
    "raw httpx + json.loads": raw_httpx,
    "raw httpx, URL pre-encoded": raw_httpx_url,
    "raw requests + json.loads": raw_requests,
    "ours (twitter_api)": ours,
    "stock openapi-python-client": stock,
    "tweepy": tweepy_client,
    "xdk": xdk_client,
}
BASELINE = "raw httpx + json.loads"
