"""`dnf` (and `yum`, which ansible-core routes to it): choose the backend module first, as Ansible does.

ansible-core runs `dnf` through a controller action that picks the module to run —
`dnf` (dnf4) or `dnf5` — from `use_backend`/`use`, else the host's `ansible_facts.pkg_mgr`,
else a quick `setup` for `ansible_pkg_mgr`; on a host with neither (Debian) the task fails
with Ansible's two-line message and records the `pkg_mgr` it found. The chosen module then
runs through the foreign-module path (ansible-core's own module file).
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .actions import ActionContext

VALID_BACKENDS = frozenset({"yum", "yum4", "dnf", "dnf4", "dnf5"})
NO_BACKEND = ("Could not detect which major revision of dnf is in use, which is required to determine module backend.",
              "You should manually specify use_backend to tell the module whether to use the dnf4 or dnf5 backend})")


def run_dnf(ctx: ActionContext, args: dict[str, Any], request_options: dict[str, Any]) -> dict[str, Any]:
    """The dnf action: backend choice, then the backend module with the same arguments."""
    if "use" in args and "use_backend" in args:
        return {"failed": True, "changed": False, "_miniplay_action_failure": True,
                "msg": "parameters are mutually exclusive: ('use', 'use_backend')"}
    result: dict[str, Any] = {}
    backend = str(args.get("use", args.get("use_backend", "auto")))
    if backend in ("yum", "auto"):
        backend = _known_pkg_mgr(ctx) or backend
    if backend not in VALID_BACKENDS:
        facts = ctx.executor.call_module(ctx, "setup", {"filter": ["ansible_pkg_mgr"], "gather_subset": ["!all"]})
        if facts.get("failed"):
            return {**facts, "_miniplay_action_failure": True,
                    "msg": f"Failed to fetch ansible_pkg_mgr to determine the dnf action backend: {facts.get('msg')}"}
        backend = str((facts.get("ansible_facts") or {}).get("ansible_pkg_mgr", "auto"))
        if backend != "auto" and (not ctx.task.get("delegate_to") or ctx.task.get("delegate_facts")):
            result["ansible_facts"] = {"pkg_mgr": backend}
    if backend not in VALID_BACKENDS:
        # a tuple, as Ansible's: the error line shows it as one, the JSON as a list
        return {**result, "failed": True, "changed": False, "msg": NO_BACKEND, "_miniplay_action_failure": True}
    backend = "dnf" if backend in ("yum4", "dnf4") else backend
    foreign = ctx.services.foreign
    module = foreign.resolve(f"ansible.legacy.{backend}")
    if not hasattr(module, "key"):
        return {**result, "failed": True, "changed": False, "_miniplay_action_failure": True,
                "msg": f"Could not find a dnf module backend for ansible.legacy.{backend}."}
    module_args = {k: v for k, v in args.items() if k not in ("use", "use_backend")}
    result.update(ctx.executor.call_module(ctx, module.key, module_args, **request_options))
    return result


def _known_pkg_mgr(ctx: ActionContext) -> str | None:
    facts = ctx.vars.get("ansible_facts") if "ansible_facts" in ctx.vars else None
    value = facts.get("pkg_mgr") if isinstance(facts, dict) else None
    return str(value) if value else None
