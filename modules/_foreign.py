"""Foreign modules on the target: a module written for Ansible, run the way Ansible runs it.

How this works
--------------
miniplay's own modules are functions the worker calls. A *foreign* module — a file from
`library/`, a collection, or the user's installed ansible-core — is a program: it reads
its arguments (a JSON file, a key=value file) and prints one JSON result. The controller
sends its *payload* (the module file and, for new-style Python modules, every
`ansible.module_utils` / collection `module_utils` file it imports, taken from the user's
own installation) once per run per host, named by a content hash; this file keeps it
under `~/.ansible/tmp/miniplay-payloads/<hash>/`, so a later run sends nothing at all.

Each task then forks the worker (no Python start-up): the child puts the payload first
on `sys.path`, points fds 1 and 2 at pipes, and runs the module as `__main__` — a
new-style module through ansible-core's own AnsiballZ entry point when the shipped
module_utils have it, else with the arguments file in `argv[1]` (which every
`AnsibleModule` reads). Modules that are not Python (a shell script, a binary) are
exec'd with the arguments file, as Ansible does. The parent collects stdout and stderr,
kills the child's process group at the task's `timeout:`, and turns what came back into
a result the way Ansible's action base does: the JSON object in the output (junk after
it becomes a warning), or `Module result deserialization failed` with `module_stdout`,
`module_stderr` and `rc`.

Standard library only: this file runs on the target.
"""
from __future__ import annotations

import base64
import json
import os
import runpy  # imported here, in the worker, so a forked child does not pay for it per task
import selectors
import shlex
import shutil
import signal
import sys
import tempfile
import time
from typing import Any

PAYLOAD_ROOT = "~/.ansible/tmp/miniplay-payloads"
# ansible-core code imported once into the worker itself, so every fork starts with it loaded
PRELOAD = ("ansible.module_utils.basic", "ansible.module_utils._internal._ansiballz._loader",
           "ansible.module_utils._internal._json._profiles._module_legacy_c2m",
           "ansible.module_utils._internal._json._profiles._module_legacy_m2c")
_preloaded: dict[str, bool] = {}
TIMEOUT_FRAME = "Configure `DISPLAY_TRACEBACK` to see a traceback on timeout errors."
# What a shell prints for a child killed by these signals (Ansible runs modules under sh).
SHELL_SIGNAL_WORDS: dict[int, str] = {int(signal.SIGKILL): "Killed", int(signal.SIGTERM): "Terminated",
                                      int(signal.SIGSEGV): "Segmentation fault", int(signal.SIGABRT): "Aborted",
                                      int(signal.SIGINT): "", int(signal.SIGPIPE): ""}


# =========================================================================== the payload cache
def payload_dir(spec: dict[str, Any]) -> str:
    return os.path.join(os.path.expanduser(spec.get("root") or PAYLOAD_ROOT), spec["hash"])


def ensure_payload(spec: dict[str, Any]) -> bool:
    """True when the payload is on disk (written now from `spec["files"]` if they came)."""
    target = payload_dir(spec)
    if os.path.isfile(os.path.join(target, ".complete")):
        return True
    files = spec.get("files")
    if not files:
        return False
    parent = os.path.dirname(target)
    os.makedirs(parent, mode=0o700, exist_ok=True)
    staging = tempfile.mkdtemp(prefix=".incoming-", dir=parent)
    try:
        for rel, entry in files.items():
            path = os.path.join(staging, rel)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            data = base64.b64decode(entry["b64"]) if "b64" in entry else entry["text"].encode("utf-8", "surrogateescape")
            with open(path, "wb") as handle:
                handle.write(data)
            if entry.get("exec"):
                os.chmod(path, 0o700)
        with open(os.path.join(staging, ".complete"), "w") as handle:
            handle.write(spec["hash"] + "\n")
        try:
            os.rename(staging, target)
        except OSError:  # another worker won the race: its copy is the same bytes
            shutil.rmtree(staging, ignore_errors=True)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return os.path.isfile(os.path.join(target, ".complete"))


