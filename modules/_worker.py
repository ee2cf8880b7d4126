"""The per-host worker: one long-lived process on the target for the whole run.

How this works
--------------
The controller starts `python3 -c <bootstrap>` over the host's connection (a local
subprocess, or one SSH channel) and sends one JSON line holding this file's source.
From then on each task is one JSON request line and one JSON reply line; a request
carries the modules it needs that this worker does not hold yet. Modules run in this
process, so a task costs a function call, not a Python start-up.

A module arrives as compiled code (`marshal`, base64) when this interpreter reads the
same bytecode as the controller's (the `magic` in the ready line), else as source.
Compiling the handful of modules a typical play uses costs a worker 30-40 ms of CPU;
on 20 hosts that is most of a core for nothing, since the controller already holds
the compiled code in its own `__pycache__`.

The protocol streams are private copies of stdin/stdout; the real fds 0 and 1
point at /dev/null and stderr, so a module that prints cannot corrupt them.

Async jobs are forked from here (see `_jobs.py`): each job holds the write end
of a pipe whose read end sits in this loop, so the worker notices a job's end
the moment it happens and tells the controller with an unsolicited
`{"event": "job_end"}` line, instead of the controller polling a file.

Lean on purpose (one of these runs per host): the interpreter starts with `-S`, and
site-packages are set up only when an import needs them (`SiteOnDemand`); the controller
sends a module's source with the first request that runs it, and the source is dropped once
compiled; nothing heavier than json, os and select is imported before a module runs. When the
controller asks (`keep_stderr` false: a local worker's stderr pipe costs it a descriptor for
the whole run), the worker points its stderr at /dev/null once it has started, and a fatal
error is sent as a `{"event": "fatal"}` line instead.

Standard library only: this file runs on the target.
"""
from __future__ import annotations

import json
import marshal
import os
import select
import sys
from binascii import a2b_base64
from importlib._bootstrap_external import MAGIC_NUMBER
from importlib.machinery import ModuleSpec, PathFinder

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs a worker memory; annotations are strings here
    from typing import Any

PACKAGE = "miniplay.modules"
SOURCES: dict[str, str] = globals().get("SOURCES", {})
CODE: dict[str, str] = {}  # module name -> base64 of its marshalled code object
BOOT: dict[str, Any] = globals().get("BOOT", {})


class SourceFinder:
    """Serves `miniplay.modules.<name>` from the code or sources the controller sent (a meta path finder)."""

    def __init__(self, sources: dict[str, str], code: dict[str, str]) -> None:
        self.sources = sources
        self.code = code

    def find_spec(self, fullname, path=None, target=None):
        if fullname in ("miniplay", PACKAGE):
            return ModuleSpec(fullname, self, is_package=True)
        short = fullname[len(PACKAGE) + 1:] if fullname.startswith(PACKAGE + ".") else ""
        if short in self.code or short in self.sources:
            return ModuleSpec(fullname, self)
        return None

    def create_module(self, spec):
        return None

    def exec_module(self, module) -> None:
        name = module.__name__
        if name in ("miniplay", PACKAGE):
            module.__path__ = []
            return
        short = name[len(PACKAGE) + 1:]
        module.__file__ = f"<miniplay>/modules/{short}.py"
        if short in self.code:  # dropped once loaded, as the source is
            code = marshal.loads(a2b_base64(self.code.pop(short)))
        else:
            code = compile(self.sources.pop(short), module.__file__, "exec")
        exec(code, module.__dict__)


class SiteOnDemand:
    """Last on sys.meta_path: the first top-level import nothing else finds sets up
    site-packages (what `-S` skipped at start) and is looked up again."""

    def __init__(self) -> None:
        self.done = False

    def find_spec(self, fullname, path=None, target=None):
        if self.done or path is not None:
            return None
        enable_site()
        return PathFinder.find_spec(fullname)


_SITE_DONE: list[bool] = []


def enable_site() -> None:
    """Set up site-packages once, as an interpreter started without -S would have."""
    if _SITE_DONE:
        return
    _SITE_DONE.append(True)
    for finder in sys.meta_path:
        if isinstance(finder, SiteOnDemand):
            finder.done = True
    if sys.flags.no_site:
        import site

        site.main()


def install_sources(sources: dict[str, str], code: dict[str, str]) -> None:
    """Make the shipped modules importable; they win over any installed copy."""
    sys.meta_path.insert(0, SourceFinder(sources, code))
    sys.meta_path.append(SiteOnDemand())


def load_module(name: str):
    import importlib

    return importlib.import_module(f"{PACKAGE}.{name}")


