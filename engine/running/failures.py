"""The result of a task whose module could not run at all (no Python on the target, the worker died)."""
from __future__ import annotations

import re
from typing import Any

from ..transport.worker import WorkerError

_SHELL_EXEC = re.compile(r"^(\S+: \d+: )exec: ", re.MULTILINE)


def module_failure(exc: WorkerError) -> dict[str, Any]:
    """Ansible's result when the module could not run at all (no python, worker died)."""
    if exc.result is not None:  # the worker never started, for a reason with its own message (become)
        return dict(exc.result)
    missing = re.search(r"([^\s:]+): (?:not found|No such file or directory)", exc.detail or "")
    if exc.rc == 127 and missing:
        message = f"The module interpreter '{missing.group(1)}' was not found."
        # The local connection `exec`s the worker (so no shell holds its stderr); the shell then says
        # "exec: X: not found" where Ansible's plain command line gets "X: not found".
        stderr = _SHELL_EXEC.sub(r"\1", exc.detail)
        return {"changed": False, "failed": True, "module_stderr": stderr, "module_stdout": "", "msg": message,
                "rc": 127, "_miniplay_cause": message + " Consider overriding the configured interpreter path for "
                "this host. See stdout/stderr for the returned output."}
    return {"changed": False, "failed": True, "module_stderr": exc.detail, "module_stdout": "",
            "msg": "MODULE FAILURE: " + str(exc) + ("\n" + exc.detail.strip() if exc.detail.strip() else ""),
            "rc": exc.rc if exc.rc is not None else 1}
