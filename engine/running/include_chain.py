"""How deep dynamic includes nest, so an include that includes itself stops with its chain.

`include_tasks` and `include_role` are expanded when a host reaches them; a file (or role)
that includes itself without a condition that ends it would nest until Python's stack runs
out (ansible-core loops for ever). Each include passes the chain of include sites down to the
tasks it loads (an inherited `_include_chain` keyword); past MAX_INCLUDE_DEPTH the include
fails that host's task with the chain, shortened to where it starts repeating.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..core.model import Task

MAX_INCLUDE_DEPTH = 48
CHAIN_KEY = "_include_chain"


def extend_chain(task: Task, label: str, inherited: dict[str, Any]) -> dict[str, Any] | None:
    """Add this include site to `inherited`; the failure result when nesting is too deep."""
    chain = list(task.keywords.get(CHAIN_KEY) or []) + [f"{label} at {task.location}"]
    if len(chain) > MAX_INCLUDE_DEPTH:
        return {"failed": True, "changed": False, "_miniplay_unignorable": True,
                "msg": f"Includes nested more than {MAX_INCLUDE_DEPTH} deep (an include that includes itself?): "
                       + _shown(chain)}
    inherited[CHAIN_KEY] = chain
    return None


def _shown(chain: list[str]) -> str:
    """The chain up to the first repeated site, then how many more times it repeats."""
    seen: list[str] = []
    for site in chain:
        if site in seen:
            return " -> ".join(seen + [site]) + f" -> ... ({len(chain)} includes)"
        seen.append(site)
    return " -> ".join(chain)
