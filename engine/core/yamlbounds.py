"""Limits on what a loaded YAML document may expand to: alias bombs and deep nesting.

YAML aliases let a few lines stand for billions of values ("billion laughs"): the parser
shares one object per anchor, but everything after it (plain conversion, templating,
output) would expand every alias. Nesting thousands of levels deep (`[[[[...]]]]`, often
from a generated `-e @file.json`) breaks recursive code the same way. Both are measured
once, right after parsing, without recursion and in time proportional to the distinct
nodes, and refused with a clear error naming the file.
"""
from __future__ import annotations

from typing import Any

MAX_ALIAS_EXPANSION = 1_000_000   # values that aliases may add beyond the document's own
MAX_DEPTH = 400                   # nesting levels of mappings and lists


class ExpansionTooLarge(ValueError):
    """The document would expand past a limit; the message says which."""


def check_expansion(document: Any) -> None:
    """Raise ExpansionTooLarge if aliases expand `document` too far or it nests too deep."""
    expanded: dict[int, int] = {}          # id(container) -> values it stands for, fully expanded
    distinct = 0
    open_path: set[int] = set()            # containers whose children are being measured: a path from the top
    stack: list[tuple[Any, int, bool]] = [(document, 1, False)]
    while stack:
        node, depth, children_done = stack.pop()
        if not isinstance(node, (dict, list)):
            continue
        key = id(node)
        if children_done:
            open_path.discard(key)
            children = node.values() if isinstance(node, dict) else node
            expanded[key] = 1 + sum(expanded.get(id(c), 1) if isinstance(c, (dict, list)) else 1 for c in children)
            continue
        if key in open_path:
            raise ExpansionTooLarge("it contains itself through an alias (a recursive structure)")
        if key in expanded or depth > MAX_DEPTH:
            if depth > MAX_DEPTH:
                raise ExpansionTooLarge(f"the document nests more than {MAX_DEPTH} levels deep")
            continue
        expanded[key] = 1
        open_path.add(key)
        distinct += 1 + len(node)
        stack.append((node, depth, True))
        children = node.values() if isinstance(node, dict) else node
        stack.extend((child, depth + 1, False) for child in children if isinstance(child, (dict, list))
                     and (id(child) not in expanded or id(child) in open_path))
    total = expanded.get(id(document), 1)
    if total - distinct > MAX_ALIAS_EXPANSION:
        raise ExpansionTooLarge(f"its aliases expand to {total:,} values (more than {MAX_ALIAS_EXPANSION:,} "
                                "beyond the document's own): an alias bomb?")