# =========================================================================== arguments
def internal_args(spec: dict[str, Any], request: dict[str, Any], tmpdir: str) -> dict[str, Any]:
    """The `_ansible_*` arguments AnsibleModule reads, in the order Ansible sends them."""
    values = {"_ansible_check_mode": bool(request.get("check")), "_ansible_no_log": bool(request.get("no_log")),
              "_ansible_debug": False, "_ansible_diff": bool(request.get("diff")),
              "_ansible_verbosity": int(spec.get("verbosity") or 0), "_ansible_version": spec.get("version", ""),
              "_ansible_module_name": spec.get("name", ""), "_ansible_syslog_facility": "LOG_USER",
              "_ansible_selinux_special_fs": ["fuse", "nfs", "vboxsf", "ramfs", "9p", "vfat"],
              "_ansible_socket": None, "_ansible_shell_executable": "/bin/sh", "_ansible_keep_remote_files": False,
              "_ansible_tmpdir": tmpdir.rstrip("/") + "/", "_ansible_remote_tmp": "~/.ansible/tmp",
              "_ansible_ignore_unknown_opts": False, "_ansible_target_log_info": None,
              "_ansible_tracebacks_for": []}
    if spec.get("version_tuple_old"):  # ansible-core before 2.19 does not know this one
        values.pop("_ansible_tracebacks_for")
    return values


def args_text(style: str, args: dict[str, Any], internal: dict[str, Any]) -> str:
    """The arguments as the module expects them: JSON for new-style and WANT_JSON, k=v for old-style."""
    if style == "new":
        return json.dumps({"ANSIBLE_MODULE_ARGS": {**args, **internal}}, default=str)
    merged = {**args, **internal}
    if style in ("want_json", "binary"):
        return json.dumps(merged, default=str)
    return "".join(f"{k}={shlex.quote(_py_text(v))} " for k, v in merged.items())


def _py_text(value: Any) -> str:
    """str() as Python 3 on the controller writes it (Ansible's old-style args are str(v))."""
    return str(value)


# =========================================================================== running
def run(request: dict[str, Any]) -> dict[str, Any]:
    """Run one foreign module for a task and return its result (never raises)."""
    spec = request["foreign"]
    if not ensure_payload(spec):
        return {"_miniplay_need_payload": spec["hash"]}
    base = payload_dir(spec)
    tmp_root = os.path.expanduser("~/.ansible/tmp")
    os.makedirs(tmp_root, mode=0o700, exist_ok=True)
    tmpdir = tempfile.mkdtemp(prefix="ansible-tmp-miniplay-", dir=tmp_root)
    try:
        args = dict(request.get("args") or {})
        style = spec["style"]
        args_path = os.path.join(tmpdir, "args")
        with open(args_path, "w", encoding="utf-8") as handle:
            handle.write(args_text(style, args, internal_args(spec, request, tmpdir)))
        timeout = request.get("timeout") or 0
        if style == "new":
            preload(base)
        rc, out, err, timed_out = _execute(spec, base, args_path, request.get("env") or {}, float(timeout))
        if timed_out:
            return {"changed": False, "failed": True, "msg": f"Task failed: Timed out after {timeout} second(s).",
                    "timedout": {"frame": TIMEOUT_FRAME, "period": timeout}}
        result = parse_output(out, err, rc)
        if request.get("in_job"):  # Ansible's async wrapper hands back the module's streams too
            result.setdefault("stdout", "")
            result.setdefault("stderr", err)
        return result
    finally:
        shutil.rmtree(tmpdir, ignore_errors=True)


def preload(base: str) -> None:
    """Import AnsibleModule's code into the worker once, so a fork does not import it per task.

    Only modules of the user's ansible-core that every new-style module loads are taken; a
    later payload's own files still win for anything else (see `_adopt_payload`).
    """
    if _preloaded.get("done"):
        return
    _preloaded["done"] = True
    import importlib

    sys.path.insert(0, base)
    try:
        for name in PRELOAD:
            try:
                importlib.import_module(name)
            except Exception:
                return
        try:  # one decode and one encode: the serialization profiles finish loading lazily
            codec = importlib.import_module("ansible.module_utils.common.json")
            json.loads('{"a": [1]}', cls=codec.get_module_decoder("legacy", codec.Direction.CONTROLLER_TO_MODULE))
            json.dumps({"a": [1]}, cls=codec.get_module_encoder("legacy", codec.Direction.MODULE_TO_CONTROLLER))
        except Exception:
            pass
        import gc

        gc.freeze()  # the preloaded objects are never scanned by a child's collector: fewer copied pages
    finally:
        sys.path.remove(base)


