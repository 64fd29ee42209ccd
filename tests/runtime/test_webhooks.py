"""`twitter_api.webhooks`: CRC answers and delivery signatures against HMAC-SHA256 vectors
(RFC 4231 and ones computed here with hmac/hashlib/base64), event parsing into the spec's
models, and the example WSGI endpoint driven over real HTTP on 127.0.0.1.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import http.client
import json
import os
import select
import subprocess
import sys
import traceback
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from twitter_api import webhooks
from twitter_api._secrets import Secret
from twitter_api.models import (
    ActivityStreamResponse,
    FollowActivityResponsePayload,
    PostDeleteActivityResponsePayload,
    ProfileUpdateActivityResponsePayload,
)

from tests.conftest import ROOT

CONSUMER_SECRET = "kAcSOqF21Fu85e7zjz7ZN2U4ZRhfV3WpwPAoE3Z7kBw"
EXAMPLE = ROOT / "examples" / "webhook_server.py"

# RFC 4231, test case 2: key "Jefe", data "what do ya want for nothing?".
RFC4231_2_HEX = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
RFC4231_2_TOKEN = "sha256=W9zBRr9gdU5qBCQmCJV1x1oAPwidJzmDnexYuWTsOEM="
# RFC 4231, test case 1: key 20 bytes of 0x0b, data "Hi There"; its base64 holds a "/".
RFC4231_1_HEX = "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"
RFC4231_1_HEADER = "sha256=sDRMYdjbOFNcqK/OrwvxK4gdwgDJgz2nJuk3bC4yz/c="

PROFILE_EVENT: dict[str, Any] = {
    "data": {
        "event_type": "profile.update.bio",
        "event_uuid": "1146654567674912769",
        "filter": {"user_id": "2244994945"},
        "tag": "bios",
        "payload": {"before": "Old bio", "after": "New bio"},
    }
}
ACCOUNT_ACTIVITY_EVENT: dict[str, Any] = {
    "for_user_id": "2244994945",
    "favorite_events": [
        {
            "id": "a7ba59eab0bfcba386f7acedac279542",
            "created_at": "Mon Mar 26 16:33:26 +0000 2018",
            "timestamp_ms": 1522082006140,
            "favorited_status": {"id_str": "20", "text": "just setting up my twttr"},
            "user": {"id_str": "783214", "screen_name": "X"},
        }
    ],
}


def signed(secret: bytes, message: bytes) -> str:
    """X's construction, written out: "sha256=" + base64(HMAC-SHA256(secret, message))."""
    digest = hmac.new(secret, message, hashlib.sha256).digest()
    return "sha256=" + base64.b64encode(digest).decode("ascii")


# --- CRC --------------------------------------------------------------------------------


def test_crc_response_matches_the_rfc4231_vector() -> None:
    answer = webhooks.crc_response("what do ya want for nothing?", "Jefe")
    assert answer == {"response_token": RFC4231_2_TOKEN}
    assert base64.b64decode(RFC4231_2_TOKEN.removeprefix("sha256=")).hex() == RFC4231_2_HEX


@pytest.mark.parametrize(
    "secret",
    [CONSUMER_SECRET, CONSUMER_SECRET.encode(), bytearray(CONSUMER_SECRET.encode())],
    ids=["str", "bytes", "bytearray"],
)
def test_crc_response_with_each_kind_of_secret(secret: str | bytes) -> None:
    token = "Yjk2NDc4ZjQtMzQwNi00ZjhiLTk1NTItODRhZjFlZTk5NjUz"
    expected = {"response_token": signed(CONSUMER_SECRET.encode(), token.encode())}
    assert webhooks.crc_response(token, secret) == expected
    assert webhooks.crc_response(token, Secret(CONSUMER_SECRET)) == expected


def test_crc_response_hashes_a_unicode_token_and_secret_as_utf8() -> None:
    secret = "clé-secrète-🔑"
    token = "jeton-ü"
    answer = webhooks.crc_response(token, secret)
    assert answer == {"response_token": signed(secret.encode("utf-8"), token.encode("utf-8"))}


