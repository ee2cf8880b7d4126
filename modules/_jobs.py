"""Async jobs on the target: launch, supervise, deadline kill, and the job files.

How this works
--------------
`launch()` runs inside the per-host worker when the controller sends an
`{"op": "async"}` request. It forks twice, the way a daemon starts:

    worker ── fork ──> launcher (setsid: a new session) ── fork ──> supervisor
                       exits at once                                 │
                                                                     └─ fork ──> runner (own process group)

* The **supervisor** closes every inherited descriptor (so the job never holds the
  worker's protocol pipes or the SSH channel open), points stdin/stdout/stderr at
  /dev/null, makes itself a *child subreaper* (prctl PR_SET_CHILD_SUBREAPER) so that
  anything the job starts stays its descendant even after its parent exits, writes
  the first job file (`started`), forks the runner, then tells the worker "started"
  over a pipe. It waits for the runner's result on another pipe, or for the deadline.
* The **runner** puts itself in its own process group and runs the module in-process
  (the module sources are already importable: they came with the worker), then sends
  its result JSON to the supervisor and exits.
* The supervisor is the only writer of the job file, so there is no race between
  "the module finished" and "time is up". At the deadline it SIGKILLs the runner's
  process group and then every descendant it finds under /proc — including children
  that moved to another process group or session — and writes `Timeout exceeded`.
  SIGTERM (from `miniplay jobs kill`) does the same with another message.
* The worker keeps the read end of a third pipe whose write end only the supervisor
  holds: when the supervisor exits, the worker sees EOF at once and tells the
  controller (`{"event": "job_end"}`): a polled task or async_status join never waits.

Job files live at `<async dir>/<jid>` and are written atomically (temp file + rename)
in Ansible's format: first `{"started": true, "finished": false, "ansible_job_id": ...}`,
at the end the module's result as-is. Our extra facts (pids, times, task, command)
sit under one key, `_miniplay`, which our async_status strips and Ansible's ignores.

This file is also the private module `_jobs` behind `miniplay jobs` (list, status,
kill, clean): `main()` below. Standard library only: it runs on the target.
"""
from __future__ import annotations

import json
import os
import random
import select
import signal
import time
from typing import Any

from miniplay.modules._common import ModuleContext

DEFAULT_ASYNC_DIR = "~/.ansible_async"
META = "_miniplay"
STARTUP_TIMEOUT = 15.0
PR_SET_CHILD_SUBREAPER = 36
TEMP_PREFIX = ".miniplay-"
WATCH_UNPOLLED = 256  # poll: 0 jobs whose end the worker reports too (a join wakes on it)

ARGUMENT_SPEC = {
    "action": {"type": "str", "required": True, "choices": ["list", "status", "kill", "clean"]},
    "jids": {"type": "list", "elements": "str", "default": []},
    "older_than": {"type": "float"},
}
SUPPORTS_CHECK_MODE = True


class _Stop(Exception):
    """Raised in the supervisor by SIGTERM: stop the job now."""


# =========================================================================== paths and files
def async_dir(configured: str | None) -> str:
    """The job directory on this host: the controller's setting, `~` expanded here."""
    return os.path.expanduser(configured or os.environ.get("ANSIBLE_ASYNC_DIR") or DEFAULT_ASYNC_DIR)


def write_job_file(path: str, data: dict[str, Any]) -> None:
    """Temp file beside it, then rename: a reader sees the old content or the new, never half.

    No fsync: readers need atomicity, not durability across a power cut, and an fsync per
    launch would cost more than the rest of the launch together.
    """
    directory, name = os.path.split(path)
    tmp = os.path.join(directory, f"{TEMP_PREFIX}{name}.{os.getpid()}")
    data_bytes = (json.dumps(data, default=str) + "\n").encode()
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        view = memoryview(data_bytes)
        while view:
            view = view[os.write(fd, view):]
        os.close(fd)
        fd = -1
        os.replace(tmp, path)
    except BaseException:
        if fd >= 0:
            os.close(fd)
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def read_job_file(path: str) -> tuple[dict[str, Any] | None, bool]:
    """(data, exists): data is None when the file is missing, empty or not JSON."""
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    except FileNotFoundError:
        return None, False
    except OSError:
        return None, True
    try:
        data = json.loads(text)
    except ValueError:
        return None, True
    return (data if isinstance(data, dict) else None), True


