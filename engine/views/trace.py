"""Timelines from events: `--trace FILE` (Chrome/Perfetto JSON) and the spans the HTML report draws.

How this works
--------------
`Timeline(records)` replays event records (the `--events` JSON lines, or the same
records collected live) and cuts them into spans:

* one `task` (or `handler`) span per host × task, from the host's `host_start`
  to its `host_result`, with its `attempt` spans inside when `until`/`retries`
  retried it (each `retry` event ends an attempt; its `delay` is a
  `retry-delay` span) and its `item` spans when it loops;
* a `queue` span when a host waited for a fork slot before starting the task;
* a `wait` span from the moment a host finished a task to the next task's
  start: under the linear strategy that is the time it waited for the slowest
  host;
* one `async` span per async job, from its launch to its end (an `async_end`
  event, or an `async_status` result saying finished), in its own lane;
  `async_poll` ticks become instant events on it;
* `play` and `task-all` spans for the controller's view.

`chrome_trace()` lays the spans out for chrome://tracing and ui.perfetto.dev:
one process per host (plus "run" for the controller), tasks on thread 0,
async jobs on their own threads.
"""
from __future__ import annotations

import atexit
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from ..core.events import Event, Reporter

WAIT_THRESHOLD = 0.001     # seconds: shorter gaps are bookkeeping, not waiting
QUEUE_THRESHOLD = 0.005
LAUNCH_KINDS = ("async_launch", "async_start", "async_started")


@dataclass
class Span:
    host: str                  # "" for the controller's spans
    cat: str                   # play, task-all, task, handler, attempt, item, retry-delay, queue, wait, async
    name: str
    start: float
    end: float
    status: str = ""
    path: str = ""
    lane: int = 0              # async jobs: which job lane of the host
    args: dict[str, Any] = field(default_factory=dict)

    @property
    def duration(self) -> float:
        return max(0.0, self.end - self.start)


@dataclass
class Instant:
    host: str
    name: str
    time: float
    lane: int = 0
    args: dict[str, Any] = field(default_factory=dict)


def _status_of(result: dict[str, Any], status: str | None) -> str:
    if status:
        return status
    if result.get("unreachable"):
        return "unreachable"
    if result.get("failed"):
        return "failed"
    if result.get("skipped"):
        return "skipped"
    return "changed" if result.get("changed") else "ok"


