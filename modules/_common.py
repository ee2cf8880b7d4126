"""Helpers every target-side module uses: argument checking, commands, safe writes.

Standard library only: this file runs on the target inside the worker.
"""
from __future__ import annotations

import os

# What only some modules use is imported where it is used: this file is loaded by every
# worker, and a worker that only pings should not pay for subprocess or tempfile.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, NoReturn

BOOL_TRUE = {"yes", "on", "true", "1", "y", "t"}
BOOL_FALSE = {"no", "off", "false", "0", "n", "f", ""}


class ModuleFailed(Exception):
    """Raised by a module to fail with a message and extra result fields."""

    def __init__(self, msg: str, **fields: Any) -> None:
        super().__init__(msg)
        self.result = {"failed": True, "msg": msg, **fields}


class ModuleContext:
    """What a module knows about the run: check mode, diff, and helpers with side effects."""

    def __init__(self, check_mode: bool = False, diff: bool = False, no_log: bool = False,
                 module_name: str = "", async_dir: str | None = None, env: dict | None = None) -> None:
        self.check_mode = check_mode
        self.diff = diff
        self.no_log = no_log
        self.module_name = module_name
        self.async_dir = async_dir
        self.env = env or {}
        self.warnings: list[str] = []

    def fail(self, msg: str, **fields: Any) -> NoReturn:
        raise ModuleFailed(msg, **fields)

    def warn(self, text: str) -> None:
        self.warnings.append(text)

    def environ(self) -> dict[str, str]:
        """The process environment plus the task's `environment:`."""
        merged = dict(os.environ)
        merged.update({str(k): str(v) for k, v in self.env.items()})
        return merged

    def run_command(self, command: str | list[str], shell: bool = False, cwd: str | None = None,
                    data: str | None = None, executable: str | None = None,
                    check_rc: bool = False) -> tuple[int, str, str]:
        """Run a command and return (rc, stdout, stderr) as text."""
        import shlex
        import subprocess

        if shell and isinstance(command, list):
            command = " ".join(shlex.quote(c) for c in command)
        try:
            proc = subprocess.run(
                command, shell=shell, cwd=cwd, input=data.encode() if data is not None else None,
                stdin=None if data is not None else subprocess.DEVNULL, capture_output=True,
                env=self.environ(), executable=executable if shell else None,
            )
        except FileNotFoundError as exc:
            if check_rc:
                self.fail(f"[Errno 2] No such file or directory: {exc.filename!r}", rc=2)
            return 2, "", f"[Errno 2] No such file or directory: {exc.filename!r}"
        except PermissionError as exc:
            return 126, "", str(exc)
        out = proc.stdout.decode("utf-8", errors="replace")
        err = proc.stderr.decode("utf-8", errors="replace")
        if check_rc and proc.returncode != 0:
            self.fail(err.strip() or out.strip() or f"command failed with rc {proc.returncode}",
                      rc=proc.returncode, stdout=out, stderr=err)
        return proc.returncode, out, err


def now_text() -> str:
    import datetime

    return str(datetime.datetime.now())


def to_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in BOOL_TRUE:
        return True
    if text in BOOL_FALSE:
        return False
    raise ValueError(f"{value!r} is not a valid boolean")


def atomic_write(path: str, data: bytes, mode: int | None = None) -> None:
    """Write to a temp file beside `path`, then rename: a reader never sees half a file."""
    import tempfile

    directory = os.path.dirname(os.path.abspath(path)) or "."
    fd, tmp = tempfile.mkstemp(prefix=".miniplay-", dir=directory)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if mode is not None:
            os.chmod(tmp, mode)
        elif os.path.exists(path):
            os.chmod(tmp, os.stat(path).st_mode & 0o7777)
        else:
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


# --------------------------------------------------------------------------- arguments
_TYPE_NAMES = {"str", "int", "float", "bool", "list", "dict", "path", "raw", "jsonarg"}


