"""Tokens in Redis, shared by every machine that uses one X account (the `redis` extra).

X's refresh tokens work once, so two machines must never refresh at the same time. The lock is
a Redis key set with NX and a lease: a holder that crashes stops blocking the others when its
lease runs out. Each acquisition also draws a fencing number, and a write carries it: Redis
refuses the write when the store already holds a token written under a newer number, so a holder
whose lease ran out can never overwrite the token of a holder that came after it.

The value is the same JSON record the file store keeps. Key names hold the prefix and the
account name only, never a token. A write that fails because Redis is down is kept in this
process and written (still fenced) on the next read, so a refreshed token is not lost.
"""

from __future__ import annotations

import hashlib
import math
import secrets
import ssl
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Final, TypeVar
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from .._logging import package_logger
from .._names import TABLE
from .._secrets import Secret
from ._errors import TokenStoreError, TokenStoreUnavailableError
from ._single_flight import POLL_FIRST, POLL_MAX, TwoLevelLock
from ._store import decode_record, encode_record
from ._token import Token

if TYPE_CHECKING:
    import redis

__all__ = ["DEFAULT_KEY_PREFIX", "DEFAULT_LEASE", "RedisLock", "RedisTokenStore"]

logger = package_logger(__name__)

DEFAULT_KEY_PREFIX: Final = f"{TABLE}:"
# Longer than a token request can take (the default HTTP timeout is 30 s), so a live holder
# keeps the lock; a crashed one blocks the others for at most this long.
DEFAULT_LEASE: Final = 45.0
_SOCKET_TIMEOUT: Final = 5.0
_MAX_SHARED_WAIT: Final = 15 * 60.0
_SHARING_PAUSE: Final = 30.0

T = TypeVar("T")

# KEYS: lock, fence counter, fence of the stored token. ARGV: owner, lease (ms). The fencing
# number, or 0 when held. Always above the stored token's: a counter evicted or deleted on its
# own must not leave every later holder's write refused as stale.
_ACQUIRE: Final = """
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
  local fence = redis.call('INCR', KEYS[2])
  local stored = tonumber(redis.call('GET', KEYS[3]) or '0')
  if fence <= stored then
    fence = stored + 1
    redis.call('SET', KEYS[2], fence)
  end
  return fence
end
return 0
"""
# KEYS: lock. ARGV: owner. Only the owner may delete the lock (after its lease, another owns it).
_RELEASE: Final = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""
# KEYS: token, fence of the stored token. ARGV: fence, record ('' deletes). -1: a newer write won.
_WRITE: Final = """
local newest = tonumber(redis.call('GET', KEYS[2]) or '0')
if newest > tonumber(ARGV[1]) then
  return -1
end
redis.call('SET', KEYS[2], ARGV[1])
if ARGV[2] == '' then
  return redis.call('DEL', KEYS[1])
end
redis.call('SET', KEYS[1], ARGV[2])
return 1
"""


def _require_redis() -> None:
    try:
        import redis  # noqa: F401
    except ImportError:
        raise TokenStoreError(
            "a redis:// token store needs the redis package: "
            "pip install 'twitter-api[redis]' (or pip install redis)"
        ) from None


