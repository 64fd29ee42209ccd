"""Stage three: the generator model to files, through the jinja2 templates.

`render_package` returns every output file as bytes, formatted and marked as generated;
nothing is written here (see `output.py`). Templates print only `Code`: spec text goes
through the encoder filters (`py_str`, `toml_str`, `markdown`, `comment`) or the docstring
helpers, and `_finalize` refuses anything else.
"""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
import tempfile
import textwrap
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2

from generator import __version__, unasync
from generator.encode import (
    Code,
    comment,
    docstring,
    docstring_block,
    fragment,
    join,
    markdown,
    markdown_code,
    py_literal,
    py_str,
    toml_str,
)
from generator.errors import GeneratorError
from generator.model import Api, ModuleDef, OperationDef, ParamDef, UnionDef, minimal_scopes
from generator.model.groups import OperationGroup, group_operations
from generator.model.ir import PartEncoding
from generator.pointers import pointer
from generator.resources import RUNTIME, TEMPLATES

_TYPING_NAMES = ("IO", "TYPE_CHECKING", "Any", "Literal", "Self", "TypeAlias", "cast")


@dataclass(frozen=True)
class RenderOptions:
    package: str
    package_version: str
    auth_flow: str = ""  # the flow of the auth profile generated for, if any


class RawOutputError(TypeError):
    """A template printed a value that did not come through an encoder."""


def _finalize(value: object) -> object:
    # The one gate between the generator model and the output: encoded text, names and code
    # fragments are `Code`; numbers cannot break out of anything. A plain string (spec text,
    # or a literal in a template) is refused, so no template can paste spec text raw.
    if isinstance(value, Code) or type(value) is int:
        return value
    raise RawOutputError(f"a template printed a raw {type(value).__name__}: {value!r:.80}")


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        finalize=_finalize,
    )
    env.filters.update(
        py_str=py_str,
        py_literal=py_literal,
        toml_str=toml_str,
        markdown=markdown,
        markdown_code=markdown_code,
        comment=comment,
    )
    env.globals["docstring"] = docstring
    return env


def _stdlib_imports(texts: Iterable[str], always: Iterable[str] = ()) -> list[Code]:
    blob = "\n".join(texts)
    abc = [n for n in ("Mapping", "Sequence") if re.search(rf"\b{n}\[", blob)]
    typing = set(always)
    typing |= {n for n in _TYPING_NAMES if re.search(rf"(?<![\w.]){n}\b", blob)}
    lines = []
    if "os" in typing:
        typing.discard("os")
        lines.append("import os")
    if abc:
        lines.append(f"from collections.abc import {', '.join(abc)}")
    if re.search(r"\bdatetime\b", blob):
        lines.append("from datetime import datetime")
    if typing:
        order = sorted(typing, key=lambda n: (n != n.upper(), n[0].islower(), n))
        lines.append(f"from typing import {', '.join(order)}")
    # Made of the fixed names above only.
    return [Code(line) for line in lines]


def _module_texts(module: ModuleDef) -> list[str]:
    texts: list[str] = []
    for model in module.models:
        texts.extend(f.annotation for f in model.fields)
        if model.constructible:
            texts.extend(f.input_annotation for f in model.init_fields)
    for union in module.unions:
        if union.alias:
            texts.append("TypeAlias")
        texts.extend(v.annotation for v in union.variants)
    if module.type_imports() or module.alias_imports():
        texts.append("TYPE_CHECKING")
    return texts


def return_annotation(op: OperationDef, is_async: bool) -> Code:
    if op.response_kind == "stream":
        item = op.response.annotation if op.response else Code("Any")
        return fragment("AsyncStream[{}]" if is_async else "Stream[{}]", item)
    if op.returns is not None:
        return op.returns.annotation
    if op.response_kind == "bytes":
        return Code("bytes")
    if op.response_kind == "text":
        return Code("str")
    if op.response_kind == "auto":
        return Code("Any")
    if op.response_kind == "empty" or op.response is None:
        return Code("None")
    return op.response.annotation