def test_crc_token_is_bounded() -> None:
    longest = "a" * webhooks.MAX_CRC_TOKEN
    assert webhooks.crc_response(longest, "k") == {"response_token": signed(b"k", longest.encode())}
    with pytest.raises(ValueError, match=r"^crc_token is 1025 characters long, more than 1024$"):
        webhooks.crc_response(longest + "a", "k")
    with pytest.raises(ValueError, match=r"^crc_token is empty$"):
        webhooks.crc_response("", "k")
    with pytest.raises(TypeError, match=r"^crc_token must be str, got bytes$"):
        webhooks.crc_response(b"token", "k")  # type: ignore[arg-type]


# --- signatures -------------------------------------------------------------------------


def test_verify_signature_accepts_the_rfc4231_vector() -> None:
    assert base64.b64decode(RFC4231_1_HEADER.removeprefix("sha256=")).hex() == RFC4231_1_HEX
    assert webhooks.verify_signature(b"Hi There", RFC4231_1_HEADER, b"\x0b" * 20) is True
    assert webhooks.verify_signature(b"Hi There!", RFC4231_1_HEADER, b"\x0b" * 20) is False


def test_verify_signature_accepts_each_form_of_body_header_and_secret() -> None:
    body = json.dumps(PROFILE_EVENT).encode()
    header = signed(CONSUMER_SECRET.encode(), body)
    for raw_body in (body, bytearray(body), memoryview(body)):
        for given in (header, header.encode()):
            for secret in (CONSUMER_SECRET, CONSUMER_SECRET.encode(), Secret(CONSUMER_SECRET)):
                assert webhooks.verify_signature(raw_body, given, secret) is True


def test_verify_signature_rejects_a_changed_body_or_another_secret() -> None:
    body = json.dumps(PROFILE_EVENT).encode()
    header = signed(CONSUMER_SECRET.encode(), body)
    tampered = body.replace(b"New bio", b"New bIo")
    assert webhooks.verify_signature(tampered, header, CONSUMER_SECRET) is False
    assert webhooks.verify_signature(body + b" ", header, CONSUMER_SECRET) is False
    assert webhooks.verify_signature(body, header, CONSUMER_SECRET + "x") is False


def test_verify_signature_of_an_empty_body() -> None:
    header = signed(b"k", b"")
    assert webhooks.verify_signature(b"", header, "k") is True
    assert webhooks.verify_signature(b"x", header, "k") is False


def test_verify_signature_with_a_unicode_secret() -> None:
    secret = "clé-secrète-🔑"
    body = b'{"for_user_id":"1"}'
    header = signed(secret.encode("utf-8"), body)
    assert webhooks.verify_signature(body, header, secret) is True
    assert webhooks.verify_signature(body, header, Secret(secret)) is True
    # Latin-1 bytes of the same text are another key.
    assert webhooks.verify_signature(body, header, "clé-secrète".encode("latin-1")) is False


def _malformed(header: str) -> list[str | bytes | None]:
    b64 = header.removeprefix("sha256=")
    digest = base64.b64decode(b64)
    forms: list[str | bytes | None] = [
        None,
        "",
        "sha256=",
        b64,  # no prefix
        "SHA256=" + b64,
        "Sha256=" + b64,
        "sha256:" + b64,
        "sha1=" + b64,
        "sha256 =" + b64,
        "sha256= " + b64,
        "sha256=" + b64.rstrip("="),  # padding dropped
        "sha256=" + b64 + "=",  # extra padding
        "sha256=" + base64.urlsafe_b64encode(digest).decode(),  # url-safe alphabet
        "sha256=" + digest.hex(),  # hex, as other services send
        "sha256=" + b64[:20] + " " + b64[20:],  # whitespace inside
        header + "\n",  # not HTTP whitespace
        "\n" + header,
        header + "," + header,  # two values joined
        header + "x",
        header[:-2],  # truncated
        "sha256=" + "A" * 43 + "=",  # right shape, wrong digest
        header.replace("sha256=", "sha256=\u200b"),  # zero-width space
        "sha256=" + b64[:-1] + "\uff1d",  # a look-alike "=" (not ASCII)
        header.encode("ascii") + b"\xff",
        header + " " * 300,  # over the length cap, though only blanks follow
        "sha256=" + "A" * 100_000,
    ]
    # A digest without "+" or "/" has the same url-safe form; only real variants count.
    return [form for form in forms if form != header]


