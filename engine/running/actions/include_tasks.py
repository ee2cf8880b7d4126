"""include_tasks — load a tasks file when a host reaches this task (dynamic).

The file name may use the host's variables and the loop item. The included
tasks see the include's `vars:` and loop variable; `apply:` passes keywords
(tags, become, ...) down to them. Every host that includes the same file gets
the same loaded tasks, so the linear strategy keeps them in lockstep.
"""
from __future__ import annotations

import os
from typing import Any

from ...core import keywords as kw
from ...core.errors import MiniplayError, TemplateError
from ..include_chain import extend_chain
from . import ActionContext


def resolve(ctx: ActionContext, name: str) -> str:
    task = ctx.task
    if os.path.isabs(name):
        return name
    candidates = []
    if task.role_path:
        candidates.append(os.path.join(task.role_path, "tasks", name))
    candidates.append(os.path.join(os.path.dirname(os.path.abspath(task.location.path)), name))
    candidates.append(os.path.join(ctx.services.playbook_dir, name))
    for candidate in candidates:
        if os.path.exists(candidate):
            return candidate
    raise MissingFile(candidates[-2] if task.role_path else candidates[0])


class MissingFile(TemplateError):
    """The file to include is not there: the host fails, whatever ignore_errors says (as in Ansible)."""

    def __init__(self, path: str) -> None:
        super().__init__(f"Could not find or access '{path}' on the Ansible Controller.")


def inherited_tags(ctx: ActionContext) -> list[str]:
    """The tags the included tasks inherit: those of the play, blocks and role around the include
    (never the include task's own tags, which decide only whether the include runs), as in Ansible."""
    keywords = ctx.task.keywords
    return list(keywords["_parent_tags"] if "_parent_tags" in keywords else keywords.get("_role_tags", []))


def run(ctx: ActionContext) -> dict[str, Any]:
    name = ctx.args.get("_raw_params") or ctx.args.get("file")
    if not name:
        return {"failed": True, "changed": False, "msg": "No file specified for include_tasks"}
    try:
        path = resolve(ctx, str(name))
    except MissingFile as exc:
        return {"failed": True, "changed": False, "include": str(name), "reason": exc.message,
                "_miniplay_unignorable": True, "_miniplay_show_reason": True}
    except TemplateError as exc:
        return {"failed": True, "changed": False, "msg": exc.message}
    apply = ctx.args.get("apply") or {}
    inherited = {k: v for k, v in ctx.task.keywords.items() if k in kw.INHERITED or k.startswith("_role_")}
    inherited.update({k: v for k, v in apply.items() if k in kw.INHERITED})
    inherited["tags"] = list(apply.get("tags", [])) if isinstance(apply.get("tags"), list) else \
        ([apply["tags"]] if apply.get("tags") else [])
    inherited["tags"] = inherited_tags(ctx) + inherited["tags"]
    inherited["when"] = list(apply.get("when", [])) if isinstance(apply.get("when"), list) else \
        ([apply["when"]] if apply.get("when") else [])
    if isinstance(apply.get("vars"), dict):  # task vars of every included task
        inherited["vars"] = dict(apply["vars"])
    too_deep = extend_chain(ctx.task, f"include_tasks {name}", inherited)
    if too_deep is not None:
        return too_deep
    try:
        nodes = ctx.services.load_include(path, inherited, ctx.task.role, ctx.task.role_path)
    except MiniplayError as exc:
        where = f" (in {exc.location})" if exc.location else ""
        return {"failed": True, "changed": False, "msg": f"{exc.message}{where}"}
    params = dict(ctx.task.keywords.get("vars") or {})
    top = ctx.vars.layers[0]
    if top.label == "loop":
        params.update(top.values)
    return {"changed": False, "include": str(name), "include_args": {},
            "_miniplay_include": {"path": path, "nodes": nodes, "params": params}}
