"""Inventories: hosts, groups, their variables, and host patterns.

An inventory is read from INI files, YAML files, directories of them, or a
comma-separated host list (``-i "web1,web2,"``), and behaves like Ansible's:

    inv = Inventory.load(["hosts.ini"], playbook_dir="site/")
    inv.select("web:&prod:!web3")      # -> [Host, ...] in Ansible's order
    inv.vars_layers("web1")            # -> [(label, vars), ...] lowest first
    inv.groups_map()["web"]            # -> ["web1", "web2"]

How this works
--------------
*Loading.* Each source adds hosts, groups and *inventory layers* of variables
(one layer per source file, labelled "inventory hosts.ini: group web vars").
After all sources, `_reconcile` applies Ansible's rules: a group with no parent
becomes a child of ``all``, and a host in no group but ``all`` joins
``ungrouped`` (and leaves it once it is in any other group). The same step runs
again after `add_host` and `add_group_membership`, which change the inventory
while a playbook runs.

*Variables.* ``group_vars/`` and ``host_vars/`` beside each inventory source and
beside the playbook are listed once and their files read when first needed.
`vars_layers` stacks every layer for one host in Ansible's precedence order
(``all`` before other groups, groups sorted by depth, ``ansible_group_priority``
and name, inventory files before ``*_vars`` files, playbook files last), so the
caller merges them in order and can say where each value came from.

*Patterns.* A pattern is split into terms (``a:b`` or ``a,b``); plain terms are
unioned in order, then ``&`` terms intersect and ``!`` terms exclude, whatever
order they were written in. A term matches group names first (glob or ``~regex``)
and host names when no group matched or it is a glob; ``[i]`` / ``[i:j]``
subscripts then pick from the result. ``localhost`` resolves to an *implicit*
localhost when the inventory does not define it; like Ansible's, that host is
not a member of ``all``.

*Order.* ``hosts`` keeps the order hosts were first seen. A group's host list,
and so ``all``, is breadth-first over the group tree: the group's own hosts,
then its children's, then grandchildren's. That is the order Ansible runs
``hosts: all`` in, and ``select`` returns.
"""
from __future__ import annotations

from .ini import parse_ini_value
from .inventory import Inventory
from .model import LOCALHOST_NAMES, Group, Host, HostMatch, UnknownHostError, expand_host_range, split_host_port
from .patterns import split_patterns

__all__ = [
    "Group",
    "Host",
    "HostMatch",
    "Inventory",
    "LOCALHOST_NAMES",
    "UnknownHostError",
    "expand_host_range",
    "parse_ini_value",
    "split_host_port",
    "split_patterns",
]
