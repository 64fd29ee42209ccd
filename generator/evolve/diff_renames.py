"""Which removed component schemas were renamed to which added ones.

Guessed, in this order, from: schemas referenced at the same place of the same operation in
both versions; equal structure and similar names; equal names once X's 2.167 vocabulary
change (Tweet -> Post, Retweet -> Repost) is undone.
"""

from __future__ import annotations

import difflib
import json
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, Final

from generator.evolve.diff_document import (
    SCHEMA_PREFIX,
    Document,
    Operation,
    content_of,
    is_map,
    ref_name,
    responses_of,
    schema_kind,
)
from generator.evolve.diff_model import SchemaRename
from generator.pointers import escape, unescape

# Keywords that document a schema without changing what it accepts.
_DOC_KEYWORDS: Final = frozenset(
    {"description", "example", "examples", "title", "externalDocs", "deprecated", "xml"}
)
# X renamed its vocabulary in 2.167; names are compared with the old words replaced.
_VOCABULARY: Final = (("retweet", "repost"), ("tweet", "post"))
_NAME_SIMILARITY: Final = 0.5  # SequenceMatcher ratio below which equal structure is a coincidence
_MAX_ROUNDS: Final = 6


def find_renames(
    old: Document, new: Document, operations: Sequence[tuple[Operation, Operation]]
) -> dict[str, SchemaRename]:
    """Renames by old schema name; `operations` pairs the two versions of each operation."""
    return _RenameFinder(old, new).find(operations)


def canon(name: str) -> str:
    """A name in the 2.167 words, lower case, for matching names across versions."""
    lowered = name.lower()
    for old, new in _VOCABULARY:
        lowered = lowered.replace(old, new)
    return lowered


def _similarity(a: str, b: str) -> float:
    return difflib.SequenceMatcher(None, canon(a), canon(b)).ratio()


