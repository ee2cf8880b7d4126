"""dpkg_selections — set a package's dpkg selection: install, hold, deinstall or purge.

A held package is left alone by `apt-get upgrade`; `install` releases the hold. This changes
only the selection, never installs or removes anything by itself.

Arguments:
  name        the package (required)
  selection   install, hold, deinstall or purge (required)

Reads the current selection with `dpkg --get-selections NAME` and writes the new one with
`dpkg --set-selections`; check mode reports the change without writing it.

Returns: changed, before (the selection found, or 'not present'), after (the one asked for).

Example:
  - name: Keep the kernel where it is
    dpkg_selections:
      name: linux-image-amd64
      selection: hold
"""
from __future__ import annotations

from typing import Any

from miniplay.modules._common import ModuleContext
from miniplay.modules._pkg import require_program, with_env

ARGUMENT_SPEC = {
    "name": {"type": "str", "required": True},
    "selection": {"type": "str", "required": True, "choices": ["install", "hold", "deinstall", "purge"]},
}
SUPPORTS_CHECK_MODE = True

# dpkg's messages are matched below, so they must not be translated.
C_LOCALE = {"LANG": "C", "LC_ALL": "C", "LC_MESSAGES": "C", "LC_CTYPE": "C", "LANGUAGE": "C"}


def main(args: dict[str, Any], ctx: ModuleContext) -> dict[str, Any]:
    dpkg = require_program(ctx, "dpkg")
    run = with_env(ctx, C_LOCALE)
    name, selection = args["name"], args["selection"]
    _, out, err = run.run_command([dpkg, "--get-selections", name], check_rc=True)
    if "no packages found matching" in err:
        ctx.fail(f"Failed to find package '{name}' to perform selection '{selection}'.")
    current = out.split()[1] if out.split() else "not present"
    changed = current != selection
    if changed and not ctx.check_mode:
        run.run_command([dpkg, "--set-selections"], data=f"{name} {selection}", check_rc=True)
    return {"changed": changed, "before": current, "after": selection}
