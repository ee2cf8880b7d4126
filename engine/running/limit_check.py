"""Refuse a `--limit` that leaves nothing to run on, before the first play, as ansible-playbook does.

ansible-playbook applies `--limit` to the whole inventory before the first play; when the
inventory has hosts but none survive the limit (`-l nomatch`, `-l 'web[5]'` past the end of
the group, an `@file` that lists no known host), it stops with exit 1 instead of running
plays with no hosts. An empty inventory is not an error there (only localhost is available).
"""
from __future__ import annotations

import re
from collections.abc import Callable

from ..core.errors import MiniplayError
from ..loading.inventory import Inventory, split_patterns

UNMATCHED = "Could not match supplied host pattern, ignoring: {}"
_SINGLE_INDEX = re.compile(r"([^~\[].*)\[-?[0-9]+\]")   # `web[5]`: one host of a group (Ansible's IndexError)


class NoHostsToTarget(MiniplayError):
    """The inventory and --limit leave no host (ansible-playbook exits 1)."""


def check_limit_leaves_hosts(inventory: Inventory, limit: str | None, warn: Callable[[str], object]) -> None:
    """Raise NoHostsToTarget (or the limit file's own error) when `limit` matches no host.

    Each term of the limit that names no group or host is warned about first, whether or not
    other terms match, as ansible-playbook does before its error."""
    if not limit:
        return
    for term in split_patterns(limit):
        if term in ("!", "&", "@"):
            raise NoHostsToTarget(f"Invalid --limit {limit!r}: '{term}' must be followed by a host pattern")
    if not inventory.hosts:
        return
    match = inventory.match_patterns("all", limit)
    for term in match.unmatched:
        warn(UNMATCHED.format(term))
    for term in split_patterns(limit):
        index = _SINGLE_INDEX.fullmatch(term.lstrip("&!"))
        if index and inventory.select(index.group(1)) and not inventory.select(term.lstrip("&!")):
            raise NoHostsToTarget(f"No hosts matched the subscripted pattern '{term.lstrip('&!')}'")
    if not match.hosts:
        raise NoHostsToTarget("Specified inventory, host pattern and/or --limit leaves us with no hosts to target.")
