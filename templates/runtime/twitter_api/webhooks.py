"""Receiving X webhooks: the CRC challenge, the delivery signature, the event payload.

    from <package> import webhooks

    # GET <your url>?crc_token=...  ->  answer with this JSON object
    webhooks.crc_response(crc_token, consumer_secret)   # {"response_token": "sha256=..."}

    # POST <your url>  ->  check before trusting the body
    if not webhooks.verify_signature(raw_body, headers.get(webhooks.SIGNATURE_HEADER),
                                     consumer_secret):
        ...  # answer 403
    event = webhooks.parse_event(raw_body)

X signs with the app's consumer secret (API key secret): the CRC answer is
`sha256=` + base64(HMAC-SHA256(secret, crc_token)), and each delivery carries the same
construction over the raw request body in `x-twitter-webhooks-signature`.

`verify_signature` never raises on what a sender controls (the header, the body's content):
a missing, malformed or wrong signature is simply `False`. It raises only for mistakes in
the calling code (a `str` body, an empty secret).

Payloads: the spec describes X Activity API deliveries (`{"data": {"event_type": ...,
"payload": ...}}`) as `ActivityStreamResponse`, so those come back as that typed model, with
`data.payload` typed by `event_type`. The spec does not describe Account Activity API
deliveries (`for_user_id` plus `tweet_create_events`, `direct_message_events`, ... in the
v1.1 formats), so those come back as the decoded `dict`, unchanged.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import importlib
import json
from typing import TYPE_CHECKING, Any, Final

from ._models import Model
from ._secrets import Secret

if TYPE_CHECKING:
    # X's ActivityStreamResponse; a plain Model in a package built from another spec.
    from .types import WebhookEvent

__all__ = [
    "MAX_CRC_TOKEN",
    "SIGNATURE_HEADER",
    "crc_response",
    "parse_event",
    "verify_signature",
]

SIGNATURE_HEADER: Final = "x-twitter-webhooks-signature"
_PREFIX: Final = b"sha256="
# "sha256=" + base64 of a 32-byte digest is 51 characters; anything far longer is not one.
_MAX_HEADER: Final = 256
# X's tokens are a few dozen characters; a bound keeps an anonymous GET from hashing megabytes.
MAX_CRC_TOKEN: Final = 1024
_MODELS_PACKAGE: Final = __name__.rpartition(".")[0] + ".models"
_EVENT_MODEL: Final = "ActivityStreamResponse"


def _key(consumer_secret: str | bytes | Secret) -> bytes | Secret:
    """Check the secret's type and form without copying its value out of a `Secret`."""
    if isinstance(consumer_secret, (bytes, bytearray)):
        value: str | bytes = bytes(consumer_secret)
    elif isinstance(consumer_secret, Secret):
        value = consumer_secret.reveal()
    elif isinstance(consumer_secret, str):
        value = consumer_secret
    else:
        raise TypeError(
            f"consumer_secret must be str, bytes or Secret, got {type(consumer_secret).__name__}"
        )
    if not value:
        raise ValueError("consumer_secret is empty")
    if isinstance(value, bytes):
        return value
    if not _encodable(value):
        # Raised here, not by `encode()`, whose error would carry the whole value.
        raise ValueError("consumer_secret is not valid text (it holds a lone surrogate)")
    return consumer_secret if isinstance(consumer_secret, Secret) else value.encode()


def _encodable(text: str) -> bool:
    try:
        text.encode()
    except UnicodeEncodeError:
        return False
    return True


def _sign(key: bytes | Secret, message: bytes) -> bytes:
    """`sha256=` + base64(HMAC-SHA256(key, message)), as ASCII bytes. Cannot raise."""
    raw = key.reveal().encode() if isinstance(key, Secret) else key
    digest = hmac.new(raw, message, hashlib.sha256).digest()
    return _PREFIX + base64.b64encode(digest)


def _body(raw_body: bytes | bytearray | memoryview, what: str) -> bytes:
    if isinstance(raw_body, (bytes, bytearray, memoryview)):
        return bytes(raw_body)
    raise TypeError(
        f"{what} must be the request body as bytes, exactly as received, "
        f"got {type(raw_body).__name__}"
    )


def crc_response(crc_token: str, consumer_secret: str | bytes | Secret) -> dict[str, str]:
    """The JSON object answering X's CRC check (`GET ...?crc_token=`): `{"response_token": ...}`.

    Raises ValueError for an empty or overlong token (answer such a request with 400).
    """
    if not isinstance(crc_token, str):
        raise TypeError(f"crc_token must be str, got {type(crc_token).__name__}")
    if not crc_token:
        raise ValueError("crc_token is empty")
    if len(crc_token) > MAX_CRC_TOKEN:
        raise ValueError(
            f"crc_token is {len(crc_token)} characters long, more than {MAX_CRC_TOKEN}"
        )
    if not _encodable(crc_token):
        raise ValueError("crc_token is not valid text (it holds a lone surrogate)")
    key = _key(consumer_secret)
    return {"response_token": _sign(key, crc_token.encode()).decode("ascii")}


def verify_signature(
    raw_body: bytes | bytearray | memoryview,
    signature_header: str | bytes | None,
    consumer_secret: str | bytes | Secret,
) -> bool:
    """Whether `signature_header` (`x-twitter-webhooks-signature`) signs `raw_body`.

    Compared in constant time. Only X's form is accepted: `sha256=` followed by the standard,
    padded base64 of the digest; surrounding spaces or tabs (which HTTP does not count as part
    of a header value) are ignored. Anything else, a missing header included, is `False`.
    """
    body = _body(raw_body, "raw_body")
    key = _key(consumer_secret)
    if isinstance(signature_header, str):
        if not signature_header.isascii():
            return False
        given = signature_header.encode("ascii")
    elif isinstance(signature_header, (bytes, bytearray)):
        given = bytes(signature_header)
    else:
        return False
    if len(given) > _MAX_HEADER:
        return False
    return hmac.compare_digest(_sign(key, body), given.strip(b" \t"))


def parse_event(
    raw_body: bytes | bytearray | memoryview,
) -> WebhookEvent | dict[str, Any]:
    """The delivered event: `ActivityStreamResponse` for an X Activity API event, else the
    decoded JSON object (Account Activity API formats, which the spec does not describe).

    Verify the signature first. Raises ValueError when the body is not a JSON object.
    """
    body = _body(raw_body, "raw_body")
    try:
        decoded = json.loads(body)
    except (ValueError, RecursionError) as exc:
        # The reason only, never the body: it may hold private messages.
        reason = exc.msg if isinstance(exc, json.JSONDecodeError) else "nested too deeply"
        raise ValueError(f"webhook body is not valid JSON: {reason}") from None
    if not isinstance(decoded, dict):
        raise ValueError(f"webhook body is a JSON {type(decoded).__name__}, not an object")
    if isinstance(decoded.get("data"), dict) or isinstance(decoded.get("errors"), list):
        model = _event_model()
        if model is not None:
            return model._wrap(decoded)
    return decoded


def _event_model() -> type[WebhookEvent] | None:
    try:
        models = importlib.import_module(_MODELS_PACKAGE)
        found: object = getattr(models, _EVENT_MODEL)
    except (ImportError, AttributeError):  # a package built from a spec without it
        return None
    if not (isinstance(found, type) and issubclass(found, Model)):
        return None
    model: type[WebhookEvent] = getattr(models, _EVENT_MODEL)  # checked just above
    return model
