"""The generator model: what templates render. Built from the spec, never from raw OpenAPI
inside templates; every decision a template needs is a field here.

Spec text stays plain `str` here, exactly as the spec has it: templates can print it only
through an encoder. Names are `Identifier`s and code fragments `Code`, checked on creation.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from generator.encode import Code, fragment
from generator.model.naming import Identifier


@dataclass(frozen=True)
class TypeInfo:
    """How a schema appears in Python.

    `annotation` types a value read from a response, `input_annotation` a value passed in,
    `converter` is the runtime expression that loads and checks it, and `imports` the model
    names (module, name) the annotations mention (imported for type checkers only).
    """

    annotation: Code
    input_annotation: Code
    converter: Code
    imports: frozenset[tuple[Identifier, Identifier]] = frozenset()
    type_aliases: frozenset[Identifier] = frozenset()  # names from the package's `types` module

    def __post_init__(self) -> None:
        for part in (self.annotation, self.input_annotation, self.converter):
            if not isinstance(part, Code):
                raise TypeError(f"TypeInfo takes encoded code, not {part!r}")


def or_none(annotation: Code) -> Code:
    """`annotation | None`, unless None is already one of its top-level members."""
    members: list[str] = []
    depth = start = 0
    for i, char in enumerate(annotation):
        depth += (char == "[") - (char == "]")
        if depth == 0 and annotation.startswith(" | ", i):
            members.append(annotation[start:i])
            start = i + 3
    members.append(annotation[start:])
    return annotation if "None" in members else fragment("{} | None", annotation)


@dataclass
class FieldDef:
    python_name: Identifier
    wire_name: str
    type: TypeInfo
    required: bool
    nullable: bool
    description: str
    read_only: bool = False  # sent by the server only: not a constructor parameter
    write_only: bool = False  # sent by the client only: may be absent from responses
    default: Code | None = None  # the spec's `default`, the constructor's when not given

    @property
    def required_in_response(self) -> bool:
        return self.required and not self.write_only

    @property
    def annotation(self) -> Code:
        base = self.type.annotation
        if self.required_in_response and not self.nullable:
            return base
        return or_none(base)

    @property
    def input_annotation(self) -> Code:
        base = self.type.input_annotation
        return base if self.required and not self.nullable else or_none(base)


@dataclass
class ModelDef:
    """A class: an object schema."""

    name: Identifier
    module: Identifier
    description: str
    fields: list[FieldDef]
    source: str  # JSON pointer of the schema, for comments and errors
    constructible: bool = False  # reachable from a request body: gets a typed __init__
    base: tuple[Identifier, Identifier] | None = (
        None  # (module, class) of an allOf parent it extends
    )
    parent: ModelDef | None = None
    extra: TypeInfo | None = None  # typed additionalProperties next to the properties

    @property
    def init_fields(self) -> list[FieldDef]:
        """Own and inherited fields, required first: the typed constructor's parameters."""
        fields = list(self.fields)
        own = {f.wire_name for f in fields}
        if self.parent is not None:
            fields += [f for f in self.parent.init_fields if f.wire_name not in own]
        return sorted((f for f in fields if not f.read_only), key=lambda f: not f.required)


@dataclass
class UnionDef:
    """A `oneOf`/`anyOf` component schema: a type alias plus a runtime converter."""

    name: Identifier
    module: Identifier
    description: str
    variants: list[TypeInfo]
    converter: Code
    const_name: Identifier
    source: str
    alias: bool = True  # False: a base class with a discriminator is its own annotation


@dataclass
class ModuleDef:
    name: Identifier
    models: list[ModelDef] = field(default_factory=list)
    unions: list[UnionDef] = field(default_factory=list)

    def ordered_models(self) -> list[ModelDef]:
        """Models in definition order, each parent class before the classes extending it."""
        done: list[ModelDef] = []
        placed: set[str] = set()

        def place(model: ModelDef) -> None:
            if model.name in placed:
                return
            placed.add(model.name)
            if model.parent is not None and model.parent in self.models:
                place(model.parent)
            done.append(model)

        for model in self.models:
            place(model)
        return done

    def base_imports(self) -> list[tuple[Identifier, Identifier]]:
        """Parent classes from other modules: imported at run time, unlike annotations."""
        own = {m.name for m in self.models}
        return sorted({m.base for m in self.models if m.base and m.base[1] not in own})

    def type_imports(self) -> list[tuple[Identifier, Identifier]]:
        own = {m.name for m in self.models} | {u.name for u in self.unions}
        own |= {name for _, name in self.base_imports()}
        found: set[tuple[Identifier, Identifier]] = set()
        for model in self.models:
            for f in model.init_fields if model.constructible else model.fields:
                found |= f.type.imports
            if model.extra is not None:
                found |= model.extra.imports
        for union in self.unions:
            for v in union.variants:
                found |= v.imports
        return sorted(i for i in found if i[1] not in own)

    def alias_imports(self) -> list[Identifier]:
        found: set[Identifier] = set()
        for model in self.models:
            for f in model.fields:
                found |= f.type.type_aliases
            if model.extra is not None:
                found |= model.extra.type_aliases
        for union in self.unions:
            for v in union.variants:
                found |= v.type_aliases
        return sorted(found)