def _proc_start_ticks(pid: int) -> int | None:
    """The process's start time in clock ticks since boot (tells a live pid from a reused one)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            fields = handle.read().rsplit(b")", 1)[1].split()
        return int(fields[19])
    except (OSError, IndexError, ValueError):
        return None


def _alive(pid: int | None, ticks: int | None) -> bool:
    if not pid:
        return False
    if ticks is not None and os.path.isdir("/proc"):
        return _proc_start_ticks(pid) == ticks
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


# =========================================================================== launch (in the worker)
def _describe(request: dict[str, Any]) -> str | None:
    """The command line for `miniplay jobs list`; never for no_log tasks, never module secrets."""
    if request.get("no_log"):
        return None
    args = request.get("args") or {}
    if request.get("module") in ("command", "shell"):
        text = args.get("_raw_params") or args.get("cmd")
        if not text and args.get("argv"):
            text = " ".join(str(a) for a in args["argv"])
        return str(text) if text else None
    return None


def launch(request: dict[str, Any], worker: Any) -> dict[str, Any]:
    """Start the module as a detached job; return Ansible's launch result at once."""
    try:
        seconds = int(request.get("async") or 0)
    except (TypeError, ValueError):
        return {"failed": True, "msg": f"async must be a positive integer, got {request.get('async')!r}"}
    if seconds <= 0:
        return {"failed": True, "msg": f"async must be a positive integer, got {seconds}"}
    directory = async_dir(request.get("async_dir"))
    try:
        os.makedirs(directory, mode=0o700, exist_ok=True)
    except OSError as exc:
        return {"failed": True, "msg": f"could not create directory: {directory} - {exc}"}
    if not os.path.isdir(directory):
        return {"failed": True, "msg": f"could not create directory: {directory} - it exists and is not a directory"}
    if not os.access(directory, os.W_OK | os.X_OK):
        return {"failed": True, "msg": f"the async directory {directory} is not writable by "
                                       f"uid {os.getuid()}: no job was started"}
    prefix = f"j{random.SystemRandom().randrange(999999999999)}"
    start_r, start_w = os.pipe()
    end_r, end_w = os.pipe()
    pid = os.fork()
    if pid == 0:  # the launcher: a new session, then the supervisor, then gone
        code = 1
        try:
            os.close(start_r)
            os.close(end_r)
            os.setsid()
            jid = f"{prefix}.{os.getpid()}"
            if os.fork() == 0:
                _supervise(request, jid, os.path.join(directory, jid), seconds, start_w, end_w)
            code = 0
        finally:
            os._exit(code)
    os.close(start_w)
    os.close(end_w)
    os.waitpid(pid, 0)
    jid = f"{prefix}.{pid}"
    path = os.path.join(directory, jid)
    reply = _read_line(start_r, STARTUP_TIMEOUT)
    os.close(start_r)
    if reply != "ok":
        os.close(end_r)
        why = reply[len("error:"):].strip() if reply.startswith("error:") else \
            f"the job did not start within {STARTUP_TIMEOUT:.0f}s" if reply == "" else reply
        return {"failed": True, "msg": f"could not start the async job: {why}"}
    if worker is not None and (request.get("watch", True) or len(worker.jobs) < WATCH_UNPOLLED):
        worker.watch_job(end_r, jid)   # the worker reports the job's end at once (polled tasks, joins)
    else:
        os.close(end_r)                # many fire-and-forget jobs: hold no descriptor for them
    return {"failed": False, "started": True, "finished": False, "ansible_job_id": jid, "results_file": path}


MAX_SELECT_WAIT = 86400.0  # seconds; far below every platform's select() limit


def _read_line(fd: int, timeout: float) -> str:
    data = b""
    deadline = time.monotonic() + timeout
    while b"\n" not in data:
        left = deadline - time.monotonic()
        if left <= 0:
            break
        ready, _, _ = select.select([fd], [], [], left)
        if not ready:
            break
        chunk = os.read(fd, 4096)
        if not chunk:
            break
        data += chunk
    return data.split(b"\n", 1)[0].decode("utf-8", errors="replace").strip()


