"""What changed between two versions of an OpenAPI document, and what of it breaks clients.

`diff_specs(old, new)` compares two raw documents and returns a `SpecDiff`: operations added,
removed and changed (matched by operationId), schemas added, removed, renamed and changed, and
security-scheme changes, each change marked breaking or not. This module is the public entry;
the work is done in the `diff_*` modules:

- `diff_model`: the data model (`SpecDiff`, `Change`, `ChangeKind`, ...);
- `diff_document`: one side of the diff (`$ref` checks, operations, schema usage);
- `diff_renames`: which schemas were renamed;
- `diff_schemas`: schema comparison and its breaking-change rules;
- `diff_engine`: operation and security comparison, and `diff_specs`;
- `diff_render`: text, JSON and markdown output;
- `diff_cli`: the `sdkgen diff` command.
"""

from __future__ import annotations

from generator.evolve.diff_cli import add_arguments, cli_main, run
from generator.evolve.diff_engine import diff_specs
from generator.evolve.diff_model import (
    Change,
    ChangeKind,
    OperationDiff,
    OperationRef,
    SchemaDiff,
    SchemaRename,
    SpecDiff,
    is_breaking,
    summary,
)
from generator.evolve.diff_render import render, render_json, render_markdown, render_text

__all__ = [
    "Change",
    "ChangeKind",
    "OperationDiff",
    "OperationRef",
    "SchemaDiff",
    "SchemaRename",
    "SpecDiff",
    "add_arguments",
    "cli_main",
    "diff_specs",
    "is_breaking",
    "render",
    "render_json",
    "render_markdown",
    "render_text",
    "run",
    "summary",
]
