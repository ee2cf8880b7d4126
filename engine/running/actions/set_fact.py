"""set_fact — set host variables from templated values (controller only).

The values are rendered now and frozen; they outrank play and task vars for the
rest of the run on this host. `cacheable` is accepted and has no extra effect.
"""
from __future__ import annotations

import re
from typing import Any

from . import ActionContext

NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def run(ctx: ActionContext) -> dict[str, Any]:
    facts = {k: v for k, v in ctx.args.items() if k != "cacheable"}
    if "_raw_params" in facts:
        return {"failed": True, "changed": False,
                "msg": "set_fact takes key=value pairs, got a free-form string: " + str(facts["_raw_params"])}
    if not facts:
        return {"failed": True, "changed": False,
                "msg": "No key/value pairs provided, at least one is required for this action to succeed"}
    for name in facts:
        if not NAME.match(str(name)):
            return {"failed": True, "changed": False,
                    "msg": f"The variable name '{name}' is not valid. Variables must start with a letter or "
                           "underscore character, and contain only letters, numbers and underscores."}
    holder = ctx.state
    delegate = ctx.task.get("delegate_to")
    if delegate and ctx.task.get("delegate_facts"):  # the facts belong to the delegated host
        holder = ctx.services.host_state(str(ctx.templar.template(delegate, ctx.vars)))
    holder.registered.update(facts)  # set_fact acts in check mode too, as in Ansible
    return {"changed": False, "ansible_facts": facts, "failed": False}
