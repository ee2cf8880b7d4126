"""Controller side of the per-host worker: start it once, then one request per task.

Requests carry an id; a reader thread matches replies to waiting callers, so the
strategy thread and the async poller can talk to the same worker at once.
Unsolicited `{"event": ...}` lines (a job ended) go to `on_event`.
"""
from __future__ import annotations

import importlib.util
import itertools
import json
import shlex
import threading
import time
from collections.abc import Callable
from typing import Any

from ..core.errors import ConnectionFailed
from ..core.registry import modules_dir
from .base import Connection, RemoteProcess
from .worker_sources import ModuleSources, sources_of

# The first line carries the worker's source and, keyed by the controller's bytecode magic
# number, its compiled code: an interpreter that reads that bytecode skips the compile.
BOOTSTRAP = (
    "import sys,json,marshal,binascii,importlib._bootstrap_external as e;"
    "d=json.loads(sys.stdin.buffer.readline());"
    "g={'__name__':'__miniplay_worker__','SOURCES':d['sources'],'BOOT':d};"
    "s=d['sources'].pop('_worker');c=d.pop('worker_code',{}).get(e.MAGIC_NUMBER.hex());"
    "exec(marshal.loads(binascii.a2b_base64(c)) if c else compile(s,'<miniplay>/modules/_worker.py','exec'),g)"
)
# -S: site-packages are set up by the worker only when an import needs them (a lean worker)
INTERPRETER_FLAGS = "-u -S"


