"""OpenAPI 3.0 and 3.1 schema features: each generates a package whose models parse JSON into
the typed values the spec describes.

Small inline specs, one feature each; the packages are generated in-process and imported.
"""

from __future__ import annotations

import inspect
import json
import os
import subprocess
import sys
import typing
from pathlib import Path
from typing import Any, Literal

import pytest
import yaml

from tests.spec_package import generate, generate_from, imported, webhook


def _spec(schemas: dict[str, Any], version: str = "3.1.0", **extra: Any) -> dict[str, Any]:
    """A spec with one operation that sends a `Body` and receives a `Result`."""
    return {
        "openapi": version,
        "info": {"title": "Schemas", "version": "1"},
        "paths": {
            "/things": {
                "post": {
                    "operationId": "createThing",
                    "requestBody": {
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/Body"}}
                        }
                    },
                    "responses": {
                        "200": {
                            "description": "ok",
                            "content": {
                                "application/json": {
                                    "schema": {"$ref": "#/components/schemas/Result"}
                                }
                            },
                        }
                    },
                }
            }
        },
        "components": {
            "schemas": {
                "Body": {"type": "object", "properties": {"x": {"type": "string"}}},
                "Result": {"type": "object", "properties": {"x": {"type": "string"}}},
                **schemas,
            }
        },
        **extra,
    }


def _models(tmp_path: Path, spec: dict[str, Any]) -> Any:
    code, err, out, package = generate(spec, tmp_path, "schemas")
    assert code == 0, err
    return out, package


def test_recursive_objects_lists_and_maps_parse_to_nested_models(tmp_path: Path) -> None:
    spec = _spec(
        {
            "Node": {
                "type": "object",
                "properties": {
                    "value": {"type": "integer"},
                    "children": {"type": "array", "items": {"$ref": "#/components/schemas/Node"}},
                    "named": {
                        "type": "object",
                        "additionalProperties": {"$ref": "#/components/schemas/Node"},
                    },
                },
            },
            # A list of itself, a map of itself: recursive type aliases.
            "Tree": {"type": "array", "items": {"$ref": "#/components/schemas/Tree"}},
            "Graph": {
                "type": "object",
                "additionalProperties": {
                    "type": ["array", "null"],
                    "items": {"$ref": "#/components/schemas/Graph"},
                },
            },
            "Forest": {
                "type": "object",
                "properties": {
                    "tree": {"$ref": "#/components/schemas/Tree"},
                    "graph": {"$ref": "#/components/schemas/Graph"},
                },
            },
        }
    )
    out, package = _models(tmp_path, spec)
    with imported(out, package) as modules:
        models = modules[f"{package}.models"]
        node = models.Node.from_dict(
            {
                "value": 1,
                "children": [{"value": 2, "children": [{"value": 3}]}],
                "named": {"k": {"value": 4}},
            }
        )
        assert node.children[0].children[0].value == 3
        assert isinstance(node.children[0], models.Node)
        assert isinstance(node.named["k"], models.Node) and node.named["k"].value == 4
        assert node.validate() is node
        forest = models.Forest.from_dict({"tree": [[[]], []], "graph": {"a": [{"b": None}]}})
        assert forest.tree == [[[]], []] and forest.graph == {"a": [{"b": None}]}
        assert forest.validate() is forest
        with pytest.raises(Exception, match=r"Forest\.tree\[0\]\[1\]: expected array, got int"):
            models.Forest.from_dict({"tree": [[[], 3]]}).validate()
        with pytest.raises(Exception, match=r"Forest\.graph\.a\[0\]\.b: expected array, got str"):
            models.Forest.from_dict({"graph": {"a": [{"b": "x"}]}}).validate()
    source = "".join(p.read_text() for p in (out / package / "models").glob("*.py"))
    assert 'Tree: TypeAlias = "list[Tree]"' in source
    assert 'Graph: TypeAlias = "dict[str, list[Graph] | None]"' in source
    assert "tree: _m.Field[Tree | None]" in source


def test_prefix_items_parse_to_a_tuple_with_typed_positions(tmp_path: Path) -> None:
    spec = _spec(
        {
            "Point": {
                "type": "object",
                "properties": {
                    "at": {
                        "type": "array",
                        "prefixItems": [
                            {"type": "string", "format": "date-time"},
                            {"$ref": "#/components/schemas/Body"},
                        ],
                    }
                },
            }
        }
    )
    out, package = _models(tmp_path, spec)
    with imported(out, package) as modules:
        models = modules[f"{package}.models"]
        point = models.Point.from_dict({"at": ["2024-01-02T03:04:05+00:00", {"x": "y"}]})
        when, body = point.at
        assert when.year == 2024 and isinstance(body, models.Body) and body.x == "y"
        with pytest.raises(Exception, match="expected 2 items, got 1"):
            models.Point.from_dict({"at": ["2024-01-02T03:04:05+00:00"]}).validate()
        source = (out / package / "models" / "point.py").read_text()
        assert "_m.Field[tuple[datetime, Body] | None]" in source


def test_const_is_a_literal_and_type_arrays_with_null_are_optional(tmp_path: Path) -> None:
    spec = _spec(
        {
            "Event": {
                "type": "object",
                "required": ["kind", "note", "scores"],
                "properties": {
                    "kind": {"const": "created"},
                    "note": {"type": ["string", "null"]},
                    "scores": {"type": "array", "items": {"type": ["integer", "null"]}},
                    "legacy": {"type": "string", "nullable": True},
                    "either": {"type": ["string", "integer"]},
                    "maybe": {"anyOf": [{"$ref": "#/components/schemas/Body"}, {"type": "null"}]},
                    "limit": {"type": "integer", "exclusiveMinimum": 0, "examples": [1, 2]},
                },
            }
        }
    )
    out, package = _models(tmp_path, spec)
    source = (out / package / "models" / "event.py").read_text()
    assert '_m.Field[Literal["created"]]' in source
    assert "_m.Field[str | None]" in source  # note: required, but null allowed
    assert "_m.Field[list[int | None]]" in source
    assert "_m.Field[str | int | None]" in source
    assert "_m.Field[Body | None]" in source
    with imported(out, package) as modules:
        models = modules[f"{package}.models"]
        event = models.Event.from_dict(
            {
                "kind": "created",
                "note": None,
                "scores": [1, None],
                "either": 3,
                "maybe": {"x": "b"},
                "limit": 5,
            }
        )
        assert (event.kind, event.note, event.scores, event.either) == (
            "created",
            None,
            [1, None],
            3,
        )
        assert isinstance(event.maybe, models.Body)
        assert event.validate() is event
        with pytest.raises(Exception, match=r"scores\[1\]: expected integer"):
            models.Event.from_dict({"kind": "created", "note": None, "scores": [1, "x"]}).validate()