def _security_text(op: OperationDef) -> str:
    names = {
        "OAuth2UserToken": "OAuth 2.0 user token",
        "UserToken": "OAuth 1.0a user token",
        "BearerToken": "app-only bearer token",
    }
    parts = []
    for alternative in op.requirements:
        labels = [
            f"{names.get(scheme, scheme)} (scopes: {', '.join(scopes)})"
            if scopes
            else names.get(scheme, scheme)
            for scheme, scopes in alternative.items()
        ]
        parts.append(" and ".join(labels) or "none")
    return "Auth: " + "; or ".join(parts) + "." if parts else ""


def method_docstring(op: OperationDef) -> Code:
    sections = [op.summary or op.operation_id]
    if op.description and op.description != op.summary:
        sections.append(op.description)
    if op.deprecated:
        sections.append("Deprecated by the API.")
    security = _security_text(op)
    if security:
        sections.append(security)
    args: list[str] = []
    for p in op.params:
        args.append(
            f"{p.python_name}: {p.description or f'the `{p.wire_name}` {p.location} parameter.'}"
        )
    if op.body is not None:
        kinds = {kind for _, kind in op.content_types} or {"json"}
        what = " or ".join(_BODY_TEXT[kind] for kind in _BODY_KINDS if kind in kinds)
        args.append(f"body: the request body ({what}).")
    if len(op.content_types) > 1:
        offered = ", ".join(ct for ct, _ in op.content_types)
        args.append(f"content_type: the media type to send the body as ({offered}).")
    if op.accepts:
        offered = ", ".join(op.accepts)
        args.append(f"accept: the media type to ask the response in ({offered}); any if None.")
    wrapped: list[str] = []
    for section in sections:
        wrapped.append(
            "\n".join(
                textwrap.wrap(
                    " ".join(section.split()),
                    width=88,
                    break_long_words=False,
                    break_on_hyphens=False,
                )
            )
        )
    if args:
        arg_lines = ["Args:"]
        for a in args:
            lines = textwrap.wrap(
                " ".join(a.split()),
                width=84,
                break_long_words=False,
                break_on_hyphens=False,
            )
            arg_lines.append("    " + lines[0])
            arg_lines.extend("        " + line for line in lines[1:])
        wrapped.append("\n".join(arg_lines))
    if op.docs_url:
        wrapped.append(f"Docs: {' '.join(op.docs_url.split())}")
    return docstring_block("\n\n".join(wrapped), 8, closing_line=True)


_BODY_KINDS = ("json", "form", "multipart", "text", "binary")
_BODY_TEXT = {
    "json": "a model or a mapping with wire names",
    "form": "form fields: a model or a mapping",
    "multipart": (
        "multipart parts: a model or a mapping; bytes, files and (filename, file, content type)"
        " tuples become file parts"
    ),
    "text": "a str",
    "binary": "bytes, or a binary file object streamed from its position",
}


def call_args(op: OperationDef) -> tuple[Code, Code]:
    def mapping(params: list[ParamDef]) -> Code:
        if not params:
            return Code("None")
        items = (fragment("{}: {}", py_str(p.key), p.python_name) for p in params)
        return fragment("{{{}}}", join(", ", items))

    return mapping(op.path_params), mapping(op.keyword_params)


def body_arg(op: OperationDef) -> Code:
    """The body as the client method hands it on: with its media type when there is a choice."""
    if not op.content_types:
        return Code("body")
    if len(op.content_types) == 1:
        return fragment("Payload(body, {})", py_str(op.content_types[0][0]))
    return Code("Payload(body, content_type)")


def content_type_literal(op: OperationDef) -> Code:
    return fragment("Literal[{}]", join(", ", (py_str(ct) for ct, _ in op.content_types)))


def accept_literal(op: OperationDef) -> Code:
    return fragment("Literal[{}]", join(", ", (py_str(ct) for ct in op.accepts)))


def statuses_literal(op: OperationDef) -> Code:
    """Status (or range) -> (kind, JSON converter) of each success response."""
    items = (
        fragment(
            "{}: ({}, {})", py_str(status), py_str(kind), info.converter if info else Code("None")
        )
        for status, kind, info in op.statuses
    )
    return fragment("{{{}}}", join(", ", items))


def returns_value(op: OperationDef) -> bool:
    return op.response_kind != "stream" and return_annotation(op, False) != "None"


def content_types_literal(op: OperationDef) -> Code:
    items = (fragment("{}: {}", py_str(ct), py_str(kind)) for ct, kind in op.content_types)
    return fragment("{{{}}}", join(", ", items))