def _adopt_payload(base: str) -> None:
    """In the child: packages the worker preloaded look in this payload first for the rest."""
    for name, module in list(sys.modules.items()):
        path = getattr(module, "__path__", None)
        if path is None or not (name == "ansible" or name.startswith(("ansible.", "ansible_collections"))):
            continue
        candidate = os.path.join(base, *name.split("."))
        if os.path.isdir(candidate) and candidate not in path:
            try:
                path.insert(0, candidate)
            except AttributeError:
                pass


def parse_output(out: str, err: str, rc: int) -> dict[str, Any]:
    """The module's JSON result, or Ansible's deserialization failure."""
    try:
        text, warnings = _json_part(out)
        data = json.loads(text)
        if not isinstance(data, dict):
            raise ValueError(f"the module printed a JSON {type(data).__name__}, not an object")
    except ValueError as exc:
        why = str(exc).split(":", 1)[0] if "Expecting" in str(exc) else str(exc)
        message = f"Module result deserialization failed: {why}"
        return {"changed": False, "failed": True, "msg": message, "module_stdout": out, "module_stderr": err,
                "rc": rc, "_miniplay_cause": message + " See stdout/stderr for the returned output."}
    if warnings:
        data["warnings"] = list(data.get("warnings") or []) + warnings
    summary = data.get("exception")
    if isinstance(summary, dict) and isinstance(summary.get("event"), dict):
        # ansible-core 2.19 reports an exception raised in a module as an ErrorSummary
        data.pop("exception")
        data.setdefault("msg", f"Task failed: Module failed: {summary['event'].get('msg', '')}")
    return _without_internal_keys(data)


def _without_internal_keys(value: Any) -> Any:
    """Ansible drops `_ansible_*` keys from what a module returns, at any depth."""
    if isinstance(value, dict):
        return {k: _without_internal_keys(v) for k, v in value.items()
                if not (isinstance(k, str) and k.startswith("_ansible_"))}
    if isinstance(value, list):
        return [_without_internal_keys(v) for v in value]
    return value


def _json_part(data: str) -> tuple[str, list[str]]:
    """Drop lines before the first one starting with `{` and after the last one ending with `}`."""
    lines = data.splitlines()
    start = next((i for i, line in enumerate(lines) if line.strip().startswith("{")), None)
    if start is None:
        raise ValueError("No start of json char found")
    lines = lines[start:]
    back = next((i for i, line in enumerate(reversed(lines)) if line.strip().endswith("}")), None)
    if back is None:
        raise ValueError("No end of json char found")
    warnings = []
    if back:
        junk = lines[len(lines) - back:]
        if any(line.strip() for line in junk):
            warnings.append("Module invocation had junk after the JSON data: " + "\n".join(junk))
    return "\n".join(lines[:len(lines) - back]), warnings


def _execute(spec: dict[str, Any], base: str, args_path: str, env: dict[str, Any],
             timeout: float) -> tuple[int, str, str, bool]:
    """Fork, run the module in the child, collect (rc, stdout, stderr, timed_out)."""
    out_r, out_w = os.pipe()
    err_r, err_w = os.pipe()
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:
        os.close(out_r)
        os.close(err_r)
        _child(spec, base, args_path, env, out_w, err_w)
    os.close(out_w)
    os.close(err_w)
    try:
        os.setpgid(pid, pid)
    except OSError:
        pass
    out, err, status, timed_out = _collect(pid, out_r, err_r, timeout)
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        word = SHELL_SIGNAL_WORDS.get(sig, f"Signal {sig}")
        err += f"{word}\n".encode() if word else b""
        rc = 128 + sig
    else:
        rc = os.WEXITSTATUS(status)
    return rc, out.decode("utf-8", "replace"), err.decode("utf-8", "replace"), timed_out