def test_read_only_fields_are_not_constructor_parameters_and_write_only_are_optional(
    tmp_path: Path,
) -> None:
    account = {
        "type": "object",
        "required": ["id", "name", "password"],
        "properties": {
            "id": {"type": "integer", "readOnly": True},
            "name": {"type": "string"},
            "password": {"type": "string", "writeOnly": True},
        },
    }
    spec = _spec({"Body": account, "Result": account}, version="3.0.3")
    out, package = _models(tmp_path, spec)
    with imported(out, package) as modules:
        models = modules[f"{package}.models"]
        parameters = inspect.signature(models.Body.__init__).parameters
        assert "id" not in parameters and {"name", "password"} <= set(parameters)
        sent = models.Body(name="n", password="p")
        assert sent.to_dict() == {"name": "n", "password": "p"}
        # A response carries the id and never the password: that is valid.
        received = models.Result.from_dict({"id": 7, "name": "n"})
        assert received.validate().id == 7 and received.password is None
        with pytest.raises(Exception, match="id: required field is missing"):
            models.Result.from_dict({"name": "n"}).validate()


def test_request_enums_are_closed_and_defaults_sent_only_where_the_server_needs_them(
    tmp_path: Path,
) -> None:
    body = {
        "type": "object",
        "required": ["size"],
        "properties": {
            "mode": {"type": "string", "enum": ["a", "b"]},
            # The description says the server needs the value: it is sent.
            "text": {"type": "string", "default": "", "description": "Always sent."},
            # A plain default is what the server assumes when absent: not sent.
            "count": {"type": "integer", "default": 3},
            "private": {"type": "boolean", "default": False},
            # Required with a default: the caller may leave it out, the default is sent.
            "size": {"type": "integer", "default": 10},
            # A default of the wrong type is a mistake of the spec: never sent.
            "limit": {"type": "integer", "default": "inf", "description": "always sent"},
            "level": {
                "type": "string",
                "enum": ["x"],
                "default": "y",
                "description": "always sent",
            },
        },
    }
    code, err, out, package = generate(_spec({"Body": body, "Result": body}), tmp_path, "defaults")
    assert code == 0, err
    assert "/properties/limit/default: 'inf' is not a value of the property; ignored" in err
    assert "/properties/level/default: 'y' is not a value" in err
    with imported(out, package) as modules:
        models = modules[f"{package}.models"]
        parameters = inspect.signature(models.Body.__init__).parameters
        assert str(parameters["mode"].annotation) == "Literal['a', 'b'] | None"
        assert parameters["size"].default == 10
        assert parameters["count"].default is None and parameters["limit"].default is None
        assert models.Body().to_dict() == {"text": "", "size": 10}
        assert models.Body(text="t", size=1, private=True).to_dict() == {
            "text": "t",
            "size": 1,
            "private": True,
        }
        # A value read back stays open to values added after generation.
        assert models.Result.from_dict({"mode": "c"}).mode == "c"


def test_discriminators_pick_the_subtype_the_data_names(tmp_path: Path) -> None:
    spec = _spec(
        {
            "Cat": {
                "type": "object",
                "properties": {"petType": {"type": "string"}, "meows": {"type": "boolean"}},
            },
            "Dog": {
                "type": "object",
                "properties": {"petType": {"type": "string"}, "barks": {"type": "boolean"}},
            },
            # Mapping values may be bare component names.
            "Pet": {
                "oneOf": [
                    {"$ref": "#/components/schemas/Cat"},
                    {"$ref": "#/components/schemas/Dog"},
                ],
                "discriminator": {"propertyName": "petType", "mapping": {"kitty": "Cat"}},
            },
            # No mapping: the tag is the component name.
            "Implicit": {
                "oneOf": [
                    {"$ref": "#/components/schemas/Cat"},
                    {"$ref": "#/components/schemas/Dog"},
                ],
                "discriminator": {"propertyName": "petType"},
            },
            "Shape": {
                "type": "object",
                "required": ["kind"],
                "properties": {"kind": {"type": "string"}},
                "discriminator": {"propertyName": "kind"},
            },
            "Circle": {
                "allOf": [
                    {"$ref": "#/components/schemas/Shape"},
                    {"type": "object", "properties": {"radius": {"type": "number"}}},
                ]
            },
            "Owner": {
                "type": "object",
                "properties": {
                    "pet": {"$ref": "#/components/schemas/Pet"},
                    "other": {"$ref": "#/components/schemas/Implicit"},
                    "shape": {"$ref": "#/components/schemas/Shape"},
                },
            },
        }
    )
    out, package = _models(tmp_path, spec)
    with imported(out, package) as modules:
        models = modules[f"{package}.models"]
        owner = models.Owner.from_dict(
            {
                "pet": {"petType": "kitty", "meows": True},
                "other": {"petType": "Dog"},
                "shape": {"kind": "Circle", "radius": 2.0},
            }
        )
        assert type(owner.pet) is models.Cat and owner.pet.meows is True
        assert type(owner.other) is models.Dog
        assert type(owner.shape) is models.Circle and owner.shape.radius == 2.0


def test_nested_and_defs_references_share_one_class(tmp_path: Path) -> None:
    spec = _spec(
        {
            "A": {
                "type": "object",
                "properties": {"b": {"type": "object", "properties": {"c": {"type": "string"}}}},
                "$defs": {"Inner": {"type": "object", "properties": {"d": {"type": "integer"}}}},
            },
            "D": {
                "type": "object",
                "properties": {
                    "e": {"$ref": "#/components/schemas/A/properties/b"},
                    "f": {"$ref": "#/components/schemas/A/$defs/Inner", "description": "why"},
                },
            },
        }
    )
    out, package = _models(tmp_path, spec)
    with imported(out, package) as modules:
        models = modules[f"{package}.models"]
        d = models.D.from_dict({"e": {"c": "x"}, "f": {"d": 4}})
        a = models.A.from_dict({"b": {"c": "y"}})
        assert type(d.e) is type(a.b) and d.e.c == "x"
        assert type(d.f) is models.Inner and d.f.d == 4
        # A description next to the $ref documents the field.
        assert '"""why"""' in (out / package / "models" / "d.py").read_text()


def _write(path: Path, data: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(data), encoding="utf-8")