class _RenameFinder:
    def __init__(self, old: Document, new: Document) -> None:
        self.old = old
        self.new = new
        self.renames: dict[str, str] = {}  # old schema name -> new schema name, as accepted

    def _schema_roots(self, old: Operation, new: Operation) -> Iterator[tuple[Any, Any]]:
        """Schemas at the same place of two versions of one operation."""
        old_body = self.old.deref(old.node.get("requestBody"))
        new_body = self.new.deref(new.node.get("requestBody"))
        for media, old_media in content_of(old_body).items():
            new_media = content_of(new_body).get(media)
            if is_map(old_media) and is_map(new_media):
                yield old_media.get("schema"), new_media.get("schema")
        old_responses, new_responses = responses_of(old.node), responses_of(new.node)
        for code in old_responses:
            if code not in new_responses:
                continue
            old_content = content_of(self.old.deref(old_responses[code]))
            new_content = content_of(self.new.deref(new_responses[code]))
            for media, old_media in old_content.items():
                new_media = new_content.get(media)
                if is_map(old_media) and is_map(new_media):
                    yield old_media.get("schema"), new_media.get("schema")
        for key, param in old.params.items():
            if key in new.params:
                yield param.get("schema"), new.params[key].get("schema")

    def _align(
        self,
        start: tuple[Any, Any],
        why: str,
        candidates: tuple[set[str], set[str]],
        votes: Counter[tuple[str, str]],
        evidence: dict[tuple[str, str], tuple[int, str]],
        seen: set[Any],
    ) -> None:
        """Walk two schemas side by side; schema names met at the same place are candidates.

        The evidence kept for a pair is the shallowest place it was met: "the response of
        getPostsById" says more than "somewhere inside the includes of a DM event".
        """
        removed, added = candidates
        stack: list[tuple[Any, Any, int]] = [(*start, 0)]
        while stack:
            old, new, depth = stack.pop()
            old_name, new_name = ref_name(old), ref_name(new)
            key: Any
            if old_name is not None and new_name is not None:
                pair = (old_name, new_name)
                if old_name in removed and new_name in added:
                    votes[pair] += 1
                    if pair not in evidence or evidence[pair][0] > depth:
                        evidence[pair] = (depth, why)
                key = pair
            else:
                key = (id(old), id(new))
            if key in seen:
                continue
            seen.add(key)
            old_body, new_body = self.old.deref(old), self.new.deref(new)
            if not (is_map(old_body) and is_map(new_body)):
                continue
            below = depth + 1
            old_props, new_props = old_body.get("properties"), new_body.get("properties")
            if is_map(old_props) and is_map(new_props):
                by_canon = {canon(p): p for p in new_props}
                for name, value in old_props.items():
                    match = name if name in new_props else by_canon.get(canon(name))
                    if match is not None:
                        stack.append((value, new_props[match], below))
            for single in ("items", "additionalProperties"):
                if is_map(old_body.get(single)) and is_map(new_body.get(single)):
                    stack.append((old_body[single], new_body[single], below))
            for many in ("allOf", "oneOf", "anyOf"):
                old_list, new_list = old_body.get(many), new_body.get(many)
                if not (isinstance(old_list, list) and isinstance(new_list, list)):
                    continue
                if len(old_list) == len(new_list):
                    stack.extend((o, n, below) for o, n in zip(old_list, new_list, strict=True))

    def _fingerprint(self, doc: Document, node: Any, old_side: bool) -> Any:
        if isinstance(node, Mapping):
            result: dict[str, Any] = {}
            for key, value in node.items():
                if key in _DOC_KEYWORDS or key.startswith("x-"):
                    continue
                if key == "$ref" and isinstance(value, str):
                    name = unescape(value.rsplit("/", 1)[-1])
                    result[key] = self.renames.get(name, name) if old_side else name
                else:
                    result[key] = self._fingerprint(doc, value, old_side)
            return result
        if isinstance(node, list):
            return [self._fingerprint(doc, v, old_side) for v in node]
        return node

    def find(self, old_ops: Sequence[tuple[Operation, Operation]]) -> dict[str, SchemaRename]:
        removed = set(self.old.schemas) - set(self.new.schemas)
        added = set(self.new.schemas) - set(self.old.schemas)
        votes: Counter[tuple[str, str]] = Counter()
        evidence: dict[tuple[str, str], tuple[int, str]] = {}
        seen: set[Any] = set()
        candidates = (removed, added)
        for old_op, new_op in old_ops:
            why = f"used in the same place by {new_op.key}"
            for pair in self._schema_roots(old_op, new_op):
                self._align(pair, why, candidates, votes, evidence, seen)
        for name in sorted(set(self.old.schemas) & set(self.new.schemas)):
            ref = {"$ref": SCHEMA_PREFIX + escape(name)}
            self._align(
                (ref, ref), f"used in the same place in {name}", candidates, votes, evidence, seen
            )
        chosen: dict[str, SchemaRename] = {}
        for _ in range(_MAX_ROUNDS):
            before = len(chosen)
            self._pick_by_votes(votes, evidence, chosen)
            self._pick_by_structure(removed, added, chosen)
            self._pick_by_vocabulary(removed, added, chosen)
            fresh = [r for r in chosen.values() if (r.old, r.new) not in seen]
            for rename in sorted(fresh, key=lambda r: r.old):
                ref_old = {"$ref": SCHEMA_PREFIX + rename.old}
                ref_new = {"$ref": SCHEMA_PREFIX + rename.new}
                why = f"used in the same place in {rename.new}"
                self._align((ref_old, ref_new), why, candidates, votes, evidence, seen)
            if len(chosen) == before:
                break
        return chosen

    def _accept(self, chosen: dict[str, SchemaRename], old: str, new: str, why: str) -> None:
        chosen[old] = SchemaRename(old, new, why)
        self.renames[old] = new

    def _pick_by_votes(
        self,
        votes: Counter[tuple[str, str]],
        evidence: dict[tuple[str, str], tuple[int, str]],
        chosen: dict[str, SchemaRename],
    ) -> None:
        taken = set(self.renames.values())
        ranked = sorted(votes.items(), key=lambda kv: (-kv[1], -_similarity(*kv[0]), kv[0]))
        for (old, new), _count in ranked:
            if old not in chosen and new not in taken:
                self._accept(chosen, old, new, evidence[(old, new)][1])
                taken.add(new)

    def _pick_by_structure(
        self, removed: set[str], added: set[str], chosen: dict[str, SchemaRename]
    ) -> None:
        taken = set(self.renames.values())
        groups: dict[str, list[str]] = {}
        for name in sorted(added - taken):
            body = self.new.schemas[name]
            print_ = json.dumps(self._fingerprint(self.new, body, False), sort_keys=True)
            groups.setdefault(print_, []).append(name)
        for old in sorted(removed - set(chosen)):
            body = self.old.schemas[old]
            print_ = json.dumps(self._fingerprint(self.old, body, True), sort_keys=True)
            options = [n for n in groups.get(print_, []) if n not in taken]
            scored = sorted((-_similarity(old, n), n) for n in options)
            if scored and -scored[0][0] >= _NAME_SIMILARITY:
                self._accept(chosen, old, scored[0][1], "same structure")
                taken.add(scored[0][1])

    def _pick_by_vocabulary(
        self, removed: set[str], added: set[str], chosen: dict[str, SchemaRename]
    ) -> None:
        taken = set(self.renames.values())
        by_canon = {canon(n): n for n in sorted(added - taken)}
        for old in sorted(removed - set(chosen)):
            new = by_canon.get(canon(old))
            if new is None or new in taken or new == old:
                continue
            old_kind = schema_kind(self.old.deref(self.old.schemas[old]))
            if old_kind == schema_kind(self.new.deref(self.new.schemas[new])):
                self._accept(chosen, old, new, "same name with Tweet -> Post")
                taken.add(new)
