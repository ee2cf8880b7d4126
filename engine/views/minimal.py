"""The minimal renderer: the output of Ansible's `ansible` (ad hoc) command, line for line.

One block per host result, no banners, no recap, no ASYNC POLL lines:

    localhost | CHANGED | rc=0 >>          command/shell/raw results (without a job id)
    hello
    localhost | SUCCESS => {               every other result, as indented sorted JSON
        "changed": false, ...
    }
    localhost | FAILED! => {...}    localhost | UNREACHABLE! => {...}    localhost | SKIPPED

With `one_line` it is the (deprecated) oneline form: `host | CHANGED | rc=0 | (stdout) ...`.
A failure is preceded by Ansible 2.19's `[ERROR]: Task failed: ...` block, once per message.
"""
from __future__ import annotations

import json
import sys
from typing import Any, TextIO

from ..core.events import Event, Reporter, notes_of
from ..core.results import ResultNotes, for_display

NO_JSON_MODULES = frozenset({"command", "shell", "raw"})
COLORS = {"SUCCESS": "\033[0;32m", "CHANGED": "\033[0;33m", "SKIPPED": "\033[0;36m", "FAILED": "\033[0;31m",
          "UNREACHABLE": "\033[1;31m", "warning": "\033[1;35m"}
RESET = "\033[0m"


def dump(result: dict[str, Any], indent: int | None = 4) -> str:
    return json.dumps(result, sort_keys=True, ensure_ascii=False, indent=indent, default=str)


class MinimalRenderer(Reporter):
    """Prints host results the way `ansible HOSTS -m MODULE` does."""

    def __init__(self, stream: TextIO = sys.stdout, err: TextIO = sys.stderr, verbosity: int = 0,
                 one_line: bool = False, origin: str = "", color: bool | None = None) -> None:
        self.out = stream
        self.err = err
        self.verbosity = verbosity
        self.one_line = one_line
        self.origin = origin        # the `{'action': ..., 'args': ...}` text under [ERROR] blocks
        tty = hasattr(stream, "isatty") and stream.isatty()
        self.color = tty if color is None else color
        self._errors_shown: set[str] = set()

    def write(self, text: str, state: str | None = None) -> None:
        if self.color and state in COLORS:
            text = f"{COLORS[state]}{text}{RESET}"
        self.out.write(text if text.endswith("\n") else text + "\n")
        self.out.flush()

    def on_warning(self, event: Event) -> None:
        self.err.write(f"[WARNING]: {event.data['text']}\n")
        self.err.flush()

    def on_no_hosts(self, event: Event) -> None:
        self.err.write("[WARNING]: No hosts matched, nothing to do\n")
        self.err.flush()

    def on_host_result(self, event: Event) -> None:
        result: dict[str, Any] = event.data["result"]
        status = event.data["status"]
        host = event.host
        module = event.task.module if event.task is not None else ""
        if status == "unreachable":
            if self.one_line:
                self.write(f"{host} | UNREACHABLE!: {result.get('msg', '')}", "UNREACHABLE")
            else:
                self.write(f"{host} | UNREACHABLE! => {self.json(result, notes_of(event))}", "UNREACHABLE")
            return
        if status == "skipped":
            self.write(f"{host} | SKIPPED", "SKIPPED")
            return
        plain = module in NO_JSON_MODULES
        if status == "failed":
            self.error_block(event, result)
            if plain and "module_stderr" not in result:
                self.write(self.command_text(host, result, "FAILED"), "FAILED")
            else:
                self.write(f"{host} | FAILED! => {self.json(result, notes_of(event))}", "FAILED")
            return
        state = "CHANGED" if result.get("changed") else "SUCCESS"
        if plain and "ansible_job_id" not in result:
            self.write(self.command_text(host, result, state), state)
        else:
            self.write(f"{host} | {state} => {self.json(result, notes_of(event))}", state)

    # ------------------------------------------------------------------ pieces
    def json(self, result: dict[str, Any], notes: ResultNotes | None = None) -> str:
        shown = for_display(result, self.verbosity, notes=notes)
        if self.one_line:
            return dump(shown, None)
        return dump(shown, 4)

    def command_text(self, host: str | None, result: dict[str, Any], state: str) -> str:
        rc = result.get("rc", -1)
        stdout = str(result.get("stdout", "") or "")
        stderr = str(result.get("stderr", "") or "")
        if self.one_line:
            def flat(text: str) -> str:
                return text.replace("\n", "\\n").replace("\r", "\\r")

            text = f"{host} | {state} | rc={rc} | (stdout) {flat(stdout)}"
            return text + (f" (stderr) {flat(stderr)}" if stderr else "")
        return f"{host} | {state} | rc={rc} >>\n{stdout}{stderr}{result.get('msg', '') or ''}\n"

    def error_block(self, event: Event, result: dict[str, Any]) -> None:
        message = str(result.get("msg", "") or "")
        if event.data.get("error_text"):
            text = event.data["error_text"]
        elif message.startswith("Task failed: "):
            text = message
        elif message:
            kind = "Module failed" if event.data.get("target_module") else "Action failed"
            text = f"Task failed: {kind}: {message}"
        else:
            text = "Task failed: Action failed."
        if text in self._errors_shown:
            return
        self._errors_shown.add(text)
        module = event.task.action if event.task is not None else "?"
        lines = [f"[ERROR]: {text}", f"Origin: <adhoc '{module}' task>"]
        if self.origin:
            lines += ["", self.origin]
        self.write("\n".join(lines) + "\n\n", "FAILED")
