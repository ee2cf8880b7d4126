"""`miniplay explain run.jsonl [--host H] [--task NAME]`: why each task did what it did.

For every task run on a host (one `host_start` … `host_result` stretch of the
events file) it tells:

* why it ran or was skipped: every `when` clause with its value (the first
  false clause decides; the clauses after it are shown as not reached);
* why it was retried: each `until` attempt with its value;
* why it failed: the message, rc and stderr, the `failed_when` clauses, and
  whether the failure was ignored or rescued;
* for a handler: which task on that host notified it;
* where every variable it read came from: the layer (play vars, inventory,
  vars file, facts, register...) and, when a file says it, the file:line.

Everything comes from the events file; the playbook and inventory files are
read only to find the line a variable is defined on.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from typing import Any

from ..core.locations import shown


@dataclass
class TaskRun:
    host: str
    task: dict[str, Any]
    info: dict[str, Any]
    name: str
    play: dict[str, Any]
    status: str = "unfinished"
    result: dict[str, Any] = field(default_factory=dict)
    ignored: bool = False
    conditionals: list[dict[str, Any]] = field(default_factory=list)
    variables: dict[str, dict[str, Any]] = field(default_factory=dict)
    retries: list[dict[str, Any]] = field(default_factory=list)
    items: list[dict[str, Any]] = field(default_factory=list)
    start: float = 0.0
    end: float = 0.0
    index: int = 0


def collect(records: list[dict[str, Any]]) -> list[TaskRun]:
    """Every task run, in the order they started."""
    runs: list[TaskRun] = []
    open_runs: dict[str, TaskRun] = {}
    infos: dict[Any, dict[str, Any]] = {}
    names: dict[Any, str] = {}
    play: dict[str, Any] = {}
    for rec in records:
        kind = rec.get("kind")
        host = rec.get("host")
        task = rec.get("task") or {}
        data = rec.get("data") or {}
        uid = task.get("uid")
        if kind == "play_start":
            play = dict(data.get("play") or {})
            play.setdefault("name", data.get("name"))
        elif kind == "task_start":
            infos[uid] = data.get("task") or {}
            names[uid] = data.get("name") or task.get("name", "")
        elif kind == "host_start" and host:
            run = TaskRun(host=host, task=task, info=infos.get(uid, {}), name=names.get(uid, task.get("name", "")),
                          play=play, start=float(rec.get("time", 0)), index=len(runs))
            runs.append(run)
            open_runs[host] = run
        elif host in open_runs and open_runs[host].task.get("uid") == uid:
            run = open_runs[host]
            if kind == "conditional":
                run.conditionals.append({**data, "_index": len(run.items)})  # the item it belongs to
            elif kind == "task_vars":
                run.variables.update(data.get("vars") or {})
            elif kind == "retry":
                run.retries.append(data)
            elif kind == "item_result":
                run.items.append(data)
            elif kind == "host_result":
                run.status = str(data.get("status", "ok"))
                run.result = data.get("result") or {}
                run.ignored = bool(data.get("ignored"))
                run.end = float(rec.get("time", 0))
                del open_runs[host]
    return runs


# ---------------------------------------------------------------------- where a variable is defined
class _Sources:
    """Finds the file:line a variable is set on, from a layer label and what the run said."""

    def __init__(self, runs: list[TaskRun]) -> None:
        self.runs = runs
        self._files: dict[str, list[str]] = {}

    def lines(self, path: str) -> list[str]:
        if path not in self._files:
            try:
                with open(path, encoding="utf-8", errors="replace") as handle:
                    self._files[path] = handle.read().splitlines()
            except OSError:
                self._files[path] = []
        return self._files[path]

    def find_line(self, path: str, name: str, start: int = 1) -> int:
        """The first line at or after `start` that sets `name` (YAML `name:` or INI `name=`)."""
        pattern = re.compile(rf"^\s*(?:-\s+)?['\"]?{re.escape(name)}['\"]?\s*:(?:\s|$)|(?:^|\s){re.escape(name)}=")
        lines = self.lines(path)
        for number in range(max(1, start), len(lines) + 1):
            if pattern.search(lines[number - 1]):
                return number
        return 0

    def where(self, name: str, label: str | None, run: TaskRun) -> str:
        """A human description of where `name` came from for this run."""
        if label is None:
            loop_var = run.info.get("loop_var", "item")
            if run.info.get("loop") is not None and name in (loop_var, "ansible_loop", "ansible_loop_var"):
                return "the loop variable (one value per item)"
            if run.info.get("loop") is not None and name == run.info.get("index_var"):
                return "the loop index (loop_control.index_var)"
            if name == run.info.get("register"):
                return "this task's own registered result (until / changed_when / failed_when read it)"
            return "not defined when the task started"
        path, line = self._file_of(name, label, run)
        if label == "set_fact / register":
            setter = self._setter(name, run)
            return f"set_fact / register: {setter}" if setter else label
        if label == "facts":
            return "facts (gathered by Gathering Facts / setup)"
        if label == "magic":
            return "a magic variable miniplay sets"
        if label == "extra vars (-e)":
            return "extra vars (-e on the command line)"
        if path and line:
            return f"{label} ({_relative(path)}:{line})"
        return label

    def _file_of(self, name: str, label: str, run: TaskRun) -> tuple[str, int]:
        path, start = "", 1
        if label == "play vars":
            path, start = _split(str(run.play.get("path", "")))
        elif label == "task vars":
            path, start = _split(str(run.task.get("path", "")))
        elif label.startswith("vars file "):
            path = label[len("vars file "):]
        elif label.startswith("inventory ") or label.startswith("playbook "):
            rest = label.split(" ", 1)[1]
            if ": " in rest:
                head, tail = rest.split(": ", 1)
                path = tail if head.endswith(("group_vars", "host_vars")) else head
            else:
                path = rest
        if not path or not os.path.isfile(path):
            return "", 0
        return path, self.find_line(path, name, start)

    def _setter(self, name: str, run: TaskRun) -> str:
        for earlier in reversed(self.runs[:run.index]):
            if earlier.host != run.host:
                continue
            if earlier.info.get("register") == name or name in (earlier.info.get("sets") or []):
                return f"'{earlier.name}' ({_relative(earlier.task.get('path', ''))})"
        return ""


def _split(location: str) -> tuple[str, int]:
    parts = location.split(":")
    path = parts[0]
    try:
        return path, int(parts[1]) if len(parts) > 1 else 1
    except ValueError:
        return path, 1


def _relative(location: str) -> str:
    return shown(location)


def _value(entry: dict[str, Any]) -> str:
    if "error" in entry:
        return f"error: {entry['error']}"
    value = entry.get("value")
    text = str(value)
    if entry.get("reached") is False:
        return f"{text} (not reached: an earlier clause was false)"
    return text


def _short(value: Any, limit: int = 300) -> str:
    text = str(value)
    return text if len(text) <= limit else text[:limit - 1] + "…"


# ---------------------------------------------------------------------- the text
def describe(run: TaskRun, runs: list[TaskRun], sources: _Sources) -> str:
    """The explanation of one task run: its outcome, why it ran, its retries, judgements, loop, failure
    and the variables it read."""
    kind = "RUNNING HANDLER" if run.task.get("handler") else "TASK"
    took = f", {run.end - run.start:.2f}s" if run.end else ""
    head = f"{kind} [{run.name}] {_relative(run.task.get('path', ''))} on {run.host}: {_outcome(run)}{took}"
    lines = [head]
    whens = [c for c in run.conditionals if c.get("keyword") == "when"]
    lines += _why_it_ran(run, runs, whens)
    lines += _retry_lines(run)
    lines += _judgement_lines(run)
    lines += _loop_lines(run)
    if run.status in ("failed", "unreachable"):
        lines += _failure(run, runs)
    if run.status == "skipped" and not whens and run.result.get("skip_reason"):
        lines.append(f"  skipped: {run.result.get('skip_reason')}")
    lines += _variable_lines(run, sources)
    return "\n".join(lines) + "\n"


def _why_it_ran(run: TaskRun, runs: list[TaskRun], whens: list[dict[str, Any]]) -> list[str]:
    """What notified a handler, and each when condition clause by clause (or that there is none)."""
    lines: list[str] = []
    if run.task.get("handler"):
        lines += ["  why it ran:"] + [f"    {text}" for text in _notified_by(run, runs)]
    if whens:
        for cond in whens:
            item = _item(run, cond)
            verdict = "held" if cond.get("result") else "did not hold"
            lines.append(f"  when{item} {verdict}, clause by clause:")
            for entry in cond.get("clauses", []):
                lines.append(f"    {entry.get('expr')}  →  {_value(entry)}")
    elif run.info.get("when") == [] and run.status != "skipped" and not run.task.get("handler"):
        lines.append("  why it ran: it has no when clause")
    return lines


def _retry_lines(run: TaskRun) -> list[str]:
    """The until condition and each attempt, when the task was retried."""
    lines: list[str] = []
    untils = [c for c in run.conditionals if c.get("keyword") == "until"]
    if untils or run.retries:
        retries_info = run.info.get("retries")
        lines.append(f"  retried until {' and '.join(map(str, run.info.get('until') or [])) or 'it succeeds'}"
                     + (f" (retries: {retries_info}, delay: {run.info.get('delay', 5)})" if retries_info is not None
                        else ""))
        for cond in untils:
            item = _item(run, cond)
            clauses = ", ".join(f"{e.get('expr')} → {_value(e)}" for e in cond.get("clauses", []))
            lines.append(f"    attempt {cond.get('attempt', '?')}{item}: {clauses}")
        if not untils:
            for retry in run.retries:
                result = retry.get("result") or {}
                lines.append(f"    attempt {retry.get('attempt', '?')}: failed ({_short(result.get('msg', ''), 120)})")
    return lines


def _judgement_lines(run: TaskRun) -> list[str]:
    """changed_when and failed_when: one line per distinct outcome."""
    lines: list[str] = []
    for keyword in ("changed_when", "failed_when"):
        shown: list[str] = []  # one line per distinct outcome (it is evaluated on every attempt and item)
        for cond in (c for c in run.conditionals if c.get("keyword") == keyword):
            clauses = ", ".join(f"{e.get('expr')} → {_value(e)}" for e in cond.get("clauses", []))
            text = f"  {keyword}{_item(run, cond)}: {clauses}"
            if text not in shown:
                shown.append(text)
        lines += shown
    return lines


def _loop_lines(run: TaskRun) -> list[str]:
    """The loop's items counted by status, and the message of each one that failed."""
    lines: list[str] = []
    if run.items:
        counts: dict[str, int] = {}
        for loop_item in run.items:
            counts[str(loop_item.get("status"))] = counts.get(str(loop_item.get("status")), 0) + 1
        summary = ", ".join(f"{n} {s}" for s, n in counts.items())
        lines.append(f"  loop: {len(run.items)} items ({summary})")
        for loop_item in run.items:
            if loop_item.get("status") in ("failed", "unreachable"):
                result = loop_item.get("result") or {}
                lines.append(f"    item {_short(loop_item.get('label'), 80)} failed: {_short(result.get('msg', ''))}")
    return lines