def test_references_to_other_files_of_the_spec_are_bundled(tmp_path: Path) -> None:
    spec = _spec({})
    spec["components"]["schemas"]["Result"] = {"$ref": "shared/pets.yaml#/components/schemas/Pet"}
    spec["paths"]["/things"]["post"]["parameters"] = [
        {"$ref": "shared/pets.yaml#/components/parameters/Limit"}
    ]
    spec["paths"]["/owners"] = {"$ref": "shared/paths.yaml#/owners"}
    _write(tmp_path / "api" / "openapi.yaml", spec)
    _write(
        tmp_path / "api" / "shared" / "pets.yaml",
        {
            "components": {
                "schemas": {
                    "Pet": {
                        "type": "object",
                        "properties": {
                            "name": {"type": "string"},
                            "owner": {"$ref": "#/components/schemas/Owner"},
                            "tags": {"type": "array", "items": {"$ref": "tag.json"}},
                        },
                    },
                    "Owner": {"type": "object", "properties": {"id": {"type": "integer"}}},
                },
                "parameters": {
                    "Limit": {"name": "limit", "in": "query", "schema": {"type": "integer"}}
                },
            }
        },
    )
    # A whole path item from another file, its schema reference relative to that file.
    _write(
        tmp_path / "api" / "shared" / "paths.yaml",
        {
            "owners": {
                "get": {
                    "operationId": "listOwners",
                    "responses": {
                        "200": {
                            "description": "ok",
                            "content": {
                                "application/json": {
                                    "schema": {"$ref": "pets.yaml#/components/schemas/Owner"}
                                }
                            },
                        }
                    },
                }
            }
        },
    )
    (tmp_path / "api" / "shared" / "tag.json").write_text(
        json.dumps({"type": "object", "properties": {"label": {"type": "string"}}})
    )
    code, err, out, package = generate_from(tmp_path / "api" / "openapi.yaml", tmp_path)
    assert code == 0, err
    with imported(out, package) as modules:
        models = modules[f"{package}.models"]
        pet = models.Pet.from_dict({"name": "p", "owner": {"id": 1}, "tags": [{"label": "l"}]})
        assert pet.owner.id == 1 and type(pet.owner) is models.Owner
        assert pet.tags[0].label == "l" and type(pet.tags[0]).__name__ == "Tag"
        create = inspect.signature(modules[package].Client.create_thing).parameters
        assert "limit" in create
        owners = inspect.signature(modules[package].Client.list_owners)
        assert owners.return_annotation == "Owner"


def test_boolean_schemas_and_path_extensions_are_valid_openapi(tmp_path: Path) -> None:
    # 3.1 schemas may be `true` (anything) or `false`; the Paths object may carry `x-` keys.
    spec = _spec(
        {
            "Result": {
                "type": "object",
                "properties": {
                    "anything": True,
                    "never": False,
                    "tags": {"type": "array", "items": True},
                    "n": {"type": "integer"},
                },
            }
        }
    )
    spec["paths"]["x-context-root"] = "/v2"
    spec["paths"]["/things"]["post"]["responses"]["default"] = {
        "description": "error",
        "content": {"application/json": {"schema": {"properties": {"detail": True}}}},
    }
    out, package = _models(tmp_path, spec)
    with imported(out, package) as modules:
        models = modules[f"{package}.models"]
        result = models.Result.from_dict({"anything": {"a": [1]}, "tags": [1, "x"], "n": 2})
        assert result.anything == {"a": [1]} and result.tags == [1, "x"] and result.n == 2
        assert [m for m in dir(modules[package].Client) if not m.startswith("_")].count(
            "create_thing"
        ) == 1


def test_a_schema_reference_to_a_parameter_leaves_the_parameter_in_place(tmp_path: Path) -> None:
    # Found in converted specs: a schema's `items` pointing at a parameter object. The
    # parameter stays a parameter; the schema gets a copy (read as a schema, it allows any value).
    spec = _spec(
        {"Result": {"type": "array", "items": {"$ref": "#/paths/~1things/get/parameters/0"}}}
    )
    spec["paths"]["/things"]["get"] = {
        "operationId": "listThings",
        "parameters": [{"name": "kind", "in": "query", "schema": {"type": "string"}}],
        "callbacks": {"onDone": {"$ref": "#/components/callbacks/Done"}},
        "responses": {"204": {"description": "done"}},
    }
    spec["components"]["callbacks"] = {
        "Done": {"{$request.query.url}": {"post": {"responses": {"200": {"description": "ok"}}}}}
    }
    out, package = _models(tmp_path, spec)
    with imported(out, package) as modules:
        listing = inspect.signature(modules[package].Client.list_things).parameters
        assert "kind" in listing


def test_properties_named_like_keywords_are_walked_for_references(tmp_path: Path) -> None:
    # `default` and `example` are property names here, and `default` a response status.
    spec = _spec(
        {
            "Result": {
                "type": "object",
                "properties": {
                    "default": {"$ref": "parts.yaml#/Setting"},
                    "example": {"$ref": "#/components/schemas/Body/properties/x"},
                },
            }
        }
    )
    spec["paths"]["/things"]["post"]["responses"]["default"] = {"$ref": "parts.yaml#/ErrorResponse"}
    _write(tmp_path / "api" / "openapi.yaml", spec)
    setting = {"type": "object", "properties": {"level": {"type": "integer"}}}
    error = {"description": "error", "content": {"application/json": {"schema": setting}}}
    _write(tmp_path / "api" / "parts.yaml", {"Setting": setting, "ErrorResponse": error})
    code, err, out, package = generate_from(tmp_path / "api" / "openapi.yaml", tmp_path)
    assert code == 0, err
    with imported(out, package) as modules:
        models = modules[f"{package}.models"]
        result = models.Result.from_dict({"default": {"level": 3}, "example": "e"})
        assert type(result.default).__name__ == "Setting" and result.default.level == 3
        assert result.example == "e"


def test_discriminator_mappings_may_reference_other_files_and_nested_schemas(
    tmp_path: Path,
) -> None:
    spec = _spec(
        {
            "Zoo": {
                "type": "object",
                "properties": {"cage": {"type": "object", "properties": {"lion": {}}}},
            },
            "Pet": {
                "oneOf": [
                    {"$ref": "pets/cat.yaml"},
                    {"$ref": "#/components/schemas/Zoo/properties/cage"},
                ],
                "discriminator": {
                    "propertyName": "kind",
                    "mapping": {
                        "cat": "pets/cat.yaml",
                        "big": "#/components/schemas/Zoo/properties/cage",
                    },
                },
            },
            "Owner": {
                "type": "object",
                "properties": {"pet": {"$ref": "#/components/schemas/Pet"}},
            },
        }
    )
    _write(tmp_path / "api" / "openapi.yaml", spec)
    cat = {"type": "object", "properties": {"kind": {"type": "string"}, "lion": {}}}
    _write(tmp_path / "api" / "pets" / "cat.yaml", cat)
    code, err, out, package = generate_from(tmp_path / "api" / "openapi.yaml", tmp_path)
    assert code == 0 and "warning" not in err, err
    with imported(out, package) as modules:
        models = modules[f"{package}.models"]
        # Both variants have the same shape: only the mapping can tell them apart.
        cat_owner = models.Owner.from_dict({"pet": {"kind": "cat", "lion": 1}})
        big_owner = models.Owner.from_dict({"pet": {"kind": "big", "lion": 1}})
        assert type(cat_owner.pet) is models.Cat
        assert type(big_owner.pet) is not models.Cat and big_owner.pet.lion == 1
        assert type(big_owner.pet) is type(models.Zoo.from_dict({"cage": {}}).cage)


