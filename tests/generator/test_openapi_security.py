"""Security schemes and servers of any OpenAPI document: each credential arrives exactly where
the spec's scheme says, every security alternative is honoured (an empty one too, several
schemes together), and operation or path servers are used.

Small specs are generated once; the generated clients send to httpx.MockTransport, and each
test checks the exact requests.
"""

from __future__ import annotations

import asyncio
import importlib
import json
import sys
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest

from tests.conftest import generate_in_process

TOKEN_URL = "https://auth.example.test/token"
BASE = "https://eu.api.example.test"


def _get(security: list[dict[str, list[str]]], **extra: Any) -> dict[str, Any]:
    return {"get": {"security": security, "responses": {"204": {"description": "done"}}, **extra}}


SPEC: dict[str, Any] = {
    "openapi": "3.0.3",
    "info": {"title": "Keys", "version": "1"},
    "servers": [
        {"url": "https://{region}.api.example.test", "variables": {"region": {"default": "eu"}}}
    ],
    "paths": {
        "/query": _get([{"qryKey": []}]),
        "/header": _get([{"hdrKey": []}]),
        "/cookie": _get([{"ckKey": []}]),
        "/both": _get([{"hdrKey": [], "qryKey": []}]),
        "/either": _get([{"oauth": ["read"]}, {"oidc": ["write"]}]),
        "/anon": _get([{}, {"bearerAuth": []}]),
        "/app": _get([{"cc": ["read"]}]),
        "/key-and-app": _get([{"hdrKey": [], "cc": []}]),
        "/upload": _get([{"bearerAuth": []}], servers=[{"url": "https://upload.example.test/v2"}]),
        "/plain": _get([{"bearerAuth": []}], servers=[{"url": "http://plain.example.test"}]),
        "/files": {
            "servers": [{"url": "https://files.example.test"}],
            **_get([{"bearerAuth": []}]),
        },
    },
    "components": {
        "securitySchemes": {
            "hdrKey": {"type": "apiKey", "in": "header", "name": "X-Api-Key"},
            "qryKey": {"type": "apiKey", "in": "query", "name": "api_key"},
            "ckKey": {"type": "apiKey", "in": "cookie", "name": "session"},
            "bearerAuth": {"type": "http", "scheme": "bearer"},
            "basic": {"type": "http", "scheme": "basic"},
            "oidc": {"type": "openIdConnect", "openIdConnectUrl": "https://id.example.test"},
            "oauth": {
                "type": "oauth2",
                "flows": {
                    "authorizationCode": {
                        "authorizationUrl": "https://auth.example.test/authorize",
                        "tokenUrl": TOKEN_URL,
                        "scopes": {"read": "read things", "write": "write things"},
                    }
                },
            },
            "cc": {
                "type": "oauth2",
                "flows": {"clientCredentials": {"tokenUrl": TOKEN_URL, "scopes": {"read": "r"}}},
            },
        }
    },
}

# One apiKey scheme, an OpenID Connect scheme, and a server URL relative to the document.
SMALL: dict[str, Any] = {
    "openapi": "3.0.3",
    "info": {"title": "Small", "version": "1"},
    "servers": [{"url": "/api/v3"}],
    "paths": {"/pets": _get([{"key": []}]), "/me": _get([{"oidc": []}])},
    "components": {
        "securitySchemes": {
            "key": {"type": "apiKey", "in": "query", "name": "api_key"},
            "oidc": {"type": "openIdConnect", "openIdConnectUrl": "https://id.example.test"},
        }
    },
}


def _generate(spec: dict[str, Any], root: Path, package: str) -> tuple[int, str, Path]:
    spec_path = root / "spec.json"
    spec_path.write_text(json.dumps(spec), encoding="utf-8")
    out = root / "out"
    code, err = generate_in_process(spec_path, out, package)
    return code, err, out


def _import(out: Path, package: str) -> Iterator[ModuleType]:
    sys.path.insert(0, str(out))
    try:
        yield importlib.import_module(package)
    finally:
        sys.path.remove(str(out))
        for name in [m for m in sys.modules if m == package or m.startswith(f"{package}.")]:
            del sys.modules[name]


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModuleType]:
    code, err, out = _generate(SPEC, tmp_path_factory.mktemp("keys"), "keys_api")
    assert code == 0, err
    yield from _import(out, "keys_api")


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModuleType]:
    code, err, out = _generate(SMALL, tmp_path_factory.mktemp("small"), "small_api")
    assert code == 0, err
    yield from _import(out, "small_api")


