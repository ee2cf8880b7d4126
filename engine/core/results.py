"""The user-visible result dicts, built in one place, and the engine's notes about them.

A registered value *is* a user-visible dict, so its shape (which keys, which
defaults) is decided here and nowhere else: skips, failures before a module
runs, loop totals, what `register` stores and what the console shows.

While a task runs, actions and the executor mark a result with a few notes for the engine
itself (keys starting with `_miniplay_`: "failed before the module ran", "the cause is this
keyword's value", ...). They never leave the engine as keys: `visible()` is the dict without
them (what events, `register` and `ansible_failed_result` get) and `ResultNotes.of()` the
same notes as a typed value (what the strategy and the renderers read).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .model import Task

HIDDEN_IN_DISPLAY = ("failed", "skipped", "invocation", "diff", "exception", "warnings", "deprecations")
NOTE_PREFIX = "_miniplay_"


@dataclass(frozen=True)
class ResultNotes:
    """What the engine knows about a result besides its user-visible keys."""

    early_failure: bool = False         # failed before (or instead of) its module: shown without `changed`
    action_failure: bool = False        # an action failure, not the module's ("Action failed" in [ERROR])
    unignorable: bool = False           # ignore_errors does not apply (a missing include file)
    peer_failed: bool = False           # failed with its batch (any_errors_fatal), not by itself
    show_reason: bool = False           # the [ERROR] line is the `reason` alone, shown once
    exception: str | None = None     # the OS error behind a module's short message
    cause: str | None = None         # the underlying reason of an action failure ("<<< caused by >>>")
    cause_at: Any = None                # a keyword that could not be evaluated: where its value is
    error_at: Any = None                # an error in one keyword's value: where it is
    help: str | None = None          # the hint shown under error_at (or under cause_at)
    header: str | None = None        # the [ERROR] line of an error Ansible raises before the action runs
    origin_text: str | None = None   # shown for a task with no source line (a role's implicit check)
    action_raised: bool = False         # an action's own error (Ansible's AnsibleActionFail wording)
    module_failed: bool = False         # an action handed the work to its module: "Module failed"
    task_error: bool = False            # refused before any action ran ("Task failed: MESSAGE")
    module: str | None = None        # the module a templated `action:` named when it ran
    facts_cacheable: bool = False       # set_fact with cacheable: true (its facts go to the fact cache too)
    no_log: bool = False                # a loop item censored by its own no_log (running/censor.py)
    message: str | None = None       # a censored result's [ERROR] message (running/censor.py), it has no msg

    @classmethod
    def of(cls, result: dict[str, Any]) -> ResultNotes:
        if not any(key.startswith(NOTE_PREFIX) for key in result):
            return NO_NOTES
        return cls(early_failure=bool(result.get("_miniplay_early_failure")),
                   action_failure=bool(result.get("_miniplay_action_failure")),
                   unignorable=bool(result.get("_miniplay_unignorable")),
                   peer_failed=bool(result.get("_miniplay_peer_failed")),
                   show_reason=bool(result.get("_miniplay_show_reason")),
                   exception=result.get("_miniplay_exception"), cause=result.get("_miniplay_cause"),
                   cause_at=result.get("_miniplay_cause_at"), error_at=result.get("_miniplay_error_at"),
                   help=result.get("_miniplay_help"), header=result.get("_miniplay_header"),
                   origin_text=result.get("_miniplay_origin_text"),
                   action_raised=bool(result.get("_miniplay_action_raised")),
                   module_failed=bool(result.get("_miniplay_module_failed")),
                   task_error=bool(result.get("_miniplay_task_error")), module=result.get("_miniplay_module"),
                   facts_cacheable=bool(result.get("_miniplay_facts_cacheable")),
                   no_log=bool(result.get("_miniplay_no_log")))


NO_NOTES = ResultNotes()


def visible(result: dict[str, Any]) -> dict[str, Any]:
    """The result as users see it: without the engine's notes, also in a loop's `results`.

    The same dict when it has none (the common case costs no copy).
    """
    items: list[Any] = result["results"] if isinstance(result.get("results"), list) else []
    noted_items = any(isinstance(item, dict) and _has_notes(item) for item in items)
    if not _has_notes(result) and not noted_items:
        return result
    clean = {key: value for key, value in result.items() if not key.startswith(NOTE_PREFIX)}
    if noted_items:
        clean["results"] = [visible(item) if isinstance(item, dict) else item for item in items]
    return clean


def _has_notes(result: dict[str, Any]) -> bool:
    return any(key.startswith(NOTE_PREFIX) for key in result)


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
    """What `register:` stores: no `_ansible_*` keys (in a loop's items neither) and no top-level invocation."""
    value = {k: v for k, v in visible(result).items() if not k.startswith("_ansible") and k != "invocation"}
    if isinstance(value.get("results"), list):
        value["results"] = [{k: v for k, v in item.items() if not k.startswith("_ansible")}
                            if isinstance(item, dict) else item for item in value["results"]]
    return value


DEBUG_KEYS = ("msg", "exception", "warnings", "deprecations")
DEBUG_HIDDEN = ("changed", "failed", "skipped", "invocation", "skip_reason")


def for_display(result: dict[str, Any], verbosity: int = 0, action: str = "",
                notes: ResultNotes | None = None) -> dict[str, Any]:
    """What the console prints after `=>` (`notes`: the result's, when it comes without them)."""
    hidden = HIDDEN_IN_DISPLAY if verbosity < 3 else ("failed", "skipped", "exception", "warnings", "deprecations")
    shown = {k: v for k, v in result.items() if k not in hidden and not k.startswith("_ansible")
             and not k.startswith(NOTE_PREFIX)}
    if (notes or ResultNotes.of(result)).early_failure:
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
    delegated_to: str | None = None
    includes: list[Any] = field(default_factory=list)   # an include's loaded (nodes, params), one per item
    included: list[Any] = field(default_factory=list)   # (path, label, looped) for the `included:` lines

    @property
    def notes(self) -> ResultNotes:
        return ResultNotes.of(self.result)

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
