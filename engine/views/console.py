"""The console renderer: Ansible's default stdout callback, line for line.

Banners are 80 columns when not on a terminal, result JSON is sorted with the
noisy keys removed, and the recap keeps Ansible's column padding (trailing
spaces included) so scripts that parse ansible-playbook output keep working.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import sys
from typing import Any, TextIO

from ..core.errors import source_excerpt
from ..core.events import Event, Reporter, WarningEvent, notes_of
from ..core.results import ResultNotes, for_display

COLORS = {"ok": "\033[0;32m", "changed": "\033[0;33m", "skipped": "\033[0;36m", "failed": "\033[0;31m",
          "unreachable": "\033[1;31m", "debug": "\033[0;90m", "warning": "\033[1;35m", "included": "\033[0;36m"}
RESET = "\033[0m"


def dump(result: dict[str, Any], indent: int | None = None) -> str:
    return json.dumps(result, sort_keys=True, ensure_ascii=False, indent=indent, default=str)


def diff_text(diff: Any) -> str:
    """Unified diffs of a result's `diff` (one dict or a list), as Ansible prints them."""
    import difflib

    parts = []
    for entry in diff if isinstance(diff, list) else [diff]:
        if not isinstance(entry, dict):
            continue
        if "prepared" in entry:
            parts.append(str(entry["prepared"]).rstrip("\n") + "\n")
        if "before" not in entry and "after" not in entry:
            continue
        before, after = entry.get("before", ""), entry.get("after", "")
        if isinstance(before, dict):
            before = json.dumps(before, indent=4, sort_keys=True) + "\n"
        if isinstance(after, dict):
            after = json.dumps(after, indent=4, sort_keys=True) + "\n"
        before_header = f"before: {entry['before_header']}" if entry.get("before_header") else "before"
        after_header = f"after: {entry['after_header']}" if entry.get("after_header") else "after"
        lines = list(difflib.unified_diff(str(before).splitlines(True), str(after).splitlines(True),
                                          fromfile=before_header, tofile=after_header, n=3))
        if lines:
            parts.append("".join(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n"
                                 for line in lines))
    return "".join(parts)


def item_label(data: dict[str, Any]) -> str:
    label = data.get("label")
    return label if isinstance(label, str) else str(label)