class Recorder:
    """Keeps every request; answers the token endpoint with a token, the rest with 204."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []

    def respond(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if str(request.url) == TOKEN_URL:
            return httpx.Response(200, json={"access_token": "app-tok", "token_type": "bearer"})
        return httpx.Response(204)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        request.read()
        return self.respond(request)

    async def handle_async(self, request: httpx.Request) -> httpx.Response:
        await request.aread()
        return self.respond(request)

    @property
    def last(self) -> httpx.Request:
        return self.requests[-1]


def _client(api: ModuleType, rec: Recorder, **kwargs: Any) -> Any:
    return api.Client(http_client=httpx.Client(transport=httpx.MockTransport(rec)), **kwargs)


def _refused(api: ModuleType, call: Callable[[], object], match: str) -> None:
    with pytest.raises(api.OperationNotAllowedError, match=match):
        call()


# -- 1. API keys go where their scheme says ---------------------------------------------------


def test_an_api_key_is_sent_as_its_scheme_says(api: ModuleType) -> None:
    from keys_api.auth import APIKey

    rec = Recorder()
    _client(api, rec, auth=APIKey("K 1", scheme="qryKey")).get_query()
    assert str(rec.last.url) == f"{BASE}/query?api_key=K+1"
    assert "x-api-key" not in rec.last.headers
    # name and location alone pick the scheme that sends the key so
    _client(api, rec, auth=APIKey("K2", name="api_key", location="query")).get_query()
    assert str(rec.last.url) == f"{BASE}/query?api_key=K2"
    _client(api, rec, auth=APIKey("K3", name="x-api-key")).get_header()
    assert rec.last.headers["X-Api-Key"] == "K3"
    assert str(rec.last.url) == f"{BASE}/header"
    _client(api, rec, auth=APIKey("K4", scheme="ckKey")).get_cookie()
    assert rec.last.headers["cookie"] == "session=K4"
    assert len(rec.requests) == 4


def test_a_key_for_another_scheme_is_refused_before_sending(api: ModuleType) -> None:
    from keys_api.auth import APIKey

    rec = Recorder()
    header_key = APIKey("K", name="X-Api-Key")
    _refused(
        api,
        lambda: _client(api, rec, auth=header_key).get_query(),
        r"get_query\(\) cannot be called with APIKey \(for hdrKey\) auth; it needs APIKey "
        r"for qryKey \(spec schemes: qryKey\)",
    )
    assert rec.requests == []


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"scheme": "qryKey", "name": "X-Api-Key"},
            "APIKey: the scheme 'qryKey' sends the key as the query parameter 'api_key'; "
            "leave out name= and location= or make them match",
        ),
        (
            {"scheme": "qryKey", "location": "header"},
            "APIKey: the scheme 'qryKey' sends the key as the query parameter 'api_key'",
        ),
        (
            {"name": "token", "location": "query"},
            "APIKey: no apiKey scheme of the spec sends the key as query parameter 'token' "
            "(its apiKey schemes: hdrKey: header 'X-Api-Key'; qryKey: query parameter "
            "'api_key'; ckKey: cookie 'session')",
        ),
        ({"scheme": "basic"}, "APIKey: 'basic' is not an apiKey scheme of the spec"),
        (
            {},
            "APIKey: the spec has several apiKey schemes (hdrKey: header 'X-Api-Key'; qryKey: "
            "query parameter 'api_key'; ckKey: cookie 'session'); say which this key is for "
            "with scheme=",
        ),
    ],
)
def test_api_key_settings_that_contradict_the_spec_are_refused(
    api: ModuleType, kwargs: dict[str, str], message: str
) -> None:
    from keys_api.auth import APIKey

    with pytest.raises(ValueError) as caught:
        APIKey("secret-K", **kwargs)  # type: ignore[arg-type]
    assert str(caught.value).startswith(message)
    assert "secret-K" not in str(caught.value)


def test_the_only_api_key_scheme_needs_no_name(small: ModuleType) -> None:
    from small_api.auth import APIKey

    rec = Recorder()
    client = _client(small, rec, auth=APIKey("K"), base_url="https://h.example.test/api/v3")
    client.get_pets()
    assert str(rec.last.url) == "https://h.example.test/api/v3/pets?api_key=K"


# -- 2. AppOnly runs the spec's clientCredentials flow ----------------------------------------


def test_app_only_fetches_from_the_client_credentials_token_url(api: ModuleType) -> None:
    from keys_api.auth import AppOnly, HTTPBasic

    rec = Recorder()
    auth = AppOnly("cid", "csecret", scopes=["read"])
    assert auth.token_url == TOKEN_URL
    _client(api, rec, auth=auth).get_app()
    token_call, call = rec.requests
    assert str(token_call.url) == TOKEN_URL
    assert token_call.content == b"grant_type=client_credentials&scope=read"
    assert token_call.headers["authorization"] == "Basic Y2lkOmNzZWNyZXQ="
    assert str(call.url) == f"{BASE}/app"
    assert call.headers["authorization"] == "Bearer app-tok"
    _refused(
        api,
        lambda: _client(api, rec, auth=auth).get_query(),
        r"it needs APIKey for qryKey \(spec schemes: qryKey\)",
    )
    basic = HTTPBasic("a", "b")
    _refused(
        api,
        lambda: _client(api, rec, auth=basic).get_app(),
        r"get_app\(\) cannot be called with HTTPBasic auth; it needs AppOnly or OAuth2PKCE or "
        r"OAuth2UserToken \(spec schemes: cc\)",
    )
    assert len(rec.requests) == 2


# -- 3. scopes are checked against every alternative the auth serves -------------------------


def test_scopes_of_any_served_alternative_suffice(api: ModuleType) -> None:
    from keys_api.auth import OAuth2UserToken

    rec = Recorder()
    _client(api, rec, auth=OAuth2UserToken("t", scopes=["write"])).get_either()
    _client(api, rec, auth=OAuth2UserToken("t", scopes=["read"])).get_either()
    assert [r.headers["authorization"] for r in rec.requests] == ["Bearer t", "Bearer t"]
    _refused(
        api,
        lambda: _client(api, rec, auth=OAuth2UserToken("t", scopes=["other"])).get_either(),
        r"get_either\(\) needs the scopes read, which the token was not granted",
    )
    assert len(rec.requests) == 2


# -- 4. an empty alternative, and alternatives of several schemes ----------------------------


def test_an_empty_alternative_accepts_any_auth_or_none(api: ModuleType) -> None:
    from keys_api.auth import HTTPBasic

    rec = Recorder()
    _client(api, rec).get_anon()
    assert "authorization" not in rec.last.headers
    _client(api, rec, auth=HTTPBasic("ann", "pw")).get_anon()
    assert rec.last.headers["authorization"] == "Basic YW5uOnB3"
    assert len(rec.requests) == 2


def test_every_scheme_of_an_alternative_is_required(api: ModuleType) -> None:
    from keys_api.auth import APIKey, MultiAuth

    rec = Recorder()
    _refused(
        api,
        lambda: _client(api, rec, auth=APIKey("A", scheme="hdrKey")).get_both(),
        r"get_both\(\) cannot be called with APIKey \(for hdrKey\) auth; it needs "
        r"MultiAuth\(APIKey for hdrKey, APIKey for qryKey\)",
    )
    assert rec.requests == []
    both = MultiAuth(APIKey("A", scheme="hdrKey"), APIKey("B", scheme="qryKey"))
    _client(api, rec, auth=both).get_both()
    assert str(rec.last.url) == f"{BASE}/both?api_key=B"
    assert rec.last.headers["x-api-key"] == "A"
    assert "'A'" not in repr(both) and "'B'" not in repr(both)


def test_a_key_together_with_a_refreshing_flow_sync_and_async(api: ModuleType) -> None:
    from keys_api.auth import APIKey, AppOnly, MultiAuth

    rec = Recorder()
    auth = MultiAuth(APIKey("A", scheme="hdrKey"), AppOnly("cid", "cs"))
    _client(api, rec, auth=auth).get_key_and_app()

    async def run() -> None:
        transport = httpx.MockTransport(rec.handle_async)
        async_auth = MultiAuth(APIKey("A", scheme="hdrKey"), AppOnly("cid", "cs"))
        client = api.AsyncClient(
            http_client=httpx.AsyncClient(transport=transport), auth=async_auth
        )
        await client.get_key_and_app()

    asyncio.run(run())
    for token_call, call in (rec.requests[:2], rec.requests[2:]):
        assert str(token_call.url) == TOKEN_URL
        assert "x-api-key" not in token_call.headers  # the key goes to the API only
        assert str(call.url) == f"{BASE}/key-and-app"
        assert call.headers["x-api-key"] == "A"
        assert call.headers["authorization"] == "Bearer app-tok"
    with pytest.raises(ValueError, match="at most one part may refresh"):
        MultiAuth(AppOnly("a", "b"), AppOnly("c", "d"))


# -- 6. nothing of X's in another spec's package ----------------------------------------------


def test_pkce_for_another_spec_has_no_x_leftovers(api: ModuleType) -> None:
    from keys_api import _spec_info, auth
    from keys_api.auth import AuthError, OAuth2PKCE

    assert "X API" not in (auth.__doc__ or "")
    assert _spec_info.OAUTH2_REVOKE_URL == ""
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the spec has no offline.access: nothing to warn of
        pkce = OAuth2PKCE("cid", "http://127.0.0.1:8976/cb", ["read"])
    assert pkce.authorize_url == "https://auth.example.test/authorize"
    with pytest.raises(
        AuthError, match="no token revocation URL is known: the spec names none; pass revoke_url="
    ):
        pkce.revoke()
    given = OAuth2PKCE("cid", "http://127.0.0.1:8976/cb", ["read"], revoke_url=TOKEN_URL)
    assert given.revoke() is False  # nothing to revoke yet, and the URL is known


def test_an_openid_connect_only_spec_asks_for_the_urls(small: ModuleType) -> None:
    from small_api.auth import OAuth2PKCE

    with pytest.raises(
        ValueError,
        match=r"^OAuth2PKCE: the spec names no authorize_url .*"
        r"pass authorize_url=$",
    ):
        OAuth2PKCE("cid", "http://127.0.0.1:8976/cb", ["openid"])
    auth = OAuth2PKCE(
        "cid",
        "http://127.0.0.1:8976/cb",
        ["openid"],
        authorize_url="https://id.example.test/authorize",
        token_url="https://id.example.test/token",
    )
    assert auth.authorization_url().startswith("https://id.example.test/authorize?")


# -- 7. servers of operations and paths; relative server URLs ---------------------------------


def test_operation_and_path_servers_are_used_with_the_default_base_url(api: ModuleType) -> None:
    from keys_api.auth import BearerToken

    rec = Recorder()
    client = _client(api, rec, auth=BearerToken("b"))
    client.get_upload()
    client.get_files()
    client.get_anon()
    assert [str(r.url) for r in rec.requests] == [
        "https://upload.example.test/v2/upload",
        "https://files.example.test/files",
        f"{BASE}/anon",
    ]
    with pytest.raises(ValueError, match=r"^the server of get_plain uses plain http to "):
        client.get_plain()  # credentials never travel over plain http
    assert len(rec.requests) == 3
    # A base_url of the user's own (a proxy, a test server) takes every call.
    _client(api, rec, auth=BearerToken("b"), base_url="https://proxy.example.test").get_upload()
    assert str(rec.last.url) == "https://proxy.example.test/upload"


def test_a_relative_server_url_asks_for_base_url(small: ModuleType) -> None:
    with pytest.raises(
        ValueError,
        match=r"^the spec's server URL '/api/v3' is relative: pass "
        r"base_url= with the full URL",
    ):
        small.Client()
    with pytest.raises(ValueError, match=r"^base_url must be an absolute URL"):
        small.Client(base_url="/api/v3")


# -- 5. specs a client could not follow are refused -------------------------------------------


def _broken(change: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    spec = json.loads(json.dumps(SPEC))
    change(spec)
    return spec


@pytest.mark.parametrize(
    ("change", "where", "message"),
    [
        (
            lambda s: s["paths"]["/query"]["get"].update(security=[{"nope": []}]),
            "#/paths/~1query/get/security/0/nope",
            "security names the scheme 'nope', which components/securitySchemes does not "
            "define (defined: basic, bearerAuth, cc, ckKey, hdrKey, oauth, oidc, qryKey)",
        ),
        (
            lambda s: s.update(security=[{"bearerAuth": []}, {"missing": []}]),
            "#/security/1/missing",
            "security names the scheme 'missing', which",
        ),
        (
            lambda s: s["components"]["securitySchemes"]["qryKey"].update({"in": "body"}),
            "#/components/securitySchemes/qryKey/in",
            "an apiKey scheme goes in header, query or cookie, not 'body'",
        ),
        (
            lambda s: s["servers"][0].pop("variables"),
            "#/servers/0/url",
            "the server URL uses the variable 'region', which its variables do not declare",
        ),
        (
            lambda s: s["paths"]["/upload"]["get"].update(servers=[{"url": "https://{x}.t"}]),
            "#/paths/~1upload/get/servers/0/url",
            "the server URL uses the variable 'x'",
        ),
    ],
)
def test_undefined_schemes_bad_keys_and_undeclared_variables_are_refused(
    tmp_path: Path, change: Callable[[dict[str, Any]], None], where: str, message: str
) -> None:
    code, err, out = _generate(_broken(change), tmp_path, "bad_keys")
    assert code == 2
    assert err.startswith(f"sdkgen: error: {tmp_path}/spec.json:{where}: {message}")
    assert err.count("\n") == 1
    assert not out.exists()


def test_a_relative_server_url_is_resolved_against_the_spec_url_it_came_from() -> None:
    from generator.errors import GeneratorError
    from generator.model.security import server_url

    origin = "https://specs.example.test/petstore/openapi.json"
    assert server_url(origin, {"url": "/api/v3/"}, "#/servers/0") == (
        "https://specs.example.test/api/v3"
    )
    assert server_url(origin, {"url": "v2"}, "#/servers/0") == (
        "https://specs.example.test/petstore/v2"
    )
    # A spec read from a file leaves it relative: the client then asks for base_url=.
    assert server_url("spec/openapi.json", {"url": "/api/v3"}, "#/servers/0") == "/api/v3"
    with pytest.raises(GeneratorError, match="which its variables do not declare"):
        server_url(origin, {"url": "https://{a}.t", "variables": {"b": {}}}, "#/servers/0")
