"""Joining a response's `includes` to the objects that reference them.

    result = client.get_posts_by_ids(ids, expansions=["author_id", "attachments.media_keys"])
    for item in expand(result):
        print(item.author.username if item.author else "?", item.post.text, item.media)

The includes are indexed once; lookups are dict reads. Items are loaded through the
converters of the generated `Expansions` model, so they come back as the package's typed
models (whatever the spec names them), and both wire vocabularies work: `posts` /
`referenced_posts` / `pinned_post_id` and the older `tweets` / `referenced_tweets` /
`pinned_tweet_id`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from ._models import Converter, ListOf, Model, ModelRef
from ._wire import MODELS_PACKAGE

if TYPE_CHECKING:
    # Models of the X spec; a package built from another spec has no such modules.
    from .models import (  # type: ignore[attr-defined,unused-ignore]
        Media,
        Place,
        Poll,
        Post,
        Topic,
        User,
    )

__all__ = ["Expanded", "ExpandedPost", "ExpandedUser", "Includes", "ReferencedPost", "expand"]

# Wire names of each kind of include, newest vocabulary first.
_KINDS: Final[dict[str, tuple[str, ...]]] = {
    "users": ("users",),
    "posts": ("posts", "tweets"),
    "media": ("media",),
    "polls": ("polls",),
    "places": ("places",),
    "topics": ("topics",),
}
# Which field identifies an item of each kind.
_KEYS: Final[dict[str, str]] = {"media": "media_key"}


def _raw(value: Any) -> dict[str, Any]:
    if isinstance(value, Model):
        return value.to_dict()
    if isinstance(value, Mapping):
        return dict(value)
    return {}


def _first(raw: Mapping[str, Any], *names: str) -> Any:
    for name in names:
        if name in raw and raw[name] is not None:
            return raw[name]
    return None


def _strings(value: Any) -> list[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def _expansions_class() -> type[Model]:
    ref = ModelRef("expansions", "Expansions")
    ref.bind(MODELS_PACKAGE)
    try:
        return ref.cls
    except (ImportError, AttributeError):  # a package built from a spec without expansions
        return Model


def _item_converters(model: type[Model]) -> dict[str, Converter]:
    """The converter of one item of each list field, by wire name."""
    found: dict[str, Converter] = {}
    for field in model._fields:
        if isinstance(field.convert, ListOf):
            found[field.wire] = field.convert.item
    return found


def _load(convert: Converter | None, raw: dict[str, Any]) -> Any:
    loaded = convert.load(raw) if convert is not None else raw
    return loaded if isinstance(loaded, Model) else Model._wrap(raw)


class Includes:
    """The `includes` of one response, indexed by id (media by `media_key`)."""

    __slots__ = ("_by_id", "_converters", "_users_by_name")

    def __init__(self, includes: Model | Mapping[str, Any] | None) -> None:
        model = type(includes) if isinstance(includes, Model) else _expansions_class()
        self._converters = _item_converters(model)
        raw = _raw(includes)
        self._by_id: dict[str, dict[str, Any]] = {}
        for kind, names in _KINDS.items():
            index: dict[str, Any] = {}
            key = _KEYS.get(kind, "id")
            convert = self._converter(kind)
            for name in names:
                items = raw.get(name)
                if not isinstance(items, list):
                    continue
                for item in items:
                    if isinstance(item, dict) and isinstance(item.get(key), str):
                        index.setdefault(item[key], _load(convert, item))
            self._by_id[kind] = index
        self._users_by_name = {
            u["username"].lower(): u
            for u in self._by_id["users"].values()
            if isinstance(u.to_dict().get("username"), str)
        }

    def _converter(self, kind: str) -> Converter | None:
        # Whichever wire name the spec declares, it converts items under either name.
        return next((self._converters[n] for n in _KINDS[kind] if n in self._converters), None)

    def _load_as(self, kind: str, raw: dict[str, Any]) -> Any:
        return _load(self._converter(kind), raw)

    def user(self, user_id: str | None) -> User | None:
        return self._by_id["users"].get(user_id) if user_id else None

    def user_by_username(self, username: str | None) -> User | None:
        """Usernames are matched case-insensitively, as X treats them."""
        return self._users_by_name.get(username.lower()) if username else None

    def post(self, post_id: str | None) -> Post | None:
        return self._by_id["posts"].get(post_id) if post_id else None

    def media(self, media_key: str | None) -> Media | None:
        return self._by_id["media"].get(media_key) if media_key else None

    def poll(self, poll_id: str | None) -> Poll | None:
        return self._by_id["polls"].get(poll_id) if poll_id else None

    def place(self, place_id: str | None) -> Place | None:
        return self._by_id["places"].get(place_id) if place_id else None

    def topic(self, topic_id: str | None) -> Topic | None:
        return self._by_id["topics"].get(topic_id) if topic_id else None

    def __len__(self) -> int:
        return sum(len(index) for index in self._by_id.values())


@dataclass(frozen=True, slots=True)
class ReferencedPost:
    """A post this post retweets, quotes or replies to; `post` is None unless included."""

    type: str
    id: str
    post: Post | None


class ExpandedPost:
    """A post with the objects it references resolved from the includes.

    A reference the response did not expand (or that X withheld) is None, or left out of a
    list; it never raises.
    """

    __slots__ = ("includes", "post")

    def __init__(self, post: Post, includes: Includes) -> None:
        self.post: Post = post
        self.includes: Includes = includes

    @property
    def _raw(self) -> dict[str, Any]:
        return _raw(self.post)

    @property
    def author(self) -> User | None:
        return self.includes.user(self._raw.get("author_id"))

    @property
    def in_reply_to_user(self) -> User | None:
        return self.includes.user(self._raw.get("in_reply_to_user_id"))

    @property
    def media(self) -> list[Media]:
        """Attached media in the post's order."""
        keys = _strings(_raw(self._raw.get("attachments")).get("media_keys"))
        return [m for m in map(self.includes.media, keys) if m is not None]

    @property
    def polls(self) -> list[Poll]:
        ids = _strings(_raw(self._raw.get("attachments")).get("poll_ids"))
        return [p for p in map(self.includes.poll, ids) if p is not None]

    @property
    def poll(self) -> Poll | None:
        polls = self.polls
        return polls[0] if polls else None

    @property
    def place(self) -> Place | None:
        return self.includes.place(_raw(self._raw.get("geo")).get("place_id"))

    @property
    def mentions(self) -> list[User]:
        """Mentioned users that were included, in the order of the text."""
        found: list[User] = []
        for mention in _raw(self._raw.get("entities")).get("mentions") or []:
            if not isinstance(mention, dict):
                continue
            user = self.includes.user(mention.get("id")) or self.includes.user_by_username(
                mention.get("username")
            )
            if user is not None:
                found.append(user)
        return found

    @property
    def referenced(self) -> list[ReferencedPost]:
        refs = _first(self._raw, "referenced_posts", "referenced_tweets")
        out: list[ReferencedPost] = []
        for ref in refs if isinstance(refs, list) else []:
            if isinstance(ref, dict) and isinstance(ref.get("id"), str):
                kind = ref.get("type")
                out.append(ReferencedPost(str(kind), ref["id"], self.includes.post(ref["id"])))
        return out

    def _referenced(self, kind: str) -> Post | None:
        return next((r.post for r in self.referenced if r.type == kind), None)

    @property
    def quoted(self) -> Post | None:
        return self._referenced("quoted")

    @property
    def replied_to(self) -> Post | None:
        return self._referenced("replied_to")

    @property
    def retweeted(self) -> Post | None:
        return self._referenced("retweeted")

    def __repr__(self) -> str:
        return f"ExpandedPost(id={self._raw.get('id')!r})"