def test_verify_signature_refuses_every_other_header_form() -> None:
    secret = b"\x0b" * 20
    for given in _malformed(RFC4231_1_HEADER):
        assert webhooks.verify_signature(b"Hi There", given, secret) is False, repr(given)[:80]


def test_verify_signature_ignores_http_whitespace_around_the_value() -> None:
    # RFC 9110: spaces and tabs around a field value are not part of it.
    for given in (f" {RFC4231_1_HEADER}", f"{RFC4231_1_HEADER}\t", f"\t {RFC4231_1_HEADER}  "):
        assert webhooks.verify_signature(b"Hi There", given, b"\x0b" * 20) is True


def test_verify_signature_compares_in_constant_time(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[bytes, bytes]] = []
    real = hmac.compare_digest

    def spy(a: bytes, b: bytes) -> bool:
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(webhooks.hmac, "compare_digest", spy)
    assert webhooks.verify_signature(b"Hi There", RFC4231_1_HEADER, b"\x0b" * 20) is True
    assert (
        webhooks.verify_signature(b"Hi There", RFC4231_1_HEADER[:-2] + "x=", b"\x0b" * 20) is False
    )
    assert [sorted(pair) for pair in calls] == [
        sorted([RFC4231_1_HEADER.encode(), RFC4231_1_HEADER.encode()]),
        sorted([RFC4231_1_HEADER.encode(), (RFC4231_1_HEADER[:-2] + "x=").encode()]),
    ]


def test_programming_mistakes_raise_without_showing_the_secret() -> None:
    with pytest.raises(TypeError, match=r"^raw_body must be the request body as bytes.*got str$"):
        webhooks.verify_signature("{}", RFC4231_1_HEADER, CONSUMER_SECRET)  # type: ignore[arg-type]
    for empty in ("", b"", Secret("")):
        with pytest.raises(ValueError, match=r"^consumer_secret is empty$"):
            webhooks.verify_signature(b"{}", RFC4231_1_HEADER, empty)
        with pytest.raises(ValueError, match=r"^consumer_secret is empty$"):
            webhooks.crc_response("token", empty)
    with pytest.raises(TypeError) as caught:
        webhooks.crc_response("token", [CONSUMER_SECRET])  # type: ignore[arg-type]
    assert str(caught.value) == "consumer_secret must be str, bytes or Secret, got list"
    with pytest.raises(ValueError, match=r"^crc_token is not valid text"):
        webhooks.crc_response("tok\udc80en", "k")


@pytest.mark.parametrize("wrap", [str, Secret], ids=["str", "Secret"])
def test_an_unencodable_secret_is_refused_without_its_value(wrap: type[Any]) -> None:
    secret = wrap(CONSUMER_SECRET + "\udc80")
    with pytest.raises(ValueError) as caught:
        webhooks.verify_signature(b"{}", RFC4231_1_HEADER, secret)
    assert str(caught.value) == "consumer_secret is not valid text (it holds a lone surrogate)"
    assert caught.value.__context__ is None and caught.value.__cause__ is None
    with pytest.raises(ValueError, match=r"^consumer_secret is not valid text"):
        webhooks.crc_response("token", secret)


def _traceback_with_locals(exc: BaseException) -> str:
    te = traceback.TracebackException.from_exception(exc, capture_locals=True)
    return "".join(te.format())


def test_secret_stays_out_of_traceback_locals() -> None:
    secret = Secret(CONSUMER_SECRET)
    failures: list[BaseException] = []
    for call in (
        lambda: webhooks.verify_signature("{}", "sha256=", secret),  # type: ignore[arg-type]
        lambda: webhooks.crc_response("a" * 5000, secret),
        lambda: webhooks.crc_response(7, secret),  # type: ignore[arg-type]
    ):
        with pytest.raises((TypeError, ValueError)) as caught:
            call()
        failures.append(caught.value)
    for exc in failures:
        text = _traceback_with_locals(exc)
        assert "webhooks.py" in text
        assert CONSUMER_SECRET not in text
        assert base64.b64encode(CONSUMER_SECRET.encode()).decode() not in text


# --- events -----------------------------------------------------------------------------


