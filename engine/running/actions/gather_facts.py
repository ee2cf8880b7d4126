"""gather_facts — gather facts as a task (what `gather_facts: true` does before a play).

Runs the `setup` module on the host with the task's arguments (gather_subset,
gather_timeout, filter, fact_path) and stores the facts, like Ansible's gather_facts
action with its default `smart` fact module list (setup). `parallel` is accepted and
checked; with one fact module there is nothing to run side by side.

Returns: ansible_facts (also set as host facts); on a failure of setup: failed_modules
{ansible.legacy.setup: its result} and "The following modules failed to execute: ...".
As in Ansible, -v does not dump the facts.

Example:
  - name: Refresh the network facts after changing an address
    gather_facts:
      gather_subset: [network]
"""
from __future__ import annotations

from typing import Any

from ...core.fieldtypes import FALSE_WORDS, TRUE_WORDS
from . import ActionContext

FACT_MODULE = "ansible.legacy.setup"
BOOLEANS = {**dict.fromkeys(TRUE_WORDS, True), **dict.fromkeys(FALSE_WORDS, False)}


def parallel_flag(value: Any) -> Any:
    """Ansible's boolean() for `parallel`: ValueError with its message for anything else."""
    if value is None or isinstance(value, bool):
        return value
    key = str(value).strip().lower()
    if key in BOOLEANS:
        return BOOLEANS[key]
    raise ValueError(f"Task failed: The value '{value}' is not a valid boolean. Valid booleans include: "
                     "'0', '1', 'f', 'false', 'n', 'no', 'off', 'on', 't', 'true', 'y', 'yes', 0, 1")


def sub_events(messages: list[str]) -> str:
    """Ansible's box around the errors an action collected from its modules."""
    parts = []
    for number, message in enumerate(messages, 1):
        body = "\n".join(f"| {line}" for line in message.splitlines() or [""])
        parts.append(f"+--[ Sub-Event {number} of {len(messages)} ]---\n| \n{body}\n| \n+--[ End Sub-Event ]---")
    return "\n\n".join(parts)


def setup_defaults(ctx: ActionContext) -> dict[str, Any]:
    """module_defaults written for setup apply to the setup this action runs, as in Ansible."""
    table = ctx.task.get("module_defaults")
    if isinstance(table, list):
        table = {k: v for part in table if isinstance(part, dict) for k, v in part.items()}
    if not isinstance(table, dict):
        return {}
    for key in ("setup", "ansible.builtin.setup", "ansible.legacy.setup"):
        if isinstance(table.get(key), dict):
            return dict(ctx.templar.template(table[key], ctx.vars) or {})
    return {}


def run(ctx: ActionContext) -> dict[str, Any]:
    args = {k: v for k, v in ctx.args.items() if v is not None}
    try:
        parallel_flag(args.pop("parallel", None))
    except ValueError as exc:
        return {"failed": True, "changed": False, "msg": str(exc)}
    args = {**setup_defaults(ctx), **args}
    result = ctx.module("setup", args, label=FACT_MODULE)
    if result.get("failed") or result.get("unreachable"):
        if result.get("unreachable"):
            return result
        detail = {k: v for k, v in result.items() if k not in ("changed", "stdout_lines", "stderr_lines")}
        detail.setdefault("exception", "(traceback unavailable)")
        message = f"The following modules failed to execute: {FACT_MODULE}."
        return {"ansible_facts": {}, "changed": False, "failed": True, "failed_modules": {FACT_MODULE: detail},
                "msg": message, "_miniplay_cause": message + "\n\n" + sub_events([str(detail.get("msg", ""))])}
    if result.get("skipped"):
        return {"ansible_facts": {}, "changed": False, "skipped": True, "skipped_modules": {FACT_MODULE: result},
                "msg": f"The following modules were skipped: {FACT_MODULE}."}
    combined: dict[str, Any] = {"ansible_facts": dict(result.get("ansible_facts") or {}), "changed": False,
                                "_ansible_verbose_override": True}
    for key in ("warnings", "deprecations"):
        if result.get(key):
            combined[key] = list(result[key])
    return combined
