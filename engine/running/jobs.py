"""Controller side of async jobs: launch, one poller for every outstanding job, status.

How this works
--------------
`run_async_task()` is called by the executor for a task with `async: N` (once per
loop item). It sends one `{"op": "async"}` request to the host's worker, which
starts the module as a detached job (see `modules/_jobs.py`) and answers at once
with the job id.

* `poll: 0` — the launch result (plus `changed: true`) is the task's result.
* `poll > 0` — the job is handed to the run's single `Poller` thread, and the fork
  thread waits on the returned `JobHandle` *with its fork slot given back*
  (`ForkSlots.released()`), so the strategy launches the task on every host before
  any host's waiting holds up the others, whatever `--forks` is.

The poller keeps one schedule for all outstanding jobs. A job is checked (one
`async_status` call over the host's open worker) at launch + k×poll — each check
that finds it running prints `ASYNC POLL` — and at once when the target's worker
reports `{"event": "job_end"}` for it, so a polled task ends as soon as its job
does instead of at the next multiple of `poll`. The last check falls exactly on
the async limit: a job still running then fails the task with Ansible's message
(the target kills the job at the same moment). A finished job's file is removed
(`async_status mode=cleanup`), as Ansible does.

An `async_status` join (`until: job is finished`, `retries`, `delay`) hears the same
job-end messages: between two attempts it sleeps until the worker reports the end of
the job it checked, or `delay`, whichever comes first (`pause_before_retry`), so the
join ends just after its job instead of up to `delay` later (docs/async.md).

Status checks run on a small thread pool so a slow host does not delay the rest.
"""
from __future__ import annotations

import os
import threading
import time
from typing import TYPE_CHECKING, Any

from ..core.events import AsyncEnd, AsyncLaunch, AsyncPoll
from ..core.results import error_result
from ..transport.worker import WorkerError
from .failures import module_failure

if TYPE_CHECKING:
    from ..core.events import EventBus
    from ..core.options import Options
    from ..transport.pool import Connections
    from ..transport.worker import WorkerClient
    from .actions import ActionContext
    from .slots import ForkSlots

DEFAULT_ASYNC_DIR = "~/.ansible_async"
CHECK_THREADS = 16
CHECK_TIMEOUT = 60.0   # one status call over a hung connection must not hang the run
ENDED_MEMORY = 10000   # job ends remembered for joins that have not started waiting yet


def async_dir_for(options: Options, view: Any) -> str:
    """Where the job files live, from the controller's point of view (`~` not expanded).

    Order: the `ansible_async_dir` variable, `ANSIBLE_ASYNC_DIR`, ansible.cfg `async_dir`.
    """
    value: Any = None
    if view is not None and "ansible_async_dir" in view:
        try:
            value = view["ansible_async_dir"]
        except Exception:
            value = None
    if value in (None, ""):
        value = os.environ.get("ANSIBLE_ASYNC_DIR") or (options.config or {}).get("async_dir")
    return str(value) if value not in (None, "") else DEFAULT_ASYNC_DIR


class JobHandle:
    """One polled job in flight. `wait()` returns the task's result once it is over."""

    def __init__(self, host: str, jid: str, launch: dict[str, Any], ctx: ActionContext,
                 worker: WorkerClient, async_dir: str, async_seconds: int, poll: int, launched_at: float) -> None:
        self.host = host
        self.jid = jid
        self.launch = launch
        self.ctx = ctx
        self.worker = worker
        self.async_dir = async_dir
        self.async_seconds = async_seconds
        self.poll = poll
        self.launched_at = launched_at
        self.checks = 0                    # scheduled checks done so far
        self.next_check = self._check_time(1)
        self.ended = False                 # the worker said the job is over
        self.busy = False                  # a check is in flight
        self.last_status: dict[str, Any] | None = None
        self.result: dict[str, Any] | None = None
        self._done = threading.Event()

    def _check_time(self, number: int) -> float:
        """Check k is at launch + k×poll, never later than the async limit."""
        return self.launched_at + min(number * self.poll, self.async_seconds)

    @property
    def last_check(self) -> bool:
        return self.checks * self.poll >= self.async_seconds

    @property
    def done(self) -> bool:
        return self._done.is_set()

    def finish(self, result: dict[str, Any]) -> None:
        self.result = result
        self._done.set()

    def wait(self, timeout: float | None = None) -> dict[str, Any]:
        self._done.wait(timeout)
        if self.result is None:
            return error_result(f"async job {self.jid}: gave up waiting")
        return self.result


