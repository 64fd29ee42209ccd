"""The one error type of the generator: a message tied to a file and a place in it."""

from __future__ import annotations


class GeneratorError(Exception):
    """Bad input. Printed as one line: `file:location: message`."""

    def __init__(self, file: str, location: str, message: str) -> None:
        super().__init__(f"{file}:{location}: {message}" if location else f"{file}: {message}")
        self.file = file
        self.location = location
        self.message = message


def pointer(*parts: str | int) -> str:
    """A JSON pointer (RFC 6901) to a place in the spec."""
    return "#/" + "/".join(str(p).replace("~", "~0").replace("/", "~1") for p in parts)