def run_module(request: dict[str, Any]) -> dict[str, Any]:
    """Run one module in-process and return its result dict (never raises)."""
    if request.get("foreign"):  # a module written for Ansible: forked, see _foreign.py
        enable_site()
        return load_module("_foreign").run(request)
    if request.get("timeout"):  # the task's `timeout:`: in a fork, killed at the deadline (_timed.py)
        return load_module("_timed").run(request, lambda inner: run_module({**inner, "timeout": None}))
    common = load_module("_common")
    name = request["module"]
    args = dict(request.get("args") or {})
    ctx = common.ModuleContext(check_mode=bool(request.get("check")), diff=bool(request.get("diff")),
                               no_log=bool(request.get("no_log")), module_name=name,
                               async_dir=request.get("async_dir"), env=request.get("env") or {})
    params: dict[str, Any] = {}
    try:
        try:
            module = load_module(name)
        except ImportError:
            return {"failed": True, "msg": f"The module {name} was not found on the target"}
        params = common.validate_args(module.ARGUMENT_SPEC, args, request.get("label") or name,
                                      getattr(module, "MUTUALLY_EXCLUSIVE", ()),
                                      getattr(module, "REQUIRED_ONE_OF", ()),
                                      getattr(module, "REQUIRED_TOGETHER", ()))
        if ctx.check_mode and not getattr(module, "SUPPORTS_CHECK_MODE", False):
            label = request.get("label") or name
            reason = f"This action ({name}) does not support check mode." if label.startswith("ansible.legacy.") \
                else f"remote module ({label}) does not support check mode"
            return {"changed": False, "skipped": True, "msg": reason}
        result = module.main(params, ctx)
        if not isinstance(result, dict):
            result = {"failed": True, "msg": f"module {name} returned {type(result).__name__}, not a result"}
    except common.ModuleFailed as exc:
        result = exc.result
    except Exception as exc:  # a module bug must not kill the worker
        import traceback

        result = {"failed": True, "msg": f"MODULE FAILURE: {type(exc).__name__}: {exc}",
                  "exception": traceback.format_exc()}
    result.setdefault("changed", False)
    if ctx.warnings:
        result["warnings"] = result.get("warnings", []) + ctx.warnings
    if not request.get("no_invocation"):
        shown = {k: ("VALUE_SPECIFIED_IN_NO_LOG_PARAMETER" if _secret(module_spec(name), k) else v)
                 for k, v in (params or args).items() if not k.startswith("_miniplay")}
        result["invocation"] = {"module_args": shown}
    return result


def module_spec(name: str) -> dict:
    try:
        return load_module(name).ARGUMENT_SPEC
    except Exception:
        return {}


def _secret(spec: dict, key: str) -> bool:
    return bool(spec.get(key, {}).get("no_log"))


class Worker:
    """The request loop: requests from the controller, job-end notices from jobs."""

    def __init__(self, proto_in: int, proto_out: int) -> None:
        self.proto_in = proto_in
        self.proto_out = proto_out
        self.poller = select.poll()
        self.poller.register(proto_in, select.POLLIN)
        self.jobs: dict[int, str] = {}  # a job's end pipe -> its jid
        self.buffer = b""
        self.running = True

    def send(self, message: dict[str, Any]) -> None:
        data = (json.dumps(message, default=str) + "\n").encode()
        while data:
            written = os.write(self.proto_out, data)
            data = data[written:]

    def watch_job(self, fd: int, jid: str) -> None:
        self.jobs[fd] = jid
        self.poller.register(fd, select.POLLIN)

    def serve(self) -> None:
        while self.running:
            for fd, _ in self.poller.poll():
                if fd == self.proto_in:
                    self._read_requests()
                elif fd in self.jobs:
                    self._job_ended(fd, self.jobs[fd])

    def _job_ended(self, fd: int, jid: str) -> None:
        try:
            if os.read(fd, 4096):
                return
        except OSError:
            pass
        self.poller.unregister(fd)
        del self.jobs[fd]
        os.close(fd)
        self.send({"event": "job_end", "jid": jid})

    def _read_requests(self) -> None:
        chunk = os.read(self.proto_in, 1 << 16)
        if not chunk:
            self.running = False
            return
        self.buffer += chunk
        while b"\n" in self.buffer:
            line, self.buffer = self.buffer.split(b"\n", 1)
            if line.strip():
                self._handle(json.loads(line))

    def _handle(self, request: dict[str, Any]) -> None:
        op = request.get("op")
        SOURCES.update(request.pop("sources", None) or {})
        CODE.update(request.pop("code", None) or {})
        try:
            if op == "run":
                reply: dict[str, Any] = {"result": run_module(request)}
            elif op == "async" and request.get("foreign") and \
                    not load_module("_foreign").ensure_payload(request["foreign"]):
                reply = {"result": {"_miniplay_need_payload": request["foreign"]["hash"]}}
            elif op == "async":
                jobs = load_module("_jobs")
                reply = {"result": jobs.launch(request, self)}
            elif op == "exit":
                self.running = False
                reply = {"result": {}}
            else:
                reply = {"result": {"failed": True, "msg": f"unknown worker operation {op!r}"}}
        except Exception as exc:
            import traceback

            reply = {"result": {"failed": True, "msg": f"worker error: {type(exc).__name__}: {exc}",
                                "exception": traceback.format_exc()}}
        reply["id"] = request.get("id")
        self.send(reply)


def main() -> None:
    install_sources(SOURCES, CODE)
    proto_in = os.dup(0)
    proto_out = os.dup(1)
    devnull = os.open(os.devnull, os.O_RDWR)
    os.dup2(devnull, 0)
    os.dup2(2, 1)  # stray prints from modules go to stderr, never into the protocol
    sys.stdout = sys.stderr
    worker = Worker(proto_in, proto_out)
    # Only after this line does the controller send requests, so nothing it sends can be
    # stranded in sys.stdin's buffer (the bootstrap read the sources line through it).
    worker.send({"event": "ready", "pid": os.getpid(), "python": sys.executable,
                 "version": list(sys.version_info[:3]), "home": os.path.expanduser("~"),
                 "magic": MAGIC_NUMBER.hex()})
    if not BOOT.get("keep_stderr", True):  # the controller stops reading it: give its descriptor back
        os.dup2(devnull, 1)
        os.dup2(devnull, 2)
    os.close(devnull)
    try:
        worker.serve()
    except BaseException as exc:  # noqa: BLE001  (reported, then the worker ends as it would have)
        import traceback

        worker.send({"event": "fatal", "text": "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))})
        raise


if __name__ in ("__main__", "__miniplay_worker__"):
    main()
