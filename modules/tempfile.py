"""tempfile — make a new, private temporary file or directory on the target and return its path.

Only the owner can read it (mode 0600 for files, 0700 for directories). Nothing removes it:
use `file: state=absent` when done. Like Ansible, this module does not run in check mode
(the task is skipped).

Arguments:
  state    file (default) or directory
  path     where to make it (default: the system temp directory, e.g. /tmp)
  prefix   start of the name (default 'ansible.')
  suffix   end of the name (default '')

Returns: path, with its mode, uid, gid, owner, group, size and state.

Example:
  - name: A scratch directory for the build
    tempfile:
      state: directory
      suffix: build
    register: scratch
"""
from __future__ import annotations

import os
import tempfile
from typing import Any

from miniplay.modules._common import ModuleContext
from miniplay.modules._files import path_info

ARGUMENT_SPEC = {
    "state": {"type": "str", "default": "file", "choices": ["file", "directory"]},
    "path": {"type": "path"},
    "prefix": {"type": "str", "default": "ansible."},
    "suffix": {"type": "str", "default": ""},
}
SUPPORTS_CHECK_MODE = False


def main(args: dict[str, Any], ctx: ModuleContext) -> dict[str, Any]:
    prefix, suffix = args["prefix"], args["suffix"]
    for label, value in (("prefix", prefix), ("suffix", suffix)):
        if value and value != os.path.basename(value):
            ctx.fail(f"{label} must be a valid file name component, got {value!r}")
    try:
        if args["state"] == "file":
            handle, path = tempfile.mkstemp(prefix=prefix, suffix=suffix, dir=args["path"])
            os.close(handle)
        else:
            path = tempfile.mkdtemp(prefix=prefix, suffix=suffix, dir=args["path"])
    except OSError as exc:
        ctx.fail(str(exc))
    return {"changed": True, "path": path, **path_info(path)}