class WorkerError(Exception):
    """The worker could not start or died; `detail` holds what it printed on stderr."""

    def __init__(self, message: str, detail: str = "", rc: int | None = None,
                 result: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.detail = detail
        self.rc = rc
        self.result = result  # the task result to show instead of a MODULE FAILURE (become)


def _start_line(sources: ModuleSources, keep_stderr: bool) -> bytes:
    """The first line a worker reads: its own source and code (the modules come with the requests that use them)."""
    line: dict[str, Any] = {"sources": {"_worker": sources.sources["_worker"]}, "keep_stderr": keep_stderr}
    code = sources.code_of("_worker")
    if code is not None:
        line["worker_code"] = {importlib.util.MAGIC_NUMBER.hex(): code}
    return (json.dumps(line) + "\n").encode()


class _Pending:
    __slots__ = ("event", "reply")

    def __init__(self) -> None:
        self.event = threading.Event()
        self.reply: dict[str, Any] | None = None


class WorkerClient:
    """One worker process on one host, shared by every task of the run on that host."""

    def __init__(self, connection: Connection, python: str, on_event: Callable[[dict], None] | None = None,
                 command_prefix: str = "", handshake: Callable[[RemoteProcess], object] | None = None) -> None:
        self.connection = connection
        self.handshake = handshake  # runs before the protocol starts (become's password prompt)
        self.python = python
        self.on_event = on_event
        self.command_prefix = command_prefix
        self._process: RemoteProcess | None = None
        self._pending: dict[int, _Pending] = {}
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self._write_lock = threading.Lock()
        self._stderr_tail = b""
        self._dead: str | None = None
        self.info: dict[str, Any] = {}
        self._ready = threading.Event()
        self.start_timeout = 60.0
        self._sources = sources_of(modules_dir())
        self._sent: set[str] = set()  # the module sources this worker already holds

    def start(self) -> None:
        command = f"{self.command_prefix}{shlex.quote(self.python)} {INTERPRETER_FLAGS} -c {shlex.quote(BOOTSTRAP)}"
        self._process = self.connection.start_process(command)
        if self.handshake is not None:
            self.handshake(self._process)
        threading.Thread(target=self._read_replies, name=f"worker-{self.connection.host}", daemon=True).start()
        self._stderr_reader = threading.Thread(target=self._drain_stderr, name=f"worker-err-{self.connection.host}",
                                               daemon=True)
        self._stderr_reader.start()
        try:
            self._write(_start_line(self._sources, self.connection.stderr_after_start))
        except OSError:
            pass  # the reader notices the death and reports it below
        if not self._ready.wait(self.start_timeout) or self._dead is not None:
            rc = self._exit_status() if self._dead is not None else None
            dropped = self._drop_reason(rc) if self._dead is not None else None
            if dropped:  # the connection went away while the worker started: the host is unreachable
                raise ConnectionFailed(dropped)
            raise WorkerError(self._dead or f"the worker did not start within {self.start_timeout}s",
                              self.stderr_text(), rc)

    def call(self, request: dict[str, Any], timeout: float | None = None) -> dict[str, Any]:
        """Send one request and wait for its reply's result."""
        pending = _Pending()
        with self._lock:
            if self._dead is not None:
                raise WorkerError(self._dead, self.stderr_text())
            request_id = next(self._ids)
            self._pending[request_id] = pending
        try:
            self._send_request({**request, "id": request_id})
        except OSError:
            pass
        if not pending.event.wait(timeout):
            raise WorkerError(f"no reply from the worker within {timeout}s")
        if pending.reply is None:
            rc = self._exit_status()
            dropped = self._drop_reason(rc)
            if dropped:  # the connection went away under the worker: the host is unreachable
                raise ConnectionFailed(dropped)
            raise WorkerError(self._dead or "the worker stopped", self.stderr_text(), rc)
        return pending.reply.get("result", {})

    def _exit_status(self) -> int | None:
        """The dead worker's exit code, once it is reaped and its stderr read to the end (the
        cause, e.g. `python3: not found` with 127, comes from both)."""
        if self._process is None:
            return None
        rc = self._process.wait(timeout=5)
        reader = getattr(self, "_stderr_reader", None)
        if reader is not None:
            reader.join(timeout=5)
        return rc

    def _drop_reason(self, rc: int | None) -> str | None:
        """Why the connection went away, when the worker ended because it did (None otherwise).

        A connection that says it dropped is asked again for up to a second when the worker left
        no exit status of its own (255, or none): the transport closes its channels before it
        marks itself inactive, so the worker's end can be seen a moment before the drop is."""
        if not hasattr(self.connection, "dropped"):
            return None
        deadline = time.monotonic() + (1.0 if rc in (None, 255) else 0.0)
        while True:
            dropped = getattr(self.connection, "dropped", None)
            if dropped or time.monotonic() >= deadline:
                return dropped
            time.sleep(0.02)

    @property
    def alive(self) -> bool:
        return self._dead is None

    def stderr_text(self) -> str:
        return self._stderr_tail.decode("utf-8", errors="replace")

    def close(self) -> None:
        """Stop the worker now and wait until it has gone (a reset, a dead worker replaced)."""
        process = self.ask_to_exit()
        if process is not None:
            process.terminate()

    def ask_to_exit(self) -> RemoteProcess | None:
        """Send the exit request and hand back the process, without waiting for it to go.

        The end of a run asks every worker at once, then waits for them together, each
        for a bounded time (`Connections.close_all`)."""
        process, self._process = self._process, None
        if process is not None and self._dead is None:
            try:
                with self._write_lock:
                    process.stdin.write(b'{"op": "exit", "id": 0}\n')
                    process.stdin.flush()
            except (OSError, ValueError):
                pass
        return process

    # ------------------------------------------------------------------ internals
    def _send_request(self, request: dict[str, Any]) -> None:
        """Write one request with the module sources it needs that this worker has not had yet
        (chosen and written under one lock, so a request never overtakes the sources it relies on)."""
        assert self._process is not None
        with self._write_lock:
            missing = self._sources.closure(self._sources.needed(request)) - self._sent
            if missing:
                request.update(self._sources.payload(sorted(missing), self.info.get("magic")))
                self._sent |= missing
            self._process.stdin.write((json.dumps(request, default=str) + "\n").encode())
            self._process.stdin.flush()

    def _write(self, data: bytes) -> None:
        assert self._process is not None
        with self._write_lock:
            self._process.stdin.write(data)
            self._process.stdin.flush()

    def _read_replies(self) -> None:
        process = self._process
        assert process is not None
        stream = process.stdout
        buffer = b""
        while True:
            try:
                chunk = stream.read1(1 << 16) if hasattr(stream, "read1") else stream.read(1 << 16)
            except (OSError, ValueError):
                chunk = b""
            if not chunk:
                break
            buffer += chunk
            while b"\n" in buffer:
                line, buffer = buffer.split(b"\n", 1)
                if line.strip():
                    self._dispatch(line)
        self._mark_dead("the worker process ended")

    def _dispatch(self, line: bytes) -> None:
        try:
            message = json.loads(line)
        except ValueError:
            return
        if message.get("event") == "ready":
            self.info = message
            self._ready.set()
            return
        if message.get("event") == "fatal":  # the worker's last words (its stderr is closed once started)
            self._stderr_tail = (self._stderr_tail + str(message.get("text", "")).encode())[-8192:]
            return
        if "event" in message:
            if self.on_event is not None:
                self.on_event(message)
            return
        with self._lock:
            pending = self._pending.pop(message.get("id"), None)
        if pending is not None:
            pending.reply = message
            pending.event.set()

    def _drain_stderr(self) -> None:
        process = self._process
        assert process is not None
        while True:
            try:
                chunk = process.stderr.read1(4096) if hasattr(process.stderr, "read1") else process.stderr.read(4096)
            except (OSError, ValueError):
                return
            if not chunk:
                break
            self._stderr_tail = (self._stderr_tail + chunk)[-8192:]
        try:  # the worker stopped writing to it (or ended): release the descriptor now
            process.stderr.close()
        except (OSError, ValueError):
            pass

    def _mark_dead(self, why: str) -> None:
        with self._lock:
            self._dead = why
            waiting = list(self._pending.values())
            self._pending.clear()
        for pending in waiting:
            pending.event.set()
        self._ready.set()
