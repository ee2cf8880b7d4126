"""raw — run a command line over the connection, with no Python and no worker on the target.

Arguments:
  free form     the command line, run by the login shell (/bin/sh on the local connection)
  executable    run it as `<executable> -c '<command>'` instead

Meant for hosts without Python (bootstrapping) and network gear. The result,
as in Ansible: rc, stdout, stderr (not stripped) and their _lines; always
changed; failed with "non-zero return code" when rc is not 0. In check mode the
task is skipped. The `environment` keyword does not apply (a warning says so);
`become` does: the command runs as the become user.

Example:
  - name: Bootstrap Python
    raw: test -e /usr/bin/python3 || (apt-get update && apt-get install -y python3)
"""
from __future__ import annotations

import shlex
from typing import Any

from ...transport.worker import WorkerError
from . import ActionContext
from .copy import fail


def run(ctx: ActionContext) -> dict[str, Any]:
    if ctx.environment:
        ctx.warn("raw module does not support the environment keyword")
    if ctx.check_mode:
        return {"changed": False, "failed": False, "skipped": True}
    command = ctx.args.get("_raw_params")
    if command is None or str(command).strip() == "":
        return fail("no command given")
    command = str(command)
    executable = ctx.args.get("executable")
    if executable:
        command = f"{executable} -c {shlex.quote(command)}"
    connection = ctx.services.connections.connection(ctx.host, ctx.vars, ctx.task)
    try:
        plan = ctx.services.connections.become_plan(ctx.host, ctx.vars, ctx.task)
        done = plan.run(connection, command) if plan is not None else connection.exec_command(command)
    except WorkerError as exc:  # become failed (wrong or missing password, ...)
        return dict(exc.result) if exc.result is not None else fail(str(exc))
    stdout = done.stdout.decode("utf-8", errors="replace")
    stderr = done.stderr.decode("utf-8", errors="replace")
    result: dict[str, Any] = {"changed": True, "rc": done.rc, "stdout": stdout, "stdout_lines": stdout.splitlines(),
                              "stderr": stderr, "stderr_lines": stderr.splitlines()}
    if done.rc != 0:
        result.update(failed=True, msg="non-zero return code")
    return result