class ExpandedUser:
    """A user with their pinned and most recent posts resolved from the includes."""

    __slots__ = ("includes", "user")

    def __init__(self, user: User, includes: Includes) -> None:
        self.user: User = user
        self.includes: Includes = includes

    @property
    def pinned_post(self) -> Post | None:
        return self.includes.post(_first(_raw(self.user), "pinned_post_id", "pinned_tweet_id"))

    @property
    def most_recent_post(self) -> Post | None:
        raw = _raw(self.user)
        return self.includes.post(_first(raw, "most_recent_post_id", "most_recent_tweet_id"))

    def __repr__(self) -> str:
        return f"ExpandedUser(id={_raw(self.user).get('id')!r})"


class Expanded:
    """A response's primary `data` joined to its `includes`; iterating yields the posts."""

    __slots__ = ("includes", "posts", "users")

    def __init__(self, data: Sequence[dict[str, Any]], includes: Includes) -> None:
        self.includes: Includes = includes
        # Posts always carry `text` and users a `username` (a post may carry one too).
        self.posts: list[ExpandedPost] = [
            ExpandedPost(includes._load_as("posts", raw), includes) for raw in data if "text" in raw
        ]
        """The primary data items that are posts."""
        self.users: list[ExpandedUser] = [
            ExpandedUser(includes._load_as("users", raw), includes)
            for raw in data
            if "username" in raw and "text" not in raw
        ]
        """The primary data items that are users."""

    def post(self, post: Post | Mapping[str, Any]) -> ExpandedPost:
        """Expand any post with these includes: an included one, a referenced one."""
        typed = post if isinstance(post, Model) else self.includes._load_as("posts", _raw(post))
        return ExpandedPost(typed, self.includes)

    def user(self, user: User | Mapping[str, Any]) -> ExpandedUser:
        typed = user if isinstance(user, Model) else self.includes._load_as("users", _raw(user))
        return ExpandedUser(typed, self.includes)

    def __iter__(self) -> Iterator[ExpandedPost]:
        return iter(self.posts)


def expand(response: Model | Mapping[str, Any]) -> Expanded:
    """Join `response.includes` to `response.data` (one object or a list).

    Works with any typed response, a stream line included, and with plain decoded JSON.
    """
    raw = _raw(response)
    data = raw.get("data")
    items = [data] if isinstance(data, dict) else data if isinstance(data, list) else []
    includes_raw = raw.get("includes")
    includes: Model | Mapping[str, Any] | None = None
    if isinstance(response, Model) and isinstance(includes_raw, dict):
        # The response's own declared converter gives the most precise include types.
        typed = getattr(response, "includes", None)
        includes = typed if isinstance(typed, Model) else includes_raw
    elif isinstance(includes_raw, dict):
        includes = includes_raw
    return Expanded([i for i in items if isinstance(i, dict)], Includes(includes))
