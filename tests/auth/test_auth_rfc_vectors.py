"""Published test vectors: RFC 7636 Appendix B, RFC 5849 sections 3.4.1 and 1.2, X's own."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from urllib.parse import unquote

import httpx
import pytest
from twitter_api.auth import OAuth1
from twitter_api.auth._rfc5849_oauth1 import (
    hmac_sha1_signature,
    signature_base_string,
)
from twitter_api.auth._rfc7636_pkce import (
    CODE_VERIFIER_PATTERN,
    code_challenge,
    new_code_verifier,
    new_state,
)

# RFC 7636 Appendix B.
RFC7636_VERIFIER = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
RFC7636_CHALLENGE = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"

# RFC 5849 section 3.4.1: the request and the signature base string printed in 3.4.1.1.
RFC5849_URL = "http://example.com/request?b5=%3D%253D&a3=a&c%40=&a2=r%20b"
RFC5849_BODY = b"c2&a3=2+q"
RFC5849_BASE_STRING = (
    "POST&http%3A%2F%2Fexample.com%2Frequest&a2%3Dr%2520b%26a3%3D2%2520q"
    "%26a3%3Da%26b5%3D%253D%25253D%26c%2540%3D%26c2%3D%26oauth_consumer_"
    "key%3D9djdj82h48djs9d2%26oauth_nonce%3D7d8f3e4a%26oauth_signature_m"
    "ethod%3DHMAC-SHA1%26oauth_timestamp%3D137131201%26oauth_token%3Dkkk"
    "9d7dh3k39sjv7"
)


def test_rfc7636_appendix_b_vector() -> None:
    assert code_challenge(RFC7636_VERIFIER, "S256") == RFC7636_CHALLENGE
    assert code_challenge(RFC7636_VERIFIER, "plain") == RFC7636_VERIFIER


def test_new_verifiers_follow_the_rfc_grammar_and_are_distinct() -> None:
    verifiers = {new_code_verifier() for _ in range(200)}
    assert len(verifiers) == 200
    for verifier in verifiers:
        assert CODE_VERIFIER_PATTERN.fullmatch(verifier)
        # 32 random bytes in unpadded base64url: 43 characters, 256 bits of entropy.
        assert len(verifier) == 43
    assert len(new_code_verifier(96)) == 128
    with pytest.raises(ValueError):
        new_code_verifier(31)


def test_verifiers_outside_the_grammar_are_refused() -> None:
    with pytest.raises(ValueError):
        code_challenge("too-short")
    with pytest.raises(ValueError):
        code_challenge("a" * 42 + "+")


def test_state_carries_at_least_128_bits() -> None:
    states = {new_state() for _ in range(200)}
    assert len(states) == 200
    for state in states:
        raw = base64.urlsafe_b64decode(state + "=" * (-len(state) % 4))
        assert len(raw) * 8 >= 128


def _header_fields(header: str) -> dict[str, str]:
    assert header.startswith("OAuth ")
    return {k: unquote(v) for k, v in re.findall(r'(\w+)="([^"]*)"', header)}


def test_rfc5849_section_3_4_1_base_string_and_signature() -> None:
    """The whole signing path (query + form body + protocol parameters) against the RFC text.

    The RFC does not print the secrets of this example, so the expected signature is computed
    here, independently, over the RFC's own base string.
    """
    auth = OAuth1(
        "9djdj82h48djs9d2",
        "j49sk3j29djd",
        "kkk9d7dh3k39sjv7",
        "dh893hdasih9",
        clock=lambda: 137131201.9,
        nonce=lambda: "7d8f3e4a",
        oauth_version=None,
    )
    request = httpx.Request(
        "POST",
        RFC5849_URL,
        content=RFC5849_BODY,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    flow = auth.sync_auth_flow(request)
    signed = next(flow)
    fields = _header_fields(signed.headers["Authorization"])
    expected = base64.b64encode(
        hmac.new(b"j49sk3j29djd&dh893hdasih9", RFC5849_BASE_STRING.encode(), hashlib.sha1).digest()
    ).decode()
    assert fields == {
        "oauth_consumer_key": "9djdj82h48djs9d2",
        "oauth_nonce": "7d8f3e4a",
        "oauth_signature_method": "HMAC-SHA1",
        "oauth_timestamp": "137131201",
        "oauth_token": "kkk9d7dh3k39sjv7",
        "oauth_signature": expected,
    }


def test_rfc5849_base_string_function_matches_the_rfc() -> None:
    params = [
        ("b5", "=%3D"),
        ("a3", "a"),
        ("c@", ""),
        ("a2", "r b"),
        ("oauth_consumer_key", "9djdj82h48djs9d2"),
        ("oauth_token", "kkk9d7dh3k39sjv7"),
        ("oauth_signature_method", "HMAC-SHA1"),
        ("oauth_timestamp", "137131201"),
        ("oauth_nonce", "7d8f3e4a"),
        ("c2", ""),
        ("a3", "2 q"),
    ]
    assert signature_base_string("post", "http://EXAMPLE.COM:80/request", params) == (
        RFC5849_BASE_STRING
    )


def test_rfc5849_section_1_2_signature() -> None:
    """Section 1.2's complete example, whose secrets the RFC does print."""
    params = [
        ("file", "vacation.jpg"),
        ("size", "original"),
        ("oauth_consumer_key", "dpf43f3p2l4k3l03"),
        ("oauth_token", "nnch734d00sl2jdk"),
        ("oauth_signature_method", "HMAC-SHA1"),
        ("oauth_timestamp", "137131202"),
        ("oauth_nonce", "chapoH"),
    ]
    base = signature_base_string("GET", "http://photos.example.net/photos", params)
    signature = hmac_sha1_signature(base, "kd94hf93k423kf44", "pfkkdhi9sl3r4s00")
    assert signature == "MdpQcU8iPSUjWoN/UDMsK2sui9I="


def test_x_documentation_worked_example() -> None:
    """X's "creating a signature" example, which includes oauth_version=1.0."""
    auth = OAuth1(
        "xvz1evFS4wEEPTGEFPHBog",
        "kAcSOqF21Fu85e7zjz7ZN2U4ZRhfV3WpwPAoE3Z7kBw",
        "370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb",
        "LswwdoUaIvS8ltyTt5jkRh4J50vUPVVHtR2YPi5kE",
        clock=lambda: 1318622958,
        nonce=lambda: "kYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg",
    )
    request = httpx.Request(
        "POST",
        "https://api.twitter.com/1.1/statuses/update.json?include_entities=true",
        data={"status": "Hello Ladies + Gentlemen, a signed OAuth request!"},
    )
    header = next(auth.sync_auth_flow(request)).headers["Authorization"]
    assert 'oauth_signature="hCtSmYh%2BiHYCEqBWrE7C7hYmtUk%3D"' in header
    assert 'oauth_version="1.0"' in header


def test_json_bodies_are_not_signed() -> None:
    """X v2 JSON bodies are outside the signature: adding one must not change it."""

    def sign(**kwargs: object) -> str:
        auth = OAuth1("ck", "cs", "tk", "ts", clock=lambda: 1, nonce=lambda: "n")
        request = httpx.Request("POST", "https://api.x.com/2/tweets", **kwargs)  # type: ignore[arg-type]
        return _header_fields(next(auth.sync_auth_flow(request)).headers["Authorization"])[
            "oauth_signature"
        ]

    assert sign(json={"text": "hello"}) == sign()
    assert sign(data={"text": "hello"}) != sign()