class ConsoleRenderer(Reporter):
    """Prints events as ansible-playbook's default callback does."""

    def __init__(self, stream: TextIO = sys.stdout, err: TextIO = sys.stderr, verbosity: int = 0,
                 color: bool | None = None) -> None:
        self.out = stream
        self.err = err
        self.verbosity = verbosity
        self.tty = hasattr(stream, "isatty") and stream.isatty()
        self.color = self.tty if color is None else color
        self.columns = max(79, shutil.get_terminal_size().columns - 1) if self.tty else 79
        self._errors_shown: set[Any] = set()
        self._warned: set[str] = set()
        self.diff_always = False

    # ------------------------------------------------------------------ helpers
    def line(self, text: str, color: str | None = None) -> None:
        if self.color and color:
            text = f"{COLORS[color]}{text}{RESET}"
        self.out.write(text + "\n")
        self.out.flush()

    def banner(self, text: str) -> None:
        text = text.strip()
        self.line("")
        self.line(f"{text} {'*' * max(3, self.columns - len(text))}")

    def result_json(self, result: dict[str, Any], always_verbose: bool = False, action: str = "",
                    notes: ResultNotes | None = None) -> str:
        shown = for_display(result, self.verbosity, action, notes)
        indent = 4 if (always_verbose or self.verbosity > 2) else None
        return dump(shown, indent)

    def wants_json(self, result: dict[str, Any], action: str = "") -> bool:
        if action == "setup" or result.get("_ansible_verbose_override"):
            return False  # facts are never dumped on the console, whatever -v says (as in Ansible)
        return self.verbosity > 0 or bool(result.get("_ansible_verbose_always"))

    # ------------------------------------------------------------------ one method per event kind (Reporter)
    def on_playbook_start(self, event: Event) -> None:
        if self.verbosity >= 2:  # Ansible's -vv header
            self.banner(f"PLAYBOOK: {os.path.basename(event.data['path'])}")
            self.line(f"{event.data.get('plays', 0)} plays in {event.data.get('written', event.data['path'])}")

    def on_notify(self, event: Event) -> None:
        if self.verbosity >= 2:
            self.line(f"Notification for handler {event.data['handler']} has been saved.")

    def on_notified(self, event: Event) -> None:
        if self.verbosity >= 2:
            self.line(f"NOTIFIED HANDLER {event.data['handler']} for {event.host}")

    def on_verbose(self, event: Event) -> None:
        if self.verbosity >= event.data.get("level", 1):
            self.line(event.data["text"])

    def on_play_start(self, event: Event) -> None:
        self.banner(f"PLAY [{event.data['name']}]")

    def on_no_hosts(self, event: Event) -> None:
        self.line("skipping: no hosts matched", "skipped")

    @staticmethod
    def _error_text(event: Event, notes: ResultNotes, message: str) -> tuple[str, str, str | None]:
        """The [ERROR] line's text; for a keyword that could not be resolved, also the task part
        (`head`) and the underlying cause, which the block shows under "<<< caused by >>>"."""
        if notes.header:  # an error Ansible raises before the action runs
            return notes.header, "", None
        if message.startswith("Task failed: ") or notes.error_at:
            head, sep, cause = message.partition(" failed: Error while resolving value for ")
            return message, head, ("Error while resolving value for " + cause) if sep else None
        if message and (notes.action_raised or notes.task_error):  # an action's own error, or refused before any ran
            return f"Task failed: {message}", "", None
        if message:
            kind = "Module failed" if event.data.get("target_module") and not notes.cause else "Action failed"
            return f"Task failed: {kind}: {message}", "", None
        return "Task failed: Action failed.", "", None

    def error_block(self, event: Event, result: dict[str, Any]) -> None:
        """Ansible 2.19's `[ERROR]: Task failed: ...` block with the task's source lines."""
        task = event.task
        if task is None or task.uid < 0:
            return
        notes = notes_of(event)
        message = str(result.get("msg", "") or notes.message or "")   # notes.message: a censored result's
        if notes.exception:  # the OS error behind a module's short message (Ansible's header)
            message = f"{message.rstrip('.')}: {notes.exception}"
        if not message and result.get("reason"):
            if notes.show_reason and result["reason"] not in self._errors_shown:
                self._errors_shown.add(result["reason"])  # a missing include file: the reason alone, once
                self.line(f"[ERROR]: {result['reason']}\n", "failed")
            return  # other include failures: Ansible reports these on stderr only
        text, head, cause = self._error_text(event, notes, message)
        key = (text, str(task.location))
        if key in self._errors_shown:
            return
        self._errors_shown.add(key)
        lines = [f"[ERROR]: {text}"]
        if notes.cause_at:  # a keyword that could not be evaluated: its value is the cause
            lines += ["", "Task failed."] + self.origin(task.location)
            lines += ["", "<<< caused by >>>", "", text.removeprefix("Task failed: ")]
            lines += self.origin(notes.cause_at)
            lines += ["", notes.help] if notes.help else []
            self.line("\n".join(lines) + "\n", "failed")
            return
        if notes.error_at:  # an error in one keyword's value, with a hint
            lines += self.origin(notes.error_at)
            lines += ["", notes.help] if notes.help else []
            self.line("\n".join(lines) + "\n", "failed")
            return
        if notes.cause:  # an action that failed for an underlying reason
            lines += ["", "Task failed: Action failed."] + self.origin(task.location)
            lines += ["", "<<< caused by >>>", "", notes.cause]
            self.line("\n".join(lines) + "\n", "failed")
            return
        if not cause:
            lines += self.origin(task.location)
            if notes.origin_text:  # a task with no source line (a role's implicit check)
                lines += ["", notes.origin_text]
        elif task.where("_action") == task.location:  # the module is the task's first key
            lines += ["", head + " failed."] + self.origin(task.location)
        else:
            lines += ["", "Task failed."] + self.origin(task.location)
            lines += ["", "<<< caused by >>>", "", head.removeprefix("Task failed: ") + " failed."]
            lines += self.origin(task.where("_action"))
        if cause:
            argument = re.match(r"Error while resolving value for '([^']*)'", cause)
            lines += ["", "<<< caused by >>>", "", cause]
            written = task.value_locations.get(f"arg:{argument.group(1)}") if argument else None
            lines += self.origin(written or task.where("_args"))  # free-form args: where the string starts
        self.line("\n".join(lines) + "\n", "failed")

    @staticmethod
    def origin(location: Any) -> list[str]:
        lines = [f"Origin: {location}"]
        source = source_excerpt(location.path, location.line, location.column)
        if source:
            lines += [""] + source
        return lines

    def on_task_start(self, event: Event) -> None:
        self._errors_shown = set()
        prefix = "RUNNING HANDLER" if event.data.get("handler") else "TASK"
        self.banner(f"{prefix} [{event.data['name']}]")
        task = event.task
        if self.verbosity >= 2 and task is not None and task.location.line:
            self.line(f"task path: {task.location.path}:{task.location.line}")

    def on_display(self, event: Event) -> None:
        self.line(event.data["text"])

    def on_no_more_hosts(self, event: Event) -> None:
        self.banner("NO MORE HOSTS LEFT")

    def on_warning(self, event: Event) -> None:
        if event.data["text"] in self._warned:  # Ansible shows a warning once per run
            return
        self._warned.add(event.data["text"])
        text = f"[WARNING]: {event.data['text']}"
        if self.color:
            text = f"{COLORS['warning']}{text}{RESET}"
        self.err.write(text + "\n")
        self.err.flush()

    def on_deprecation(self, event: Event) -> None:
        self.err.write(f"[DEPRECATION WARNING]: {event.data['text']}\n")
        self.err.flush()

    def show_diff(self, result: dict[str, Any]) -> None:
        if result.get("diff") and (result.get("changed") or self.diff_always):
            text = diff_text(result["diff"])
            if text:
                self.line(text)

    def host_tag(self, event: Event) -> str:
        delegate = event.data.get("delegated_to")
        return f"[{event.host} -> {delegate}]" if delegate and delegate != event.host else f"[{event.host}]"

    def module_warnings(self, event: Event, result: dict[str, Any]) -> None:
        """A module's own `warnings` (find skipping a path, say), shown before its result line as Ansible does."""
        for text in result.get("warnings") or ():
            self.on_warning(WarningEvent(time=event.time, text=str(text).strip()))

    def on_host_result(self, event: Event) -> None:
        result: dict[str, Any] = event.data["result"]
        self.module_warnings(event, result)
        tag = self.host_tag(event)
        status = event.data["status"]
        is_loop = event.data.get("loop", False) and "results" in result
        if status == "unreachable":
            self.error_block(event, result)
            self.line(f"fatal: {tag}: UNREACHABLE! => {self.result_json(result, notes=notes_of(event))}", "unreachable")
            if event.data.get("ignored"):
                self.line("...ignoring", "skipped")
            return
        if status == "failed":
            if not is_loop:
                self.error_block(event, result)
                shown = self.result_json(result, bool(result.get("_ansible_verbose_always")), self.action(event), notes_of(event))
                self.line(f"fatal: {tag}: FAILED! => {shown}", "failed")
            if event.data.get("ignored"):
                self.line("...ignoring", "skipped")
            return
        if status == "skipped":
            if is_loop and result.get("results"):
                self.line(f"skipping: {tag}", "skipped")
                return
            text = f"skipping: {tag}"
            if self.verbosity > 0 and not is_loop:
                text += f" => {self.result_json(result, notes=notes_of(event))}"
            self.line(text, "skipped")
            return
        if is_loop or (event.task is not None and event.task.module in ("include_tasks", "include_role")):
            return  # the item lines (or the `included:` line) said it all
        self.show_diff(result)
        text = f"{status}: {tag}"
        if self.wants_json(result, self.action(event)):
            always = bool(result.get('_ansible_verbose_always'))
            text += f" => {self.result_json(result, always, self.action(event), notes_of(event))}"
        self.line(text, status)

    @staticmethod
    def action(event: Event) -> str:
        """The module the task ran (for `action: "{{ x }}"`, the one its variables named)."""
        resolved = notes_of(event).module
        return resolved or (event.task.module if event.task is not None else "")

    def on_item_result(self, event: Event) -> None:
        result: dict[str, Any] = event.data["result"]
        self.module_warnings(event, result)
        if event.task is not None and event.task.module in ("include_tasks", "include_role") \
                and event.data["status"] in ("ok", "changed"):
            return
        tag = self.host_tag(event)
        label = item_label(event.data)
        status = event.data["status"]
        if result.get("failed") and status not in ("failed", "unreachable"):
            # Ansible shows the error of a result marked failed even when failed_when kept it ok
            self.error_block(event, result)
        if status == "failed" or status == "unreachable":
            self.error_block(event, result)
            if not notes_of(event).show_reason:  # Ansible shows a looped missing include once, no item line
                self.line(f"failed: {tag} (item={label}) => {self.result_json(result, notes=notes_of(event))}", "failed")
            return
        if status == "skipped":
            text = f"skipping: {tag} => (item={label}) "
            if self.verbosity > 0:
                text = text.rstrip(" ") + f" => {self.result_json(result, notes=notes_of(event))}"
            self.line(text, "skipped")
            return
        self.show_diff(result)
        text = f"{status}: {tag} => (item={label})"
        if self.wants_json(result):
            always = bool(result.get('_ansible_verbose_always'))
            text += f" => {self.result_json(result, always, self.action(event), notes_of(event))}"
        self.line(text, status)

    def on_retry(self, event: Event) -> None:
        text = f"FAILED - RETRYING: [{event.host}]: {event.data['name']} ({event.data['retries_left']} retries left)."
        if self.verbosity > 2:
            text += f"Result was: {dump(for_display(event.data['result'], 3, notes=notes_of(event)), 4)}"
        self.line(text, "debug")

    def on_async_poll(self, event: Event) -> None:
        self.line(f"ASYNC POLL on {event.host}: jid={event.data['jid']} started={event.data.get('started', True)} "
                  f"finished={event.data.get('finished', False)}", "debug")

    def on_async_end(self, event: Event) -> None:
        word = "OK" if event.data.get("ok") else "FAILED"
        self.line(f"ASYNC {word} on {event.host}: jid={event.data['jid']}", "debug")

    def on_included(self, event: Event) -> None:
        text = f"included: {event.data['path']} for {', '.join(event.data['hosts'])}"
        if "label" in event.data:
            text += f" => (item={event.data['label']})"
        self.line(text, "included")

    def on_recap(self, event: Event) -> None:
        self.banner("PLAY RECAP")
        stats: dict[str, dict[str, int]] = event.data["stats"]
        for host in sorted(stats):
            counts = stats[host]
            fields = " ".join(f"{key}={counts.get(key, 0):<4}" for key in
                              ("ok", "changed", "unreachable", "failed", "skipped", "rescued", "ignored"))
            self.line(f"{host:<26} : {fields}")
        self.line("")
        custom = event.data.get("custom_stats") or {}
        if custom and event.data.get("show_custom_stats"):
            self.custom_stats(custom)

    def custom_stats(self, custom: dict[str, dict[str, Any]]) -> None:
        """Ansible's CUSTOM STATS block: one line per host, then the whole run's (`RUN:`)."""
        def flat(values: dict[str, Any]) -> str:
            return json.dumps(values, indent=1, sort_keys=True, ensure_ascii=False).replace("\n", "")

        self.banner("CUSTOM STATS: ")
        for host in sorted(h for h in custom if h != "_run"):
            self.line(f"\t{host}: {flat(custom[host])}")
        if "_run" in custom:
            self.line("")
            self.line(f"\tRUN: {flat(custom['_run'])}")
        self.line("")