def encodings_literal(op: OperationDef) -> Code:
    """`{media type: {property: Encoding(...)}}`: how form fields and parts are sent."""

    def one(e: PartEncoding) -> Code:
        args: list[Code] = []
        if e.style:
            args.append(fragment("style={}", py_str(e.style)))
        if e.content_type:
            args.append(fragment("content_type={}", py_str(e.content_type)))
        if e.headers:
            items = (fragment("{}: {}", py_str(k), py_str(v)) for k, v in e.headers)
            args.append(fragment("headers={{{}}}", join(", ", items)))
        return fragment("Encoding({})", join(", ", args))

    media = (
        fragment(
            "{}: {{{}}}",
            py_str(ct),
            join(", ", (fragment("{}: {}", py_str(name), one(e)) for name, e in props.items())),
        )
        for ct, props in op.encodings.items()
    )
    return fragment("{{{}}}", join(", ", media))


def outside_query(op: OperationDef) -> Code:
    """The keys of header and cookie parameters in the mapping of keyword parameters."""
    keys = [p.key for p in op.header_params + op.cookie_params]
    return fragment("({})", join("", (fragment("{}, ", py_str(k)) for k in keys)))


def security_literal(op: OperationDef) -> Code:
    """The operation's security alternatives: a (scheme, (scopes...)) pair for one scheme,
    else a {scheme: (scopes...)} mapping of all it needs ({} for none)."""

    def scopes(names: list[str]) -> Code:
        return fragment("({})", join("", (fragment("{}, ", py_str(s)) for s in names)))

    def alternative(requirement: dict[str, list[str]]) -> Code:
        if len(requirement) == 1:
            ((scheme, needed),) = requirement.items()
            return fragment("({}, {})", py_str(scheme), scopes(needed))
        items = (fragment("{}: {}", py_str(k), scopes(v)) for k, v in requirement.items())
        return fragment("{{{}}}", join(", ", items))

    items = (alternative(r) for r in op.requirements)
    return fragment("({})", join("", (fragment("{}, ", item) for item in items)))


def union_alias_value(union: UnionDef) -> Code:
    """The quoted annotation a union's TypeAlias stands for (a string: its members may be
    defined later in the module or only imported for type checkers)."""
    return py_str(join(" | ", (v.annotation for v in union.variants)))


# The chunked upload helper (`_media.py`) drives these operations of the X spec.
MEDIA_UPLOAD_OPERATIONS = (
    "initializeMediaUpload",
    "appendMediaUpload",
    "finalizeMediaUpload",
    "getMediaUploadStatus",
)


def _media_upload_result(api: Api) -> Code:
    """The return annotation of `upload_media`, or "" when the spec lacks the operations."""
    by_id = {op.operation_id: op for op in api.operations}
    if not all(name in by_id for name in MEDIA_UPLOAD_OPERATIONS):
        return Code("")
    results = [by_id[name].response for name in ("finalizeMediaUpload", "getMediaUploadStatus")]
    return join(" | ", (r.annotation for r in results if r is not None)) or Code("None")


def _styled(op: OperationDef) -> list[tuple[Code, Code]]:
    """(key, style) of each parameter not sent as plain text; path ones keyed `path:<name>`."""
    found = [(py_str(f"path:{p.wire_name}"), py_str(p.style)) for p in op.path_params if p.style]
    found += [(py_str(p.key), py_str(p.style)) for p in op.keyword_params if p.style]
    return found


def _type_imports(
    operations: Iterable[OperationDef],
) -> tuple[list[tuple[str, str]], list[str]]:
    imports: set[tuple[str, str]] = set()
    aliases: set[str] = set()
    for op in operations:
        for p in op.params:
            imports |= p.type.imports
            aliases |= p.type.type_aliases
        for info in (op.body, op.response, op.returns, *(t for _, _, t in op.statuses)):
            if info is not None:
                imports |= info.imports
                aliases |= info.type_aliases
    return sorted(imports), sorted(aliases)


def _header(api: Api) -> Code:
    """The comment that opens every Python and TOML file: what made it, never to be edited."""
    made_from = comment(f"{api.title} {api.version}")
    return Code(
        f"# Generated by sdkgen {__version__} from {made_from} (sha256 {api.sha256}).\n"
        "# Do not edit: change the generator or its templates and regenerate."
    )