def test_parse_event_types_an_activity_event_by_its_event_type() -> None:
    event = webhooks.parse_event(json.dumps(PROFILE_EVENT).encode())
    assert isinstance(event, ActivityStreamResponse)
    assert event.data is not None
    assert event.data.event_type == "profile.update.bio"
    assert event.data.event_uuid == "1146654567674912769"
    assert event.data.filter is not None and event.data.filter.user_id == "2244994945"
    payload = event.data.payload
    assert isinstance(payload, ProfileUpdateActivityResponsePayload)
    assert (payload.before, payload.after) == ("Old bio", "New bio")
    assert event.to_dict() == PROFILE_EVENT
    event.validate()


def test_parse_event_types_follow_and_delete_payloads() -> None:
    follow = {
        "data": {
            "event_type": "follow.follow",
            "filter": {"user_id": "783214"},
            "payload": {
                "source": {"id": "2244994945", "name": "Developers", "username": "XDevelopers"},
                "target": {"id": "783214", "name": "X", "username": "X"},
            },
        }
    }
    event = webhooks.parse_event(json.dumps(follow).encode())
    assert isinstance(event, ActivityStreamResponse) and event.data is not None
    assert isinstance(event.data.payload, FollowActivityResponsePayload)
    assert event.data.payload.source is not None
    assert event.data.payload.source.username == "XDevelopers"

    deleted = {
        "data": {
            "event_type": "post.delete",
            "payload": {"id": "1880000000000000001", "author_id": "2244994945"},
        }
    }
    event = webhooks.parse_event(json.dumps(deleted).encode())
    assert isinstance(event, ActivityStreamResponse) and event.data is not None
    assert isinstance(event.data.payload, PostDeleteActivityResponsePayload)
    assert event.data.payload.id == "1880000000000000001"


def test_parse_event_keeps_account_activity_payloads_as_decoded_json() -> None:
    # The spec has no schema for these v1.1-shaped deliveries; nothing is invented for them.
    event = webhooks.parse_event(json.dumps(ACCOUNT_ACTIVITY_EVENT).encode())
    assert type(event) is dict
    assert event == ACCOUNT_ACTIVITY_EVENT


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b'{"data": {"event_type": "dm.received", "text": "private', "not valid JSON"),
        (b"\xff\xfe{}", "not valid JSON"),
        (b"[" * 100_000 + b"]" * 100_000, "not valid JSON: nested too deeply"),
        (b"", "not valid JSON"),
        (b'["private"]', "is a JSON list, not an object"),
        (b'"private"', "is a JSON str, not an object"),
    ],
)
def test_parse_event_refuses_bodies_that_are_not_json_objects(body: bytes, message: str) -> None:
    with pytest.raises(ValueError, match=message) as caught:
        webhooks.parse_event(body)
    assert "private" not in str(caught.value)
    assert "\n" not in str(caught.value)


def test_parse_event_wants_bytes() -> None:
    with pytest.raises(TypeError, match=r"^raw_body must be the request body as bytes"):
        webhooks.parse_event("{}")  # type: ignore[arg-type]


def test_import_twitter_api_does_not_load_webhooks() -> None:
    code = (
        "import sys, twitter_api\n"
        "print('twitter_api.webhooks' in sys.modules)\n"
        "print(twitter_api.webhooks.crc_response('t', 'k')['response_token'])\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", signed(b"k", b"t")]


