"""Error responses raise the exception of their status, carrying the parsed Problem."""

from __future__ import annotations

from types import ModuleType
from typing import Any

import httpx
import pytest


def _client(api: ModuleType, status: int, body: Any, headers: dict[str, str] | None = None) -> Any:
    calls: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return httpx.Response(status, json=body, headers=headers or {})

    client = api.Client(
        http_client=httpx.Client(transport=httpx.MockTransport(handler)), max_retries=0
    )
    client.calls = calls
    return client


@pytest.mark.parametrize(
    ("status", "name"),
    [
        (400, "BadRequestError"),
        (401, "AuthenticationError"),
        (403, "PermissionDeniedError"),
        (404, "NotFoundError"),
        (409, "ConflictError"),
        (429, "RateLimitError"),
        (500, "ServerError"),
        (503, "ServerError"),
        (418, "APIStatusError"),
    ],
)
def test_status_maps_to_exception(mini_api: ModuleType, status: int, name: str) -> None:
    body = {"type": "https://api.example.test/problems/not-found", "title": "T", "detail": "D"}
    client = _client(mini_api, status, body)
    with pytest.raises(getattr(mini_api, name)) as info:
        client.get_item_by_id("1")
    err = info.value
    assert type(err).__name__ == name
    assert isinstance(err, mini_api.APIStatusError) and isinstance(err, mini_api.APIError)
    assert err.status_code == status
    assert err.response.status_code == status
    assert type(err.problem).__name__ == "NotFoundProblem"
    assert err.problem.detail == "D"
    assert str(err).endswith(": D")


def test_errors_array_body_gives_first_problem(mini_api: ModuleType) -> None:
    body = {
        "errors": [
            {
                "type": "https://api.example.test/problems/invalid",
                "title": "Bad",
                "detail": "field x",
            }
        ]
    }
    client = _client(mini_api, 400, body)
    with pytest.raises(mini_api.BadRequestError) as info:
        client.get_item_by_id("1")
    assert type(info.value.problem).__name__ == "InvalidProblem"
    assert "field x" in str(info.value)


def test_rate_limit_error_carries_reset(mini_api: ModuleType) -> None:
    client = _client(
        mini_api,
        429,
        {"title": "Too Many Requests"},
        {
            "x-rate-limit-limit": "900",
            "x-rate-limit-remaining": "0",
            "x-rate-limit-reset": "1700000000",
        },
    )
    with pytest.raises(mini_api.RateLimitError) as info:
        client.get_item_by_id("1")
    assert info.value.limit == 900 and info.value.remaining == 0
    assert int(info.value.reset_at.timestamp()) == 1700000000
    assert len(client.calls) == 1


def test_truncated_json_is_a_clear_error(mini_api: ModuleType) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=b'{"data": {"id": "1", "na')

    client = mini_api.Client(http_client=httpx.Client(transport=httpx.MockTransport(handler)))
    with pytest.raises(mini_api.APIResponseError, match="not valid JSON"):
        client.get_item_by_id("1")


def test_operation_not_allowed_for_auth_scheme(mini_api: ModuleType) -> None:
    class AppBearer(httpx.Auth):
        security_scheme = "BearerToken"
        granted_scopes = None

    class UserToken(httpx.Auth):
        security_scheme = "OAuth2UserToken"
        granted_scopes = frozenset({"item.read"})

    sent: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(200, json={})

    http = httpx.Client(transport=httpx.MockTransport(handler))
    app = mini_api.Client(auth=AppBearer(), http_client=http)
    with pytest.raises(
        mini_api.OperationNotAllowedError,
        match=r"create_item\(\) cannot be called with AppBearer auth; it needs OAuth2PKCE or "
        r"OAuth2UserToken \(spec schemes: OAuth2UserToken\)",
    ):
        app.create_item(body={"name": "x"})
    user = mini_api.Client(auth=UserToken(), http_client=http)
    with pytest.raises(mini_api.OperationNotAllowedError, match=r"needs the scopes item\.write"):
        user.create_item(body={"name": "x"})
    assert sent == []
    user.get_item_by_id("1")
    assert len(sent) == 1


@pytest.mark.parametrize(
    "body",
    [
        {"type": "about:blank", "title": "Unauthorized", "status": 401, "detail": "Unauthorized"},
        {"errors": [{"message": "Could not authenticate you", "code": 32}]},
    ],
)
def test_a_body_of_no_declared_kind_gives_no_problem(mini_api: ModuleType, body: Any) -> None:
    # `.problem` is typed as the spec's union: a kind outside it is not passed off as one.
    client = _client(mini_api, 401, body)
    with pytest.raises(mini_api.AuthenticationError) as info:
        client.get_item_by_id("1")
    assert info.value.problem is None
    assert info.value.response.json() == body
    assert str(info.value).endswith(("Unauthorized", "Could not authenticate you"))