def _collect(pid: int, out_r: int, err_r: int, timeout: float) -> tuple[bytes, bytes, int, bool]:
    """Read both pipes to the end (or the deadline), then reap the child."""
    chunks: dict[int, list[bytes]] = {out_r: [], err_r: []}
    selector = selectors.DefaultSelector()
    for fd in (out_r, err_r):
        selector.register(fd, selectors.EVENT_READ)
    deadline = time.monotonic() + timeout if timeout > 0 else None
    status: int | None = None
    exited_at: float | None = None
    timed_out = False
    open_fds = 2
    while open_fds:
        now = time.monotonic()
        if deadline is not None and now >= deadline and status is None:
            timed_out = True
            _kill_group(pid)
            break
        # a module that leaves a background process holding its stdout: stop soon after it exits
        if exited_at is not None and now - exited_at > 0.5:
            break
        wait = 0.1 if status is not None or deadline is not None else 1.0
        if deadline is not None:
            wait = max(0.0, min(wait, deadline - now))
        for key, _ in selector.select(wait):
            data = os.read(key.fd, 1 << 16)
            if data:
                chunks[key.fd].append(data)
            else:
                selector.unregister(key.fd)
                open_fds -= 1
        if status is None:
            done, code = os.waitpid(pid, os.WNOHANG)
            if done:
                status, exited_at = code, time.monotonic()
    selector.close()
    os.close(out_r)
    os.close(err_r)
    if status is None:
        _, status = os.waitpid(pid, 0)
    return b"".join(chunks[out_r]), b"".join(chunks[err_r]), status, timed_out


def _kill_group(pid: int) -> None:
    for target in (lambda: os.killpg(pid, signal.SIGKILL), lambda: os.kill(pid, signal.SIGKILL)):
        try:
            target()
        except OSError:
            pass


def _child(spec: dict[str, Any], base: str, args_path: str, env: dict[str, Any], out_w: int, err_w: int) -> None:
    """In the forked child: own process group, fresh streams, the module as __main__. Never returns."""
    code = 1
    try:
        os.setpgid(0, 0)
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        os.dup2(out_w, 1)
        os.dup2(err_w, 2)
        for fd in _inherited_fds():
            if fd > 2:
                try:
                    os.close(fd)
                except OSError:
                    pass
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)
        for sig in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
            signal.signal(sig, signal.SIG_DFL)
        os.environ.update({str(k): str(v) for k, v in env.items()})
        sys.stdin = open(0, closefd=False)
        sys.stdout = open(1, "w", buffering=1, closefd=False)  # line-buffered: a killed module still shows its lines
        sys.stderr = open(2, "w", closefd=False)
        module_path = os.path.join(base, spec["file"])
        if spec.get("exec"):
            os.execv(module_path, [module_path, args_path])
        code = _run_python(spec, base, module_path, args_path)
    except SystemExit as exc:
        code = _exit_code(exc)
    except BaseException:
        import traceback

        try:
            traceback.print_exc()
        except BaseException:
            pass
        code = 1
    finally:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except BaseException:
                pass
        os._exit(code)


def _inherited_fds() -> list[int]:
    try:
        return [int(name) for name in os.listdir("/proc/self/fd")]
    except OSError:
        return list(range(3, 256))


def _exit_code(exc: SystemExit) -> int:
    if exc.code is None:
        return 0
    if isinstance(exc.code, int):
        return exc.code
    try:
        sys.stderr.write(f"{exc.code}\n")
    except BaseException:
        pass
    return 1


def _run_python(spec: dict[str, Any], base: str, module_path: str, args_path: str) -> int:
    """The module as `__main__` in this (forked) interpreter, its payload first on sys.path."""
    sys.path.insert(0, base)
    if spec["style"] == "new" and _preloaded.get("done"):
        _adopt_payload(base)  # AnsibleModule is already loaded (preload); the rest from this payload
    else:
        for name in [n for n in sys.modules if n == "ansible" or n.startswith(("ansible.", "ansible_collections"))]:
            del sys.modules[name]  # an old-style module gets no ansible the worker imported
    sys.argv = [module_path, args_path]
    if spec["style"] != "new":  # a script: compiled and run as __main__ (what run_path does, minus its lookups)
        with open(module_path, "rb") as handle:
            code = compile(handle.read(), module_path, "exec")
        exec(code, {"__name__": "__main__", "__file__": module_path, "__builtins__": __builtins__})
        return 0
    with open(args_path, "rb") as handle:
        params = handle.read()
    try:
        from ansible.module_utils._internal._ansiballz import _loader
    except ImportError:  # ansible-core before 2.19: AnsibleModule reads the file named in argv[1]
        runpy.run_module(spec["fqn"], run_name="__main__", alter_sys=True)
        return 0
    _loader.run_module(json_params=params, profile="legacy", module_fqn=spec["fqn"], modlib_path=base,
                       extensions={})
    return 0
