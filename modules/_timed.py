"""A native module under the task's `timeout:`: run in a fork of the worker, killed at the deadline.

How this works
--------------
miniplay's own modules run inside the worker process, which must outlive every task. A
task with `timeout: N` instead forks the worker: the child makes its own process group,
runs the module as the worker would, and writes the result as JSON to a pipe; the parent
reads it until the deadline. A child still running then is killed with its whole process
group (the `sleep` a `command` started, too), and the task fails as Ansible's does:
`Task failed: Timed out after N second(s).` with `timedout: {period: N}`.

Standard library only: this file runs on the target.
"""
from __future__ import annotations

import json
import os
import selectors
import signal
import sys
import time
from typing import Any, Callable

TIMEOUT_FRAME = "Configure `DISPLAY_TRACEBACK` to see a traceback on timeout errors."


def run(request: dict[str, Any], runner: Callable[[dict[str, Any]], dict[str, Any]]) -> dict[str, Any]:
    """`runner(request)` in a child process, for at most `request["timeout"]` seconds."""
    timeout = request["timeout"]
    read_end, write_end = os.pipe()
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:
        os.close(read_end)
        _child(request, runner, write_end)
    os.close(write_end)
    try:
        os.setpgid(pid, pid)
    except OSError:
        pass  # the child did it first
    data, finished = _read(read_end, time.monotonic() + float(timeout))
    if not finished:
        for kill in (lambda: os.killpg(pid, signal.SIGKILL), lambda: os.kill(pid, signal.SIGKILL)):
            try:
                kill()
                break
            except OSError:
                continue
    os.waitpid(pid, 0)
    if not finished:
        return {"changed": False, "failed": True, "msg": f"Task failed: Timed out after {timeout} second(s).",
                "timedout": {"frame": TIMEOUT_FRAME, "period": timeout}}
    try:
        return json.loads(data.decode("utf-8"))
    except ValueError:
        return {"changed": False, "failed": True, "msg": "MODULE FAILURE: the module's process ended without a result"}


def _child(request: dict[str, Any], runner: Callable[[dict[str, Any]], dict[str, Any]], out: int) -> None:
    """Never returns: the child writes the module's result and exits without the worker's cleanup."""
    code = 0
    try:
        os.setpgid(0, 0)
        data = json.dumps(runner(request), default=str).encode("utf-8")
        while data:
            data = data[os.write(out, data):]
    except BaseException:  # noqa: B036 (nothing may escape into a copy of the worker)
        code = 1
    finally:
        os._exit(code)


def _read(fd: int, deadline: float) -> tuple[bytes, bool]:
    """Everything the child writes until it closes the pipe (True) or the deadline passes (False)."""
    chunks = []
    selector = selectors.DefaultSelector()
    selector.register(fd, selectors.EVENT_READ)
    finished = False
    try:
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            if not selector.select(left):
                continue
            chunk = os.read(fd, 1 << 16)
            if not chunk:
                finished = True
                break
            chunks.append(chunk)
    finally:
        selector.close()
        os.close(fd)
    return b"".join(chunks), finished
