"""A synthetic OpenAPI 3.0 document about ten times the X spec: ~1,700 operations, ~5,000
component schemas, ~3.5 MB of JSON. GitHub's REST description is that size but not available
offline; this one has the same kinds of parts (many tags, path and query parameters, enums,
nested objects, arrays, allOf, oneOf with discriminators, nullable fields, shared error
bodies) and is byte-identical on every run.

    python bench/synthetic.py OUT.json
"""

from __future__ import annotations

import json
import random
import sys
from pathlib import Path
from typing import Any

TAGS = 85
OPERATIONS_PER_TAG = 16  # GETs, and a POST for every fourth: 1,700 operations
SCHEMAS_PER_TAG = 18  # plus items, requests, responses and unions: ~5,000 schemas
FIRST_OPERATION = "getResource0Item0"  # the endpoint the import probe reaches
WORDS = [
    "account",
    "alert",
    "answer",
    "audit",
    "batch",
    "billing",
    "branch",
    "build",
    "channel",
    "check",
    "comment",
    "commit",
    "config",
    "contact",
    "deploy",
    "device",
    "digest",
    "draft",
    "event",
    "export",
    "feed",
    "file",
    "gist",
    "group",
    "hook",
    "invite",
    "issue",
    "job",
    "key",
    "label",
    "lease",
    "ledger",
    "link",
    "list",
    "member",
    "metric",
    "note",
    "order",
    "package",
    "page",
    "plan",
    "policy",
    "project",
    "quota",
    "release",
    "report",
    "repo",
    "review",
    "role",
    "rule",
    "run",
    "secret",
    "session",
    "snapshot",
    "source",
    "space",
    "stage",
    "status",
    "step",
    "tag",
    "task",
    "team",
    "ticket",
    "token",
    "topic",
    "trace",
    "usage",
    "user",
    "variable",
    "view",
    "volume",
    "webhook",
    "workflow",
    "zone",
]


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _text(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(words)).capitalize() + "."


def _property(rng: random.Random, names: list[str]) -> dict[str, Any]:
    kind = rng.random()
    prop: dict[str, Any]
    if kind < 0.30:
        prop = {"type": "string"}
    elif kind < 0.40:
        prop = {"type": "string", "format": "date-time"}
    elif kind < 0.50:
        prop = {"type": "integer", "format": "int64"}
    elif kind < 0.58:
        prop = {"type": "boolean"}
    elif kind < 0.66:
        prop = {"type": "string", "enum": rng.sample(WORDS, rng.randint(2, 6))}
    elif kind < 0.80 and names:
        prop = _ref(rng.choice(names))
    elif kind < 0.90 and names:
        prop = {"type": "array", "items": _ref(rng.choice(names))}
    elif kind < 0.95:
        prop = {"type": "object", "additionalProperties": {"type": "string"}}
    else:
        prop = {"type": "array", "items": {"type": "string"}}
    if "$ref" not in prop:
        prop["description"] = _text(rng, rng.randint(1, 5))
        if rng.random() < 0.15:
            prop["nullable"] = True
    return prop


def _object(rng: random.Random, names: list[str], size: int) -> dict[str, Any]:
    props = {f"{rng.choice(WORDS)}_{i}": _property(rng, names) for i in range(size)}
    return {
        "type": "object",
        "description": _text(rng, rng.randint(2, 6)),
        "required": sorted(rng.sample(sorted(props), min(2, len(props)))),
        "properties": props,
    }