def _client_variants() -> list[dict[str, Code | bool]]:
    """What differs between the sync and the async client class."""
    return [
        {
            "is_async": False,
            "cls": Code("Client"),
            "base": Code("SyncAPIClient"),
            "http": Code("httpx.Client"),
            "aw": Code(""),
            "define": Code("def"),
            "upload": Code("upload_media"),
            "methods": Code("SyncMethods"),
            "methods_base": Code("_SyncMethods"),
        },
        {
            "is_async": True,
            "cls": Code("AsyncClient"),
            "base": Code("AsyncAPIClient"),
            "http": Code("httpx.AsyncClient"),
            "aw": Code("await "),
            "define": Code("async def"),
            "upload": Code("upload_media_async"),
            "methods": Code("AsyncMethods"),
            "methods_base": Code("_AsyncMethods"),
        },
    ]


def _client_docstring(api: Api, package: str, is_async: bool) -> Code:
    http = "httpx.AsyncClient" if is_async else "httpx.Client"
    text = (
        f"{'Asynchronous c' if is_async else 'C'}lient of the {api.title} {api.version}.\n"
        "\n"
        "Args:\n"
        f"    auth: an `httpx.Auth`, usually one of `{package}.auth` (secrets stay out of "
        "reprs).\n"
        f"    base_url: defaults to {' '.join(api.default_base_url.split())}.\n"
        f"    http_client: your own `{http}` (transport, proxies, HTTP/2).\n"
        "    timeout: seconds per request, or an `httpx.Timeout` (None: no timeout).\n"
        "    max_retries: retries of connection errors, timeouts and 5xx (idempotent requests "
        "only,\n"
        "        or requests that surely never reached the server).\n"
        "    wait_on_rate_limit: on 429, sleep until the limit resets and try again (each wait\n"
        "        1 s to 15 min; at most 5 waits and 30 min per call, then RateLimitError).\n"
        "    allow_insecure_http: accept a plain-http base_url other than a loopback host (the\n"
        "        credentials then cross the network unencrypted).\n"
        "    headers: sent with every request.\n"
        "\n"
        "Every operation method also takes `timeout=`, `extra_headers=`, `extra_query=` and\n"
        "`extra_body=` (fields added to a JSON object body) for that call alone;\n"
        "`with_options(...)` gives a client with other settings sharing this one's connections."
    )
    if api.server_variables:
        lines = ["", "", "The default base_url takes the server variables at their defaults:"]
        for v in api.server_variables:
            options = f" (one of: {', '.join(v.enum)})" if v.enum else ""
            about = f": {v.description}" if v.description else ""
            lines.append("    " + " ".join(f"{v.name} = {v.default}{options}{about}".split()))
        text += "\n".join(lines)
    return docstring_block(text, 4)


def _spec_location(api: Api, text: str, line: int) -> str:
    """The spec place that produced generated line `line`: the nearest class, method or
    operation constant above it, else the document's info."""
    sources: dict[str, str] = {}
    for module in api.modules:
        sources.update({m.name: m.source for m in module.models})
        sources.update({u.name: u.source for u in module.unions})
        sources.update({u.const_name: u.source for u in module.unions})
    for op in api.operations:
        sources[op.method_name] = op.source
        sources[f"_{op.const_name}"] = op.source
    definition = re.compile(r"^\s*(?:class|def|async def)\s+(\w+)|^(\w+)\s*[:=]")
    for candidate in reversed(text.splitlines()[:line]):
        match = definition.match(candidate)
        name = match and (match.group(1) or match.group(2))
        if name and name in sources:
            return sources[name]
    return pointer("info")


def _check_parses(api: Api, files: dict[str, str], origin: str) -> None:
    """Every generated module parses; if one does not, say which file, line and spec place."""
    for rel, text in files.items():
        try:
            ast.parse(text, filename=rel)
        except SyntaxError as exc:
            line = exc.lineno or 0
            raise GeneratorError(
                origin,
                _spec_location(api, text, line),
                f"generated {rel}:{line} does not parse ({exc.msg}); the text from this place "
                "of the spec was not encoded for where it landed",
            ) from None