def test_a_discriminator_mapping_that_points_nowhere_is_a_warning(tmp_path: Path) -> None:
    spec = _spec(
        {
            "Cat": {"type": "object", "required": ["meows"], "properties": {"meows": {}}},
            "Dog": {"type": "object", "required": ["barks"], "properties": {"barks": {}}},
            "Pet": {
                "anyOf": [
                    {"$ref": "#/components/schemas/Cat"},
                    {"$ref": "#/components/schemas/Dog"},
                ],
                "discriminator": {
                    "propertyName": "kind",
                    "mapping": {"cat": "gone/cat.yaml", "dog": "#/components/schemas/Gone"},
                },
            },
            "Owner": {
                "type": "object",
                "properties": {"pet": {"$ref": "#/components/schemas/Pet"}},
            },
        }
    )
    code, err, out, package = generate(spec, tmp_path)
    assert code == 0, err
    lines = err.splitlines()
    assert len(lines) == 2 and all(line.startswith("sdkgen: warning: ") for line in lines), err
    assert ":#/components/schemas/Pet/discriminator/mapping: 'cat' maps to" in lines[0]
    assert "'dog' maps to '#/components/schemas/Gone'" in lines[1]
    with imported(out, package) as modules:
        models = modules[f"{package}.models"]
        # No usable mapping: the members are told apart by their required properties.
        owner = models.Owner.from_dict({"pet": {"kind": "dog", "barks": True}})
        assert type(owner.pet) is models.Dog and owner.pet.barks is True


def test_references_anywhere_in_the_document_are_followed(tmp_path: Path) -> None:
    # `$ref` is a URI: its fragment may be percent-encoded (`%7Bid%7D` is `{id}`, `%20` a
    # space), and it may point outside the components: into another operation's response
    # schema or parameter.
    spec = _spec({"Pet Kind": {"type": "object", "properties": {"k": {"type": "string"}}}})
    item_schema = {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "kind": {"$ref": "#/components/schemas/Pet%20Kind"},
        },
    }
    spec["paths"]["/items/{item_id}"] = {
        "get": {
            "operationId": "getItem",
            "parameters": [
                {"name": "item_id", "in": "path", "required": True, "schema": {"type": "string"}},
                {"name": "verbose", "in": "query", "schema": {"type": "boolean"}},
            ],
            "responses": {
                "200": {
                    "description": "ok",
                    "content": {"application/json": {"schema": item_schema}},
                }
            },
        }
    }
    spec["paths"]["/items/{item_id}/copy"] = {
        "post": {
            "operationId": "copyItem",
            "parameters": [
                {"$ref": "#/paths/~1items~1%7Bitem_id%7D/get/parameters/0"},
                {"$ref": "#/paths/~1items~1{item_id}/get/parameters/1"},
            ],
            "responses": {
                "200": {
                    "description": "ok",
                    "content": {
                        "application/json": {
                            "schema": {
                                "$ref": "#/paths/~1items~1%7Bitem_id%7D/get/responses/200"
                                "/content/application~1json/schema"
                            }
                        }
                    },
                }
            },
        }
    }
    out, package = _models(tmp_path, spec)
    with imported(out, package) as modules:
        client = modules[package].Client
        copy = inspect.signature(client.copy_item).parameters
        assert list(copy)[1:3] == ["item_id", "verbose"]
        get_return = inspect.signature(client.get_item).return_annotation
        assert inspect.signature(client.copy_item).return_annotation == get_return
        model = getattr(modules[f"{package}.models"], get_return)
        item = model.from_dict({"id": 3, "kind": {"k": "cat"}})
        assert item.id == 3 and type(item.kind).__name__ == "PetKind" and item.kind.k == "cat"


@pytest.mark.parametrize(
    ("ref", "message"),
    [
        ("https://example.test/pets.yaml#/Pet", "references to URLs are not followed"),
        ("http://example.test/pets.yaml", "references to URLs are not followed"),
        ("/etc/pets.yaml", "absolute file references are not followed"),
        ("../outside.yaml", "is outside the spec's folder"),
        ("missing.yaml", "cannot read"),
        (
            "shared.yaml#/components/schemas/Nope",
            "/shared.yaml#/components/schemas/Nope'",
        ),
        ("shared.yaml#Pet", "only JSON pointer references are followed"),
        ("#/components/responses/Err", "names a responses entry, not a schema"),
    ],
)
def test_references_that_cannot_be_followed_are_refused_in_one_line(
    tmp_path: Path, ref: str, message: str
) -> None:
    spec = _spec({"Result": {"type": "object", "properties": {"p": {"$ref": ref}}}})
    spec["components"]["responses"] = {"Err": {"description": "an error"}}
    _write(tmp_path / "api" / "openapi.yaml", spec)
    _write(tmp_path / "outside.yaml", {"type": "string"})
    _write(tmp_path / "api" / "shared.yaml", {"components": {"schemas": {}}})
    code, err, out, _ = generate_from(tmp_path / "api" / "openapi.yaml", tmp_path)
    assert code == 2 and not out.exists()
    assert err.count("\n") == 1 and "Traceback" not in err
    where = "openapi.yaml:#/components/schemas/Result/properties/p"
    assert where in err and message in err, err


def test_webhooks_get_payload_models_and_no_operations(tmp_path: Path) -> None:
    spec = _spec({})
    del spec["paths"]
    spec["jsonSchemaDialect"] = "https://spec.openapis.org/oas/3.1/dialect/base"
    shared = {"$ref": "#/components/requestBodies/Gone"}
    payload = {"type": "object", "properties": {"pet": {"$ref": "#/components/schemas/Result"}}}
    spec["webhooks"] = {"newPet": webhook(payload), "oldPet": {"post": {"requestBody": shared}}}
    # A shared request body's inline schema gets its class too.
    spec["components"]["requestBodies"] = {
        "Gone": {
            "content": {
                "application/json": {
                    "schema": {"type": "object", "properties": {"gone": {"type": "boolean"}}}
                }
            }
        }
    }
    out, package = _models(tmp_path, spec)
    with imported(out, package) as modules:
        assert modules[f"{package}._operations"].BY_METHOD == {}
        modules[package].Client(base_url="https://api.example.test").close()
        models = modules[f"{package}.models"]
        assert models.OldPetPayload.from_dict({"gone": True}).gone is True
        payload = models.NewPetPayload.from_dict({"pet": {"x": "y"}})
        assert type(payload.pet) is models.Result and payload.pet.x == "y"


