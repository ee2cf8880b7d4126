"""Refuse a `--limit` that leaves nothing to run on, before the first play, as ansible-playbook does.

ansible-playbook applies `--limit` to the whole inventory before the first play; when the
inventory has hosts but none survive the limit (`-l nomatch`, `-l 'web[5]'` past the end of
the group, an `@file` that lists no known host), it stops with exit 1 instead of running
plays with no hosts. An empty inventory is not an error there (only localhost is available).
"""
from __future__ import annotations

from ..core.errors import MiniplayError
from ..loading.inventory import Inventory, split_patterns


class NoHostsToTarget(MiniplayError):
    """The inventory and --limit leave no host (ansible-playbook exits 1)."""


def check_limit_leaves_hosts(inventory: Inventory, limit: str | None) -> None:
    """Raise NoHostsToTarget (or the limit file's own error) when `limit` matches no host."""
    if not limit:
        return
    for term in split_patterns(limit):
        if term in ("!", "&", "@"):
            raise NoHostsToTarget(f"Invalid --limit {limit!r}: '{term}' must be followed by a host pattern")
    if not inventory.hosts:
        return
    if not inventory.select("all", limit):
        raise NoHostsToTarget("Specified inventory, host pattern and/or --limit leaves us with no hosts to target.")
