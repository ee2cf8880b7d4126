"""assemble (controller half) — join fragments into one file, from the target's or the controller's files.

With `remote_src: true` (the default) the target module does it all. With
`remote_src: false` the fragments directory is found on the controller (files/ of the
role, beside the task, or the playbook), joined here by the same rules as the target
module, and the result is sent with the target `copy` module (which decides changed,
check mode and diff by checksum), as Ansible's assemble action does.

Example:
  - assemble:
      src: motd.d
      dest: /etc/motd
      remote_src: false
      delimiter: "### next"
"""
from __future__ import annotations

import os
import re
from typing import Any

from miniplay.modules.assemble import assemble

from ...core.errors import TemplateError
from ...core.fieldtypes import loose_bool
from . import ActionContext
from .copy import fail, find_needle, send_bytes

# Arguments only the assembling uses; the rest (mode, owner, backup, validate...) go to copy.
_ASSEMBLE_ONLY = ("remote_src", "regexp", "delimiter", "ignore_hidden", "decrypt", "src")


def run(ctx: ActionContext) -> dict[str, Any]:
    args = dict(ctx.args)
    src, dest = args.get("src"), args.get("dest")
    if src is None or dest is None:
        return {**fail("src and dest are required"), "_miniplay_action_raised": True}
    if loose_bool(args.get("remote_src"), True):
        result = ctx.module("assemble", args)
        if result.get("failed"):
            result["_miniplay_module_failed"] = True  # worded "Module failed", as Ansible's module reports it
        return result
    try:
        folder = find_needle(ctx, "files", str(src))
    except TemplateError as exc:
        return fail(exc.message)
    if not os.path.isdir(folder):
        return fail(f"Source ({folder}) is not a directory")
    pattern = None
    if args.get("regexp") is not None:
        try:
            pattern = re.compile(str(args["regexp"]))
        except re.error as exc:
            return fail(f'Invalid Regexp ({exc}) in "{args["regexp"]}"')
    delimiter = args.get("delimiter")
    data = assemble(folder, None if delimiter is None else str(delimiter), pattern,
                    loose_bool(args.get("ignore_hidden"), False))
    copy_args = {k: v for k, v in args.items() if k not in _ASSEMBLE_ONLY}
    return send_bytes(ctx, data, os.path.basename(str(dest)), str(dest), copy_args)