# --- the example endpoint, over real HTTP ----------------------------------------------


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    port: int
    stderr: Path

    def request(
        self, method: str, target: str, body: bytes = b"", headers: dict[str, Any] | None = None
    ) -> tuple[int, bytes]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            conn.putrequest(method, target)
            for name, value in (headers or {}).items():
                conn.putheader(name, value)
            if method == "POST" and "Content-Length" not in (headers or {}):
                conn.putheader("Content-Length", str(len(body)))
            conn.endheaders(body if method == "POST" else None)
            response = conn.getresponse()
            return response.status, response.read()
        finally:
            conn.close()

    def post(self, body: bytes, signature: str | bytes | None) -> int:
        headers = {} if signature is None else {"X-Twitter-Webhooks-Signature": signature}
        return self.request("POST", "/webhooks/x", body, headers)[0]

    def printed_line(self) -> str:
        """The next line the server printed (bounded wait, so a silent server fails the test)."""
        assert self.process.stdout is not None
        ready, _, _ = select.select([self.process.stdout], [], [], 10)
        assert ready, "the server printed nothing"
        return self.process.stdout.readline().decode().rstrip("\n")


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    stderr = tmp_path / "stderr.log"
    with stderr.open("wb") as err:
        process = subprocess.Popen(
            [sys.executable, str(EXAMPLE), "--port", "0", "--path", "/webhooks/x"],
            env={**os.environ, "X_API_SECRET": CONSUMER_SECRET},
            stdout=subprocess.PIPE,
            stderr=err,
        )
    try:
        running = Server(process, 0, stderr)
        line = running.printed_line()
        prefix = "listening on http://127.0.0.1:"
        assert line.startswith(prefix) and line.endswith("/webhooks/x"), line
        running.port = int(line.removeprefix(prefix).removesuffix("/webhooks/x"))
        yield running
    finally:
        process.terminate()
        process.wait(timeout=10)
        assert process.stdout is not None
        process.stdout.close()
    assert "Traceback" not in stderr.read_text(), stderr.read_text()


def test_example_answers_the_crc_challenge(server: Server) -> None:
    token = "Yjk2NDc4ZjQtMzQwNi00ZjhiLTk1NTItODRhZjFlZTk5NjUz"
    status, body = server.request("GET", f"/webhooks/x?crc_token={token}")
    assert status == 200
    assert json.loads(body) == {"response_token": signed(CONSUMER_SECRET.encode(), token.encode())}
    assert server.request("GET", "/webhooks/x")[0] == 400
    assert server.request("GET", "/webhooks/x?crc_token=" + "a" * 2000)[0] == 400
    assert server.request("GET", "/elsewhere?crc_token=t")[0] == 404


def test_example_accepts_signed_events_and_parses_them(server: Server) -> None:
    body = json.dumps(PROFILE_EVENT).encode()
    assert server.post(body, signed(CONSUMER_SECRET.encode(), body)) == 200
    assert server.printed_line() == "activity event profile.update.bio"

    body = json.dumps(ACCOUNT_ACTIVITY_EVENT).encode()
    assert server.post(body, signed(CONSUMER_SECRET.encode(), body)) == 200
    assert server.printed_line() == "account activity for user 2244994945: favorite_events"

    not_json = b"not json"
    assert server.post(not_json, signed(CONSUMER_SECRET.encode(), not_json)) == 400


def test_example_refuses_oversized_or_unsized_bodies_before_reading_them(server: Server) -> None:
    header = signed(CONSUMER_SECRET.encode(), b"")
    too_long = {"Content-Length": str((1 << 20) + 1), "X-Twitter-Webhooks-Signature": header}
    assert server.request("POST", "/webhooks/x", b"", too_long)[0] == 413
    unsized = {"Content-Length": "many", "X-Twitter-Webhooks-Signature": header}
    assert server.request("POST", "/webhooks/x", b"", unsized)[0] == 411
    assert server.request("PUT", "/webhooks/x")[0] == 405


def test_example_rejects_tampered_and_malformed_signatures(server: Server) -> None:
    body = json.dumps(PROFILE_EVENT).encode()
    header = signed(CONSUMER_SECRET.encode(), body)
    assert server.post(body.replace(b"New bio", b"Evil bio"), header) == 403
    assert server.post(body, signed(b"another secret", body)) == 403
    assert server.post(body, None) == 403
    for given in _malformed(header):
        if given is None or len(given) > 8000:
            continue  # absent: sent above; longer: the HTTP server refuses the line itself
        raw = given.encode("utf-8") if isinstance(given, str) else given
        if b"\n" in raw or raw != raw.strip(b" "):
            continue  # not sendable as one header line / trimmed by HTTP itself
        assert server.post(body, raw) == 403, repr(raw)[:80]
    assert server.post(body, "sha256=" + "A" * 7000) == 403
    # Still serving, and nothing the rejected requests carried was taken as an event.
    assert server.post(body, header) == 200
    assert server.printed_line() == "activity event profile.update.bio"
