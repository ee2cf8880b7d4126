"""group_by — put the host into groups named from its variables (`key: os_{{ ansible_os_family }}`)."""
from __future__ import annotations

from typing import Any

from . import ActionContext


def run(ctx: ActionContext) -> dict[str, Any]:
    key = ctx.args.get("key") or ctx.args.get("_raw_params")
    if not key:
        return {"failed": True, "changed": False, "msg": "the 'key' param is required when using group_by"}
    key = str(key).replace(" ", "-")
    parents = ctx.args.get("parents") or ["all"]
    if isinstance(parents, str):
        parents = [parents]
    ctx.services.inventory.add_group_membership(ctx.host, key)
    ctx.services.inventory_changed()
    return {"changed": False, "add_group": key, "parent_groups": parents}