def _variable_lines(run: TaskRun, sources: _Sources) -> list[str]:
    """The variables the task read and the layer each came from (those read through others last)."""
    lines: list[str] = []
    if run.variables:
        lines.append("  variables it read, and where they came from:")
        for name in sorted(run.variables, key=lambda n: ("via" in run.variables[n], n)):
            entry = run.variables[name]
            via = f" (read through {entry['via']})" if entry.get("via") else ""
            lines.append(f"    {name}{via}: {sources.where(name, entry.get('layer'), run)}")
    return lines


def _item(run: TaskRun, cond: dict[str, Any]) -> str:
    """` (item=LABEL)` for a clause evaluated for one loop item, as the console labels it."""
    if "item" not in cond:
        return ""
    index = cond.get("_index", -1)
    if 0 <= index < len(run.items):
        return f" (item={_short(run.items[index].get('label'), 80)})"
    return f" (item={_short(cond['item'], 80)})"


def _outcome(run: TaskRun) -> str:
    text = run.status
    attempts = run.result.get("attempts")
    if run.items and run.retries:
        text += f" ({len(run.retries)} retr{'y' if len(run.retries) == 1 else 'ies'} across its items)"
    elif (attempts and attempts > 1) or run.retries:
        text += f" after {attempts or len(run.retries) + 1} attempts"
    if run.ignored:
        text += " (ignored)"
    return text


