"""A client of many tags loads each group of operations on first use, and still types fully.

Importing the package defines no operation: `_api.<group>` modules stay unloaded until one
of their methods (or `Operation` records) is touched, and then only that group loads. Every
operation is nevertheless a method of both clients for `hasattr`, `inspect`, `dir`, `help`,
`paginate`, `with_options`, and for mypy --strict.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from generator.model.groups import GROUP_MAX
from tests.spec_package import generate

# One tag bigger than a group (two chunks), and small ones.
BIG = GROUP_MAX + 5
TAGS = {"Alpha": BIG, "Beta": 3, "Gamma": 2}


def _spec() -> dict[str, Any]:
    paths: dict[str, Any] = {}
    for tag, count in TAGS.items():
        for i in range(count):
            op: dict[str, Any] = {
                "operationId": f"get{tag}Item{i}",
                "tags": [tag],
                "parameters": [
                    {"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}
                ],
                "responses": {
                    "200": {
                        "description": "ok",
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/Item"}}
                        },
                    }
                },
            }
            paths[f"/{tag.lower()}/{i}/{{id}}"] = {"get": op}
    paths["/beta/old"] = {
        "get": {
            "operationId": "getBetaOld",
            "tags": ["Beta"],
            "deprecated": True,
            "responses": {"204": {"description": "none"}},
        }
    }
    paths["/gamma/pages"] = {
        "get": {
            "operationId": "listGammaPages",
            "tags": ["Gamma"],
            "parameters": [
                {"name": "pagination_token", "in": "query", "schema": {"type": "string"}}
            ],
            "responses": {
                "200": {
                    "description": "ok",
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/Page"}}
                    },
                }
            },
        }
    }
    return {
        "openapi": "3.0.3",
        "info": {"title": "Lazy", "version": "1"},
        "servers": [{"url": "https://api.example.test"}],
        "paths": paths,
        "components": {
            "schemas": {
                "Item": {
                    "type": "object",
                    "required": ["id"],
                    "properties": {"id": {"type": "integer"}, "name": {"type": "string"}},
                },
                "Page": {
                    "type": "object",
                    "properties": {
                        "data": {"type": "array", "items": {"$ref": "#/components/schemas/Item"}},
                        "meta": {
                            "type": "object",
                            "properties": {"next_token": {"type": "string"}},
                        },
                    },
                },
            }
        },
    }


@pytest.fixture(scope="module")
def lazy_package(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    root = tmp_path_factory.mktemp("lazy")
    code, err, out, package = generate(_spec(), root, "lazy")
    assert code == 0, err
    return out, package


def _run(out: Path, script: str) -> dict[str, Any]:
    env = {**os.environ, "PYTHONPATH": str(out)}
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(script)],
        cwd=out,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, Any] = json.loads(done.stdout)
    return result


_LOADED = """
import json, sys
PKG = {package!r}
def loaded():
    return sorted(m.rpartition(".")[2] for m in sys.modules if m.startswith(PKG + "._api."))
"""


def test_the_groups_are_tags_cut_into_bounded_chunks(lazy_package: tuple[Path, str]) -> None:
    out, package = lazy_package
    groups = sorted(p.stem for p in (out / package / "_api").glob("*.py"))
    assert groups == ["__init__", "alpha", "alpha_2", "beta", "gamma"]
    result = _run(
        out,
        _LOADED.format(package=package)
        + """
from collections import Counter
from importlib import import_module
ops = import_module(PKG + "._operations")
print(json.dumps(Counter(ops.METHOD_GROUPS.values())))
""",
    )
    assert result == {"alpha": GROUP_MAX, "alpha_2": BIG - GROUP_MAX, "beta": 4, "gamma": 3}


def test_importing_and_constructing_loads_no_group(lazy_package: tuple[Path, str]) -> None:
    out, package = lazy_package
    result = _run(
        out,
        _LOADED.format(package=package)
        + """
from importlib import import_module
root = import_module(PKG)
client = root.Client(base_url="https://api.example.test")
aclient = root.AsyncClient(base_url="https://api.example.test")
clone = client.with_options(timeout=3.0)
ops = import_module(PKG + "._operations")
names = list(ops.BY_METHOD)
print(json.dumps({"loaded": loaded(), "count": len(names)}))
""",
    )
    assert result == {"loaded": [], "count": sum(TAGS.values()) + 2}


def test_touching_one_operation_loads_only_its_group(lazy_package: tuple[Path, str]) -> None:
    out, package = lazy_package
    result = _run(
        out,
        _LOADED.format(package=package)
        + """
