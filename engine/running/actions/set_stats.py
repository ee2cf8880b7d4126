"""set_stats — record custom statistics for the run (or per host), shown after the recap.

Arguments:
  data        a mapping of names to values (required in practice; names must be valid
              variable names)
  per_host    keep the values per host instead of for the whole run (default false)
  aggregate   add to the value already recorded (numbers and lists with +, mappings
              merged) instead of replacing it (default true)

The values are stored with the run (`RunResult.custom_stats`, the `recap` event); the
console prints them in a CUSTOM STATS block only when `show_custom_stats` is on
(ansible.cfg [defaults] or ANSIBLE_SHOW_CUSTOM_STATS=1), as Ansible does.

Returns: ansible_stats {data, per_host, aggregate}.

Example:
  - set_stats:
      data:
        deployed_packages: "{{ packages | length }}"
"""
from __future__ import annotations

import re
from typing import Any

from ...core.fieldtypes import loose_bool
from . import ActionContext

VALID_ARGS = frozenset({"aggregate", "data", "per_host"})
NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def run(ctx: ActionContext) -> dict[str, Any]:
    unknown = sorted(set(ctx.args) - VALID_ARGS)
    if unknown:
        message = f"Invalid options for set_stats: {', '.join(unknown)}"
        return {"failed": True, "changed": False, "msg": message, "_miniplay_header": f"Task failed: {message}"}
    data = ctx.args.get("data", {})
    if not isinstance(data, dict):
        return {"failed": True, "changed": False, "msg": "The 'data' option needs to be a dictionary/hash"}
    stats: dict[str, Any] = {"data": {}, "per_host": False, "aggregate": True}
    for option in ("per_host", "aggregate"):
        if ctx.args.get(option) is not None:
            stats[option] = loose_bool(ctx.args[option])
    for name, value in data.items():
        if not isinstance(name, str) or not NAME.match(name):
            return {"failed": True, "changed": False, "msg": f"Task failed: Invalid variable name '{name}'.",
                    "_miniplay_cause_at": ctx.task.value_where("arg:data"),
                    "_miniplay_help": "Variable names must be strings starting with a letter or underscore "
                                      "character, and contain only letters, numbers and underscores."}
        stats["data"][name] = value
    host = ctx.host if stats["per_host"] else None
    for name, value in stats["data"].items():
        ctx.services.custom_stats.record(name, value, host, stats["aggregate"])
    return {"changed": False, "ansible_stats": stats}