class RedisTokenStore:
    """The token of account `name` in the Redis at `url` (`redis://` or TLS `rediss://`).

    `key_prefix` and `lease` (seconds) may also be given as the URL's `key_prefix=` and
    `lease=` query parameters; the other parameters go to redis-py.
    """

    def __init__(
        self,
        url: str | Secret,
        *,
        name: str = "default",
        key_prefix: str | None = None,
        lease: float | None = None,
    ) -> None:
        _require_redis()
        import redis
        from redis.backoff import NoBackoff
        from redis.retry import Retry

        split = _split_url(url if isinstance(url, Secret) else Secret(url))
        del url  # it may carry a password: only the wrapped copy stays in this frame
        if split is None:
            raise TokenStoreError(
                "the token store URL is not a valid redis:// or rediss:// URL "
                "(redis://[:password@]host[:port][/db])"
            )
        location, settings, connect = split
        self.location: str = location
        prefix = key_prefix if key_prefix is not None else settings.get("key_prefix")
        self.key_prefix = prefix if prefix is not None else DEFAULT_KEY_PREFIX
        self.name = name
        self.lease: float = lease if lease is not None else self._lease(settings.get("lease"))
        if not (math.isfinite(self.lease) and self.lease > 0):
            raise TokenStoreError(f"the lease of the token store {self.location} must be > 0")
        base = f"{self.key_prefix}{name}:"
        self.token_key: str = base + "token"
        self.token_fence_key: str = base + "token-fence"
        self.lock_key: str = base + "lock"
        self.lock_fence_key: str = base + "lock-fence"
        try:
            self._redis: redis.Redis = redis.Redis.from_url(
                connect.reveal(),
                socket_timeout=_SOCKET_TIMEOUT,
                socket_connect_timeout=_SOCKET_TIMEOUT,
                # One immediate retry: a pooled connection may predate a Redis restart.
                retry=Retry(NoBackoff(), 1),
            )
        except ValueError:
            raise TokenStoreError(f"the token store URL {self.location} is not valid") from None
        self._acquire = self._redis.register_script(_ACQUIRE)
        self._release = self._redis.register_script(_RELEASE)
        self._write = self._redis.register_script(_WRITE)
        self._lock = RedisLock(self)
        self._unsaved_guard = threading.Lock()
        self._unsaved: tuple[int, bytes] | None = None  # (fence, record) Redis did not take
        self._sharing_off_until = 0.0  # monotonic; see _pause_sharing

    def __repr__(self) -> str:
        # Also shown for a store whose construction failed (traceback locals).
        where = getattr(self, "location", "(no valid URL)")
        return f"RedisTokenStore({where!r}, name={getattr(self, 'name', None)!r})"

    def _lease(self, text: str | None) -> float:
        if text is None:
            return DEFAULT_LEASE
        try:
            return float(text)
        except ValueError:
            raise TokenStoreError(
                f"the lease= of the token store {self.location} is not a number"
            ) from None

    def lock(self) -> RedisLock:
        """The lock every machine sharing this account takes to refresh or replace its token."""
        return self._lock

    def load(self) -> Token | None:
        """The stored token, or None when there is none yet."""
        self._write_unsaved()
        raw: object = self._call(lambda r: r.get(self.token_key))
        if raw is None:
            return None
        if not isinstance(raw, bytes):
            raise TokenStoreError(f"the token store {self.location} holds no token record")
        return decode_record(raw, self.location)

    def save(self, token: Token) -> None:
        """Store `token`. The caller holds `lock()`; a newer holder's token is never replaced."""
        self._write_fenced(self._fence(), encode_record(token))

    def delete(self) -> bool:
        """Remove the stored token; True when there was one. The caller holds `lock()`."""
        return self._write_fenced(self._fence(), b"") > 0

    # -- rate limits shared by the machines (best effort: Redis down means no sharing) -------

    def rate_limited_until(self, endpoint: str) -> float | None:
        if self._sharing_paused():
            return None
        try:
            raw: object = self._call(lambda r: r.get(self._rate_limit_key(endpoint)))
            return float(raw) if isinstance(raw, bytes) else None
        except TokenStoreError:
            self._pause_sharing(f"cannot read the shared rate limit of {endpoint}")
        except ValueError:
            logger.debug("the shared rate limit of %s is not a number", endpoint)
        return None

    def share_rate_limit(self, endpoint: str, reset_at: float, now: float) -> None:
        if self._sharing_paused():
            return
        # The key outlives the reset a little (clocks differ); it never needs deleting.
        keep_ms = max(1000, round((min(reset_at - now, _MAX_SHARED_WAIT) + 5) * 1000))
        key = self._rate_limit_key(endpoint)
        try:
            self._call(lambda r: r.set(key, repr(reset_at), px=keep_ms))
        except TokenStoreError:
            self._pause_sharing(f"cannot share the rate limit of {endpoint}")

    # Sharing is best effort and sits in front of every request: once Redis fails to answer
    # (each try can take the socket timeout), requests go without it for a while.
    def _sharing_paused(self) -> bool:
        return time.monotonic() < self._sharing_off_until

    def _pause_sharing(self, why: str) -> None:
        self._sharing_off_until = time.monotonic() + _SHARING_PAUSE
        logger.debug("%s; not sharing rate limits for %g s", why, _SHARING_PAUSE)

    def _rate_limit_key(self, endpoint: str) -> str:
        # Hashed: a path may name a user; the key needs only to tell endpoints apart.
        digest = hashlib.sha256(endpoint.encode()).hexdigest()[:24]
        return f"{self.key_prefix}{self.name}:rate-limit:{digest}"

    def _fence(self) -> int:
        fence = self._lock.fence
        if fence is None:
            raise TokenStoreError(f"a write to the token store {self.location} without its lock")
        return fence

    def _write_fenced(self, fence: int, record: bytes) -> int:
        try:
            keys = [self.token_key, self.token_fence_key]
            result = _integer(self._call(lambda r: self._write(keys, [fence, record], r)))
        except TokenStoreError:
            # Unreachable, or refusing writes (out of memory, a read-only replica after a
            # failover): the token is kept and written by the next load that gets through.
            if record:
                with self._unsaved_guard:
                    self._unsaved = (fence, record)
            raise
        if result < 0:
            raise _StaleWrite(
                f"the lock on the token store {self.location} outlived its lease "
                f"({self.lease:g} s) and another holder stored a newer token; this one was dropped"
            )
        return result

    def _write_unsaved(self) -> None:
        with self._unsaved_guard:
            pending, self._unsaved = self._unsaved, None
        if pending is None:
            return
        try:
            self._write_fenced(*pending)
            logger.debug("stored the token that Redis missed earlier")
        except _StaleWrite:
            logger.debug("a newer token was stored meanwhile; the unsaved one is dropped")

    def _call(self, action: Callable[[redis.Redis], T]) -> T:
        """Run `action`; Redis errors become store errors naming the store, not its password."""
        import redis

        try:
            return action(self._redis)
        except redis.AuthenticationError as exc:
            # A subclass of ConnectionError, but no outage: retrying will not help.
            raise TokenStoreError(
                f"the token store {self.location} refused the password ({type(exc).__name__}); "
                "check the password in its URL"
            ) from None
        except (redis.ConnectionError, redis.TimeoutError) as exc:
            if isinstance(exc.__cause__ or exc.__context__, ssl.SSLError):
                raise TokenStoreError(
                    f"the token store {self.location} failed the TLS handshake "
                    f"({type(exc).__name__}); check its certificate, or name the CA with "
                    "?ssl_ca_certs=PATH in the URL"
                ) from None
            raise TokenStoreUnavailableError(
                f"the token store {self.location} cannot be reached ({type(exc).__name__}); "
                "retry once it is back"
            ) from None
        except redis.RedisError as exc:
            raise TokenStoreError(
                f"the token store {self.location} refused a command ({type(exc).__name__})"
            ) from None