def render_package(api: Api, options: RenderOptions, origin: str = "spec") -> dict[str, bytes]:
    """Every file of the output project, relative path -> content."""
    env = _environment()
    header = _header(api)
    pkg = Code(options.package)  # checked by `settings.check_package_name`
    base: dict[str, Any] = {
        "api": api,
        "header": header,
        "package": pkg,
        "env_prefix": Code(pkg.upper()),  # as the runtime's `_names.ENV_PREFIX`
        "package_version": options.package_version,
    }
    files: dict[str, str] = {}

    def render(template: str, target: str, **extra: Any) -> None:
        try:
            files[target] = env.get_template(template).render(**base, **extra)
        except RawOutputError as exc:
            raise GeneratorError(f"templates/{template}", "", str(exc)) from None

    for module in api.modules:
        texts = _module_texts(module)
        names = [m.name for m in module.models] + [u.name for u in module.unions if u.alias]
        render(
            "model_module.py.jinja",
            f"{pkg}/models/{module.name}.py",
            module=module,
            module_doc=docstring(f"Models of the {api.title} {api.version}: {', '.join(names)}", 0),
            union_alias_value=union_alias_value,
            stdlib_imports=_stdlib_imports(texts),
            type_imports=module.type_imports(),
            alias_imports=module.alias_imports(),
        )
    exports = sorted(
        [(m.name, d.name) for m in api.modules for d in m.models]
        + [(m.name, u.name) for m in api.modules for u in m.unions if u.alias],
        key=lambda item: item[1],
    )
    render("models_init.py.jinja", f"{pkg}/models/__init__.py", exports=exports)
    render("models_init.pyi.jinja", f"{pkg}/models/__init__.pyi", exports=exports)
    groups = group_operations(api.operations)
    for group in groups:
        _render_group(api, group, render, pkg)
    render("api_init.py.jinja", f"{pkg}/_api/__init__.py")
    media_upload = _media_upload_result(api)
    # The models `upload_media` returns: finalize's and status's responses.
    upload_results = [
        op.response
        for op in api.operations
        if media_upload and op.operation_id in MEDIA_UPLOAD_OPERATIONS[2:] and op.response
    ]
    client_texts: list[str] = ["Mapping[str, str]", media_upload]
    if media_upload:
        client_texts.append("Sequence[str]")
    client_typing = {"os", "Self"} | ({"TYPE_CHECKING"} if groups or media_upload else set())
    render(
        "client.py.jinja",
        f"{pkg}/_client.py",
        module_doc=docstring(
            f"`Client` and `AsyncClient`: one method per operation of the {api.title} "
            f"{api.version}.",
            0,
        ),
        variants=_client_variants(),
        groups=groups,
        client_docstring=lambda is_async: _client_docstring(api, pkg, is_async),
        media_upload=media_upload,
        stdlib_imports=_stdlib_imports(client_texts, client_typing),
        type_imports=sorted({i for r in upload_results for i in r.imports}),
    )
    render(
        "operations.py.jinja",
        f"{pkg}/_operations.py",
        group_of={op.method_name: g.name for g in groups for op in g.operations},
    )
    render("types.py.jinja", f"{pkg}/types.py")
    render(
        "package_init.py.jinja",
        f"{pkg}/__init__.py",
        package_doc=docstring_block(
            f"Typed client for the {api.title} {api.version}.\n\n"
            f"    from {pkg} import Client\n"
            '    client = Client.from_config("Config.toml")\n'
            '    post = client.get_posts_by_id("20", post_fields=["created_at", "text"])',
            0,
        ),
    )
    revoke = api.revoke_url
    scopes = minimal_scopes(api)
    app_token_url = next(iter(api.client_credentials.values()), "")
    render(
        "spec_info.py.jinja",
        f"{pkg}/_spec_info.py",
        revoke_url=revoke,
        app_token_url=app_token_url,
        scopes=scopes,
    )
    files[f"{pkg}/py.typed"] = ""
    for path in sorted(RUNTIME.rglob("*.py")):
        rel = path.relative_to(RUNTIME).as_posix()
        if path.name.startswith(unasync.SYNC_PREFIX):
            message = "a sync twin is derived from its _async_ module, not kept"
            raise GeneratorError(rel, "", message)
        text = path.read_text(encoding="utf-8")
        files[f"{pkg}/{rel}"] = f"{header}\n{text}"
        if path.name.startswith(unasync.ASYNC_PREFIX):
            twin = path.with_name(unasync.sync_name(path.name)).relative_to(RUNTIME).as_posix()
            derived = f"# The sync twin of {rel}, derived by generator/unasync.py."
            files[f"{pkg}/{twin}"] = f"{header}\n{derived}\n{unasync.unasync(text, rel)}"
    python_files = {k: v for k, v in files.items() if k.endswith((".py", ".pyi"))}
    try:
        files.update(format_python(python_files))
    except GeneratorError:
        # ruff parses everything anyway; only when it refuses is each file parsed here, to
        # name the file, the line and the spec place that produced it.
        _check_parses(api, python_files, origin)
        raise
    render(
        "pyproject.toml.jinja",
        "pyproject.toml",
        distribution=Code(pkg.replace("_", "-")),
        description=f"Typed client for the {api.title} (spec {api.version})",
    )
    render(
        "Config.example.toml.jinja",
        "Config.example.toml",
        revoke_url=revoke,
        scopes=sorted({*scopes, "offline.access"} if "offline.access" in api.scopes else scopes),
    )
    render(
        "README.md.jinja",
        "README.md",
        generated_by=_readme_header(api),
        scopes=sorted({*scopes, "offline.access"} if "offline.access" in api.scopes else scopes),
        auth_flow=options.auth_flow,
        **_readme_examples(api),
    )
    return {k: v.encode("utf-8") for k, v in sorted(files.items())}