class Timeline:
    """Spans and recap of one run, rebuilt from its event records."""

    def __init__(self, records: Iterable[dict[str, Any]]) -> None:
        self.spans: list[Span] = []
        self.instants: list[Instant] = []
        self.hosts: list[str] = []
        self.stats: dict[str, dict[str, int]] = {}
        self.playbooks: list[str] = []
        self.start: float | None = None
        self.end: float | None = None
        self.tasks: list[dict[str, Any]] = []          # task_start records' summaries, in order
        self._task: dict[str, Any] | None = None
        self._open: dict[str, dict[str, Any]] = {}
        self._done: dict[str, float] = {}
        self._play: Span | None = None
        self._jobs: dict[tuple[str, str], Span] = {}
        self._job_lanes: dict[str, list[float]] = {}
        self._modules: dict[int | None, str] = {}
        for rec in records:
            self._feed(rec)
        self._finish()

    # ------------------------------------------------------------------ replay
    def _host(self, host: str | None) -> None:
        if host and host not in self.hosts:
            self.hosts.append(host)

    def _feed(self, rec: dict[str, Any]) -> None:
        kind = rec.get("kind")
        t = float(rec.get("time", 0.0))
        if kind == "log_start":
            return
        if self.start is None:
            self.start = t
        self.end = t if self.end is None else max(self.end, t)
        handler = self._HANDLERS.get(str(kind))
        if handler is not None:
            handler(self, t, rec.get("host"), rec.get("data") or {}, rec.get("task") or {})

    # One method a record kind: (time, host, data, task summary). Kinds without one are ignored.
    def _on_playbook_start(self, t: float, host: str | None, data: dict[str, Any], task: dict[str, Any]) -> None:
        self.playbooks.append(str(data.get("path", "")))

    def _on_play_start(self, t: float, host: str | None, data: dict[str, Any], task: dict[str, Any]) -> None:
        self._close_task(t)
        self._close_play(t)
        play = data.get("play") or {}
        self._play = Span("", "play", f"PLAY [{data.get('name', '')}]", t, t, path=str(play.get("path", "")))

    def _on_task_start(self, t: float, host: str | None, data: dict[str, Any], task: dict[str, Any]) -> None:
        self._close_task(t)
        info = data.get("task") or {}
        if task.get("uid") is not None:
            self._modules[task["uid"]] = str(info.get("module", ""))
        self._task = {"uid": task.get("uid"), "name": data.get("name") or task.get("name", ""),
                      "path": task.get("path", ""), "start": t, "handler": bool(data.get("handler")),
                      "hosts": list(data.get("hosts") or []), "module": info.get("module", ""),
                      "async": info.get("async"), "poll": info.get("poll")}
        for name in self._task["hosts"]:
            self._host(name)
        self.tasks.append(self._task)

    def _on_host_start(self, t: float, host: str | None, data: dict[str, Any], task: dict[str, Any]) -> None:
        if not host:
            return
        self._host(host)
        current = self._task or {}
        if current and t - current["start"] > QUEUE_THRESHOLD:
            self.spans.append(Span(host, "queue", "waiting for a fork slot", current["start"], t,
                                   path=current.get("path", "")))
        self._open[host] = {"start": t, "attempt": 1, "attempt_start": t, "item_start": t, "attempts": 0,
                            "name": current.get("name") or task.get("name", ""), "path": task.get("path", "")}

    def _on_retry(self, t: float, host: str | None, data: dict[str, Any], task: dict[str, Any]) -> None:
        if host not in self._open:
            return
        state = self._open[host]
        attempt = int(data.get("attempt") or state["attempt"])
        self.spans.append(Span(host, "attempt", f"{state['name']} (attempt {attempt})", state["attempt_start"],
                               t, status="retry", path=state["path"], args={"attempt": attempt}))
        delay = float(data.get("delay") or 0.0)
        if delay > 0:
            self.spans.append(Span(host, "retry-delay", f"retry delay {delay:g}s", t, t + delay,
                                   path=state["path"]))
        state["attempt"] = attempt + 1
        state["attempt_start"] = t + delay
        state["attempts"] = attempt + 1

    def _on_item_result(self, t: float, host: str | None, data: dict[str, Any], task: dict[str, Any]) -> None:
        if host not in self._open:
            return
        state = self._open[host]
        result = data.get("result") or {}
        label = data.get("label")
        self.spans.append(Span(host, "item", f"{state['name']} (item={label})", state["item_start"], t,
                               status=_status_of(result, data.get("status")), path=state["path"],
                               args={"item": label}))
        if state["attempts"]:
            self._final_attempt(host, state, t, result, data.get("status"))
        state["item_start"] = state["attempt_start"] = t
        state["attempt"] = 1
        state["attempts"] = 0
        self._async_from_result(host, t, result, task)

    def _on_host_result(self, t: float, host: str | None, data: dict[str, Any], task: dict[str, Any]) -> None:
        if not host:
            return
        self._host(host)
        result = data.get("result") or {}
        status = _status_of(result, data.get("status"))
        state = self._open.pop(host, None)
        start = state["start"] if state else t
        name = state["name"] if state else task.get("name", "")
        if state and state["attempts"]:
            self._final_attempt(host, state, t, result, status)
        cat = "handler" if task.get("handler") else "task"
        args = {"path": task.get("path", "")}
        if result.get("attempts"):
            args["attempts"] = result.get("attempts")
        if result.get("msg") and status in ("failed", "unreachable"):
            args["msg"] = str(result.get("msg"))[:300]
        self.spans.append(Span(host, cat, name, start, t, status=status, path=task.get("path", ""), args=args))
        self._done[host] = t
        if not data.get("loop"):
            self._async_from_result(host, t, result, task)

    def _on_launch(self, t: float, host: str | None, data: dict[str, Any], task: dict[str, Any]) -> None:
        if host:
            self._launch(host, str(data.get("jid", "")), t, data.get("name") or task.get("name", ""),
                         task.get("path", ""), data.get("limit") or data.get("async"))

    def _on_async_poll(self, t: float, host: str | None, data: dict[str, Any], task: dict[str, Any]) -> None:
        if not host:
            return
        jid = str(data.get("jid", ""))
        span = self._jobs.get((host, jid))
        if span is None:  # polled job without a launch event: it started with its task (or item)
            state = self._open.get(host)
            start = state["item_start"] if state else t
            span = self._launch(host, jid, start, task.get("name", ""), task.get("path", ""), None)
        self.instants.append(Instant(host, "poll", t, span.lane, {"jid": jid, "finished": data.get("finished")}))

    def _on_async_end(self, t: float, host: str | None, data: dict[str, Any], task: dict[str, Any]) -> None:
        if not host:
            return
        span = self._jobs.pop((host, str(data.get("jid", ""))), None)
        if span is not None:
            self._end_job(span, t, "ok" if data.get("ok", True) else "failed")

    def _on_recap(self, t: float, host: str | None, data: dict[str, Any], task: dict[str, Any]) -> None:
        self._close_task(t)
        self._close_play(t)
        self.stats.update(data.get("stats") or {})
        for name in self.stats:
            self._host(name)

    _HANDLERS: dict[str, Callable[[Timeline, float, str | None, dict[str, Any], dict[str, Any]], None]] = {
        "playbook_start": _on_playbook_start, "play_start": _on_play_start, "task_start": _on_task_start,
        "host_start": _on_host_start, "retry": _on_retry, "item_result": _on_item_result,
        "host_result": _on_host_result, "async_poll": _on_async_poll, "async_end": _on_async_end,
        "recap": _on_recap, **dict.fromkeys(LAUNCH_KINDS, _on_launch),
    }

    def _final_attempt(self, host: str, state: dict[str, Any], t: float, result: dict[str, Any],
                       status: str | None) -> None:
        self.spans.append(Span(host, "attempt", f"{state['name']} (attempt {state['attempt']})",
                               state["attempt_start"], t, status=_status_of(result, status), path=state["path"],
                               args={"attempt": state["attempt"]}))

    def _async_from_result(self, host: str, t: float, result: dict[str, Any], task: dict[str, Any]) -> None:
        jid = result.get("ansible_job_id")
        if not jid:
            return
        jid = str(jid)
        if result.get("finished") in (1, True):
            span = self._jobs.pop((host, jid), None)
            if span is not None:
                self._end_job(span, t, "failed" if result.get("failed") else "ok")
        elif result.get("started") in (1, True) and (host, jid) not in self._jobs \
                and self._modules.get(task.get("uid")) != "async_status":
            self._launch(host, jid, t, task.get("name", ""), task.get("path", ""), None)

    def _launch(self, host: str, jid: str, t: float, name: str, path: str, limit: Any) -> Span:
        if (host, jid) in self._jobs:
            return self._jobs[(host, jid)]
        lanes = self._job_lanes.setdefault(host, [])
        lane = next((i for i, busy in enumerate(lanes) if busy <= t), len(lanes))
        if lane == len(lanes):
            lanes.append(float("inf"))
        lanes[lane] = float("inf")
        span = Span(host, "async", f"job {jid}: {name}", t, t, status="running", path=path, lane=lane,
                    args={"jid": jid, **({"limit": limit} if limit else {})})
        self._jobs[(host, jid)] = span
        self.spans.append(span)
        return span

    def _end_job(self, span: Span, t: float, status: str) -> None:
        span.end = t
        span.status = status
        lanes = self._job_lanes.get(span.host, [])
        if span.lane < len(lanes):
            lanes[span.lane] = t

    def _close_task(self, t: float) -> None:
        task = self._task
        if task is None:
            return
        ends = dict(self._done)
        if ends:
            slowest = max(ends, key=lambda h: ends[h])
            for host, end in ends.items():
                if host != slowest and t - end > WAIT_THRESHOLD and len(ends) > 1:
                    self.spans.append(Span(host, "wait", f"waiting for {slowest}", end, t, path=task["path"],
                                           args={"slowest": slowest, "task": task["name"]}))
            self.spans.append(Span("", "task-all", task["name"], task["start"], max(ends.values()),
                                   path=task["path"], args={"hosts": len(ends), "slowest": slowest}))
        self._done = {}
        self._task = None

    def _close_play(self, t: float) -> None:
        if self._play is not None:
            self._play.end = t
            self.spans.append(self._play)
            self._play = None

    def _finish(self) -> None:
        end = self.end or 0.0
        self._close_task(end)
        self._close_play(end)
        for host, state in self._open.items():
            self.spans.append(Span(host, "task", state["name"], state["start"], end, status="unfinished",
                                   path=state["path"]))
        for span in self._jobs.values():
            self._end_job(span, end, "running at the end of the run")
        self.spans.sort(key=lambda s: (s.start, -s.duration))

    # ------------------------------------------------------------------ views
    def host_spans(self, host: str) -> list[Span]:
        return [s for s in self.spans if s.host == host]

    @property
    def duration(self) -> float:
        return (self.end or 0.0) - (self.start or 0.0)