@dataclass(frozen=True)
class ParamDef:
    python_name: Identifier
    wire_name: str
    location: str  # "path" | "query" | "header" | "cookie"
    type: TypeInfo
    required: bool
    # "" plain text; "csv" / "multi" query form arrays (explode false / true); otherwise the
    # OpenAPI style, with `*` when exploded ("matrix*", "deepObject*"), or "json" (`content`).
    style: str
    description: str

    @property
    def optional_input_annotation(self) -> Code:
        """The annotation of the parameter when it may be left out (None)."""
        return or_none(self.type.input_annotation)

    @property
    def key(self) -> str:
        """The key of the value in the mapping the client method hands to the runtime."""
        if self.location in ("header", "cookie"):
            return f"{self.location}:{self.wire_name}"
        return self.wire_name


@dataclass(frozen=True)
class PartEncoding:
    """How one property of a form or multipart body is sent (the spec's `encoding` object)."""

    style: str = ""  # a style token as for query parameters; "json" for one JSON document
    content_type: str = ""  # multipart: the part's media type
    headers: tuple[tuple[str, str], ...] = ()  # multipart: part headers with a fixed value


@dataclass
class OperationDef:
    operation_id: str
    method_name: Identifier
    const_name: Identifier
    http_method: str
    path: str
    tag: str
    summary: str
    description: str
    docs_url: str
    path_params: list[ParamDef]
    query_params: list[ParamDef]
    source: str  # JSON pointer of the operation
    body: TypeInfo | None
    body_required: bool
    multipart: bool
    response: TypeInfo | None
    response_kind: str  # "json" | "text" | "bytes" | "stream" | "empty" | "auto"
    # Every scheme of every alternative (for docs and scope lists); `requirements` says
    # which go together.
    security: list[tuple[str, list[str]]]
    paginated_by: str | None
    deprecated: bool
    header_params: list[ParamDef] = field(default_factory=list)
    cookie_params: list[ParamDef] = field(default_factory=list)
    # (media type, kind) of the request body, first the default; empty for plain JSON.
    content_types: list[tuple[str, str]] = field(default_factory=list)
    # Media type -> property -> its encoding, for form and multipart bodies that give one.
    encodings: dict[str, dict[str, PartEncoding]] = field(default_factory=dict)
    accept: str = ""  # the Accept header, when not the default of the response kind
    # Every type the success responses return, when there are several (else from `response`).
    returns: TypeInfo | None = None
    # (status or range, kind, JSON type) of each success response, when they differ in kind or
    # type: the received status picks how the body is read.
    statuses: list[tuple[str, str, TypeInfo | None]] = field(default_factory=list)
    # The media types the caller may ask the response in, when there is more than one.
    accepts: list[str] = field(default_factory=list)
    # The spec's security alternatives: one of them, with all its schemes; {} needs none.
    requirements: list[dict[str, list[str]]] = field(default_factory=list)
    server: str = ""  # the operation's (or its path's) own server URL, when it names one
    # A stream's most `backfill_minutes` (the parameter's maximum, else 5); 0: it takes none,
    # so it cannot recover what a disconnect lost.
    backfill_max: int = 0

    @property
    def keyword_params(self) -> list[ParamDef]:
        """Query, header and cookie parameters: keyword-only, required first."""
        found = self.query_params + self.header_params + self.cookie_params
        return sorted(found, key=lambda p: (not p.required, p.python_name))

    @property
    def params(self) -> list[ParamDef]:
        return self.path_params + self.keyword_params


@dataclass
class TypeAlias:
    name: Identifier
    values: tuple[Code, ...]  # the Literal's members, encoded


@dataclass(frozen=True)
class ServerVariable:
    name: str
    default: str
    enum: list[str]
    description: str


@dataclass
class Api:
    title: str
    version: str
    sha256: str
    default_base_url: str
    authorize_url: str
    token_url: str
    scopes: dict[str, str]
    operations: list[OperationDef]
    modules: list[ModuleDef]
    aliases: list[TypeAlias]
    # (module, converter constant, type alias) of the error-body union, when the spec has one.
    problem: tuple[Identifier, Identifier, Identifier] | None
    # (module, class) of the webhook event model `webhooks.parse_event` returns, if any.
    webhook_event: tuple[Identifier, Identifier] | None = None
    # Variables of the first server URL, substituted by their defaults in default_base_url.
    server_variables: list[ServerVariable] = field(default_factory=list)
    # Security scheme name -> the kind of credential it takes ("apiKey", "http:basic", ...).
    security_types: dict[str, str] = field(default_factory=dict)
    revoke_url: str = ""  # the flow's `x-revocationUrl`: OpenAPI has no field for it
    # apiKey scheme name -> (header, query or cookie; the key's name there).
    api_keys: dict[str, tuple[str, str]] = field(default_factory=dict)
    # oauth2 scheme name -> the token URL of its clientCredentials flow.
    client_credentials: dict[str, str] = field(default_factory=dict)
    # What the spec says that the client cannot use (the run still succeeds).
    warnings: list[str] = field(default_factory=list)
