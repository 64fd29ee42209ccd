"""The generated package's CHANGELOG: one section per spec step, newest first, and its version.

A section names the spec version it was generated from, the one-line diff summary, the
changes of where calls and credentials go, migration notes for every breaking change (in the
names users type: `client.get_posts_by_id()`, `post_fields=`, `Post`), and what was added.
Spec text reaches the markdown only through `encode.markdown_code` / `encode.markdown`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Final

from generator.encode import markdown_code
from generator.evolve.diff_render import markdown_text, markdown_versions
from generator.evolve.spec_diff import Change, ChangeKind, SpecDiff

__all__ = ["bump_version", "changelog_section", "update_changelog"]

TITLE: Final = "# Changelog"
_SEMVER: Final = re.compile(r"(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)")
# Longer lists fold into a <details> block so a big spec step stays readable.
_FOLD_AFTER: Final = 12

Naming = Callable[[str], str]


def bump_version(current: str, diff: SpecDiff) -> str:
    """Semantic versioning: major on a breaking change, minor on additions, patch otherwise."""
    match = _SEMVER.fullmatch(current.strip())
    if match is None:
        raise ValueError(f"not a MAJOR.MINOR.PATCH version: {current!r}")
    major, minor, patch = (int(part) for part in match.groups())
    if diff.is_breaking:
        return f"{major + 1}.0.0"
    if diff.has_additions:
        return f"{major}.{minor + 1}.0"
    return f"{major}.{minor}.{patch + 1}"


def _default_method(operation_id: str) -> str:
    from generator.model import identifier

    return identifier(operation_id)


def _default_class(schema: str) -> str:
    from generator.model import class_name

    return class_name(schema)


def _default_argument(parameter: str) -> str:
    from generator.model import identifier

    return identifier(parameter)


def _fold(summary: str, items: list[str]) -> list[str]:
    if len(items) <= _FOLD_AFTER:
        return items
    return ["<details>", f"<summary>{summary}</summary>", "", *items, "", "</details>"]


def _operation_note(change: Change, argument: Naming) -> str:
    """A breaking operation change, with what to write instead where that is mechanical."""
    text = markdown_text(change.text)
    if change.kind is ChangeKind.PARAMETER_RENAMED and change.before and change.after:
        before, after = argument(change.before), argument(change.after)
        if before != after:
            text += f": pass {markdown_code(after + '=')} instead of {markdown_code(before + '=')}"
    return text


def _call(method: str) -> str:
    return markdown_code(f"client.{method}()")


def _route(method: str, path: str) -> str:
    return markdown_code(f"{method} {path}")


def changelog_section(
    diff: SpecDiff,
    old_version: str | None,
    new_version: str,
    package_version: str,
    *,
    method_name: Naming | None = None,
    class_name: Naming | None = None,
    argument_name: Naming | None = None,
) -> str:
    """A markdown section for one regeneration (`## <package_version> — spec <new_version>`).

    The naming functions default to the generator's own (`generator.model.naming`), so the notes
    use the names of the generated client.
    """
    method = method_name or _default_method
    model = class_name or _default_class
    argument = argument_name or _default_argument
    if _SEMVER.fullmatch(package_version) is None:
        raise ValueError(f"not a MAJOR.MINOR.PATCH version: {package_version!r}")
    new = markdown_code(new_version)
    lines = [f"## {package_version} — X API spec {new}", ""]
    if old_version:
        lines.append(f"Generated from spec {new} (previously {markdown_code(old_version)}).")
    else:
        lines.append(f"Generated from spec {new}.")
    lines.extend(["", f"Spec changes: {markdown_versions(diff)}: {diff.counts}."])
    if diff.security_relevant:
        lines.extend(["", "### Where calls and credentials go (review these)", ""])
        lines.extend(
            f"- {markdown_code(c.subject)}: {markdown_text(c.text)}" for c in diff.security_relevant
        )

    notes = _migration_notes(diff, method, model, argument)
    if notes:
        lines.extend(["", "### Migration notes (breaking changes)", *notes])
    added = _additions(diff, method, model)
    if added:
        lines.extend(["", "### Added", "", *added])
    return "\n".join(lines) + "\n"


def _migration_notes(diff: SpecDiff, method: Naming, model: Naming, argument: Naming) -> list[str]:
    out: list[str] = []
    if diff.operations_removed:
        out.extend(["", "#### Removed operations", ""])
        for op in diff.operations_removed:
            route = _route(op.method, op.path)
            if op.replaced_by:
                out.append(
                    f"- {_call(method(op.operation_id))} is gone; {route} is now "
                    f"{_call(method(op.replaced_by))}."
                )
            else:
                out.append(
                    f"- {_call(method(op.operation_id))} ({route}) was removed from the API."
                )
    changed_ops = [(o, [c for c in o.changes if c.breaking]) for o in diff.operations_changed]
    changed_ops = [(o, cs) for o, cs in changed_ops if cs]
    if changed_ops:
        out.extend(["", "#### Changed operations", ""])
        items: list[str] = []
        for changed, changes in changed_ops:
            route = _route(changed.method, changed.path)
            items.append(f"- {_call(method(changed.operation_id))} ({route})")
            items.extend(f"  - {_operation_note(c, argument)}" for c in changes)
        out.extend(_fold(f"{len(changed_ops)} operations changed incompatibly", items))
    if diff.security_changes and any(c.breaking for c in diff.security_changes):
        out.extend(["", "#### Authentication", ""])
        out.extend(
            f"- {markdown_code(c.subject)}: {markdown_text(c.text)}"
            for c in diff.security_changes
            if c.breaking
        )
    if diff.schemas_renamed:
        out.extend(["", "#### Renamed models", ""])
        renames = [
            f"- {markdown_code(model(r.old))} is now {markdown_code(model(r.new))}"
            for r in diff.schemas_renamed
        ]
        out.extend(_fold(f"{len(renames)} models renamed", renames))
    if diff.schemas_removed:
        out.extend(["", "#### Removed models", ""])
        removed = [f"- {markdown_code(model(name))}" for name in diff.schemas_removed]
        out.extend(_fold(f"{len(removed)} models removed", removed))
    changed_models = [(s, [c for c in s.changes if c.breaking]) for s in diff.schemas_changed]
    changed_models = [(s, cs) for s, cs in changed_models if cs]
    if changed_models:
        out.extend(["", "#### Changed models", ""])
        items = []
        for schema, changes in changed_models:
            items.append(f"- {markdown_code(model(schema.name))}")
            items.extend(f"  - {markdown_text(c.text)}" for c in changes)
        out.extend(_fold(f"{len(changed_models)} models changed incompatibly", items))
    return out


def _additions(diff: SpecDiff, method: Naming, model: Naming) -> list[str]:
    out = [
        f"- {_call(method(op.operation_id))} — {_route(op.method, op.path)}"
        for op in diff.operations_added
    ]
    out = _fold(f"{len(out)} new operations", out)
    if diff.schemas_added:
        models = [f"- model {markdown_code(model(name))}" for name in diff.schemas_added]
        out.extend(_fold(f"{len(models)} new models", models))
    return out


def _section_heading(section: str) -> str:
    for line in section.splitlines():
        if line.startswith("## "):
            return line
    raise ValueError("a changelog section starts with a '## ' heading")


def _split_sections(text: str) -> tuple[list[str], list[list[str]]]:
    """The lines before the first `## ` heading, and each section's lines."""
    head: list[str] = []
    sections: list[list[str]] = []
    for line in text.splitlines():
        if line.startswith("## "):
            sections.append([line])
        elif sections:
            sections[-1].append(line)
        else:
            head.append(line)
    return head, sections


def _join(blocks: Iterable[list[str]]) -> str:
    parts = ["\n".join(block).strip("\n") for block in blocks]
    return "\n\n".join(p for p in parts if p) + "\n"


def update_changelog(existing: str | None, section: str) -> str:
    """Put `section` first (newest on top). A section with the same heading is replaced, so
    regenerating the same step twice leaves one section."""
    heading = _section_heading(section)
    if not existing or not existing.strip():
        return _join([[TITLE], section.splitlines()])
    head, sections = _split_sections(existing)
    kept = [s for s in sections if s[0] != heading]
    return _join([head or [TITLE], section.splitlines(), *kept])