def _render_group(api: Api, group: OperationGroup, render: Callable[..., None], pkg: Code) -> None:
    """One module of `_api`: a group's operations and their methods of both clients."""
    ops = group.operations
    texts: list[str] = [return_annotation(op, a) for op in ops for a in (False, True)]
    texts += [p.type.input_annotation for op in ops for p in op.params]
    texts += [op.body.input_annotation for op in ops if op.body]
    texts += [content_type_literal(op) for op in ops if len(op.content_types) > 1]
    texts += [accept_literal(op) for op in ops if op.accepts]
    texts.append("Mapping[str, Any]")  # the per-call options
    type_imports, alias_imports = _type_imports(ops)
    streams = any(op.response_kind == "stream" for op in ops)
    typing = {"cast"} if any(returns_value(op) for op in ops) else set()
    if streams or type_imports or alias_imports:
        typing.add("TYPE_CHECKING")
    part = f" (part {group.part} of {group.parts})" if group.parts > 1 else ""
    what = f"Operations tagged {group.tag}{part} of the {api.title} {api.version}"
    render(
        "operation_group.py.jinja",
        f"{pkg}/_api/{group.name}.py",
        group=group,
        module_doc=docstring(
            f"{what}: their methods of `Client` and `AsyncClient`, and what the spec says about "
            "each (method, path, parameter styles, security).",
            0,
        ),
        group_docstring=lambda is_async: docstring(
            f"{what}: methods of `{'AsyncClient' if is_async else 'Client'}`, loaded on first use.",
            4,
        ),
        variants=_client_variants(),
        method_define=lambda op, v: Code("def") if op.response_kind == "stream" else v["define"],
        stdlib_imports=_stdlib_imports(texts, typing),
        type_imports=type_imports,
        alias_imports=alias_imports,
        streams=streams,
        models=any(op.response or op.statuses for op in ops),
        return_annotation=return_annotation,
        method_docstring=method_docstring,
        call_args=call_args,
        body_arg=body_arg,
        content_type_literal=content_type_literal,
        accept_literal=accept_literal,
        statuses_literal=statuses_literal,
        returns_value=returns_value,
        payload=any(op.content_types for op in ops),
        encoding=any(op.encodings for op in ops),
        encodings_literal=encodings_literal,
        deprecations=any(op.deprecated for op in ops),
        styled=_styled,
        security_literal=security_literal,
        content_types_literal=content_types_literal,
        outside_query=outside_query,
    )


def _readme_header(api: Api) -> Code:
    # An HTML comment cannot hold arbitrary text safely; this one holds none from the spec.
    return Code(
        f"<!-- Generated by sdkgen {__version__} (spec sha256 {api.sha256}). Do not edit: "
        "change the generator or its templates and regenerate. -->"
    )


