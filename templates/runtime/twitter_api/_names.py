"""The names a user types or reads for this package, all derived from its generated name.

The Config.toml table and the environment variables follow `PACKAGE_NAME` (a package
generated as `xclient` reads `[xclient]` and `XCLIENT_CONFIG`); the command line is run by
the import path, which differs when the package is vendored inside another one.
"""

from __future__ import annotations

from typing import Final

from ._spec_info import PACKAGE_NAME

TABLE: Final = PACKAGE_NAME
ENV_PREFIX: Final = PACKAGE_NAME.upper()
ENV_CONFIG: Final = f"{ENV_PREFIX}_CONFIG"
ENV_CONFIG_DATA: Final = f"{ENV_PREFIX}_CONFIG_DATA"
ENV_LOG: Final = f"{ENV_PREFIX}_LOG"
COMMAND: Final = f"python -m {__name__.rpartition('.')[0]}"
LOGIN_COMMAND: Final = f"{COMMAND} auth login"
