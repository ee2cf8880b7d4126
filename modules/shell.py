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

ARGUMENT_SPEC = command.ARGUMENT_SPEC
SUPPORTS_CHECK_MODE = True


def main(args: dict[str, Any], ctx: ModuleContext) -> dict[str, Any]:
    args = dict(args, _uses_shell=True)
    return command.main(args, ctx)