import inspect
from importlib import import_module
root = import_module(PKG)
client = root.Client(base_url="https://api.example.test")
steps = {}
method = client.get_beta_item_1
steps["instance"] = loaded()
root.AsyncClient.get_alpha_item_0
steps["async class"] = loaded()
ops = import_module(PKG + "._operations")
ops.BY_METHOD["get_gamma_item_0"]
steps["table"] = loaded()
cls = root.Client
print(json.dumps({
    "steps": steps,
    "cached": "get_beta_item_1" in vars(cls) and "get_beta_item_2" in vars(cls),
    "not_yet": "get_gamma_item_0" in vars(cls),
    "qualname": cls.get_beta_item_1.__qualname__,
    "signature": str(inspect.signature(method)),
    "bound_to": method.__self__ is client,
}))
""",
    )
    assert result["steps"] == {
        "instance": ["beta"],
        "async class": ["alpha", "beta"],
        "table": ["alpha", "beta", "gamma"],
    }
    # Resolved once, kept on the class: later calls are ordinary method lookups.
    assert result["cached"] is True and result["not_yet"] is False
    assert result["qualname"] == "Client.get_beta_item_1"
    assert result["signature"].startswith("(id: 'int', *, timeout:")
    assert result["bound_to"] is True


def test_every_operation_is_a_method_of_both_clients(lazy_package: tuple[Path, str]) -> None:
    out, package = lazy_package
    result = _run(
        out,
        _LOADED.format(package=package)
        + """
import inspect, pydoc
from importlib import import_module
root = import_module(PKG)
names = sorted(import_module(PKG + "._operations").METHOD_GROUPS)
client = root.Client(base_url="https://api.example.test")
aclient = root.AsyncClient(base_url="https://api.example.test")
listed = set(dir(client)) & set(dir(root.AsyncClient))
missing = []
for name in names:
    for owner in (root.Client, root.AsyncClient, client, aclient):
        if not hasattr(owner, name) or name not in listed:
            missing.append(name)
        inspect.signature(getattr(owner, name))
help_text = pydoc.render_doc(root.Client, renderer=pydoc.plaintext)
print(json.dumps({
    "count": len(names),
    "missing": missing,
    "async": [n for n in names if not inspect.iscoroutinefunction(getattr(aclient, n))],
    "in_help": all(f"{n}(self" in help_text for n in names),
    "unknown": hasattr(client, "get_nothing") or hasattr(root.Client, "get_nothing"),
    "loaded": loaded(),
}))
""",
    )
    assert result["count"] == sum(TAGS.values()) + 2
    assert result["missing"] == []
    assert result["async"] == []
    assert result["in_help"] is True
    assert result["unknown"] is False
    assert result["loaded"] == ["alpha", "alpha_2", "beta", "gamma"]


def test_lazy_methods_call_warn_and_paginate(lazy_package: tuple[Path, str]) -> None:
    out, package = lazy_package
    result = _run(
        out,
        _LOADED.format(package=package)
        + """
import warnings
import httpx
from importlib import import_module
root = import_module(PKG)
seen = []
def handler(request):
    seen.append(str(request.url))
    if request.url.path == "/gamma/pages":
        token = request.url.params.get("pagination_token")
        meta = {} if token else {"next_token": "t2"}
        return httpx.Response(200, json={"data": [{"id": 1 if not token else 2}], "meta": meta})
    if request.url.path == "/beta/old":
        return httpx.Response(204)
    return httpx.Response(200, json={"id": 7, "name": "n"})
