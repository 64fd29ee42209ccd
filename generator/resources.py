"""Where the templates and the runtime of the generated package are read from.

A wheel ships them inside the `generator` package (`generator/_templates`); a checkout keeps
them at the repository's top level (`templates/`), where they are edited.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

_PACKAGE: Final = Path(__file__).resolve().parent


def _templates() -> Path:
    installed = _PACKAGE / "_templates"
    if installed.is_dir():
        return installed
    return _PACKAGE.parent / "templates"


TEMPLATES: Final = _templates()
RUNTIME: Final = TEMPLATES / "runtime" / "twitter_api"