def _us(seconds: float) -> int:
    return int(round(seconds * 1_000_000))


def chrome_trace(timeline: Timeline) -> dict[str, Any]:
    """Chrome trace event format: open in chrome://tracing or ui.perfetto.dev."""
    t0 = timeline.start or 0.0
    events: list[dict[str, Any]] = [
        {"ph": "M", "name": "process_name", "pid": 0, "tid": 0, "args": {"name": "run"}},
        {"ph": "M", "name": "process_sort_index", "pid": 0, "tid": 0, "args": {"sort_index": 0}},
        {"ph": "M", "name": "thread_name", "pid": 0, "tid": 0, "args": {"name": "plays"}},
        {"ph": "M", "name": "thread_name", "pid": 0, "tid": 1, "args": {"name": "tasks (all hosts)"}},
    ]
    pids = {host: index + 1 for index, host in enumerate(timeline.hosts)}
    lanes_seen: set[tuple[int, int]] = set()
    for host, pid in pids.items():
        events += [{"ph": "M", "name": "process_name", "pid": pid, "tid": 0, "args": {"name": host}},
                   {"ph": "M", "name": "process_sort_index", "pid": pid, "tid": 0, "args": {"sort_index": pid}},
                   {"ph": "M", "name": "thread_name", "pid": pid, "tid": 0, "args": {"name": "tasks"}}]
    for span in timeline.spans:
        if span.host:
            pid = pids.setdefault(span.host, len(pids) + 1)
            tid = 0
            if span.cat == "async":
                tid = 10 + span.lane
                if (pid, tid) not in lanes_seen:
                    lanes_seen.add((pid, tid))
                    events.append({"ph": "M", "name": "thread_name", "pid": pid, "tid": tid,
                                   "args": {"name": f"async jobs ({span.lane + 1})"}})
        else:
            pid, tid = 0, (0 if span.cat == "play" else 1)
        args = dict(span.args)
        if span.status:
            args["status"] = span.status
        if span.path:
            args.setdefault("path", span.path)
        events.append({"ph": "X", "name": span.name, "cat": span.cat, "ts": _us(span.start - t0),
                       "dur": max(1, _us(span.duration)), "pid": pid, "tid": tid, "args": args})
    for instant in timeline.instants:
        events.append({"ph": "i", "s": "t", "name": instant.name, "cat": "async_poll",
                       "ts": _us(instant.time - t0), "pid": pids.get(instant.host, 0), "tid": 10 + instant.lane,
                       "args": instant.args})
    return {"traceEvents": events, "displayTimeUnit": "ms",
            "otherData": {"generator": "miniplay", "playbooks": timeline.playbooks, "start": t0}}


