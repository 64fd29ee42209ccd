"""A `SpecDiff` as plain text, JSON or markdown."""

from __future__ import annotations

import json
from typing import Final

from generator.diff_model import ADDITIONS, Change, SpecDiff


def _mark(change: Change) -> str:
    if change.breaking:
        return "!"
    return "+" if change.kind in ADDITIONS else "~"


def render_text(diff: SpecDiff) -> str:
    lines = [f"spec diff {diff.summary}", "(! breaking, + added, ~ other change)"]

    def section(title: str, count: int) -> None:
        lines.extend(["", f"{title} ({count})"])

    if diff.operations_removed:
        section("Operations removed", len(diff.operations_removed))
        for op in diff.operations_removed:
            note = f" (the route is now {op.replaced_by})" if op.replaced_by else ""
            lines.append(f"  ! {op.operation_id}: {op.method} {op.path}{note}")
    if diff.operations_added:
        section("Operations added", len(diff.operations_added))
        lines.extend(
            f"  + {op.operation_id}: {op.method} {op.path}" for op in diff.operations_added
        )
    if diff.operations_changed:
        section("Operations changed", len(diff.operations_changed))
        for changed in diff.operations_changed:
            lines.append(f"  {changed.operation_id}: {changed.method} {changed.path}")
            lines.extend(f"    {_mark(c)} {c.message}" for c in changed.changes)
    if diff.security_changes:
        section("Security schemes", len(diff.security_changes))
        lines.extend(f"  {_mark(c)} {c.subject}: {c.message}" for c in diff.security_changes)
    if diff.schemas_removed:
        section("Schemas removed", len(diff.schemas_removed))
        lines.extend(f"  ! {name}" for name in diff.schemas_removed)
    if diff.schemas_renamed:
        section("Schemas renamed", len(diff.schemas_renamed))
        lines.extend(f"  ! {r.old} -> {r.new} ({r.evidence})" for r in diff.schemas_renamed)
    if diff.schemas_added:
        section("Schemas added", len(diff.schemas_added))
        lines.extend(f"  + {name}" for name in diff.schemas_added)
    if diff.schemas_changed:
        section("Schemas changed", len(diff.schemas_changed))
        for schema in diff.schemas_changed:
            was = f" (was {schema.old_name})" if schema.old_name != schema.name else ""
            lines.append(f"  {schema.name}{was}")
            lines.extend(f"    {_mark(c)} {c.message}" for c in schema.changes)
    return "\n".join(lines) + "\n"


def _code(text: str) -> str:
    """'name' quoting in messages becomes markdown code spans."""
    out: list[str] = []
    parts = text.split("'")
    for index, part in enumerate(parts):
        # Odd pieces sit between a pair of quotes; a trailing unpaired quote stays a quote.
        if index % 2 == 1 and index < len(parts) - 1:
            out.append(f"`{part}`")
        elif index % 2 == 1:
            out.append("'" + part)
        else:
            out.append(part)
    return "".join(out)


def _md_change(change: Change) -> str:
    tag = "**breaking** " if change.breaking else ""
    return f"- {tag}{_code(change.message)}"


def render_markdown(diff: SpecDiff, heading_level: int = 1) -> str:
    h1 = "#" * heading_level
    h2, h3 = h1 + "#", h1 + "##"
    lines = [f"{h1} Spec diff {diff.old_version} → {diff.new_version}", "", diff.summary]

    def section(title: str, count: int) -> None:
        lines.extend(["", f"{h2} {title} ({count})", ""])

    if diff.operations_removed:
        section("Operations removed", len(diff.operations_removed))
        for op in diff.operations_removed:
            note = f" (the route is now `{op.replaced_by}`)" if op.replaced_by else ""
            lines.append(f"- **breaking** `{op.operation_id}`: `{op.method} {op.path}`{note}")
    if diff.operations_added:
        section("Operations added", len(diff.operations_added))
        lines.extend(
            f"- `{op.operation_id}`: `{op.method} {op.path}`" for op in diff.operations_added
        )
    if diff.operations_changed:
        section("Operations changed", len(diff.operations_changed))
        for changed in diff.operations_changed:
            lines.extend(
                ["", f"{h3} `{changed.operation_id}`: `{changed.method} {changed.path}`", ""]
            )
            lines.extend(_md_change(c) for c in changed.changes)
    if diff.security_changes:
        section("Security schemes", len(diff.security_changes))
        for change in diff.security_changes:
            lines.append(_md_change(change).replace("- ", f"- `{change.subject}`: ", 1))
    if diff.schemas_removed:
        section("Schemas removed", len(diff.schemas_removed))
        lines.extend(f"- **breaking** `{name}`" for name in diff.schemas_removed)
    if diff.schemas_renamed:
        section("Schemas renamed", len(diff.schemas_renamed))
        lines.extend(
            f"- **breaking** `{r.old}` → `{r.new}` ({r.evidence})" for r in diff.schemas_renamed
        )
    if diff.schemas_added:
        section("Schemas added", len(diff.schemas_added))
        lines.extend(f"- `{name}`" for name in diff.schemas_added)
    if diff.schemas_changed:
        section("Schemas changed", len(diff.schemas_changed))
        for schema in diff.schemas_changed:
            was = f" (was `{schema.old_name}`)" if schema.old_name != schema.name else ""
            lines.extend(["", f"{h3} `{schema.name}`{was}", ""])
            lines.extend(_md_change(c) for c in schema.changes)
    return "\n".join(lines) + "\n"


def render_json(diff: SpecDiff) -> str:
    return json.dumps(diff.to_json(), indent=2, ensure_ascii=False) + "\n"


FORMATS: Final = ("text", "json", "markdown")


def render(diff: SpecDiff, fmt: str) -> str:
    if fmt == "json":
        return render_json(diff)
    if fmt == "markdown":
        return render_markdown(diff)
    if fmt == "text":
        return render_text(diff)
    raise ValueError(f"unknown format {fmt!r} (choose from {', '.join(FORMATS)})")