class Poller:
    """One thread that waits on every outstanding polled job of the run."""

    def __init__(self, manager: JobManager) -> None:
        self.manager = manager
        self.cond = threading.Condition()
        self.jobs: dict[tuple[str, str], JobHandle] = {}
        self.stopping = False
        import concurrent.futures  # here: most runs poll no job, and this import costs every run

        self.pool = concurrent.futures.ThreadPoolExecutor(max_workers=CHECK_THREADS, thread_name_prefix="job-check")
        self.thread = threading.Thread(target=self._loop, name="async-poller", daemon=True)
        self.thread.start()

    def add(self, job: JobHandle) -> None:
        with self.manager._lock, self.cond:   # same lock order as on_worker_event: no lost job_end
            if (job.host, job.jid) in self.manager.ended_early:
                self.manager.ended_early.discard((job.host, job.jid))
                job.ended = True
            self.jobs[(job.host, job.jid)] = job
            self.cond.notify_all()

    def job_ended(self, host: str, jid: str) -> bool:
        with self.cond:
            job = self.jobs.get((host, jid))
            if job is None:
                return False
            job.ended = True
            self.cond.notify_all()
            return True

    def stop(self) -> None:
        with self.cond:
            self.stopping = True
            self.cond.notify_all()
        self.thread.join(timeout=5)
        self.pool.shutdown(wait=False)

    # ------------------------------------------------------------------ the loop
    def _loop(self) -> None:
        while True:
            with self.cond:
                due: list[tuple[JobHandle, bool]] = []
                while not self.stopping:
                    now = time.monotonic()
                    due = [(job, not job.ended) for job in self.jobs.values()
                           if not job.busy and (job.ended or job.next_check <= now)]
                    if due:
                        break
                    waiting = [job.next_check for job in self.jobs.values() if not job.busy]
                    self.cond.wait(min(waiting) - now if waiting else None)
                if self.stopping:
                    for job in self.jobs.values():
                        job.finish(error_result(f"the run ended before async job {job.jid} finished"))
                    self.jobs.clear()
                    return
                for job, _scheduled in due:
                    job.busy = True
                    job.ended = False
            for job, scheduled in due:
                self.pool.submit(self._check, job, scheduled)

    def _check(self, job: JobHandle, scheduled: bool) -> None:
        """One look at the job; `scheduled` is a poll-interval check (it may print ASYNC POLL)."""
        manager = self.manager
        status: dict[str, Any] | None = None
        problem: str | None = None
        try:
            status = manager.status(job)
        except Exception as exc:  # a network bounce must not end the wait (as in Ansible)
            problem = f"{type(exc).__name__}: {exc}"
        final: dict[str, Any] | None = None
        if status is not None and (status.get("finished") or status.get("skipped")):
            final = manager.finish_job(job, status)
        elif scheduled:
            job.checks += 1
            if status is not None:
                job.last_status = status
                manager.bus.emit(AsyncPoll(host=job.host, task=job.ctx.task, jid=job.jid,
                                     started=bool(status.get("started", True)),
                                     finished=bool(status.get("finished", False))))
            if job.last_check:
                final = manager.timed_out(job, problem)
        with self.cond:
            job.busy = False
            if final is not None:
                self.jobs.pop((job.host, job.jid), None)
            elif scheduled:
                job.next_check = job._check_time(job.checks + 1)
            self.cond.notify_all()
        if final is not None:
            job.finish(final)


