"""script — run a local script on the target, after sending it there.

Arguments:
  free form / cmd   the script (found in files/, role first) and its arguments
  creates           skip when this path exists on the target
  removes           skip unless this path exists on the target
  chdir             run in this directory (absolute path)
  executable        run the script with this program (`executable script args`)

The script goes to a private temporary directory on the target (mode 0700),
runs through the target `shell` module, and the directory is removed afterwards,
whatever happened. Like Ansible the result is always changed, holds rc, stdout,
stderr and their _lines, and fails on a non-zero rc. In check mode the task is
skipped unless creates/removes decide it.

Example:
  - name: Prepare the database
    script: setup_db.sh --fast
    args:
      creates: /var/lib/app/db.ready
"""
from __future__ import annotations

import base64
import os
import shlex
from typing import Any

from ...core.errors import TemplateError
from . import ActionContext
from .copy import fail, find_needle

ALLOWED = frozenset({"_raw_params", "cmd", "creates", "removes", "chdir", "executable", "decrypt"})


def _exists(ctx: ActionContext, path: str) -> bool:
    found = ctx.module("stat", {"path": path, "get_checksum": False, "get_mime": False, "get_attributes": False})
    return bool((found.get("stat") or {}).get("exists"))


def _argument_problem(args: dict[str, Any]) -> str | None:
    """Ansible's message for unknown, conflicting or missing parameters; None when they are fine."""
    unknown = sorted(set(args) - ALLOWED)
    if unknown:
        return (f"Unsupported parameters for (script) module: {', '.join(unknown)}. Supported parameters "
                f"include: {', '.join(sorted(ALLOWED - {'decrypt'}))}.")
    if args.get("_raw_params") and args.get("cmd"):
        return "parameters are mutually exclusive: _raw_params|cmd"
    if not str(args.get("_raw_params") or args.get("cmd") or "").strip():
        return "one of the following is required: _raw_params, cmd"
    return None


def _skipped_or_refused(ctx: ActionContext, creates: Any, removes: Any, chdir: Any) -> dict[str, Any] | None:
    """The result when creates/removes say there is nothing to do or chdir is not absolute; None to go on."""
    if creates and _exists(ctx, str(creates)):
        return {"changed": False, "skipped": True, "msg": f"{creates} exists, matching creates option"}
    if removes and not _exists(ctx, str(removes)):
        return {"changed": False, "skipped": True, "msg": f"{removes} does not exist, matching removes option"}
    if chdir and not str(chdir).startswith("/"):
        return fail(f"chdir {chdir} must be an absolute path for a Unix-aware remote node")
    return None


def _read_script(ctx: ActionContext, raw_params: str) -> tuple[list[str], str, bytes] | dict[str, Any]:
    """(the command line's words, the script's controller path, its bytes), or the failure result."""
    try:
        parts = shlex.split(raw_params)
    except ValueError as exc:
        return fail(f"Could not split the script command line: {exc}")
    try:
        source = find_needle(ctx, "files", parts[0])
        with open(source, "rb") as handle:
            data = handle.read()
    except TemplateError as exc:
        return fail(exc.message)
    except OSError as exc:
        return fail(f"Could not read the script '{parts[0]}': {exc.strerror}")
    return parts, source, data


def run(ctx: ActionContext) -> dict[str, Any]:
    """Copy a controller script into a temporary directory on the target, run it there, remove it."""
    args = ctx.args
    problem = _argument_problem(args)
    if problem is not None:
        return fail(problem)
    raw_params = str(args.get("_raw_params") or args.get("cmd") or "").strip()
    creates, removes, chdir = args.get("creates"), args.get("removes"), args.get("chdir")
    early = _skipped_or_refused(ctx, creates, removes, chdir)
    if early is not None:
        return early
    script = _read_script(ctx, raw_params)
    if isinstance(script, dict):
        return script
    parts, source, data = script
    if ctx.check_mode:
        if creates or removes:
            return {"changed": True}
        return {"changed": False, "skipped": True, "msg": "Check mode is not supported for this task."}

    made = ctx.module("tempfile", {"state": "directory", "prefix": "ansible-tmp-miniplay-"})
    if made.get("failed") or made.get("unreachable") or not made.get("path"):
        return made if made.get("failed") or made.get("unreachable") else fail("could not make a temporary "
                                                                               "directory on the target")
    tmpdir = str(made["path"])
    try:
        remote = os.path.join(tmpdir, os.path.basename(source))
        sent = ctx.module("copy", {"dest": remote, "mode": "0700",
                                   "_miniplay_content_b64": base64.b64encode(data).decode("ascii")})
        if sent.get("failed") or sent.get("unreachable"):
            return sent
        command = raw_params.replace(parts[0], shlex.quote(remote), 1)
        executable = args.get("executable")
        if executable:
            command = f"{executable} {command}"
        shell_args: dict[str, Any] = {"_raw_params": command, "strip_empty_ends": False}
        if chdir:
            shell_args["chdir"] = chdir
        ran = ctx.module("shell", shell_args)
    finally:
        ctx.module("file", {"path": tmpdir, "state": "absent"})
    if ran.get("unreachable") or "rc" not in ran:
        return ran
    return _script_result(ran)


def _script_result(ran: dict[str, Any]) -> dict[str, Any]:
    """The script's result from the shell module's: changed, rc, output and its lines; failed on rc != 0."""
    result: dict[str, Any] = {"changed": True, "rc": ran["rc"], "stdout": ran.get("stdout", ""),
                              "stderr": ran.get("stderr", "")}
    result["stdout_lines"] = result["stdout"].splitlines()
    result["stderr_lines"] = result["stderr"].splitlines()
    if result["rc"] != 0:
        result.update(msg="non-zero return code", failed=True)
    return result
