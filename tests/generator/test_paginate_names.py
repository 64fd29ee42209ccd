"""`paginate(op, limit=, max_items=)` bounds pages and items: a paginated operation whose own
query parameters are named `limit` or `max_items` takes them as `limit_` and `max_items_`, so
both reach the wire."""

from __future__ import annotations

import inspect
import json
from pathlib import Path
from typing import Any

import httpx

from tests.spec_package import generate, imported

PAGE = {
    "type": "object",
    "properties": {
        "data": {"type": "array", "items": {"type": "string"}},
        "meta": {"type": "object", "properties": {"next_token": {"type": "string"}}},
    },
}


def _spec() -> dict[str, Any]:
    def query(name: str) -> dict[str, Any]:
        return {"name": name, "in": "query", "schema": {"type": "integer"}}

    return {
        "openapi": "3.0.3",
        "info": {"title": "Paged", "version": "1"},
        "paths": {
            "/items": {
                "get": {
                    "operationId": "listItems",
                    "parameters": [
                        query("limit"),
                        query("max_items"),
                        {"name": "pagination_token", "in": "query", "schema": {"type": "string"}},
                    ],
                    "responses": {
                        "200": {
                            "description": "a page",
                            "content": {"application/json": {"schema": PAGE}},
                        }
                    },
                }
            },
            "/plain": {
                "get": {
                    "operationId": "plain",
                    "parameters": [query("limit")],
                    "responses": {"204": {"description": "none"}},
                }
            },
        },
    }


def test_own_limit_parameters_of_a_paginated_operation_reach_the_wire(tmp_path: Path) -> None:
    code, err, out, package = generate(_spec(), tmp_path, "paged")
    assert code == 0, err
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        token = request.url.params.get("pagination_token")
        page = {"data": [f"{token or 'first'}-1", f"{token or 'first'}-2"], "meta": {}}
        if token is None:
            page["meta"] = {"next_token": "second"}
        return httpx.Response(200, content=json.dumps(page).encode())

    with imported(out, package) as modules:
        api = modules[package]
        client = api.Client(http_client=httpx.Client(transport=httpx.MockTransport(answer)))
        parameters = inspect.signature(client.list_items).parameters
        assert {"limit_", "max_items_"} <= set(parameters)
        # An operation that does not paginate keeps its parameter's plain name.
        assert "limit" in inspect.signature(client.plain).parameters
        items = list(client.paginate(client.list_items, limit_=50, max_items_=9, limit=1).items())
        assert items == ["first-1", "first-2"]  # limit=1: one page
        assert [dict(r.url.params) for r in seen] == [{"limit": "50", "max_items": "9"}]
        seen.clear()
        got = list(client.paginate(client.list_items, limit_=7, max_items=3).items())
        assert got == ["first-1", "first-2", "second-1"]
        assert [dict(r.url.params) for r in seen] == [
            {"limit": "7"},
            {"limit": "7", "pagination_token": "second"},
        ]