# =========================================================================== the supervisor
def _detach(keep: set[int]) -> None:
    """Standard streams to /dev/null; close every other inherited descriptor."""
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)
    if devnull > 2:
        os.close(devnull)
    try:
        fds = [int(name) for name in os.listdir("/proc/self/fd")]
    except OSError:
        fds = list(range(3, 1024))
    for fd in fds:
        if fd > 2 and fd not in keep:
            try:
                os.close(fd)
            except OSError:
                pass


def _become_subreaper() -> bool:
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0
    except Exception:
        return False


def _on_sigterm(signum: int, frame: Any) -> None:
    raise _Stop()


def _supervise(request: dict[str, Any], jid: str, path: str, seconds: int, start_w: int, end_w: int) -> None:
    """Run the job to its end or its deadline, then write the final job file. Never returns."""
    try:
        started = time.time()
        deadline = started + seconds
        _detach({start_w, end_w})
        os.umask(0o022)
        signal.signal(signal.SIGTERM, _on_sigterm)
        signal.signal(signal.SIGHUP, signal.SIG_IGN)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)
        subreaper = _become_subreaper()
        meta = {"pid": os.getpid(), "pid_start": _proc_start_ticks(os.getpid()), "start": started,
                "deadline": deadline, "async": seconds, "task": request.get("task"),
                "module": request.get("module"), "command": _describe(request), "check": bool(request.get("check")),
                "subreaper": subreaper}
        result_r, result_w = os.pipe()
        go_r, go_w = os.pipe()
        child = os.fork()
        if child == 0:
            _run_job(request, result_w, go_r, {start_w, end_w, result_r, go_w})
        os.close(result_w)
        os.close(go_r)
        try:
            os.setpgid(child, child)
        except OSError:
            pass  # the runner did it first; either way it leads its own group
        meta.update(child_pid=child, pgid=child)
        try:
            write_job_file(path, {"started": True, "finished": False, "ansible_job_id": jid, META: meta})
        except OSError as exc:
            # The runner is still waiting for "go": closing the pipe ends it before the module runs.
            os.close(go_w)
            _reap(child)
            _say(start_w, f"error: could not write the job file {path}: {exc}")
            os._exit(1)
        outcome = "finished"
        data: bytes | None = None
        try:
            os.write(go_w, b"g")
            os.close(go_w)
            _say(start_w, "ok")
            os.close(start_w)
            data = _collect(result_r, deadline)
            if data is None:
                outcome = "timeout"
        except _Stop:
            outcome = "killed"
        # From here on nothing may interrupt the final write.
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM})
        if outcome == "finished":
            status = _reap(child)
            result = _parse_result(data, status, jid)
        else:
            _kill_tree(child)
            if outcome == "timeout":
                result = {"msg": "Timeout exceeded", "failed": True, "child_pid": child}
            else:
                result = {"msg": "Job killed by 'miniplay jobs kill'", "failed": True, "child_pid": child}
        meta.update(end=time.time(), state=outcome)
        result[META] = meta
        write_job_file(path, result)
    except BaseException:
        pass
    finally:
        os._exit(0)


def _say(fd: int, text: str) -> None:
    try:
        os.write(fd, (text + "\n").encode())
    except OSError:
        pass


def _collect(fd: int, deadline: float) -> bytes | None:
    """The runner's result bytes, or None when the deadline came first."""
    chunks: list[bytes] = []
    while True:
        left = deadline - time.time()
        if left <= 0:
            return None
        # select() refuses timeouts past what the OS can wait (async: 10000000000 overflows):
        # wait at most a day at a time and look at the clock again
        ready, _, _ = select.select([fd], [], [], min(left, MAX_SELECT_WAIT))
        if not ready:
            continue
        chunk = os.read(fd, 1 << 16)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)


def _reap(child: int) -> int:
    try:
        _, status = os.waitpid(child, 0)
        return status
    except ChildProcessError:
        return 0


