"""Every GET operation of X API v2 2.167, called through the generated client against Prism.

Arguments are derived from the raw spec (not from the generated code), so a request Prism
rejects (422/400/401) points at the client's serialisation, and a 200 body that does not read
back with the spec's types points at the generated models.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx
import pytest
import twitter_api
from openapi_python_client.strings import snake_case

from tests.integration.prism_support import (
    SPEC,
    SPEC_PATH,
    Recorder,
    SpecOperation,
    assert_typed,
    auth_for,
    request_violations,
    sample_value,
    spec_operations,
)

GetOperation = SpecOperation
GET_OPERATIONS = spec_operations(["get"])
OPERATION_IDS = [op.operation_id for op in GET_OPERATIONS]


def test_spec_snapshot_is_present_and_has_all_get_operations() -> None:
    # Guards against an empty parametrisation silently passing when ../shared is missing.
    assert SPEC_PATH.is_file(), f"spec snapshot missing: {SPEC_PATH}"
    assert SPEC["info"]["version"] == "2.167"
    assert len(GET_OPERATIONS) == 97


# --- calling the generated client ------------------------------------------------------------


@dataclass(frozen=True)
class Call:
    args: tuple[Any, ...]  # path parameters, URL template order
    kwargs: dict[str, Any]  # query parameters by their Python names
    wire_path: str  # the path Prism must see
    wire_query: dict[str, str]  # wire name -> the exact query value Prism must see


def _wire_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, list):
        return ",".join(_wire_text(v) for v in value)
    return str(value)


def build_call(op: GetOperation, *, all_params: bool) -> Call:
    """Arguments for `op`: required parameters, or every parameter when `all_params`."""
    args: list[Any] = []
    wire_path = op.path
    for p in op.path_params:
        value = sample_value(p.schema, p.example)
        args.append(value)
        wire_path = wire_path.replace("{" + p.name + "}", _wire_text(value))
    kwargs: dict[str, Any] = {}
    wire_query: dict[str, str] = {}
    for p in op.query_params:
        if p.required or all_params:
            value = sample_value(p.schema, p.example, full=all_params)
            # Every array query parameter of 2.167 is one comma-joined list on the wire.
            assert not isinstance(value, list) or p.comma_joined, (op.operation_id, p.name)
            kwargs[snake_case(p.name)] = value
            wire_query[p.name] = _wire_text(value)
    return Call(tuple(args), kwargs, wire_path, wire_query)


def assert_request_accepted(response: httpx.Response, call: Call) -> None:
    """Prism answered 200 and found nothing wrong with the request the client built."""
    violations = request_violations(response)
    assert response.status_code == 200, (response.status_code, violations)
    assert violations == []
    assert response.request.headers["Authorization"] == "Bearer test-token"
    url = response.request.url
    assert url.path == call.wire_path
    sent = {key: url.params.get_list(key) for key in url.params}
    assert sent == {key: [value] for key, value in call.wire_query.items()}


NON_STREAMING = [op for op in GET_OPERATIONS if not op.streaming]
STREAMING = [op for op in GET_OPERATIONS if op.streaming]


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def make_client(prism_url: str, recorder: Recorder) -> Iterator[Any]:
    http = httpx.Client(event_hooks={"response": [recorder]})

    def make(op: GetOperation) -> Any:
        # max_retries=0: exactly one request per call, so the recorder sees that one.
        return twitter_api.Client(
            auth=auth_for(op), base_url=prism_url, http_client=http, max_retries=0
        )

    yield make
    http.close()


@pytest.mark.parametrize("all_params", [False, True], ids=["required", "all-params"])
@pytest.mark.parametrize("op", NON_STREAMING, ids=[op.operation_id for op in NON_STREAMING])
def test_get_operation(
    op: GetOperation, all_params: bool, make_client: Any, recorder: Recorder
) -> None:
    call = build_call(op, all_params=all_params)
    method = getattr(make_client(op), snake_case(op.operation_id))

    result = method(*call.args, **call.kwargs)

    response = recorder.only()
    assert_request_accepted(response, call)
    if op.binary:
        assert isinstance(result, bytes)
        assert result == response.content and result
    else:
        assert_typed(result, method, json.loads(response.content), op.response_schema)


@pytest.mark.parametrize("all_params", [False, True], ids=["required", "all-params"])
@pytest.mark.parametrize("op", STREAMING, ids=[op.operation_id for op in STREAMING])
def test_streaming_get_operation(
    op: GetOperation, all_params: bool, make_client: Any, recorder: Recorder
) -> None:
    call = build_call(op, all_params=all_params)
    method = getattr(make_client(op), snake_case(op.operation_id))

    with method(*call.args, **call.kwargs) as stream:
        first = next(iter(stream))

    response = recorder.only()
    assert_request_accepted(response, call)
    # Prism's static example is deterministic: fetch the same document again to compare.
    again = httpx.get(response.request.url, headers={"Authorization": "Bearer test-token"})
    assert_typed(first, method, json.loads(again.content), op.response_schema, item_of_stream=True)


def test_async_client_calls_every_get_operation(prism_url: str) -> None:
    """The same calls through AsyncClient, concurrently, on one connection pool."""

    async def main() -> list[tuple[GetOperation, Any, Any, httpx.Response]]:
        recorder = Recorder()
        async with httpx.AsyncClient(event_hooks={"response": [_async(recorder)]}) as http:

            async def one(op: GetOperation) -> tuple[GetOperation, Any, Any, httpx.Response]:
                client = twitter_api.AsyncClient(
                    auth=auth_for(op), base_url=prism_url, http_client=http, max_retries=0
                )
                method = getattr(client, snake_case(op.operation_id))
                call = build_call(op, all_params=True)
                raw = await client.with_raw_response(method, *call.args, **call.kwargs)
                assert_request_accepted(raw.http_response, call)
                return op, raw.parse(), method, raw.http_response

            return list(await asyncio.gather(*(one(op) for op in NON_STREAMING)))

    results = asyncio.run(main())
    assert len(results) == len(NON_STREAMING) > 80
    for op, result, method, response in results:
        if op.binary:
            assert result == response.content and result
        else:
            assert_typed(result, method, json.loads(response.content), op.response_schema)


def _async(hook: Recorder) -> Any:
    async def call(response: httpx.Response) -> None:
        hook(response)

    return call
