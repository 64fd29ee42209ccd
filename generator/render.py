"""Stage three: the generator model to files, through the jinja2 templates.

`render_package` returns every output file as bytes, formatted and marked as generated;
nothing is written here (see `output.py`).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import textwrap
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2

from generator import __version__
from generator.errors import GeneratorError
from generator.ir import Api, ModuleDef, OperationDef, ParamDef
from generator.profile import minimal_scopes

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
RUNTIME = TEMPLATES / "runtime" / "twitter_api"

_TYPING_NAMES = ("IO", "TYPE_CHECKING", "Any", "Literal", "Self", "TypeAlias", "cast")


@dataclass(frozen=True)
class RenderOptions:
    package: str
    package_version: str


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
        autoescape=False,
    )
    env.filters["pyrepr"] = _pyrepr
    env.globals["docstring"] = docstring
    return env


def _pyrepr(value: Any) -> str:
    # Double quotes, as ruff would write them, so formatting doesn't churn.
    if isinstance(value, str):
        return '"' + repr(value)[1:-1].replace('"', '\\"').replace("\\'", "'") + '"'
    return repr(value)


def _escape_docstring(text: str) -> str:
    text = text.replace("\\", "\\\\").replace('"""', '\\"\\"\\"')
    return text + " " if text.endswith('"') else text


def docstring(text: str, indent: int) -> str:
    """A triple-quoted docstring, wrapped to fit, indented for its place."""
    pad = " " * indent
    paragraphs = [p.strip() for p in _escape_docstring(text.strip()).split("\n\n") if p.strip()]
    lines: list[str] = []
    for i, paragraph in enumerate(paragraphs):
        if i:
            lines.append("")
        lines.extend(
            textwrap.wrap(
                " ".join(paragraph.split()),
                width=96 - indent,
                break_long_words=False,
                break_on_hyphens=False,
            )
            or [""]
        )
    if len(lines) == 1:
        return f'"""{lines[0]}"""'
    body = "\n".join(f"{pad}{line}" if line else "" for line in lines[1:])
    return f'"""{lines[0]}\n{body}\n{pad}"""'


def _stdlib_imports(texts: Iterable[str], always: Iterable[str] = ()) -> list[str]:
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
    return lines


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


def return_annotation(op: OperationDef, is_async: bool) -> str:
    if op.response_kind == "stream":
        item = op.response.annotation if op.response else "Any"
        return f"{'AsyncStream' if is_async else 'Stream'}[{item}]"
    if op.response_kind == "bytes":
        return "bytes"
    if op.response_kind == "empty" or op.response is None:
        return "None"
    return op.response.annotation


def _security_text(op: OperationDef) -> str:
    names = {
        "OAuth2UserToken": "OAuth 2.0 user token",
        "UserToken": "OAuth 1.0a user token",
        "BearerToken": "app-only bearer token",
    }
    parts = []
    for scheme, scopes in op.security:
        label = names.get(scheme, scheme)
        parts.append(f"{label} (scopes: {', '.join(scopes)})" if scopes else label)
    return "Auth: " + "; or ".join(parts) + "." if parts else ""


def method_docstring(op: OperationDef) -> str:
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
        where = "path" if p.location == "path" else "query"
        args.append(
            f"{p.python_name}: {p.description or f'the `{p.wire_name}` {where} parameter.'}"
        )
    if op.body is not None:
        args.append("body: the request body (a model or a mapping with wire names).")
    text_sections = [_escape_docstring(s) for s in sections]
    wrapped: list[str] = []
    for section in text_sections:
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
                " ".join(_escape_docstring(a).split()),
                width=84,
                break_long_words=False,
                break_on_hyphens=False,
            )
            arg_lines.append("    " + lines[0])
            arg_lines.extend("        " + line for line in lines[1:])
        wrapped.append("\n".join(arg_lines))
    if op.docs_url:
        wrapped.append(f"Docs: {op.docs_url}")
    body = "\n\n".join(wrapped)
    indented = "\n".join(("        " + line) if line else "" for line in body.split("\n"))
    return '"""' + indented.lstrip() + '\n        """'


def call_args(op: OperationDef) -> tuple[str, str]:
    def mapping(params: list[ParamDef]) -> str:
        if not params:
            return "None"
        return "{" + ", ".join(f'"{p.wire_name}": {p.python_name}' for p in params) + "}"

    return mapping(op.path_params), mapping(op.query_params)


# The chunked upload helper (`_media.py`) drives these operations of the X spec.
MEDIA_UPLOAD_OPERATIONS = (
    "initializeMediaUpload",
    "appendMediaUpload",
    "finalizeMediaUpload",
    "getMediaUploadStatus",
)