def write_trace(records: Iterable[dict[str, Any]], path: str) -> None:
    with open(path, "w", encoding="utf-8") as handle:
        # dumps, not dump: json.dump streams through the pure-Python encoder (5x slower)
        handle.write(json.dumps(chrome_trace(Timeline(records)), separators=(",", ":"), default=str) + "\n")


class TraceWriter(Reporter):
    """A reporter for `--trace FILE`: keeps slim records of every kind (so it overrides `__call__`),
    writes the trace at every recap."""

    KEEP_RESULT = ("ansible_job_id", "started", "finished", "failed", "skipped", "changed", "unreachable",
                   "attempts", "msg")
    KEEP_DATA = frozenset({"status", "attempt", "delay", "label", "loop", "jid", "limit", "ok", "finished",
                           "started", "stats", "path", "handler", "name"})
    SKIP = frozenset({"task_vars", "conditional", "warning", "deprecation", "included"})

    def __init__(self, path: str) -> None:
        self.path = path
        try:  # find out now, not after the whole run, that the file cannot be written
            open(path, "w").close()
        except OSError as exc:
            from ..core.errors import CliError

            raise CliError(f"cannot write the trace file {path}: {exc.strerror}") from None
        self.records: list[dict[str, Any]] = []
        self._refs: dict[int, tuple[Any, dict[str, Any]]] = {}
        self._pending: list[Event] = []
        self._written = 0
        atexit.register(self.close)

    def _ref(self, task: Any) -> dict[str, Any] | None:
        if task is None:
            return None
        ref = self._refs.get(id(task))
        if ref is None or ref[0] is not task:
            ref = self._refs[id(task)] = (task, {"uid": task.uid, "name": task.display_name,
                                                 "path": str(task.location), "handler": task.is_handler})
        return ref[1]

    def __call__(self, event: Event) -> None:
        if event.kind in self.SKIP:
            return
        self._pending.append(event)
        # slimmed at task boundaries, when no host is working (see JsonLogWriter)
        if event.kind in ("task_start", "play_start", "recap") or len(self._pending) >= 2000:
            for pending in self._pending:
                self._keep(pending)
            self._pending.clear()
        if event.kind == "recap":
            write_trace(self.records, self.path)
            self._written = len(self.records)

    def close(self) -> None:
        """Write what a run that ended early (an error, ^C) did until then."""
        for pending in self._pending:
            self._keep(pending)
        self._pending.clear()
        if len(self.records) != self._written:
            write_trace(self.records, self.path)
            self._written = len(self.records)

    def _keep(self, event: Event) -> None:
        kind = event.kind
        data = event.data
        keep = self.KEEP_DATA
        slim: dict[str, Any] = {k: v for k, v in data.items() if k in keep}
        result = data.get("result")
        if isinstance(result, dict):
            slim["result"] = {k: result[k] for k in self.KEEP_RESULT if k in result}
        if kind == "task_start":
            slim["hosts"] = list(data.get("hosts") or [])
            if event.task is not None:
                slim["task"] = {"module": event.task.module, "async": event.task.keywords.get("async"),
                                "poll": event.task.keywords.get("poll")}
        elif kind == "play_start":
            play = data.get("play")
            slim["play"] = {"path": str(play.location)} if play is not None and hasattr(play, "location") else {}
        self.records.append({"time": event.time, "kind": kind, "host": event.host, "task": self._ref(event.task),
                             "data": slim})
