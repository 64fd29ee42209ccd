"""Python names for spec names, made once and never re-cased in templates.

The casing rules are openapi-python-client's, so names match what users of its stock output
already know (`getPostsById` -> `get_posts_by_id`, `post.fields` -> `post_fields`). On top of
them every name is sanitised: ASCII letters, digits and `_` only (accents are folded, other
characters dropped), never a keyword, never a name the generated code itself relies on in the
same scope. A spec name with nothing usable left gets a stable fallback name; its wire name is
still sent exactly. Collisions get stable numeric suffixes from `Namespace`, in spec order.
"""

from __future__ import annotations

import ast
import functools
import hashlib
import keyword
import re
from collections.abc import Iterable

from openapi_python_client.strings import pascal_case, snake_case

from generator import unasync
from generator.encode import Code, ascii_words
from generator.resources import RUNTIME, TEMPLATES

__all__ = [
    "CLASS_RESERVED",
    "FIELD_RESERVED",
    "METHOD_RESERVED",
    "PARAM_RESERVED",
    "Identifier",
    "Namespace",
    "class_name",
    "identifier",
    "module_name",
    "pascal_case",
    "snake_case",
]


class Identifier(Code):
    """A Python name: ASCII, not a keyword. Made only by the functions below."""

    __slots__ = ()


# Python 3.11's builtins, pinned so the output does not depend on the Python that generates it.
BUILTINS = frozenset(
    """ArithmeticError AssertionError AttributeError BaseException BaseExceptionGroup
    BlockingIOError BrokenPipeError BufferError BytesWarning ChildProcessError
    ConnectionAbortedError ConnectionError ConnectionRefusedError ConnectionResetError
    DeprecationWarning EOFError Ellipsis EncodingWarning EnvironmentError Exception
    ExceptionGroup False FileExistsError FileNotFoundError FloatingPointError
    FutureWarning GeneratorExit IOError ImportError ImportWarning IndentationError
    IndexError InterruptedError IsADirectoryError KeyError KeyboardInterrupt LookupError
    MemoryError ModuleNotFoundError NameError None NotADirectoryError NotImplemented
    NotImplementedError OSError OverflowError PendingDeprecationWarning PermissionError
    ProcessLookupError PythonFinalizationError RecursionError ReferenceError
    ResourceWarning RuntimeError RuntimeWarning StopAsyncIteration StopIteration
    SyntaxError SyntaxWarning SystemError SystemExit TabError TimeoutError True
    TypeError UnboundLocalError UnicodeDecodeError UnicodeEncodeError UnicodeError
    UnicodeTranslateError UnicodeWarning UserWarning ValueError Warning
    ZeroDivisionError abs aiter all anext any ascii bin bool breakpoint bytearray bytes
    callable chr classmethod compile complex copyright credits delattr dict dir divmod
    enumerate eval exec exit filter float format frozenset getattr globals hasattr hash
    help hex id input int isinstance issubclass iter len license list locals map max
    memoryview min next object oct open ord pow print property quit range repr reversed
    round set setattr slice sorted staticmethod str sum super tuple type vars zip""".split()  # noqa: SIM905
)
# Names the generated modules import or define beside the spec's names. Annotations are
# resolved in class scope by type checkers, so a method or field with one of these names would
# change what an annotation means.
GENERATED_NAMES = frozenset(
    """Any IO Literal Mapping Self Sequence TYPE_CHECKING TypeAlias annotations cast
    datetime httpx importlib os alias AsyncClient Client AsyncAPIClient SyncAPIClient
    AsyncStream Stream MediaFile Progress Operation Model Field BY_METHOD""".split()  # noqa: SIM905
)
# Builtins that generated annotations use: a method or field of that name would shadow them
# in its class. (Other builtins, such as `id` or `filter`, are fine names for fields.)
ANNOTATION_BUILTINS = frozenset({"bool", "bytes", "dict", "float", "int", "list", "str"})
CLASS_RESERVED = BUILTINS | GENERATED_NAMES

# The shared client base, and the async client (the sync one is derived from it).
_RUNTIME_CLIENTS = (RUNTIME / "_base_client.py", RUNTIME / "_async_base_client.py")


def _runtime_client_names() -> frozenset[str]:
    """Every attribute the runtime base clients define (read from their source, so a new
    runtime method is avoided without a list to keep in step)."""
    names: set[str] = set()
    for source in _RUNTIME_CLIENTS:
        tree = ast.parse(source.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef):
                for item in node.body:
                    if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef):
                        names.add(item.name)
                    elif isinstance(item, ast.Assign):
                        names.update(t.id for t in item.targets if isinstance(t, ast.Name))
    names |= {unasync.rename(name) for name in names}
    return frozenset(names)


