"""Security schemes and requirements, and server URLs: checked, then reduced to what the
runtime needs (where an API key goes, which token URL a grant uses, an operation's server)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urljoin, urlsplit

from generator.errors import GeneratorError
from generator.pointers import escape, pointer

API_KEY_LOCATIONS = ("header", "query", "cookie")
# One security alternative: scheme name -> the scopes it needs; all of them at once.
Requirement = dict[str, list[str]]


def check_schemes(origin: str, schemes: Mapping[str, Any]) -> None:
    """Refuse schemes a client could not follow: an API key with no place or no name."""
    for name, scheme in schemes.items():
        if not isinstance(scheme, dict) or scheme.get("type") != "apiKey":
            continue
        where = pointer("components", "securitySchemes", str(name))
        location = scheme.get("in")
        if location not in API_KEY_LOCATIONS:
            raise GeneratorError(
                origin,
                f"{where}/in",
                f"an apiKey scheme goes in header, query or cookie, not {location!r:.40}",
            )
        key_name = scheme.get("name")
        if not isinstance(key_name, str) or not key_name:
            raise GeneratorError(
                origin, f"{where}/name", "an apiKey scheme needs the name of its key"
            )
        valid = (
            is_header_name(key_name) if location == "header" else PAIR_BREAKERS.isdisjoint(key_name)
        )
        if not valid:
            raise GeneratorError(
                origin, f"{where}/name", f"{key_name!r:.60} is not a valid {location} name"
            )


# What would end or split a query or cookie pair.
PAIR_BREAKERS = frozenset("\r\n\0;=, ")
# A token of RFC 9110 (a header name, a media type's parts).
HTTP_TOKEN = r"[!#$%&'*+.^_`|~0-9A-Za-z-]+"


def is_header_name(name: str) -> bool:
    """Whether `name` is an HTTP field name: anything else (a line break, a space, a colon)
    would be refused by the HTTP library at the first request, or split the header."""
    return re.fullmatch(HTTP_TOKEN, name) is not None


def api_keys(schemes: Mapping[str, Any]) -> dict[str, tuple[str, str]]:
    """apiKey scheme name -> (where the key goes, its name there)."""
    return {
        str(name): (str(s["in"]), str(s["name"]))
        for name, s in schemes.items()
        if isinstance(s, dict) and s.get("type") == "apiKey"
    }


def client_credentials(schemes: Mapping[str, Any]) -> dict[str, str]:
    """oauth2 scheme name -> the token URL of its clientCredentials flow."""
    found: dict[str, str] = {}
    for name, scheme in schemes.items():
        flows = scheme.get("flows") if isinstance(scheme, dict) else None
        flow = flows.get("clientCredentials") if isinstance(flows, dict) else None
        if isinstance(flow, dict) and scheme.get("type") == "oauth2":
            found[str(name)] = str(flow.get("tokenUrl") or "")
    return found


def requirements(
    origin: str, requirements: Any, at: str, schemes: Mapping[str, Any]
) -> list[Requirement]:
    """A `security` array as its alternatives; each scheme it names must be defined."""
    if requirements is None:
        return []
    if not isinstance(requirements, list):
        raise GeneratorError(origin, at, "security must be an array of requirement objects")
    found: list[Requirement] = []
    for i, requirement in enumerate(requirements):
        if not isinstance(requirement, dict):
            raise GeneratorError(origin, f"{at}/{i}", "a security requirement must be an object")
        alternative: Requirement = {}
        for scheme, scopes in requirement.items():
            if scheme not in schemes:
                defined = ", ".join(sorted(map(str, schemes))) or "none"
                raise GeneratorError(
                    origin,
                    f"{at}/{i}/{escape(str(scheme))}",
                    f"security names the scheme {str(scheme)!r:.80}, which "
                    f"components/securitySchemes does not define (defined: {defined})",
                )
            alternative[str(scheme)] = [str(s) for s in scopes or []]
        found.append(alternative)
    return found


_VARIABLE = re.compile(r"\{([^{}]*)\}")


def server_url(origin: str, server: Any, where: str) -> str:
    """A server's URL with each variable at its default; relative URLs are resolved against
    the spec's own URL when it was read from one. Undeclared variables are refused."""
    if not isinstance(server, dict) or not isinstance(server.get("url"), str):
        raise GeneratorError(origin, where, "a server needs a url")
    url: str = server["url"]
    _check_url_text(origin, url, f"{where}/url")
    variables = server.get("variables") or {}
    for name, variable in variables.items() if isinstance(variables, dict) else ():
        at = f"{where}/variables/{escape(str(name))}"
        if isinstance(variable, dict):
            _check_url_text(origin, str(variable.get("default", "")), f"{at}/default")
            enum = variable.get("enum")
            for i, value in enumerate(enum if isinstance(enum, list) else []):
                _check_url_text(origin, str(value), f"{at}/enum/{i}")
    for name in _VARIABLE.findall(url):
        variable = variables.get(name) if isinstance(variables, dict) else None
        if not isinstance(variable, dict):
            raise GeneratorError(
                origin,
                f"{where}/url",
                f"the server URL uses the variable {name!r:.40}, which its variables do not "
                "declare",
            )
        url = url.replace("{" + name + "}", str(variable.get("default", "")))
    if not urlsplit(url).scheme and urlsplit(origin).scheme in ("http", "https"):
        url = urljoin(origin, url)
    return url.rstrip("/")


def _check_url_text(origin: str, text: str, where: str) -> None:
    """Refuse a control character or whitespace in URL text: the HTTP library rejects the URL
    when the client is made, long after generation said it was fine."""
    bad = next((c for c in text if not c.isprintable() or c.isspace()), None)
    if bad is not None:
        raise GeneratorError(
            origin, where, f"a server URL cannot hold U+{ord(bad):04X} (a control or space)"
        )


def operation_server(
    origin: str, op: Mapping[str, Any], item: Mapping[str, Any], where: str, path_where: str
) -> str:
    """The first server an operation or its path item names ("" when neither does)."""
    for node, at in ((op, where), (item, path_where)):
        urls = servers(origin, node.get("servers"), f"{at}/servers")
        if urls:
            return urls[0]
    return ""


def servers(origin: str, value: Any, at: str) -> list[str]:
    """The URLs of a `servers` array, each checked."""
    if not isinstance(value, list):
        return []
    return [server_url(origin, server, f"{at}/{i}") for i, server in enumerate(value)]