class _StaleWrite(TokenStoreError):
    """A write refused because a holder with a newer fencing number stored its token."""


def _integer(reply: object) -> int:
    """A script's integer reply. redis-py types replies loosely (an asyncio client's would be
    awaitable), so what came back is checked, not assumed."""
    if isinstance(reply, int | str | bytes) and not isinstance(reply, bool):
        return int(reply)
    raise TypeError(f"Redis answered a script with {type(reply).__name__}, not an integer")


def _split_url(url: Secret) -> tuple[str, dict[str, str], Secret] | None:
    """(where, for messages, without credentials; this module's settings; redis-py's URL)."""
    try:
        parts = urlsplit(url.reveal())
        port = parts.port or 6379
    except ValueError:
        return None
    if parts.scheme.lower() not in ("redis", "rediss"):
        return None
    # Blank values kept: `?key_prefix=` asks for no prefix, not the default one.
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    settings: dict[str, str] = {k: query.pop(k) for k in ("key_prefix", "lease") if k in query}
    database = parts.path.strip("/") or "0"
    if not database.isascii() or not database.isdigit():
        return None  # redis-py would quietly use database 0
    host = parts.hostname or "localhost"
    shown = f"[{host}]" if ":" in host else host
    location = f"{parts.scheme.lower()}://{shown}:{port}/{database}"
    return location, settings, Secret(urlunsplit(parts._replace(query=urlencode(query))))


class RedisLock(TwoLevelLock):
    """The lock of one `RedisTokenStore`: a thread lock in this process, a leased key in Redis.

    A waiter polls the key; a crashed holder's key expires with its lease.
    """

    def __init__(
        self, store: RedisTokenStore, *, sleep: Callable[[float], None] = time.sleep
    ) -> None:
        super().__init__(threading.Lock())
        self._store = store
        self._sleep = sleep
        self._owner: str | None = None
        self.fence: int | None = None  # the holder's fencing number
        # Owners whose release Redis missed: released on the next attempt rather than leaving
        # this process to wait out its own lease after Redis comes back.
        self._unreleased: list[str] = []

    def _take_outer(self, *, blocking: bool) -> bool:
        # Called with the thread lock held, so the list is this thread's alone.
        while self._unreleased:
            self._release(self._unreleased[0])
            self._unreleased.pop(0)
        delay = POLL_FIRST
        while not self._take():
            if not blocking:
                return False
            self._sleep(delay)
            delay = min(delay * 2, POLL_MAX)
        return True

    def _release_outer(self) -> None:
        owner, self._owner, self.fence = self._owner, None, None
        if owner is not None:
            try:
                self._release(owner)
            except TokenStoreError:
                logger.debug("could not release the Redis lock; releasing it later")
                self._unreleased.append(owner)

    def _release(self, owner: str) -> None:
        store = self._store
        store._call(lambda r: store._release([store.lock_key], [owner], r))

    def _take(self) -> bool:
        store = self._store
        owner = secrets.token_hex(16)
        lease_ms = max(1, round(store.lease * 1000))
        keys = [store.lock_key, store.lock_fence_key, store.token_fence_key]
        fence = _integer(store._call(lambda r: store._acquire(keys, [owner, lease_ms], r)))
        if fence == 0:
            return False
        self._owner, self.fence = owner, fence
        return True