# Method names: what the client classes already have (`close`, `request`, `paginate`,
# `with_options`, `with_raw_response`, ...), the generated `from_config` and `upload_media`,
# the per-call options, builtins and the names annotations use.
METHOD_RESERVED = (
    _runtime_client_names()
    | {"from_config", "upload_media", "by_method", "timeout", "extra_headers", "extra_query"}
    | {"extra_body"}
    | BUILTINS
    | GENERATED_NAMES
)
_GROUP_TEMPLATE = TEMPLATES / "operation_group.py.jinja"
_JINJA_TAGS = re.compile(r"{%.*?%}|{#.*?#}|{{.*?}}", re.DOTALL)
_STRINGS = re.compile(r"\"[^\"\n]*\"|'[^'\n]*'")
# A name read or bound, not an attribute (`.Timeout`) nor a keyword argument (`stacklevel=2`).
_NAME = re.compile(r"(?<![.\w])([A-Za-z_]\w*)(?![\w=])")


def _template_method_names() -> frozenset[str]:
    """The names a generated method uses besides its spec parameters: those written in the
    template's methods (from the `def` line on: they end the template), read from the
    template so a new local or option is avoided without a list to keep in step."""
    text = _GROUP_TEMPLATE.read_text(encoding="utf-8")
    method = text[text.index("{{ op.method_name }}(") :]
    code = _STRINGS.sub(" ", _JINJA_TAGS.sub(" ", method))
    return frozenset(n for n in _NAME.findall(code) if not keyword.iskeyword(n))


# Parameter names: every name a generated method uses besides its parameters, so none is
# shadowed or repeated: the template's own names, those the rendered arguments add (the body,
# its media type, `Payload`), and those the `cast` annotation of the result may hold. Other
# builtins stay allowed: a parameter only shadows them inside its own method, which never
# uses them, and `id=` reads better than `id_=`.
METHOD_BODY_NAMES = _template_method_names() | {"self", "body", "content_type", "Payload"}
PARAM_RESERVED = METHOD_BODY_NAMES | ANNOTATION_BUILTINS | GENERATED_NAMES
# Field names: attributes of the runtime Model base class, plus names annotations use.
FIELD_RESERVED = (
    frozenset(
        {
            "self",
            "to_dict",
            "to_json",
            "from_dict",
            "validate",
            "extra_fields",
            "http_response",
            "rate_limit",
        }
    )
    | ANNOTATION_BUILTINS
    | GENERATED_NAMES
)

_NOT_NAME = re.compile(r"[^A-Za-z0-9_]+")
MODULE_NAME_MAX = 64


def _sanitised(text: str) -> str:
    text = _NOT_NAME.sub("_", text)
    return re.sub(r"_+", "_", text).strip("_")


# Cached: a large spec asks for the same names tens of thousands of times.
@functools.cache
def _snake(name: str, fallback: str) -> str:
    # Every run of other characters is a word break (`repos/get` is `repos_get`, not `reposget`).
    words = _NOT_NAME.sub(" ", ascii_words(name))
    result = _sanitised(snake_case(words)).lower() or fallback
    return f"n{result}" if result[:1].isdigit() else result


def has_identifier(name: str) -> bool:
    """Whether `name` keeps any letter or digit once made a Python name (`+++` and letters
    that do not fold to ASCII keep none)."""
    return bool(_snake(name, ""))


def identifier(
    name: str, reserved: Iterable[str] = frozenset(), fallback: str = "value"
) -> Identifier:
    """A snake_case Python name for a spec name; keywords and reserved names get `_`."""
    result = _snake(name, fallback)
    # Soft keywords (match, case, type, _) are valid names; treating them as reserved would make
    # the output depend on the Python version generating it.
    reserved = frozenset(reserved)
    while keyword.iskeyword(result) or result in reserved:
        result += "_"
    return Identifier(result)


@functools.cache
def class_name(name: str, fallback: str = "Schema") -> Identifier:
    result = _sanitised(pascal_case(_sanitised(ascii_words(name)).replace("_", " ")))
    if not result:
        result = fallback
    if result[0].isdigit():
        result = f"M{result}"
    if keyword.iskeyword(result) or result in CLASS_RESERVED:
        result += "Model"
    return Identifier(result)


def module_name(name: str) -> Identifier:
    """A module (and file) name: snake_case, bounded in length; a cut name keeps a hash of the
    whole so two long names stay apart."""
    result = identifier(name, fallback="module")
    if len(result) > MODULE_NAME_MAX:
        digest = hashlib.sha256(result.encode()).hexdigest()[:10]
        result = Identifier(f"{result[: MODULE_NAME_MAX - 11].rstrip('_')}_{digest}")
    return result


class Namespace:
    """Names in one scope: each claim returns a name not taken yet (`name`, `name_2`, ...)."""

    def __init__(self, reserved: Iterable[str] = ()) -> None:
        self._taken: set[str] = set(reserved)

    def __contains__(self, name: str) -> bool:
        return name in self._taken

    def claim(self, base: Identifier, separator: str = "_") -> Identifier:
        name, n = base, 2
        stem = base.rstrip("_") or base  # `request_` taken -> `request_2`, not `request__2`
        while name in self._taken or keyword.iskeyword(name):
            name, n = Identifier(f"{stem}{separator}{n}"), n + 1
        self._taken.add(name)
        return name
