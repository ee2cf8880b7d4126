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


def run(ctx: ActionContext) -> dict[str, Any]:  # noqa: C901  (existing; split when next touched)
    args = ctx.args
    unknown = sorted(set(args) - ALLOWED)
    if unknown:
        return fail(f"Unsupported parameters for (script) module: {', '.join(unknown)}. Supported parameters "
                    f"include: {', '.join(sorted(ALLOWED - {'decrypt'}))}.")
    if args.get("_raw_params") and args.get("cmd"):
        return fail("parameters are mutually exclusive: _raw_params|cmd")
    raw_params = str(args.get("_raw_params") or args.get("cmd") or "").strip()
    if not raw_params:
        return fail("one of the following is required: _raw_params, cmd")
    creates, removes, chdir = args.get("creates"), args.get("removes"), args.get("chdir")
    if creates and _exists(ctx, str(creates)):
        return {"changed": False, "skipped": True, "msg": f"{creates} exists, matching creates option"}
    if removes and not _exists(ctx, str(removes)):
        return {"changed": False, "skipped": True, "msg": f"{removes} does not exist, matching removes option"}
    if chdir and not str(chdir).startswith("/"):
        return fail(f"chdir {chdir} must be an absolute path for a Unix-aware remote node")
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
    result: dict[str, Any] = {"changed": True, "rc": ran["rc"], "stdout": ran.get("stdout", ""),
                              "stderr": ran.get("stderr", "")}
    result["stdout_lines"] = result["stdout"].splitlines()
    result["stderr_lines"] = result["stderr"].splitlines()
    if result["rc"] != 0:
        result.update(msg="non-zero return code", failed=True)
    return result