def _convert(name: str, value: Any, kind: str) -> Any:  # noqa: C901  (existing; split when next touched)
    if value is None or kind == "raw":
        return value
    try:
        if kind in ("str", "path"):
            # anything converts, containers too (`ping: {data: {a: 1}}` gives "{'a': 1}"), as Ansible's check_type_str
            text = value if isinstance(value, str) else ("True" if value is True else "False" if value is False else str(value))
            return os.path.expanduser(text) if kind == "path" else text
        if kind == "int":
            if isinstance(value, bool):
                raise TypeError
            if isinstance(value, float) and not value.is_integer():
                raise TypeError
            return int(str(value).strip()) if not isinstance(value, (int, float)) else int(value)
        if kind == "float":
            return float(value)
        if kind == "bool":
            return to_bool(value)
        if kind == "list":
            if isinstance(value, list):
                return value
            if isinstance(value, str):
                return [v.strip() for v in value.split(",")] if value else []
            if isinstance(value, (int, float)):
                return [str(value)]
            raise TypeError
        if kind == "dict":
            if isinstance(value, dict):
                return value
            if isinstance(value, str):
                import json

                try:
                    return json.loads(value)
                except ValueError:
                    pairs = [p.split("=", 1) for p in value.split(",") if "=" in p]
                    if pairs:
                        return {k.strip(): v.strip() for k, v in pairs}
            raise TypeError
        if kind == "jsonarg":
            import json

            return value if isinstance(value, str) else json.dumps(value)
    except (TypeError, ValueError):
        label = {"str": "str", "path": "path", "int": "int", "float": "float", "bool": "bool", "list": "list",
                 "dict": "dict"}.get(kind, kind)
        # Ansible's own wording per type (an int's names the value, the others its Python type)
        reason = f'"{value!r}" cannot be converted to an int' if kind == "int" else \
            f"{type(value)} cannot be converted to a {label}" if kind in ("float", "list", "dict") else \
            f"{value!r} cannot be converted to {label}"
        raise ModuleFailed(f"argument '{name}' is of type {type(value).__name__} and we were unable to convert "
                           f"to {label}: {reason}") from None
    return value


def validate_args(spec: dict[str, dict[str, Any]], args: dict[str, Any], module: str,  # noqa: C901  (existing; split when next touched)
                  mutually_exclusive: tuple = (), required_one_of: tuple = (),
                  required_together: tuple = ()) -> dict[str, Any]:
    """Check and convert `args` against `spec`, with Ansible's wording for mistakes.

    spec entries: type, required, default, choices, aliases, elements, no_log.
    """
    known: dict[str, str] = {}
    for name, opts in spec.items():
        known[name] = name
        for alias in opts.get("aliases", ()):
            known[alias] = name
    unknown = sorted(k for k in args if k not in known and not k.startswith("_ansible_"))
    if unknown:
        public = {name: opts for name, opts in spec.items() if not name.startswith("_miniplay")}
        aliases = sorted(a for opts in public.values() for a in opts.get("aliases", ()))
        described = ", ".join(sorted(public)) + (f" ({', '.join(aliases)})" if aliases else "")
        raise ModuleFailed(f"Unsupported parameters for ({module}) module: {', '.join(unknown)}. "
                           f"Supported parameters include: {described}.")
    out: dict[str, Any] = {}
    for key, value in args.items():
        if key.startswith("_ansible_"):
            continue
        out[known[key]] = value
    missing = sorted(n for n, o in spec.items() if o.get("required") and out.get(n) is None)
    if missing:
        raise ModuleFailed(f"missing required arguments: {', '.join(missing)}")
    for group in mutually_exclusive:
        present = [n for n in group if out.get(n) is not None]
        if len(present) > 1:
            raise ModuleFailed(f"parameters are mutually exclusive: {'|'.join(group)}")
    for group in required_one_of:
        if not any(out.get(n) is not None for n in group):
            raise ModuleFailed(f"one of the following is required: {', '.join(group)}")
    for group in required_together:
        given = [n for n in group if out.get(n) is not None]
        if given and len(given) != len(group):
            raise ModuleFailed(f"parameters are required together: {', '.join(group)}")
    for name, opts in spec.items():
        if out.get(name) is None:
            out[name] = opts.get("default")
            if out[name] is None:
                continue
        kind = opts.get("type", "str")
        out[name] = _convert(name, out[name], kind)
        if kind == "list" and opts.get("elements") and out[name] is not None:
            out[name] = [_convert(name, v, opts["elements"]) for v in out[name]]
        choices = opts.get("choices")
        if choices is not None and out[name] is not None:
            if kind == "list":
                strays = [v for v in out[name] if v not in choices]
                if strays:
                    raise ModuleFailed(f"value of {name} must be one or more of: {', '.join(map(str, choices))}. "
                                       f"Got no match for: {', '.join(map(str, strays))}")
            elif out[name] not in choices:
                raise ModuleFailed(f"value of {name} must be one of: {', '.join(map(str, choices))}, got: {out[name]}")
    return out
