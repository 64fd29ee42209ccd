"""Where the templates and the runtime of the generated package are read from.

A wheel ships them inside the `generator` package (`generator/_templates`, and the X
sanitations as `generator/_overlays`); a checkout keeps them where they are edited
(`templates/`, `spec/overlays/`).
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


def _overlays() -> Path:
    installed = _PACKAGE / "_overlays"
    if installed.is_dir():
        return installed
    return _PACKAGE.parent / "spec" / "overlays"


TEMPLATES: Final = _templates()
RUNTIME: Final = TEMPLATES / "runtime" / "twitter_api"
# The sanitations of the X spec (OpenAPI overlays), for `--overlay` outside the repository.
OVERLAYS: Final = _overlays()
