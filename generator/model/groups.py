"""Operations split into groups, one generated module each, loaded when first used.

A client of a thousand operations cannot define every method at import and still start
fast; each group (a tag, cut into chunks of at most `GROUP_MAX` operations) becomes a module
of `_api` that the client classes load on the first access to one of its methods.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from generator.model.ir import OperationDef
from generator.model.naming import Identifier, Namespace, module_name

# Small enough that loading one group stays a fraction of `import httpx`, large enough that a
# tag of the X spec is one module.
GROUP_MAX = 40


@dataclass(frozen=True)
class OperationGroup:
    name: Identifier  # the module name in `_api`
    tag: str
    part: int  # 1-based chunk of the tag
    parts: int
    operations: list[OperationDef]


def group_operations(operations: Sequence[OperationDef]) -> list[OperationGroup]:
    """Groups by tag (tags sorted, chunks in method-name order); names claimed in that order."""
    by_tag: dict[str, list[OperationDef]] = {}
    for op in sorted(operations, key=lambda o: o.method_name):
        by_tag.setdefault(op.tag, []).append(op)
    names = Namespace()
    groups: list[OperationGroup] = []
    for tag in sorted(by_tag):
        ops = by_tag[tag]
        chunks = [ops[i : i + GROUP_MAX] for i in range(0, len(ops), GROUP_MAX)]
        base = module_name(tag)
        for part, chunk in enumerate(chunks, 1):
            name = names.claim(base if part == 1 else Identifier(f"{base}_{part}"))
            groups.append(OperationGroup(name, tag, part, len(chunks), chunk))
    return groups
