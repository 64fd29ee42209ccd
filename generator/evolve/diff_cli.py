"""`sdkgen diff OLD_SPEC NEW_SPEC [--format text|json|markdown] [--fail-on-breaking]`."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import TextIO

from generator.errors import GeneratorError
from generator.evolve.diff_engine import diff_specs
from generator.evolve.diff_render import FORMATS, render


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The `diff` arguments, for a subcommand parser of the main CLI."""
    parser.add_argument("old_spec", metavar="OLD_SPEC", help="path or URL of the older spec")
    parser.add_argument("new_spec", metavar="NEW_SPEC", help="path or URL of the newer spec")
    parser.add_argument("--format", choices=FORMATS, default="text", help="output format")
    parser.add_argument(
        "--fail-on-breaking",
        action="store_true",
        help="exit 1 when a change breaks code written against OLD_SPEC",
    )


def run(args: argparse.Namespace, out: TextIO | None = None, err: TextIO | None = None) -> int:
    """Exit status: 0, 1 (breaking change with --fail-on-breaking), 2 (bad input)."""
    from generator.load import load_spec

    out = out if out is not None else sys.stdout
    err = err if err is not None else sys.stderr
    try:
        old = load_spec(args.old_spec)
        new = load_spec(args.new_spec)
        diff = diff_specs(
            old.document, new.document, old_origin=args.old_spec, new_origin=args.new_spec
        )
    except GeneratorError as exc:
        print(f"sdkgen: error: {exc}", file=err)
        return 2
    out.write(render(diff, args.format))
    return 1 if args.fail_on_breaking and diff.is_breaking else 0


def cli_main(argv: Sequence[str], out: TextIO | None = None, err: TextIO | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="sdkgen diff",
        description="Compare two OpenAPI documents and classify each change as breaking or not.",
    )
    add_arguments(parser)
    try:
        args = parser.parse_args(list(argv))
    except SystemExit as exc:  # argparse reports usage errors (2) and --help (0) this way
        return exc.code if isinstance(exc.code, int) else 2
    return run(args, out, err)
