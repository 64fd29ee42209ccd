"""A `SpecDiff` as plain text, JSON or markdown.

Spec text is encoded for each: text output shows control characters as escapes (a terminal
never runs them), markdown gets every spec value through `encode.markdown_code` or
`encode.markdown`, so a name cannot open a link, HTML, a heading or a new line.
"""

from __future__ import annotations

import json
from typing import Final

from generator.encode import markdown, markdown_code, plain_line
from generator.evolve.diff_model import ADDITIONS, Change, SpecDiff, Text

SECURITY_TAG: Final = "[security]"


def _mark(change: Change) -> str:
    mark = "!" if change.breaking else "+" if change.kind in ADDITIONS else "~"
    return f"{mark} {SECURITY_TAG}" if change.security else mark


def render_text(diff: SpecDiff) -> str:
    legend = "! breaking, + added, ~ other change"
    if diff.security_relevant:
        legend += f"; {SECURITY_TAG} where calls or credentials go"
    lines = [f"spec diff {diff.summary}", f"({legend})"]

    def section(title: str, count: int) -> None:
        lines.extend(["", f"{title} ({count})"])

    if diff.security_relevant:
        section("Security-relevant changes: review these first", len(diff.security_relevant))
        lines.extend(f"  {_mark(c)} {c.subject}: {c.message}" for c in diff.security_relevant)
    if diff.server_changes:
        section("Servers", len(diff.server_changes))
        lines.extend(f"  {_mark(c)} {c.message}" for c in diff.server_changes)
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
    return "\n".join(plain_line(line) for line in lines) + "\n"


def markdown_text(words: Text) -> str:
    """The generator's words as they are; each spec value a code span (the quotes that mark
    it in plain text are dropped)."""
    pieces = words.template.split("{}")
    out = [pieces[0]]
    for value, piece in zip(words.values, pieces[1:], strict=True):
        if out[-1].endswith("'") and piece.startswith("'"):
            out[-1], piece = out[-1][:-1], piece[1:]
        out.extend([markdown_code(value), piece])
    return "".join(out)


def markdown_versions(diff: SpecDiff) -> str:
    """`2.159` -> `2.167`: the summary's versions, encoded."""
    return f"{markdown_code(diff.old_version)} -> {markdown_code(diff.new_version)}"


def _md_tags(change: Change) -> str:
    return ("**breaking** " if change.breaking else "") + (
        "**security** " if change.security else ""
    )


def _md_change(change: Change, subject: bool = False) -> str:
    owner = f"{markdown_code(change.subject)}: " if subject else ""
    return f"- {_md_tags(change)}{owner}{markdown_text(change.text)}"


def _route(method: str, path: str) -> str:
    return markdown_code(f"{method} {path}")


def render_markdown(diff: SpecDiff, heading_level: int = 1) -> str:
    h1 = "#" * heading_level
    h2, h3 = h1 + "#", h1 + "##"
    old, new = markdown_code(diff.old_version), markdown_code(diff.new_version)
    lines = [f"{h1} Spec diff {old} → {new}", "", f"{markdown_versions(diff)}: {diff.counts}"]

    def section(title: str, count: int) -> None:
        lines.extend(["", f"{h2} {title} ({count})", ""])

    if diff.security_relevant:
        section("Security-relevant changes: review these first", len(diff.security_relevant))
        lines.extend(_md_change(c, subject=True) for c in diff.security_relevant)
    if diff.server_changes:
        section("Servers", len(diff.server_changes))
        lines.extend(_md_change(c) for c in diff.server_changes)
    if diff.operations_removed:
        section("Operations removed", len(diff.operations_removed))
        for op in diff.operations_removed:
            note = f" (the route is now {markdown_code(op.replaced_by)})" if op.replaced_by else ""
            lines.append(
                f"- **breaking** {markdown_code(op.operation_id)}: "
                f"{_route(op.method, op.path)}{note}"
            )
    if diff.operations_added:
        section("Operations added", len(diff.operations_added))
        lines.extend(
            f"- {markdown_code(op.operation_id)}: {_route(op.method, op.path)}"
            for op in diff.operations_added
        )
    if diff.operations_changed:
        section("Operations changed", len(diff.operations_changed))
        for changed in diff.operations_changed:
            title = f"{markdown_code(changed.operation_id)}: {_route(changed.method, changed.path)}"
            lines.extend(["", f"{h3} {title}", ""])
            lines.extend(_md_change(c) for c in changed.changes)
    if diff.security_changes:
        section("Security schemes", len(diff.security_changes))
        lines.extend(_md_change(c, subject=True) for c in diff.security_changes)
    if diff.schemas_removed:
        section("Schemas removed", len(diff.schemas_removed))
        lines.extend(f"- **breaking** {markdown_code(name)}" for name in diff.schemas_removed)
    if diff.schemas_renamed:
        section("Schemas renamed", len(diff.schemas_renamed))
        lines.extend(
            f"- **breaking** {markdown_code(r.old)} → {markdown_code(r.new)} "
            f"({markdown(r.evidence)})"
            for r in diff.schemas_renamed
        )
    if diff.schemas_added:
        section("Schemas added", len(diff.schemas_added))
        lines.extend(f"- {markdown_code(name)}" for name in diff.schemas_added)
    if diff.schemas_changed:
        section("Schemas changed", len(diff.schemas_changed))
        for schema in diff.schemas_changed:
            was = (
                f" (was {markdown_code(schema.old_name)})" if schema.old_name != schema.name else ""
            )
            lines.extend(["", f"{h3} {markdown_code(schema.name)}{was}", ""])
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
