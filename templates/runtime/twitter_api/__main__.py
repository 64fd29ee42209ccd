"""`python -m twitter_api ...`: see `_cli`."""

import sys

from ._cli import main

sys.exit(main())
