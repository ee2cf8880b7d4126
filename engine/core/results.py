"""The user-visible result dicts, built in one place.

A registered value *is* a user-visible dict, so its shape (which keys, which
defaults) is decided here and nowhere else: skips, failures before a module
runs, loop totals, what `register` stores and what the console shows.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional

from .model import Task

HIDDEN_IN_DISPLAY = ("failed", "skipped", "invocation", "diff", "exception", "warnings", "deprecations")


def skip_result(false_condition: Any) -> dict[str, Any]:
    return {"changed": False, "false_condition": false_condition,
            "skip_reason": "Conditional result was False", "skipped": True}


def is_failed(result: dict[str, Any]) -> bool:
    """Whether a result counts as failed: a `failed_when` that held false wins over `failed`
    (an `until` that ran out of retries sets `failed`, but `failed_when: false`-ish keeps the
    task ok), as Ansible's TaskResult decides."""
    if "failed_when_result" in result:
        return bool(result["failed_when_result"])
    return bool(result.get("failed"))


def error_result(message: str, **extra: Any) -> dict[str, Any]:
    """A task that failed before (or instead of) running its module (shown without `changed`)."""
    return {"changed": False, "failed": True, "msg": message, "_miniplay_early_failure": True, **extra}


def keyword_failure(cause: str, where: Any) -> dict[str, Any]:
    """A task keyword (when, until, loop, async, ...) that could not be evaluated. Ansible
    fails the task with `Task failed: <cause>` and shows the keyword's value as the cause."""
    return {"changed": False, "failed": True, "msg": f"Task failed: {cause}", "_miniplay_cause_at": where}


def normalize(result: dict[str, Any]) -> dict[str, Any]:
    """Ansible's defaults on an executed result: `failed` from rc, `changed` false."""
    if "failed" not in result and not result.get("skipped") and "_miniplay_include" not in result:
        result["failed"] = bool("rc" in result and result["rc"] not in (0, None))
    if "_miniplay_include" not in result:  # an include's loop items have no `changed` in Ansible
        result.setdefault("changed", False)
    return result


def add_lines(result: dict[str, Any]) -> dict[str, Any]:
    """A module's stdout/stderr also come as lists of lines (Ansible adds these to module results only)."""
    for stream in ("stdout", "stderr"):
        if isinstance(result.get(stream), str) and f"{stream}_lines" not in result:
            result[f"{stream}_lines"] = result[stream].splitlines()
    return result


def loop_total(results: list[dict[str, Any]]) -> dict[str, Any]:
    """The registered value of a looped task."""
    if not results:
        return {"changed": False, "results": [], "skipped": True, "skipped_reason": "No items in the list"}
    total: dict[str, Any] = {"changed": any(r.get("changed") for r in results), "results": results}
    if all(r.get("skipped") for r in results):
        total.update(changed=False, msg="All items skipped", skipped=True)
        return total
    total["skipped"] = False
    if any(is_failed(r) for r in results):
        total.update(failed=True, msg="One or more items failed")
        if any(r.get("_miniplay_unignorable") for r in results):
            total["_miniplay_unignorable"] = True
    else:
        total["msg"] = "All items completed"
    return total


def registered(result: dict[str, Any]) -> dict[str, Any]:
    """What `register:` stores: no `_ansible_*` keys and no top-level invocation."""
    return {k: v for k, v in result.items() if not k.startswith("_ansible") and k != "invocation"
            and not k.startswith("_miniplay")}


DEBUG_KEYS = ("msg", "exception", "warnings", "deprecations")
DEBUG_HIDDEN = ("changed", "failed", "skipped", "invocation", "skip_reason")


def for_display(result: dict[str, Any], verbosity: int = 0, action: str = "") -> dict[str, Any]:
    """What the console prints after `=>`."""
    hidden = HIDDEN_IN_DISPLAY if verbosity < 3 else ("failed", "skipped", "exception", "warnings", "deprecations")
    shown = {k: v for k, v in result.items() if k not in hidden and not k.startswith("_ansible")
             and not k.startswith("_miniplay")}
    if result.get("_miniplay_early_failure"):
        shown.pop("changed", None)
    if action == "debug":
        if "msg" in result:
            shown = {k: v for k, v in shown.items() if k in DEBUG_KEYS}
        else:
            shown = {k: v for k, v in shown.items() if k not in DEBUG_HIDDEN}
    return shown


@dataclass
class Outcome:
    """One task on one host, as the strategy and the renderers see it."""

    host: str
    task: Task
    result: dict[str, Any]
    ignored: bool = False
    delegated_to: Optional[str] = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def failed(self) -> bool:
        return is_failed(self.result)

    @property
    def unreachable(self) -> bool:
        return bool(self.result.get("unreachable"))

    @property
    def skipped(self) -> bool:
        return bool(self.result.get("skipped")) and not self.failed

    @property
    def changed(self) -> bool:
        return bool(self.result.get("changed"))

    @property
    def fatal(self) -> bool:
        """Stops the host: a failure nobody ignored, or an unreachable host."""
        return (self.failed or self.unreachable) and not self.ignored

    @property
    def status(self) -> str:
        if self.unreachable:
            return "unreachable"
        if self.failed:
            return "failed"
        if self.skipped:
            return "skipped"
        return "changed" if self.changed else "ok"