def _media_upload_result(api: Api) -> str:
    """The return annotation of `upload_media`, or "" when the spec lacks the operations."""
    by_id = {op.operation_id: op for op in api.operations}
    if not all(name in by_id for name in MEDIA_UPLOAD_OPERATIONS):
        return ""
    results = [by_id[name].response for name in ("finalizeMediaUpload", "getMediaUploadStatus")]
    return " | ".join(r.annotation for r in results if r is not None)


def _styled(op: OperationDef) -> list[ParamDef]:
    return [p for p in op.query_params if p.style]


def _client_type_imports(api: Api) -> tuple[list[tuple[str, str]], list[str]]:
    imports: set[tuple[str, str]] = set()
    aliases: set[str] = set()
    for op in api.operations:
        for p in op.params:
            imports |= p.type.imports
            aliases |= p.type.type_aliases
        for info in (op.body, op.response):
            if info is not None:
                imports |= info.imports
                aliases |= info.type_aliases
    return sorted(imports), sorted(aliases)


def _header(api: Api, comment: str = "#") -> str:
    return (
        f"{comment} Generated by sdkgen {__version__} from {api.title} {api.version} "
        f"(sha256 {api.sha256}).\n{comment} Do not edit: change the generator or its templates "
        "and regenerate."
    )


def render_package(api: Api, options: RenderOptions) -> dict[str, bytes]:
    """Every file of the output project, relative path -> content."""
    env = _environment()
    header = _header(api)
    pkg = options.package
    base: dict[str, Any] = {
        "api": api,
        "header": header,
        "package": pkg,
        "package_version": options.package_version,
    }
    files: dict[str, str] = {}

    def render(template: str, target: str, **extra: Any) -> None:
        files[target] = env.get_template(template).render(**base, **extra)

    for module in api.modules:
        texts = _module_texts(module)
        render(
            "model_module.py.jinja",
            f"{pkg}/models/{module.name}.py",
            module=module,
            module_doc=f"Models of the {api.title} {api.version}: "
            + ", ".join(
                [m.name for m in module.models] + [u.name for u in module.unions if u.alias]
            ),
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
    type_imports, alias_imports = _client_type_imports(api)
    client_texts = [return_annotation(op, a) for op in api.operations for a in (False, True)]
    client_texts += [p.type.input_annotation for op in api.operations for p in op.params]
    client_texts += [op.body.input_annotation for op in api.operations if op.body]
    problem_module, problem_const = "", ""
    if api.problem is not None:
        match = re.fullmatch(r'_m\.alias\("([^"]+)", "([^"]+)"\)', api.problem.converter)
        if match is None:
            raise GeneratorError("spec", "#/components/schemas/Problem", "Problem must be a oneOf")
        problem_module, problem_const = match.groups()
    media_upload = _media_upload_result(api)
    if media_upload:
        client_texts.append("Sequence[str]")
    render(
        "client.py.jinja",
        f"{pkg}/_client.py",
        media_upload=media_upload,
        stdlib_imports=_stdlib_imports(client_texts, {"os", "TYPE_CHECKING", "Self", "cast"}),
        type_imports=type_imports,
        alias_imports=alias_imports,
        return_annotation=return_annotation,
        method_docstring=method_docstring,
        call_args=call_args,
        problem_module=problem_module,
        problem_const=problem_const,
    )
    render("operations.py.jinja", f"{pkg}/_operations.py", styled=_styled)
    render("types.py.jinja", f"{pkg}/types.py")
    render("package_init.py.jinja", f"{pkg}/__init__.py")
    revoke = api.token_url.rsplit("/", 1)[0] + "/revoke" if api.token_url else ""
    scopes = minimal_scopes(api)
    render("spec_info.py.jinja", f"{pkg}/_spec_info.py", revoke_url=revoke, scopes=scopes)
    files[f"{pkg}/py.typed"] = ""
    for path in sorted(RUNTIME.rglob("*.py")):
        rel = path.relative_to(RUNTIME).as_posix()
        files[f"{pkg}/{rel}"] = f"{header}\n{path.read_text(encoding='utf-8')}"
    formatted = format_python({k: v for k, v in files.items() if k.endswith(".py")})
    files.update(formatted)
    files["pyproject.toml"] = env.get_template("pyproject.toml.jinja").render(
        **base, header_toml=_header(api)
    )
    files["Config.example.toml"] = env.get_template("Config.example.toml.jinja").render(
        **base,
        header_toml=_header(api),
        revoke_url=revoke,
        scopes=sorted({*scopes, "offline.access"} if "offline.access" in api.scopes else scopes),
    )
    files["README.md"] = env.get_template("README.md.jinja").render(
        **base, header_text=_header(api, "").replace("\n ", " ").strip()
    )
    return {k: v.encode("utf-8") for k, v in sorted(files.items())}


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