def test_enums_of_mixed_types_null_and_look_alike_values(tmp_path: Path) -> None:
    spec = _spec(
        {
            "Body": {
                "type": "object",
                "properties": {
                    "mixed": {"enum": ["a-b", "a_b", "A B", 1, True, 1.5, None]},
                    "flag": {"type": "integer", "enum": [1, 2, None]},
                },
            },
            "Result": {"$ref": "#/components/schemas/Body"},
        }
    )
    out, package = _models(tmp_path, spec)
    with imported(out, package) as modules:
        model = modules[f"{package}.models"].Body
        module = modules[f"{package}.models.body"]
        hint = eval(model.__annotations__["mixed"], vars(module))
        (declared,) = typing.get_args(hint)
        (literal,) = [a for a in typing.get_args(declared) if typing.get_origin(a) is Literal]
        # Every distinct value once: 1 and True are both kept, and nothing is renamed; a
        # float cannot stand in a Literal, so 1.5 is typed as float.
        assert float in typing.get_args(declared)
        assert [(type(v), v) for v in typing.get_args(literal)] == [
            (bool, True),
            (int, 1),
            (str, "A B"),
            (str, "a-b"),
            (str, "a_b"),
        ]
        assert type(None) in typing.get_args(declared)
        body = modules[f"{package}.models"].Body.from_dict({"mixed": True, "flag": None})
        assert body.mixed is True and body.flag is None and body.validate() is body


def test_an_operation_without_responses_generates_in_3_1(tmp_path: Path) -> None:
    spec = _spec({})
    del spec["paths"]["/things"]["post"]["responses"]
    out, package = _models(tmp_path, spec)
    with imported(out, package) as modules:
        assert list(modules[f"{package}._operations"].BY_METHOD) == ["create_thing"]


def test_a_3_0_operation_without_responses_is_still_refused(tmp_path: Path) -> None:
    spec = _spec({}, version="3.0.3")
    del spec["paths"]["/things"]["post"]["responses"]
    code, err, out, _ = generate(spec, tmp_path, "schemas")
    assert code == 2 and not out.exists()
    assert "#/paths/~1things/post" in err and "invalid OpenAPI" in err, err


def test_a_union_of_itself_generates(tmp_path: Path) -> None:
    spec = _spec(
        {
            "Json": {
                "oneOf": [
                    {"$ref": "#/components/schemas/Json"},
                    {"type": "object", "properties": {"a": {"$ref": "#/components/schemas/Json"}}},
                    {"type": "string"},
                ]
            },
            "Result": {
                "type": "object",
                "properties": {"j": {"$ref": "#/components/schemas/Json"}},
            },
        }
    )
    out, package = _models(tmp_path, spec)
    with imported(out, package) as modules:
        result = modules[f"{package}.models"].Result.from_dict({"j": {"a": {"a": "x"}}})
        assert result.j.a.a == "x"


def test_a_reference_cycle_between_files_is_refused_in_one_line(tmp_path: Path) -> None:
    spec = _spec({})
    spec["paths"]["/things"]["post"]["parameters"] = [
        {"$ref": "loop.yaml#/components/parameters/Loop"}
    ]
    _write(tmp_path / "api" / "openapi.yaml", spec)
    _write(
        tmp_path / "api" / "loop.yaml",
        {"components": {"parameters": {"Loop": {"$ref": "#/components/parameters/Loop"}}}},
    )
    code, err, out, _ = generate_from(tmp_path / "api" / "openapi.yaml", tmp_path)
    assert code == 2 and not out.exists()
    assert err.count("\n") == 1 and "a reference cycle through" in err, err
    assert "loop.yaml:#/components/parameters/Loop:" in err


def test_a_reference_cycle_outside_the_components_is_refused_in_one_line(
    tmp_path: Path,
) -> None:
    spec = _spec({})
    spec["paths"]["/things"]["post"]["parameters"] = [{"$ref": "#/paths/~1other/get/parameters/0"}]
    spec["paths"]["/other"] = {
        "get": {
            "parameters": [{"$ref": "#/paths/~1things/post/parameters/0"}],
            "responses": {"204": {"description": "done"}},
        }
    }
    code, err, out, _ = generate(spec, tmp_path)
    assert code == 2 and not out.exists()
    assert err.count("\n") == 1 and "a reference cycle through" in err, err
    assert ":#/paths/~1things/post/parameters/0:" in err


@pytest.mark.parametrize(
    ("ref", "where"),
    [
        ("parts.yaml#/Bad", "parts.yaml:#/Bad/type:"),
        (
            "#/components/schemas/Body/definitions/bad",
            "openapi.yaml:#/components/schemas/Body/definitions/bad/type:",
        ),
    ],
)
def test_an_error_in_a_bundled_schema_names_where_it_was_written(
    tmp_path: Path, ref: str, where: str
) -> None:
    spec = _spec({"Result": {"type": "object", "properties": {"p": {"$ref": ref}}}})
    spec["components"]["schemas"]["Body"]["definitions"] = {"bad": {"type": 5}}
    _write(tmp_path / "api" / "openapi.yaml", spec)
    _write(tmp_path / "api" / "parts.yaml", {"Bad": {"type": 5}})
    code, err, out, _ = generate_from(tmp_path / "api" / "openapi.yaml", tmp_path)
    assert code == 2 and not out.exists()
    assert err.count("\n") == 1 and f"{where} invalid OpenAPI" in err, err


def test_the_number_of_spec_files_is_bounded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from generator.load import bundle

    monkeypatch.setattr(bundle, "MAX_FILES", 2)
    spec = _spec({"Result": {"$ref": "a.yaml"}})
    _write(tmp_path / "api" / "openapi.yaml", spec)
    _write(tmp_path / "api" / "a.yaml", {"type": "object", "properties": {"b": {"$ref": "b.yaml"}}})
    _write(tmp_path / "api" / "b.yaml", {"type": "string"})
    code, err, _, _ = generate_from(tmp_path / "api" / "openapi.yaml", tmp_path)
    assert code == 2 and "more than 2 spec files" in err, err
    monkeypatch.setattr(bundle, "MAX_FILES", 3)
    assert generate_from(tmp_path / "api" / "openapi.yaml", tmp_path)[0] == 0


