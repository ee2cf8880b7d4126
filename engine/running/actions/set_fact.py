"""set_fact — set host variables from templated values (controller only).

The values are rendered now and frozen; they outrank play and task vars for the
rest of the run on this host. With `cacheable: true` they are also host facts, which the
fact cache keeps (across runs with `fact_caching = jsonfile`), as in Ansible.
A name may be a template (`set_fact: "{{ item }}=moo"`, `{"v_{{ i }}": x}`): the
executor renders argument names, and the rendered name must be a valid variable name.
"""
from __future__ import annotations

import re
from typing import Any

from ...core.fieldtypes import loose_bool
from . import ActionContext

NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
NAME_RULE = ("Variable names must be strings starting with a letter or underscore character, "
             "and contain only letters, numbers and underscores.")


def run(ctx: ActionContext) -> dict[str, Any]:
    facts = {k: v for k, v in ctx.args.items() if k != "cacheable"}
    if not facts:
        return {"failed": True, "changed": False, "_miniplay_task_error": True,  # Ansible: "Task failed: No key..."
                "msg": "No key/value pairs provided, at least one is required for this action to succeed"}
    written = [k for k in ctx.task.args if k != "cacheable"]
    for index, name in enumerate(facts):
        if not NAME.match(str(name)):
            return invalid_name(ctx, str(name), written[index] if len(written) == len(facts) else None)
    holder = ctx.state
    delegate = ctx.task.get("delegate_to")
    if delegate and ctx.task.get("delegate_facts"):  # the facts belong to the delegated host
        holder = ctx.services.host_state(str(ctx.templar.template(delegate, ctx.vars)))
    holder.registered.update(facts)  # set_fact acts in check mode too, as in Ansible
    result: dict[str, Any] = {"changed": False, "ansible_facts": facts, "failed": False}
    if loose_bool(ctx.args.get("cacheable"), False):
        result["_miniplay_facts_cacheable"] = True  # the strategy stores them as host facts too
    return result


def invalid_name(ctx: ActionContext, name: str, written: Any) -> dict[str, Any]:
    """Ansible's failure for a bad name: the task, then the name as written as the cause."""
    task = ctx.task
    where = task.value_locations.get(f"argname:{written}") or task.value_where("_args", task.module)
    return {"failed": True, "changed": False, "msg": f"Task failed: Invalid variable name '{name}'.",
            "_miniplay_cause_at": where, "_miniplay_help": NAME_RULE}