_FLOW_LABELS = {
    "pkce": Code("OAuth 2.0 PKCE (user context)"),
    "app": Code("app-only (client credentials)"),
    "bearer": Code("bearer token (app-only)"),
    "oauth1": Code("OAuth 1.0a (user context)"),
}
_USER_SCHEMES = {"OAuth2UserToken", "UserToken"}


def _example_op(
    api: Api, preferred: str, fits: Callable[[OperationDef], bool]
) -> OperationDef | None:
    """The operation a README example calls: `preferred` when the spec has it, else the first
    (by method name) that fits."""
    candidates = [op for op in api.operations if fits(op)]
    return next((op for op in candidates if op.operation_id == preferred), None) or next(
        iter(candidates), None
    )


def _required_kwargs(op: OperationDef, lead: str) -> Code:
    return join("", (fragment(lead + '{}="..."', p.python_name) for p in op.params if p.required))


def _readme_examples(api: Api) -> dict[str, Any]:
    """README context: example calls picked from the spec, and the operations by tag."""

    def simple_get(op: OperationDef) -> bool:
        return op.http_method.lower() == "get" and op.response_kind == "json" and op.body is None

    def schemes(op: OperationDef) -> set[str]:
        return {scheme for scheme, _ in op.security}

    def call(op: OperationDef | None) -> Code:
        if op is None:
            return Code("")
        args = _required_kwargs(op, ", ").removeprefix(", ")
        return fragment("client.{}({})", op.method_name, Code(args))

    def call_with_options(op: OperationDef | None) -> Code:
        if op is None:
            return Code("")
        args = Code(_required_kwargs(op, "").replace('"..."', '"...", '))
        options = 'timeout=5.0, extra_headers={{"X-Request-Tag": "nightly"}}'
        return fragment("client.{}({}" + options + ")", op.method_name, args)

    user = _example_op(
        api, "getUsersMe", lambda op: simple_get(op) and bool(schemes(op) & _USER_SCHEMES)
    )
    app = _example_op(
        api, "getPostsById", lambda op: simple_get(op) and "BearerToken" in schemes(op)
    )
    page = _example_op(api, "getUsersPosts", lambda op: op.paginated_by is not None)
    stream = _example_op(api, "streamPostsSample", lambda op: op.response_kind == "stream")

    def partitioned(op: OperationDef) -> bool:
        required = [p.wire_name for p in op.params if p.required]
        return op.response_kind == "stream" and required == ["partition"]

    firehose = _example_op(api, "streamPostsFirehose", partitioned)
    by_tag: dict[str, list[OperationDef]] = {}
    for op in api.operations:
        by_tag.setdefault(op.tag, []).append(op)
    return {
        "user_call": call(user),
        "app_call": call(app),
        "page_call": (
            fragment("client.paginate(client.{}{})", page.method_name, _required_kwargs(page, ", "))
            if page
            else Code("")
        ),
        "stream_call": call(stream),
        "options_call": call_with_options(app or user),
        "partitioned_stream": fragment("{}", firehose.method_name) if firehose else Code(""),
        "operations_by_tag": sorted(by_tag.items()),
        "flow_labels": _FLOW_LABELS,
    }


def format_python(files: dict[str, str]) -> dict[str, str]:
    """Format with ruff in one run over a scratch directory (its own settings, not the cwd's)."""
    with tempfile.TemporaryDirectory(prefix="sdkgen-format-") as tmp:
        root = Path(tmp)
        for rel, text in files.items():
            target = root / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
        command = [
            _ruff(),
            "format",
            "--isolated",
            "--line-length",
            "100",
            "--target-version",
            "py311",
            "--quiet",
            str(root),
        ]
        result = subprocess.run(command, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            first = (result.stderr or result.stdout).strip().splitlines()[:1]
            raise GeneratorError(
                "templates", "", f"generated code does not parse (ruff): {' '.join(first)}"
            )
        return {rel: (root / rel).read_text(encoding="utf-8") for rel in files}


def _ruff() -> str:
    try:
        from ruff.__main__ import find_ruff_bin  # type: ignore[import-untyped]

        return os.fsdecode(find_ruff_bin())
    except (ImportError, FileNotFoundError):
        return str(Path(sys.executable).with_name("ruff"))