def test_a_package_using_every_feature_is_mypy_strict_clean(tmp_path: Path) -> None:
    ref = _ref_to
    spec = _spec(
        {
            "Body": {
                "type": "object",
                "required": ["id"],
                "properties": {
                    "id": {"type": "integer", "readOnly": True},
                    "secret": {"type": "string", "writeOnly": True},
                    "mixed": {"enum": ["a-b", "a_b", 1, True, 1.5, None]},
                    "kind": {"const": "k"},
                    "ratio": {"const": 0.5},
                    "origin": {"const": {"x": [0]}},
                    "steps": {"const": [1, 2]},
                    "pair": {"type": "array", "prefixItems": [{"type": "string"}, ref("Node")]},
                    "note": {"type": ["string", "null"]},
                    "many": {"type": ["string", "integer", "null"]},
                    "pet": ref("Pet"),
                    "json": ref("Json"),
                    "tree": ref("Tree"),
                    "graph": ref("Graph"),
                    "maybe": {"type": ["string", "null"], "description": "Nullable, optional."},
                    "labels": ref("Labels"),
                },
            },
            "Node": {
                "type": "object",
                "properties": {"children": {"type": "array", "items": ref("Node")}},
            },
            "Tree": {"type": "array", "items": ref("Tree")},
            "Graph": {
                "type": "object",
                "additionalProperties": {"type": "array", "items": ref("Graph")},
            },
            "Labels": {
                "type": "object",
                "properties": {"count": {"type": "integer"}},
                "additionalProperties": ref("Node"),
            },
            "Json": {"oneOf": [ref("Json"), ref("Node"), {"type": "string"}]},
            "Cat": {"type": "object", "properties": {"petType": {"type": "string"}}},
            "Dog": {"type": "object", "properties": {"petType": {"type": "string"}}},
            "Pet": {
                "oneOf": [ref("Cat"), ref("Dog"), {"type": "null"}],
                "discriminator": {"propertyName": "petType"},
            },
            "Result": {"allOf": [ref("Body")]},
        },
        webhooks={"ping": webhook({"type": "object", "properties": {"at": ref("Node")}})},
    )
    out, package = _models(tmp_path, spec)
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", "--cache-dir", os.devnull,
         package],
        cwd=out, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-3000:]