def _parse_result(data: bytes | None, status: int, jid: str) -> dict[str, Any]:
    try:
        result = json.loads(data or b"")
        if isinstance(result, dict):
            return result
    except ValueError:
        pass
    if os.WIFSIGNALED(status):
        why = f"the job's process was killed by signal {os.WTERMSIG(status)}"
    else:
        why = f"the job's process exited with status {os.WEXITSTATUS(status)} and no result"
    return {"failed": True, "msg": why, "ansible_job_id": jid,
            "data": (data or b"").decode("utf-8", errors="replace")}


def _run_job(request: dict[str, Any], result_w: int, go_r: int, close: set[int]) -> None:
    """The runner: own process group, wait for "go", run the module, hand the result over.

    Never returns. "go" comes once the job file exists, so a job whose file could not be
    written never runs its module.
    """
    try:
        try:
            os.setpgid(0, 0)
        except OSError:
            pass
        for fd in close:
            try:
                os.close(fd)
            except OSError:
                pass
        for sig in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
            signal.signal(sig, signal.SIG_DFL)
        if os.read(go_r, 1) != b"g":
            os._exit(1)
        os.close(go_r)
        from miniplay.modules._worker import run_module

        job = {k: request.get(k) for k in ("module", "args", "check", "diff", "no_log", "env", "async_dir",
                                           "foreign")}
        job["in_job"] = True
        try:
            result = run_module(job)
        except BaseException as exc:  # run_module never raises, but a job must always answer
            result = {"failed": True, "msg": f"MODULE FAILURE: {type(exc).__name__}: {exc}"}
        data = json.dumps(result, default=str).encode()
        while data:
            written = os.write(result_w, data)
            data = data[written:]
    finally:
        os._exit(0)


def _process_table() -> dict[int, tuple[int, str]]:
    """pid -> (ppid, state) for every process we can see."""
    table: dict[int, tuple[int, str]] = {}
    try:
        names = os.listdir("/proc")
    except OSError:
        return table
    for name in names:
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as handle:
                fields = handle.read().rsplit(b")", 1)[1].split()
            table[int(name)] = (int(fields[1]), fields[0].decode())
        except (OSError, IndexError, ValueError):
            continue
    return table


def descendants(root: int) -> list[int]:
    """Every live (non-zombie) process below `root`, parents before children."""
    table = _process_table()
    children: dict[int, list[int]] = {}
    for pid, (ppid, _state) in table.items():
        children.setdefault(ppid, []).append(pid)
    found: list[int] = []
    queue = list(children.get(root, []))
    while queue:
        pid = queue.pop(0)
        if table.get(pid, (0, "Z"))[1] not in ("Z", "X"):
            found.append(pid)
        queue.extend(children.get(pid, []))
    return found


def _kill_tree(child: int) -> None:
    """SIGKILL the runner's group, then every descendant, until none is left."""
    me = os.getpid()
    for _ in range(100):
        try:
            os.killpg(child, signal.SIGKILL)
        except OSError:
            pass
        victims = descendants(me)
        for pid in victims:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        _reap_all()
        if not victims:
            break
        time.sleep(0.005)
    _reap_all()


def _reap_all() -> None:
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


# =========================================================================== `miniplay jobs` on the target
def job_summary(path: str) -> dict[str, Any]:
    """One job file as `miniplay jobs` shows it: state, times, task, command."""
    jid = os.path.basename(path)
    data, exists = read_job_file(path)
    try:
        mtime = os.stat(path).st_mtime
    except OSError:
        mtime = None
    summary: dict[str, Any] = {"jid": jid, "results_file": path, "mtime": mtime}
    if data is None:
        summary["state"] = "running" if exists else "missing"
        return summary
    meta = data.get(META) or {}
    summary.update({k: meta.get(k) for k in ("pid", "pgid", "start", "deadline", "end", "async", "task",
                                             "module", "command")})
    if "started" in data:
        if not data.get("finished") and meta.get("pid") and not _alive(meta.get("pid"), meta.get("pid_start")):
            summary["state"] = "lost"
        else:
            summary["state"] = "finished" if data.get("finished") else "running"
        return summary
    if meta.get("state") == "killed":
        summary["state"] = "killed"
    elif data.get("msg") == "Timeout exceeded":
        summary["state"] = "timeout"
    elif data.get("failed"):
        summary["state"] = "failed"
    elif data.get("skipped"):
        summary["state"] = "skipped"
    else:
        summary["state"] = "changed" if data.get("changed") else "ok"
    summary["rc"] = data.get("rc")
    summary["msg"] = data.get("msg")
    return summary