class JobManager:
    """The run's async jobs: launches them, polls the polled ones, answers job events."""

    def __init__(self, bus: EventBus, connections: Connections, options: Options, slots: ForkSlots) -> None:
        self.bus = bus
        self.connections = connections
        self.options = options
        self.slots = slots
        self._lock = threading.Lock()
        self._poller: Poller | None = None
        self.ended_early: set[tuple[str, str]] = set()   # job_end seen before the job was registered
        self.launched: list[tuple[str, str]] = []         # (host, jid) of every job this run started
        self._ended_jids: dict[str, None] = {}             # jobs whose end a worker reported, oldest first
        self._end_waiters: dict[str, list[threading.Event]] = {}  # joins sleeping until a job ends

    # ------------------------------------------------------------------ worker events
    def on_worker_event(self, host: str, message: dict[str, Any]) -> None:
        """A worker reported a job event (called on the worker's reader thread)."""
        if message.get("event") != "job_end":
            return
        jid = str(message.get("jid"))
        with self._lock:
            self._ended_jids[jid] = None
            if len(self._ended_jids) > ENDED_MEMORY:
                del self._ended_jids[next(iter(self._ended_jids))]
            for waiter in self._end_waiters.pop(jid, []):
                waiter.set()
            poller = self._poller
            if poller is not None and poller.job_ended(host, jid):
                return
            self.ended_early.add((host, jid))
            if len(self.ended_early) > 10000:   # fire-and-forget jobs nobody polls: forget the oldest
                self.ended_early.pop()

    def pause_before_retry(self, module: str, result: dict[str, Any], delay: float) -> None:
        """The pause between two attempts of a task's `until` loop.

        When the attempt was an `async_status` check that found its job still running, the
        pause ends as soon as the host's worker reports that job's end (never later than
        `delay`): the join is over ~a round trip after the job, whatever its delay. Every
        other retry sleeps its full delay, as in Ansible.
        """
        jid = result.get("ansible_job_id")
        if module != "async_status" or jid is None or result.get("finished") not in (0, False) or delay <= 0:
            time.sleep(max(delay, 0))
            return
        waiter = threading.Event()
        with self._lock:
            if str(jid) in self._ended_jids:
                return
            self._end_waiters.setdefault(str(jid), []).append(waiter)
        if not waiter.wait(delay):
            with self._lock:
                waiting = self._end_waiters.get(str(jid), [])
                if waiter in waiting:
                    waiting.remove(waiter)
                if not waiting:
                    self._end_waiters.pop(str(jid), None)

    # ------------------------------------------------------------------ launching
    def run_async_task(self, ctx: ActionContext, module: str, args: dict[str, Any], async_seconds: int,
                       poll: int) -> dict[str, Any]:
        """Start `module` as an async job on ctx.host; wait for it when `poll > 0` (a negative
        poll leaves it running, as `poll: 0` does: ansible-core 2.19 polls only when poll > 0)."""
        poll = max(poll, 0)
        directory = async_dir_for(self.options, ctx.vars)
        executor = ctx.executor
        request = {"op": "async", "module": module, "args": args, "check": ctx.check_mode, "diff": ctx.diff,
                   "env": ctx.environment, "no_log": executor.flag(ctx.task, "no_log", ctx.vars),
                   "async": async_seconds, "async_dir": directory, "watch": poll > 0,
                   "task": executor.play.task_name(ctx.task, ctx.vars)}
        try:
            worker = self.connections.worker(ctx.host, ctx.vars, ctx.task)
            launched_at = time.monotonic()
            foreign = ctx.services.foreign.get(module)
            if foreign is not None:  # a module written for Ansible: its payload goes first
                launch = ctx.services.foreign.call(worker, request, foreign, ctx.task.action,
                                                   self.options.verbosity, None)
            else:
                launch = worker.call(request)
        except WorkerError as exc:
            return module_failure(exc)
        if launch.get("failed") or launch.get("skipped") or "ansible_job_id" not in launch:
            launch.setdefault("failed", True)
            launch.setdefault("msg", "the async job did not start")
            return launch
        jid = str(launch["ansible_job_id"])
        with self._lock:
            self.launched.append((ctx.host, jid))
        self.bus.emit(AsyncLaunch(host=ctx.host, task=ctx.task, jid=jid, limit=async_seconds, poll=poll))
        if poll == 0:
            return {**launch, "changed": True}
        job = JobHandle(ctx.host, jid, launch, ctx, worker, directory, async_seconds, poll, launched_at)
        self._poller_started().add(job)
        with self.slots.released():
            result = job.wait()
        failed = bool(result.get("failed"))
        self.bus.emit(AsyncEnd(host=ctx.host, task=ctx.task, jid=jid, ok=not failed))
        return result

    def _poller_started(self) -> Poller:
        with self._lock:
            if self._poller is None:
                self._poller = Poller(self)
            return self._poller

    # ------------------------------------------------------------------ talking to the target
    def _worker_for(self, job: JobHandle) -> WorkerClient:
        if job.worker.alive:
            return job.worker
        job.worker = self.connections.worker(job.host, job.ctx.vars, job.ctx.task)
        return job.worker

    def status(self, job: JobHandle, mode: str = "status") -> dict[str, Any]:
        """async_status for one job over the host's open worker."""
        request = {"op": "run", "module": "async_status", "args": {"jid": job.jid, "mode": mode},
                   "check": job.ctx.check_mode, "env": job.ctx.environment, "async_dir": job.async_dir,
                   "no_invocation": True}
        return self._worker_for(job).call(request, timeout=CHECK_TIMEOUT)

    def finish_job(self, job: JobHandle, status: dict[str, Any]) -> dict[str, Any]:
        """The job is over: remove its file (as Ansible does) and hand back its result."""
        try:
            self.status(job, "cleanup")
        except Exception:
            pass  # the result is what matters; a leftover file is visible in `miniplay jobs list`
        # Ansible sets `failed` on every result a module returned, skipped ones included.
        status.setdefault("failed", bool(status.get("rc") not in (0, None)) if "rc" in status else False)
        return status

    def timed_out(self, job: JobHandle, problem: str | None) -> dict[str, Any]:
        """The async limit passed with the job still running (the target kills it now)."""
        message = f"async task did not complete within the requested time - {job.async_seconds}s"
        # An action failure (the [ERROR] block says "Action failed"), shown with `changed` as Ansible does.
        result: dict[str, Any] = {"changed": False, "failed": True, "msg": message, "_miniplay_action_failure": True}
        last = job.last_status
        if last is None:
            if problem:
                result["msg"] += f" (the last status check failed: {problem})"
            return result
        result["async_result"] = {k: v for k, v in last.items() if k not in ("changed", "invocation")
                                  and not (k == "failed" and not v)}
        return result

    def close(self) -> None:
        """Stop the poller (jobs on the targets run on: they outlive the controller)."""
        with self._lock:
            poller, self._poller = self._poller, None
        if poller is not None:
            poller.stop()