http = httpx.Client(transport=httpx.MockTransport(handler))
client = root.Client(base_url="https://api.example.test", http_client=http).with_options(
    max_retries=0
)
item = client.get_alpha_item_9(5)
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    client.get_beta_old()
ids = [i.id for i in client.paginate(client.list_gamma_pages).items()]
print(json.dumps({
    "item": [item.id, item.name],
    "warnings": [(w.category.__name__, str(w.message), w.filename) for w in caught],
    "ids": ids,
    "urls": seen,
    "loaded": loaded(),
}))
""",
    )
    assert result["item"] == [7, "n"]
    assert result["warnings"] == [
        ["DeprecationWarning", "get_beta_old is deprecated by the API", "<string>"]
    ]
    assert result["ids"] == [1, 2]
    assert result["urls"] == [
        "https://api.example.test/alpha/9/5",
        "https://api.example.test/beta/old",
        "https://api.example.test/gamma/pages",
        "https://api.example.test/gamma/pages?pagination_token=t2",
    ]
    assert result["loaded"] == ["alpha_2", "beta", "gamma"]


def test_mypy_strict_types_lazily_loaded_methods(
    lazy_package: tuple[Path, str], tmp_path: Path
) -> None:
    out, package = lazy_package
    user = tmp_path / "user_code.py"
    user.write_text(
        textwrap.dedent(
            f"""
            from {package} import AsyncClient, Client
            from {package}.models import Item


            def good(client: Client) -> int:
                item: Item = client.get_alpha_item_9(5)
                return item.id


            async def good_async(client: AsyncClient) -> str | None:
                return (await client.get_gamma_item_1(1)).name


            def bad(client: Client, item: Item) -> None:
                client.get_beta_item_2("five")
                client.get_beta_item_9(1)
                item.nam
            """
        )
    )
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--strict",
            "--no-incremental",
            "--cache-dir",
            os.devnull,
            str(user),
        ],
        cwd=out,
        env={**os.environ, "MYPYPATH": str(out)},
        capture_output=True,
        text=True,
        check=False,
    )
    errors = [line for line in done.stdout.splitlines() if ": error:" in line]
    assert len(errors) == 3, done.stdout
    assert (
        ':16: error: Argument 1 to "get_beta_item_2" of "SyncMethods" has incompatible type'
        in (errors[0])
    )
    assert ':17: error: "Client" has no attribute "get_beta_item_9"' in errors[1]
    # The model came through `models/__init__.pyi`: a real class, not Any.
    assert ':18: error: "Item" has no attribute "nam"' in errors[2]


def test_a_subclass_override_can_call_the_lazy_method_through_super(
    lazy_package: tuple[Path, str],
) -> None:
    out, package = lazy_package
    result = _run(
        out,
        _LOADED.format(package=package)
        + """
import httpx
from importlib import import_module
root = import_module(PKG)

class Mine(root.Client):
    def get_beta_item_0(self, id, **kw):
        item = super().get_beta_item_0(id + 1, **kw)
        return ("mine", item.id)

after_class = loaded()
http = httpx.Client(transport=httpx.MockTransport(
    lambda request: httpx.Response(200, json={"id": int(request.url.path.rsplit("/", 1)[1])})
))
client = Mine(base_url="https://api.example.test", http_client=http)
print(json.dumps({
    "after_class": after_class,
    "call": client.get_beta_item_0(41),
    "other": client.get_gamma_item_0(3).id,
    "loaded": loaded(),
}))
""",
    )
    assert result == {
        "after_class": ["beta"],
        "call": ["mine", 42],
        "other": 3,
        "loaded": ["beta", "gamma"],
    }


def test_models_load_one_module_per_name_from_the_index(lazy_package: tuple[Path, str]) -> None:
    out, package = lazy_package
    result = _run(
        out,
        _LOADED.format(package=package)
        + """
from importlib import import_module
models = import_module(PKG + ".models")
def loaded_models():
    return sorted(m for m in sys.modules if m.startswith(PKG + ".models."))
before = loaded_models()
from_import = {}
exec(f"from {PKG}.models import Page", from_import)
after = loaded_models()
names = list(models.__all__)
values = [getattr(models, n) for n in names]
try:
    getattr(models, "Pag")
    missing = "found"
except AttributeError as exc:
    missing = str(exc)
print(json.dumps({
    "before": before,
    "after": after,
    "page": from_import["Page"].__name__,
    "names": names,
    "dir": sorted(n for n in dir(models) if not n.startswith("_")),
    "classes": [v.__name__ for v in values],
    "missing": missing,
}))
""",
    )
    module = f"{package}.models.gamma_api"  # the module of the one tag using it
    assert result["before"] == []
    assert result["after"] == [module]
    assert result["page"] == "Page"
    assert result["names"] == ["Item", "Page", "PageMeta"]
    assert result["dir"] == ["Item", "Page", "PageMeta"]
    assert result["classes"] == ["Item", "Page", "PageMeta"]
    assert result["missing"] == f"module '{package}.models' has no attribute 'Pag'"
