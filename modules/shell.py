"""shell — run a command line through /bin/sh on the target (pipes, redirects, $VARS).

Arguments: the same as `command` (free-form line, chdir, creates, removes, stdin,
executable to pick another shell such as /bin/bash).

Example:
  - name: Count the log lines
    shell: wc -l /var/log/syslog | cut -d' ' -f1
    register: lines
"""
from __future__ import annotations

from typing import Any

from miniplay.modules import command
from miniplay.modules._common import ModuleContext

ARGUMENT_SPEC = {**command.ARGUMENT_SPEC, "_uses_shell": {"type": "bool", "default": True}}
SUPPORTS_CHECK_MODE = True


def main(args: dict[str, Any], ctx: ModuleContext) -> dict[str, Any]:
    return command.main(dict(args, _uses_shell=True), ctx)
