"""Spec evolution, beside the stages: `sdkgen diff` compares two versions of the spec and
classifies every change as breaking or not (`spec_diff` and its `diff_*` modules);
`changelog` turns a diff into the version bump and a CHANGELOG section; `sdkgen fetch-spec`
pins a new spec once the whole generation succeeds on it.

Uses `load` and `model`; hands the CLI its two commands.
"""

from generator.evolve.fetch_spec import cli_main as fetch_spec_main
from generator.evolve.spec_diff import cli_main as diff_main

__all__ = ["diff_main", "fetch_spec_main"]