def build() -> dict[str, Any]:
    rng = random.Random(20261130)
    schemas: dict[str, Any] = {
        "Error": {
            "type": "object",
            "required": ["message"],
            "properties": {"message": {"type": "string"}, "code": {"type": "integer"}},
        }
    }
    paths: dict[str, Any] = {}
    for t in range(TAGS):
        tag = f"{WORDS[t % len(WORDS)]}{t}"
        local: list[str] = []
        for s in range(SCHEMAS_PER_TAG):
            name = f"{tag.capitalize()}Part{s}"
            # Earlier schemas of the tag only: a forest of references, no cycles.
            schemas[name] = _object(rng, local[-12:], rng.randint(3, 8))
            local.append(name)
        base = f"{tag.capitalize()}Base"
        schemas[base] = {
            "type": "object",
            "required": ["kind"],
            "properties": {"kind": {"type": "string"}, "id": {"type": "string"}},
            "discriminator": {"propertyName": "kind"},
        }
        variants = []
        for v in range(3):
            variant = f"{tag.capitalize()}Kind{v}"
            schemas[variant] = {"allOf": [_ref(base), _object(rng, local[-12:], 3)]}
            variants.append(variant)
        schemas[f"{tag.capitalize()}Any"] = {
            "oneOf": [_ref(v) for v in variants],
            "discriminator": {"propertyName": "kind"},
        }
        for o in range(OPERATIONS_PER_TAG):
            resource = f"resource{t}"
            item = f"{tag.capitalize()}Item{o}"
            schemas[item] = _object(rng, local[-20:] + variants, rng.randint(4, 9))
            schemas[f"{item}Response"] = {
                "type": "object",
                "properties": {
                    "data": _ref(item),
                    "errors": {"type": "array", "items": _ref("Error")},
                },
            }
            path = f"/{resource}/items{o}/{{id}}"
            op_id = f"getResource{t}Item{o}"
            get = {
                "operationId": op_id,
                "tags": [tag],
                "summary": _text(rng, 6),
                "description": _text(rng, 6),
                "parameters": [
                    {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}},
                    {
                        "name": "fields",
                        "in": "query",
                        "style": "form",
                        "explode": False,
                        "schema": {
                            "type": "array",
                            "items": {"type": "string", "enum": rng.sample(WORDS, 5)},
                        },
                    },
                    {"name": "per_page", "in": "query", "schema": {"type": "integer"}},
                ],
                "responses": {
                    "200": {
                        "description": "ok",
                        "content": {"application/json": {"schema": _ref(f"{item}Response")}},
                    },
                    "default": {
                        "description": "error",
                        "content": {"application/json": {"schema": _ref("Error")}},
                    },
                },
            }
            operations: dict[str, Any] = {"get": get}
            if o % 4 == 0:
                schemas[f"{item}Request"] = _object(rng, local[-8:], rng.randint(3, 7))
                operations["post"] = {
                    "operationId": f"update{op_id[3:]}",
                    "tags": [tag],
                    "summary": _text(rng, 6),
                    "parameters": [get["parameters"][0]],
                    "requestBody": {
                        "required": True,
                        "content": {"application/json": {"schema": _ref(f"{item}Request")}},
                    },
                    "responses": {
                        "200": {
                            "description": "ok",
                            "content": {"application/json": {"schema": _ref(f"{item}Response")}},
                        }
                    },
                }
            paths[path] = operations
    return {
        "openapi": "3.0.3",
        "info": {"title": "Synthetic scale API", "version": "1.0.0"},
        "servers": [{"url": "https://api.example.test"}],
        "paths": paths,
        "components": {"schemas": schemas},
    }


def counts(document: dict[str, Any]) -> tuple[int, int]:
    """(operations, component schemas)."""
    ops = sum(len(item) for item in document["paths"].values())
    return ops, len(document["components"]["schemas"])


def write(target: Path) -> tuple[int, int, int]:
    """Write the document; (operations, schemas, bytes)."""
    raw = json.dumps(build(), sort_keys=True).encode()
    target.parent.mkdir(parents=True, exist_ok=True)
    if not target.is_file() or target.read_bytes() != raw:
        target.write_bytes(raw)
    ops, schemas = counts(json.loads(raw))
    return ops, schemas, len(raw)


if __name__ == "__main__":
    print(write(Path(sys.argv[1])))