def _ref_to(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def test_nested_compositions_parse(tmp_path: Path) -> None:
    ref = _ref_to
    spec = _spec(
        {
            "A": {"type": "object", "required": ["a"], "properties": {"a": {"type": "string"}}},
            "B": {"type": "object", "required": ["b"], "properties": {"b": {"type": "integer"}}},
            # allOf holding a oneOf, oneOf holding an allOf and an anyOf.
            "Mixed": {
                "allOf": [
                    ref("A"),
                    {
                        "oneOf": [
                            ref("B"),
                            {"type": "object", "properties": {"c": {"type": "string"}}},
                        ]
                    },
                ]
            },
            "Choice": {
                "oneOf": [
                    {
                        "allOf": [
                            ref("A"),
                            {"type": "object", "properties": {"x": {"type": "integer"}}},
                        ]
                    },
                    {"anyOf": [ref("B"), {"type": "string"}]},
                ]
            },
            "Result": {
                "type": "object",
                "properties": {
                    "mixed": ref("Mixed"),
                    "choices": {"type": "array", "items": ref("Choice")},
                },
            },
        }
    )
    out, package = _models(tmp_path, spec)
    with imported(out, package) as modules:
        models = modules[f"{package}.models"]
        result = models.Result.from_dict(
            {"mixed": {"a": "m"}, "choices": [{"a": "y", "x": 2}, {"b": 3}, "text"]}
        )
        assert isinstance(result.mixed, models.A) and result.mixed.a == "m"
        first, second, third = result.choices
        assert isinstance(first, models.A) and first.x == 2 and first.a == "y"
        assert type(second) is models.B and second.b == 3
        assert third == "text"


def test_typed_additional_properties_next_to_properties_load_as_their_type(
    tmp_path: Path,
) -> None:
    spec = _spec(
        {
            "Result": {
                "type": "object",
                "properties": {"count": {"type": "integer"}},
                "additionalProperties": {"$ref": "#/components/schemas/Body"},
            }
        }
    )
    out, package = _models(tmp_path, spec)
    with imported(out, package) as modules:
        models = modules[f"{package}.models"]
        result = models.Result.from_dict({"count": 2, "a": {"x": "1"}, "b": {"x": "2"}})
        assert result.count == 2
        extra = result.extra_fields
        assert sorted(extra) == ["a", "b"] and all(type(v) is models.Body for v in extra.values())
        assert extra["b"].x == "2" and result.validate() is result
        with pytest.raises(Exception, match=r"Result\.c: expected object Body, got int"):
            models.Result.from_dict({"c": 3}).validate()


def test_variants_told_apart_by_const_tags_then_by_types(tmp_path: Path) -> None:
    ref = _ref_to
    spec = _spec(
        {
            "EvC": {
                "type": "object",
                "required": ["type"],
                "properties": {"type": {"const": "c"}, "shared": {"type": "string"}},
            },
            "EvD": {
                "type": "object",
                "required": ["type"],
                "properties": {"type": {"enum": ["d"]}, "shared": {"type": "integer"}},
            },
            # No tag: only the type of `shared` tells them apart.
            "AsText": {"type": "object", "properties": {"shared": {"type": "string"}}},
            "AsNumber": {"type": "object", "properties": {"shared": {"type": "integer"}}},
            "Holder": {
                "type": "object",
                "properties": {
                    "ev2": {"oneOf": [ref("EvC"), ref("EvD")]},
                    # No mapping: the tag a variant pins is its value, as is its name.
                    "ev3": {
                        "oneOf": [ref("EvC"), ref("EvD")],
                        "discriminator": {"propertyName": "type"},
                    },
                    "typed": {"oneOf": [ref("AsText"), ref("AsNumber")]},
                },
            },
        }
    )
    out, package = _models(tmp_path, spec)
    with imported(out, package) as modules:
        models = modules[f"{package}.models"]
        holder = models.Holder.from_dict(
            {"ev2": {"type": "d", "shared": 5}, "typed": {"shared": 5}}
        )
        assert type(holder.ev2) is models.EvD and holder.ev2.shared == 5
        assert type(holder.typed) is models.AsNumber
        holder = models.Holder.from_dict(
            {"ev2": {"type": "c", "shared": "x"}, "typed": {"shared": "x"}}
        )
        assert type(holder.ev2) is models.EvC and type(holder.typed) is models.AsText
        for tag, cls in (("d", models.EvD), ("EvD", models.EvD), ("c", models.EvC)):
            assert type(models.Holder.from_dict({"ev3": {"type": tag}}).ev3) is cls
        # True is not the tag 1, nor "c" the tag "d": a tag no variant has fits none.
        unlisted = models.Holder.from_dict({"ev2": {"type": "e"}}).ev2
        assert isinstance(unlisted, modules[f"{package}._models"].UnlistedKind)
        assert not isinstance(unlisted, models.EvC | models.EvD)


def test_an_unknown_discriminator_value_is_no_listed_kind_and_reads_their_shared_fields(
    tmp_path: Path,
) -> None:
    ref = _ref_to
    spec = _spec(
        {
            "Circle": {
                "type": "object",
                "required": ["kind"],
                "properties": {"kind": {"type": "string"}, "radius": {"type": "number"}},
            },
            "Square": {
                "type": "object",
                "required": ["kind"],
                "properties": {"kind": {"type": "string"}, "side": {"type": "number"}},
            },
            "Result": {
                "type": "object",
                "properties": {
                    "shape": {
                        "oneOf": [ref("Circle"), ref("Square")],
                        "discriminator": {"propertyName": "kind"},
                    }
                },
            },
        }
    )
    out, package = _models(tmp_path, spec)
    with imported(out, package) as modules:
        models, runtime = modules[f"{package}.models"], modules[f"{package}._models"]
        shape = models.Result.from_dict({"shape": {"kind": "Triangle", "radius": 1}}).shape
        # Not guessed to be a Circle by its keys: an isinstance check would lie. What every
        # kind has (`kind`) still reads; what one kind has does not.
        assert isinstance(shape, runtime.UnlistedKind) and shape["radius"] == 1
        assert not isinstance(shape, models.Circle | models.Square) and shape.kind == "Triangle"
        with pytest.raises(AttributeError, match=r"'radius': .*kind the spec does not list"):
            _ = shape.radius
        assert shape.to_dict() == {"kind": "Triangle", "radius": 1}
        circle = models.Result.from_dict({"shape": {"kind": "Circle", "radius": 1}}).shape
        with pytest.raises(AttributeError, match="'Circle' object has no attribute 'nope'"):
            _ = circle.nope


def test_an_unlisted_kind_reads_only_fields_every_kind_declares_alike(tmp_path: Path) -> None:
    ref = _ref_to
    when = {"type": "string", "format": "date-time"}
    spec = _spec(
        {
            "A": {
                "type": "object",
                "required": ["kind", "name", "when"],
                "properties": {
                    "kind": {"type": "string"},
                    "name": {"type": "string"},
                    "size": {"type": "integer"},
                    "when": when,
                    "only_a": {"type": "string"},
                },
            },
            "B": {
                "type": "object",
                "required": ["kind", "when"],
                "properties": {
                    "kind": {"type": "string"},
                    "name": {"type": "string"},
                    "size": {"type": "string"},
                    "when": when,
                },
            },
            "Holder": {
                "type": "object",
                "properties": {
                    "it": {"oneOf": [ref("A"), ref("B")], "discriminator": {"propertyName": "kind"}}
                },
            },
        }
    )
    out, package = _models(tmp_path, spec)
    with imported(out, package) as modules:
        models, runtime = modules[f"{package}.models"], modules[f"{package}._models"]
        it = models.Holder.from_dict(
            {"it": {"kind": "C", "size": 3, "when": "2024-01-02T03:04:05Z"}}
        ).it
        assert isinstance(it, runtime.UnlistedKind) and not isinstance(it, models.A | models.B)
        assert it.kind == "C"
        assert it.when.year == 2024  # converted as both kinds convert it
        assert it.name is None  # required by A only: absent is allowed
        with pytest.raises(AttributeError, match=r"'size': .*kind the spec does not list"):
            _ = it.size  # an integer in A, a string in B: no type to read it as
        with pytest.raises(AttributeError, match="'only_a'"):
            _ = it.only_a
        with pytest.raises(AttributeError, match="required field 'when' is missing"):
            _ = models.Holder.from_dict({"it": {"kind": "C"}}).it.when


def test_object_and_array_constants_are_valid_and_typed_by_their_json_type(
    tmp_path: Path,
) -> None:
    spec = _spec(
        {
            "Result": {
                "type": "object",
                "properties": {
                    "point": {"const": {"a": 1}},
                    "pair": {"const": [1, 2]},
                    "mode": {"const": "on"},
                },
            }
        }
    )
    out, package = _models(tmp_path, spec)
    source = "".join(p.read_text() for p in (out / package / "models").glob("*.py"))
    assert "point: _m.Field[dict[str, Any] | None]" in source
    assert "pair: _m.Field[list[Any] | None]" in source
    assert 'mode: _m.Field[Literal["on"] | None]' in source
    with imported(out, package) as modules:
        result = modules[f"{package}.models"].Result.from_dict({"point": {"a": 1}, "pair": [1, 2]})
        assert (result.point, result.pair) == ({"a": 1}, [1, 2])
        assert result.validate() is result
        with pytest.raises(Exception, match=r"Result\.pair: expected array, got dict"):
            modules[f"{package}.models"].Result.from_dict({"pair": {"a": 1}}).validate()


def test_a_reference_beside_shaping_keywords_applies_both(tmp_path: Path) -> None:
    ref = _ref_to
    spec = _spec(
        {
            "Base": {
                "type": "object",
                "required": ["id"],
                "properties": {"id": {"type": "string"}},
            },
            "Code": {"type": "string"},
            "Shape": {
                "type": "object",
                "properties": {"kind": {"type": "string"}},
                "discriminator": {"propertyName": "kind"},
            },
            # A subtype written as a $ref with properties: found as allOf children are.
            "Square": {
                **ref("Shape"),
                "properties": {"side": {"type": "number"}, "kind": {"const": "sq"}},
            },
            "Result": {
                "type": "object",
                "properties": {
                    "shape": ref("Shape"),
                    "ext": {
                        **ref("Base"),
                        "required": ["more"],
                        "properties": {"more": {"type": "integer"}},
                    },
                    # Annotations alone: still the component itself.
                    "noted": {**ref("Base"), "description": "Noted.", "readOnly": True},
                    "code": {**ref("Code"), "enum": ["a", "b"]},
                },
            },
        }
    )
    spec["components"]["parameters"] = {
        "Limit": {
            "name": "limit",
            "in": "query",
            "description": "The shared words.",
            "schema": {"type": "integer"},
        }
    }
    spec["paths"]["/things"]["post"]["parameters"] = [
        {"$ref": "#/components/parameters/Limit", "description": "Words for this call."}
    ]
    out, package = _models(tmp_path, spec)
    source = "".join(p.read_text() for p in (out / package / "models").glob("*.py"))
    assert "noted: _m.Field[Base | None]" in source
    assert 'code: _m.Field[Literal["a", "b"] | str | None]' in source
    with imported(out, package) as modules:
        models = modules[f"{package}.models"]
        result = models.Result.from_dict({"ext": {"id": "1", "more": 2}, "noted": {"id": "2"}})
        ext = result.ext
        assert isinstance(ext, models.Base) and type(ext) is not models.Base
        assert (ext.id, ext.more) == ("1", 2)
        assert type(ext).more.required and type(result.noted) is models.Base
        square = models.Result.from_dict({"shape": {"kind": "Square", "side": 2}}).shape
        assert type(square) is models.Square and square.side == 2
        square = models.Result.from_dict({"shape": {"kind": "sq"}}).shape
        assert type(square) is models.Square
        with pytest.raises(Exception, match=r"ext\.more: expected integer, got str"):
            models.Result.from_dict({"ext": {"id": "1", "more": "x"}}).validate()
        client = modules[f"{package}"].Client
        doc = inspect.getdoc(client.create_thing) or ""
        assert "Words for this call." in doc and "shared words" not in doc
    # 3.0 says keywords beside a $ref are ignored.
    out, package = _models(tmp_path, {**spec, "openapi": "3.0.3"})
    with imported(out, package) as modules:
        models = modules[f"{package}.models"]
        assert type(models.Result.from_dict({"ext": {"id": "1"}}).ext) is models.Base
        doc = inspect.getdoc(modules[f"{package}"].Client.create_thing) or ""
        assert "shared words" in doc


def test_a_one_of_inside_all_of_adds_the_variants_fields_as_optional(tmp_path: Path) -> None:
    ref = _ref_to
    spec = _spec(
        {
            "Circle": {
                "type": "object",
                "required": ["radius"],
                "properties": {"radius": {"type": "number"}},
            },
            "Placed": {
                "allOf": [
                    ref("Circle"),
                    {
                        "oneOf": [
                            {
                                "type": "object",
                                "required": ["x"],
                                "properties": {"x": {"type": "integer"}, "at": {"type": "string"}},
                            },
                            {
                                "type": "object",
                                "required": ["y"],
                                "properties": {"y": {"type": "integer"}, "at": {"type": "integer"}},
                            },
                        ]
                    },
                ]
            },
            "Result": {"type": "object", "properties": {"placed": ref("Placed")}},
        }
    )
    out, package = _models(tmp_path, spec)
    source = "".join(p.read_text() for p in (out / package / "models").glob("*.py"))
    assert "x: _m.Field[int | None]" in source and "y: _m.Field[int | None]" in source
    assert "at: _m.Field[str | int | None]" in source
    with imported(out, package) as modules:
        models = modules[f"{package}.models"]
        placed = models.Result.from_dict({"placed": {"radius": 1.5, "y": 3, "at": 4}}).placed
        assert type(placed) is models.Placed and isinstance(placed, models.Circle)
        assert (placed.radius, placed.x, placed.y, placed.at) == (1.5, None, 3, 4)
        assert placed.validate() is placed


def test_subtypes_and_variants_of_a_request_body_have_typed_constructors(
    tmp_path: Path,
) -> None:
    ref = _ref_to
    spec = _spec(
        {
            "Animal": {
                "type": "object",
                "required": ["kind"],
                "properties": {"kind": {"type": "string"}},
                "discriminator": {"propertyName": "kind", "mapping": {"Lion": ref("Lion")["$ref"]}},
            },
            "Lion": {"allOf": [ref("Animal"), {"properties": {"roar": {"type": "integer"}}}]},
            # Not in the mapping: a subtype all the same.
            "Tiger": {"allOf": [ref("Animal"), {"properties": {"stripes": {"type": "integer"}}}]},
            # Met last, as the response, after the body marked Animal.
            "Result": {"allOf": [ref("Animal"), {"properties": {"claws": {"type": "integer"}}}]},
            "Cat": {"type": "object", "properties": {"meows": {"type": "boolean"}}},
            "Dog": {"type": "object", "properties": {"barks": {"type": "boolean"}}},
            "Pet": {"oneOf": [ref("Cat"), ref("Dog")]},
            "Body": {
                "type": "object",
                "properties": {"animal": ref("Animal"), "pet": ref("Pet")},
            },
        }
    )
    # Tiger is met first, in a response, before the body marks Animal.
    spec["paths"] = {
        "/a/tiger": {
            "get": {
                "operationId": "getTiger",
                "responses": {
                    "200": {
                        "description": "ok",
                        "content": {"application/json": {"schema": ref("Tiger")}},
                    }
                },
            }
        },
        **spec["paths"],
    }
    out, package = _models(tmp_path, spec)
    with imported(out, package) as modules:
        models = modules[f"{package}.models"]
        lion = models.Lion(kind="Lion", roar=3)
        assert lion.to_dict() == {"kind": "Lion", "roar": 3}
        assert models.Tiger(kind="Tiger", stripes=2).to_dict() == {"kind": "Tiger", "stripes": 2}
        assert models.Dog(barks=True).to_dict() == {"barks": True}
        body = models.Body(animal=lion, pet=models.Cat(meows=False))
        assert body.to_dict() == {"animal": {"kind": "Lion", "roar": 3}, "pet": {"meows": False}}
        for cls, names in (
            (models.Lion, ["kind", "roar"]),
            (models.Tiger, ["kind", "stripes"]),
            (models.Result, ["kind", "claws"]),
        ):
            assert list(inspect.signature(cls).parameters) == names
        assert list(inspect.signature(models.Dog).parameters) == ["barks"]


def test_nullable_optional_fields_and_parameters_say_none_once(tmp_path: Path) -> None:
    spec = _spec(
        {
            "Maybe": {"type": ["string", "null"]},
            "Body": {
                "type": "object",
                "properties": {"note": {"$ref": "#/components/schemas/Maybe"}},
            },
        }
    )
    spec["paths"]["/things"]["post"]["parameters"] = [
        {"name": "tag", "in": "query", "schema": {"type": ["string", "null"]}},
        {
            "name": "list",
            "in": "query",
            "schema": {"type": "array", "items": {"type": ["integer", "null"]}},
        },
    ]
    out, package = _models(tmp_path, spec)
    source = "\n".join(p.read_text() for p in (out / package).rglob("*.py"))
    assert "None | None" not in source
    assert "note: _m.Field[str | None]" in source and "note: str | None = None" in source
    assert "tag: str | None = None" in source
    assert "list_: Sequence[int | None] | None = None" in source
