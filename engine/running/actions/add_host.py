"""add_host — add a host (and groups) to the in-memory inventory for later plays."""
from __future__ import annotations

from typing import Any

from . import ActionContext


def run(ctx: ActionContext) -> dict[str, Any]:
    args = dict(ctx.args)
    name = args.pop("name", None) or args.pop("hostname", None) or args.pop("host", None)
    if not name:
        return {"failed": True, "changed": False, "msg": "name is a required argument for add_host"}
    groups = args.pop("groups", None) or args.pop("group", None) or args.pop("groupname", None) or []
    if isinstance(groups, str):
        groups = [g.strip() for g in groups.split(",") if g.strip()]
    name = str(name)
    port = None
    if ":" in name and name.count(":") == 1:
        name, port = name.split(":")
    host_vars = {k: v for k, v in args.items() if k != "_raw_params"}
    if port:
        host_vars["ansible_port"] = int(port)
    ctx.services.inventory.add_host(name, list(groups), host_vars)
    ctx.services.inventory_changed()
    return {"changed": False, "add_host": {"host_name": name, "groups": list(groups), "host_vars": host_vars}}