def status_of(directory: str, jid: str) -> dict[str, Any]:
    """What async_status would say, plus the summary (for `jobs status` / `jobs wait`)."""
    from miniplay.modules.async_status import job_status

    path = os.path.join(directory, jid)
    return {"summary": job_summary(path), "result": job_status(directory, jid)}


def kill_job(directory: str, jid: str, grace: float = 5.0) -> dict[str, Any]:
    """Stop a running job and everything it started; the job file then says so."""
    path = os.path.join(directory, jid)
    data, exists = read_job_file(path)
    if not exists:
        return {"jid": jid, "killed": False, "msg": "could not find job"}
    if data is not None and "started" not in data:
        return {"jid": jid, "killed": False, "msg": "the job had already finished"}
    meta = (data or {}).get(META) or {}
    pid, ticks = meta.get("pid"), meta.get("pid_start")
    if pid and _alive(pid, ticks):
        os.kill(pid, signal.SIGTERM)
        deadline = time.time() + grace
        while time.time() < deadline:
            latest, _ = read_job_file(path)
            if latest is not None and "started" not in latest:
                return {"jid": jid, "killed": True, "msg": latest.get("msg")}
            time.sleep(0.05)
        return {"jid": jid, "killed": False, "msg": f"the supervisor (pid {pid}) did not stop within {grace}s"}
    # No supervisor (it died, or the job was not started by miniplay): kill the group we know of.
    pgid = meta.get("pgid")
    if pgid:
        try:
            os.killpg(pgid, signal.SIGKILL)
        except OSError:
            pass
    if not meta:
        return {"jid": jid, "killed": False,
                "msg": "the job file has no process information (not started by miniplay?)"}
    meta.update(end=time.time(), state="killed")
    write_job_file(path, {"msg": "Job killed by 'miniplay jobs kill'", "failed": True,
                          "child_pid": meta.get("child_pid"), META: meta})
    return {"jid": jid, "killed": True, "msg": "Job killed by 'miniplay jobs kill'"}


def clean_jobs(directory: str, older_than: float | None) -> dict[str, Any]:
    """Remove the files of jobs that are over (never running ones), and stale temp files."""
    removed: list[str] = []
    kept_running = 0
    now = time.time()
    try:
        names = sorted(os.listdir(directory))
    except FileNotFoundError:
        return {"removed": [], "running": 0}
    for name in names:
        path = os.path.join(directory, name)
        if not os.path.isfile(path):
            continue
        if name.startswith(TEMP_PREFIX):
            try:
                if now - os.stat(path).st_mtime > 60:
                    os.unlink(path)
            except OSError:
                pass
            continue
        summary = job_summary(path)
        if summary["state"] == "running":
            kept_running += 1
            continue
        ended = summary.get("end") or summary.get("mtime") or now
        if older_than is not None and now - ended < older_than:
            continue
        try:
            os.unlink(path)
            removed.append(name)
        except OSError:
            pass
    return {"removed": removed, "running": kept_running}


def main(args: dict[str, Any], ctx: ModuleContext) -> dict[str, Any]:
    directory = async_dir(ctx.async_dir)
    action = args["action"]
    if action == "list":
        try:
            names = sorted(n for n in os.listdir(directory) if not n.startswith("."))
        except FileNotFoundError:
            names = []
        jobs = [job_summary(os.path.join(directory, n)) for n in names
                if os.path.isfile(os.path.join(directory, n))]
        return {"changed": False, "async_dir": directory, "jobs": jobs}
    if action == "status":
        return {"changed": False, "async_dir": directory, "jobs": [status_of(directory, j) for j in args["jids"]]}
    if action == "kill":
        return {"changed": True, "async_dir": directory, "jobs": [kill_job(directory, j) for j in args["jids"]]}
    cleaned = clean_jobs(directory, args.get("older_than"))
    return {"changed": bool(cleaned["removed"]), "async_dir": directory, **cleaned}
