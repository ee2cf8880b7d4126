"""include_role — load a role when a host reaches this task (dynamic).

Arguments: name (the role; may use variables and the loop item), tasks_from,
vars_from, defaults_from, handlers_from (files inside the role instead of
main), apply (keywords such as tags/become for every task of the role),
public (export the role's defaults and vars to the rest of the play; default
false), allow_duplicates (accepted; an included role always runs).

The role's dependencies run first, once per host unless the dependency allows
duplicates. Its handlers join the play's handlers. The result registers as
`{changed: false, include_args: {...}}` and the console prints
`included: <role> for <hosts>`, as ansible-playbook does.

Example:
  - name: Set up the web server where needed
    include_role:
      name: web
      tasks_from: install
    when: "'web' in group_names"
"""
from __future__ import annotations

from typing import Any

from ...core import keywords as kw
from ...loading.roles import INCLUDE_ROLE_ARGS, RoleNotFound
from ..include_chain import extend_chain
from . import ActionContext
from .include_tasks import inherited_tags


def _as_list(value: Any) -> list[Any]:
    if value is None or value == "":
        return []
    return list(value) if isinstance(value, list) else [value]


def run(ctx: ActionContext) -> dict[str, Any]:
    args = dict(ctx.args)
    unknown = sorted(set(args) - INCLUDE_ROLE_ARGS)
    if unknown:
        return {"failed": True, "changed": False, "msg": f"Invalid options for include_role: {', '.join(unknown)}"}
    if not (args.get("name") or args.get("role")):
        return {"failed": True, "changed": False, "msg": "'name' is a required field for include_role."}
    apply = args.get("apply") or {}
    if not isinstance(apply, dict):
        return {"failed": True, "changed": False, "msg": "Expected a dict for apply but got a "
                                                          f"{type(apply).__name__} instead"}
    inherited = {k: v for k, v in ctx.task.keywords.items() if k in kw.INHERITED}
    inherited.update({k: v for k, v in apply.items() if k in kw.INHERITED})
    inherited["tags"] = inherited_tags(ctx) + [str(t) for t in _as_list(apply.get("tags"))]
    inherited["when"] = _as_list(apply.get("when"))
    too_deep = extend_chain(ctx.task, f"include_role {args.get('name') or args.get('role')}", inherited)
    if too_deep is not None:
        return too_deep
    try:
        included = ctx.services.roles.include(ctx.executor.play.play, ctx.task, args, inherited)
    except RoleNotFound as exc:
        return {"failed": True, "changed": False, "reason": exc.message}
    params = dict(ctx.task.keywords.get("vars") or {})
    top = ctx.vars.layers[0]
    result: dict[str, Any] = {"include_args": args,
                              "_miniplay_include": {"path": included.name, "nodes": included.nodes, "params": params}}
    if top.label == "loop":
        params.update(top.values)
    else:
        result["changed"] = False  # a loop item has no `changed` of its own, as in Ansible
    return result