def _failure(run: TaskRun, runs: list[TaskRun]) -> list[str]:
    result = run.result
    lines = ["  why it failed:"]
    if result.get("msg"):
        lines.append(f"    msg: {_short(result['msg'], 600)}")
    if "rc" in result:
        lines.append(f"    rc: {result['rc']}")
    for stream in ("stderr", "module_stderr"):
        if result.get(stream):
            lines.append(f"    {stream}: {_short(str(result[stream]).strip(), 600)}")
    if result.get("failed_when_result") is not None:
        lines.append(f"    failed_when decided it: {result['failed_when_result']}")
    if run.ignored:
        lines.append("    the failure was ignored (ignore_errors), so the host went on")
    else:
        later = next((r for r in runs[run.index + 1:] if r.host == run.host), None)
        if later is not None:
            lines.append(f"    the host went on with '{later.name}' ({_relative(later.task.get('path', ''))}): "
                         "a rescue or always section")
        else:
            lines.append("    the host ran no further task")
    return lines


def _notified_by(run: TaskRun, runs: list[TaskRun]) -> list[str]:
    handler_names = {run.name, run.task.get("name", "")} | set(run.info.get("listen") or [])
    found = []
    for earlier in runs[:run.index]:
        if earlier.host != run.host or earlier.status != "changed":
            continue
        if handler_names & set(earlier.info.get("notify") or []):
            found.append(f"notified by '{earlier.name}' ({_relative(earlier.task.get('path', ''))}), which "
                         "reported a change on this host")
    return found or ["notified by a task that reported a change (not found in this events file)"]


def _matches(run: TaskRun, host: str | None, task: str | None) -> bool:
    if host is not None and run.host != host:
        return False
    if task is None:
        return True
    wanted = task.lower()
    path = str(run.task.get("path", ""))
    if ":" in task and (path.endswith(task) or _relative(path).startswith(task)):
        return True
    return wanted in run.name.lower() or wanted in str(run.task.get("name", "")).lower()


def explain(records: list[dict[str, Any]], host: str | None = None, task: str | None = None) -> tuple[str, bool]:
    """(text, whether any task run matched)."""
    runs = collect(records)
    sources = _Sources(runs)
    chosen = [r for r in runs if _matches(r, host, task)]
    if not chosen:
        what = " and ".join(x for x in (f"host '{host}'" if host else "", f"task '{task}'" if task else "") if x)
        hosts = sorted({r.host for r in runs})
        return (f"explain: no task run matches {what or 'anything'} (hosts in this run: {', '.join(hosts) or 'none'})\n",
                False)
    return "\n".join(describe(run, runs, sources) for run in chosen), True
