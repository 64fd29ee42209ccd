"""The one error type of the generator: a message tied to a file and a place in it."""

from __future__ import annotations


class GeneratorError(Exception):
    """Bad input. Printed as one line: `file:location: message`."""

    def __init__(self, file: str, location: str, message: str) -> None:
        super().__init__(f"{file}:{location}: {message}" if location else f"{file}: {message}")
        self.file = file
        self.location = location
        self.message = message
