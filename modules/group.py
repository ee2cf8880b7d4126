"""group — make sure a local group exists (with a given gid) or does not.

Arguments:
  name        the group (required)
  state       present (default) or absent
  gid         the group id to have (changed with groupmod when it differs)
  system      create it as a system group (a gid from the system range)
  non_unique  allow a gid another group already has (needs gid)
  force       with state=absent: remove it even when it is some user's primary group
  gid_min, gid_max  the range to pick a new gid from
  local       accepted for compatibility; miniplay always uses groupadd/groupmod/groupdel

Runs groupadd, groupmod and groupdel; reads the group database with Python's grp.

Returns: name, state, gid, system, changed (stdout/stderr when the tools printed something).

Example:
  - name: A group for the deploy user
    group:
      name: deploy
      gid: 2000
"""
from __future__ import annotations

import grp
from typing import Any

from miniplay.modules._common import ModuleContext
from miniplay.modules._pkg import require_program

ARGUMENT_SPEC = {
    "name": {"type": "str", "required": True},
    "state": {"type": "str", "default": "present", "choices": ["absent", "present"]},
    "force": {"type": "bool", "default": False},
    "gid": {"type": "int"},
    "system": {"type": "bool", "default": False},
    "local": {"type": "bool", "default": False},
    "non_unique": {"type": "bool", "default": False},
    "gid_min": {"type": "int"},
    "gid_max": {"type": "int"},
}
SUPPORTS_CHECK_MODE = True


def group_gid(name: str) -> int | None:
    """The group's gid, or None when there is no such group."""
    try:
        return grp.getgrnam(name).gr_gid
    except KeyError:
        return None


def main(args: dict[str, Any], ctx: ModuleContext) -> dict[str, Any]:  # noqa: C901  (existing; split when next touched)
    name, gid = args["name"], args["gid"]
    if args["non_unique"] and gid is None:
        ctx.fail("non_unique is True but all of the following are missing: gid")
    if args["force"] and args["local"]:
        ctx.fail("force is not a valid option for local, force=True and local=True are mutually exclusive")
    result: dict[str, Any] = {"name": name, "state": args["state"]}
    current = group_gid(name)
    argv: list[str] | None = None
    if args["state"] == "absent":
        if current is not None:
            if ctx.check_mode:
                return {"changed": True}
            argv = [require_program(ctx, "groupdel")] + (["-f"] if args["force"] else []) + [name]
    elif current is None:
        if ctx.check_mode:
            return {"changed": True}
        argv = [require_program(ctx, "groupadd")]
        if gid is not None:
            argv += ["-g", str(gid)] + (["-o"] if args["non_unique"] else [])
        if args["system"]:
            argv.append("-r")
        for key, setting in (("gid_min", "GID_MIN"), ("gid_max", "GID_MAX")):
            if args[key] is not None:
                argv += ["-K", f"{setting}={args[key]}"]
        argv.append(name)
    elif gid is not None and current != gid:
        argv = [require_program(ctx, "groupmod"), "-g", str(gid)] + (["-o"] if args["non_unique"] else []) + [name]

    rc, out, err = None, "", ""
    if argv is not None:
        rc, out, err = (0, "", "") if ctx.check_mode else ctx.run_command(argv)
        if rc != 0:
            ctx.fail(err.strip() or out.strip() or f"{argv[0]} failed with rc {rc}", name=name)
    result["changed"] = rc is not None
    if out:
        result["stdout"] = out
    if err:
        result["stderr"] = err
    now = group_gid(name)
    if now is not None:
        result["system"] = args["system"]
        result["gid"] = now
    return result
