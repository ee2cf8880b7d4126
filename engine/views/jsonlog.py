"""`--events FILE`: every event of a run as one JSON object a line (schema: docs/events.md).

Each line has the same top-level fields — `seq`, `time`, `kind`, `host`, `task`,
`data` — so a reader never guesses. `task` is a small reference (uid, name,
path as file:line); `task_start` also carries what the task is (module, loop,
register, async, notify, when...). Results are written as the engine saw them
after `no_log` censoring. The writer keeps a task's events and encodes them at the
next task start (or the recap), when no host is working, and flushes the file
then: a killed run leaves a log up to its last task start.
"""
from __future__ import annotations

import atexit
import json
import os
from typing import IO, Any

from ..core.errors import CliError
from ..core.events import Event, Reporter
from ..core.model import Play, Task
from ..core.version import __version__

SCHEMA = 1
FLUSH_KINDS = frozenset({"task_start", "play_start", "recap", "playbook_start"})
SPECIAL_KINDS = frozenset({"task_start", "play_start"})  # their data is rewritten by `record`
MAX_PENDING = 2000  # events kept before encoding anyway (a long loop, many hosts)


def task_ref(task: Task | None) -> dict[str, Any] | None:
    if task is None:
        return None
    return {"uid": task.uid, "name": task.display_name, "path": str(task.location), "handler": task.is_handler}


def task_info(task: Task) -> dict[str, Any]:
    """What a task is, as written (nothing templated): sent once, with its task_start."""
    keywords = task.keywords
    info: dict[str, Any] = {"module": task.module, "action": task.action, "role": task.role,
                            "register": task.register, "loop": _plain(keywords.get("loop")),
                            "when": [str(w) for w in task.when], "notify": [str(n) for n in keywords.get("notify") or []],
                            "tags": list(keywords.get("tags") or [])}
    for key in ("until", "retries", "delay", "async", "poll", "changed_when", "failed_when", "ignore_errors",
                "check_mode", "run_once", "delegate_to", "loop_with", "listen"):
        if key in keywords and keywords[key] is not None:
            info[key] = _plain(keywords[key])
    if task.module == "set_fact":
        info["sets"] = sorted(str(k) for k in task.args if k not in ("cacheable", "_raw_params"))
    control = keywords.get("loop_control")
    if control:
        info["loop_var"] = control.get("loop_var", "item")
        if control.get("index_var"):
            info["index_var"] = control["index_var"]
    return info


def play_info(play: Play) -> dict[str, Any]:
    return {"name": play.name, "hosts": play.hosts, "path": str(play.location),
            "vars": sorted(play.vars), "vars_files": [str(v) for v in play.vars_files]}


def _plain(value: Any) -> Any:
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return str(value)


def _default(value: Any) -> Any:
    if isinstance(value, Task):
        return task_ref(value)
    if isinstance(value, Play):
        return play_info(value)
    if isinstance(value, (set, frozenset)):
        return sorted(str(v) for v in value)
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


def record(event: Event, seq: int) -> dict[str, Any]:
    """The JSON-ready form of one event."""
    data = dict(event.data)
    if event.kind == "task_start" and event.task is not None:
        data["task"] = task_info(event.task)
    elif event.kind == "play_start" and isinstance(data.get("play"), Play):
        data["play"] = play_info(data["play"])
    return {"seq": seq, "time": round(event.time, 6), "kind": event.kind, "host": event.host,
            "task": task_ref(event.task), "data": data}


# One encoder for every line: json.dumps with options builds a new encoder per call.
_ENCODER = json.JSONEncoder(default=_default, ensure_ascii=False, separators=(",", ":"))
encode = _ENCODER.encode


class JsonLogWriter(Reporter):
    """A reporter that appends one JSON line per event to a file (every kind alike, so it
    overrides `__call__` instead of the one-kind methods)."""

    def __init__(self, path: str) -> None:
        self.path = path
        try:
            self._file: IO[str] = open(path, "w", encoding="utf-8", buffering=1 << 16)
        except OSError as exc:
            raise CliError(f"cannot write the events file {path}: {exc.strerror}") from None
        self._seq = 0
        self._refs: dict[int, tuple[Task, dict[str, Any] | None]] = {}
        self._pending: list[tuple[int, Event]] = []
        atexit.register(self.close)  # a run ended by an error or ^C still leaves its last events
        import time

        self._write({"seq": 0, "time": round(time.time(), 6), "kind": "log_start", "host": None, "task": None,
                     "data": {"schema": SCHEMA, "miniplay": __version__, "pid": os.getpid()}})

    def _write(self, rec: dict[str, Any]) -> None:
        self._file.write(encode(rec))
        self._file.write("\n")

    def __call__(self, event: Event) -> None:
        if self._file.closed:
            return
        self._seq += 1
        self._pending.append((self._seq, event))
        # Encoding waits for a task boundary: under the linear strategy no host is working
        # then, so the JSON work never holds up the fork threads (it holds the GIL).
        if event.kind in FLUSH_KINDS or len(self._pending) >= MAX_PENDING:
            self.flush()

    def flush(self) -> None:
        refs = self._refs
        lines = []
        for seq, event in self._pending:
            task = event.task
            if event.kind in SPECIAL_KINDS or task is None:
                rec = record(event, seq)
            else:  # the common case, without rebuilding the task's reference every time
                ref = refs.get(id(task))
                if ref is None or ref[0] is not task:
                    ref = refs[id(task)] = (task, task_ref(task))
                rec = {"seq": seq, "time": round(event.time, 6), "kind": event.kind, "host": event.host,
                       "task": ref[1], "data": event.data}
            lines.append(encode(rec))
        self._pending.clear()
        if lines:
            self._file.write("\n".join(lines) + "\n")
        self._file.flush()

    def close(self) -> None:
        if not self._file.closed:
            self.flush()
            self._file.close()
