"""sysvinit — start, stop, restart or reload a SysV init script service, and enable it in runlevels.

Works the way Ansible's sysvinit module does: the script is /etc/init.d/NAME (or NAME itself
when it is an absolute path); whether it runs is read from `service NAME status` (or the
script's own `status`), its output's words and exit code (1-4 and 69 mean stopped), or, with
`pattern`, from a `ps auxww` line containing the pattern. Enabling uses update-rc.d (or
chkconfig); "enabled" means an S??NAME link in some /etc/rc?.d (or the given runlevels).
Script actions run detached from the worker (their own session, output in files), so a daemon
that keeps stdout open cannot hang the task.

Arguments:
  name / service        the service (required)
  state                 started, stopped, restarted or reloaded
  enabled               start at boot (one of state and enabled is required)
  runlevels             enable/disable in these runlevels only (update-rc.d NAME enable|disable RL...)
  pattern               a text in `ps auxww` output meaning the service runs
  sleep                 seconds between stop and start on restart (default 1)
  arguments / args      extra words after the script action
  daemonize             accepted (actions always run detached here)

Check mode says what would change and runs nothing.

Returns: name, changed, status: {enabled: {changed, rc, stdout, stderr[, runlevels]},
<state>: {changed, rc, stdout, stderr}} (rc/stdout/stderr of the command that made the change).

Example:
  - sysvinit:
      name: apache2
      state: started
      enabled: true
"""
from __future__ import annotations

import glob
import os
import re
import shlex
import time
from typing import Any

from miniplay.modules._common import ModuleContext
from miniplay.modules._pkg import find_program, require_program
from miniplay.modules.service import run_detached

ARGUMENT_SPEC = {
    "name": {"type": "str", "required": True, "aliases": ["service"]},
    "state": {"type": "str", "choices": ["started", "stopped", "restarted", "reloaded"]},
    "enabled": {"type": "bool"},
    "sleep": {"type": "int", "default": 1},
    "pattern": {"type": "str"},
    "arguments": {"type": "str", "aliases": ["args"]},
    "runlevels": {"type": "list", "elements": "str"},
    "daemonize": {"type": "bool", "default": False},
}
REQUIRED_ONE_OF = (("state", "enabled"),)
SUPPORTS_CHECK_MODE = True

_TOOL_DIRS = ("/sbin", "/usr/sbin", "/bin", "/usr/bin")


def script_of(name: str) -> str:
    return name if name.startswith("/") else f"/etc/init.d/{name}"


def is_enabled(name: str, runlevel: str | None = None) -> bool:
    """An S??NAME start link in the runlevel's rc directory (any runlevel when none is given)."""
    level = runlevel if runlevel else "?"
    if not os.path.isdir("/etc/rc0.d/"):
        return bool(glob.glob(f"/etc/init.d/rc{level}.d/S??{name}"))
    return bool(glob.glob(f"/etc/rc{level}.d/S??{name}"))


def in_process_list(ctx: ModuleContext, pattern: str) -> bool:
    rc, out, _err = ctx.run_command([require_program(ctx, "ps"), "auxww"])
    return rc == 0 and any(pattern in line for line in out.splitlines())


def is_running(ctx: ModuleContext, name: str, script: str, service: str | None,
               pattern: str | None) -> bool:
    """Ansible's reading of `status`: output words first, then exit codes, then (warned) ps."""
    if pattern:
        if in_process_list(ctx, pattern):
            return True
        ctx.warn("Unable to determine if service is up, assuming it is down")
        return False
    argv = [service, name, "status"] if service else [script, "status"]
    rc, out, _err = ctx.run_command(argv)
    decided = running = False
    if name == "iptables" and "ACCEPT" in out:
        decided = running = True
    if not decided and out.count("\n") <= 1:
        words = out.lower().replace(name.lower(), "")
        if any(word in words for word in ("stop", "is dead ", "dead but ", "could not access pid file", "inactive")):
            decided = True
        elif any(word in words for word in ("run", "start", "active")) and "not " not in words:
            decided = running = True
    if not decided and rc in (1, 2, 3, 4, 69):
        decided = True
    if not decided:
        if rc == 0:
            return True
        if in_process_list(ctx, name):
            ctx.warn("Used ps output to match service name and determine it is up, this is very unreliable")
            return True
        ctx.warn("Unable to determine if service is up, assuming it is down")
    return running


def blank_status() -> dict[str, Any]:
    return {"changed": False, "rc": None, "stdout": None, "stderr": None}


def run_text(ctx: ModuleContext, command: str) -> tuple[int, str, str]:
    return run_detached(ctx, shlex.split(command))


def set_enabled(ctx: ModuleContext, name: str, enabled: bool, runlevels: list[str] | None,
                tools: dict[str, str | None]) -> tuple[int, str, str]:
    rc, out, err = 0, "", ""
    update_rc, chkconfig = tools["update-rc.d"], tools["chkconfig"]
    if runlevels:
        if update_rc:
            rc, out, err = run_text(ctx, f"{update_rc} {name} {'enable' if enabled else 'disable'} {' '.join(runlevels)}")
        elif chkconfig:
            rc, out, err = run_text(ctx, f"{chkconfig} --level {''.join(runlevels)} {name} {'on' if enabled else 'off'}")
    elif update_rc:
        rc, out, err = run_text(ctx, f"{update_rc} {name} {'defaults' if enabled else 'disable'}")
    elif chkconfig:
        rc, out, err = run_text(ctx, f"{chkconfig} {name} {'on' if enabled else 'off'}")
    return rc, out, err


def main(args: dict[str, Any], ctx: ModuleContext) -> dict[str, Any]:
    name, state = args["name"], args["state"]
    script = script_of(name)
    if not os.path.exists(script):
        ctx.fail(f"Could not find the requested service {name}: ")
    tools = {tool: find_program(tool, _TOOL_DIRS) for tool in ("chkconfig", "update-rc.d", "insserv", "service")}
    result: dict[str, Any] = {"name": name, "changed": False, "status": {}}
    running = is_running(ctx, name, script, tools["service"], args["pattern"])
    apply_enabled(args, ctx, tools, result)
    state_status = result["status"].setdefault(state, blank_status())  # the key is null without a state
    if state:
        apply_state(args, ctx, script, running, result, state_status)
    return result


def apply_enabled(args: dict[str, Any], ctx: ModuleContext, tools: dict[str, str | None],
                  result: dict[str, Any]) -> None:
    """Add or remove the start links `enabled` asks for (in `runlevels` when given); noted in status.enabled."""
    name, enabled, runlevels = args["name"], args["enabled"], args["runlevels"]
    enabled_status = result["status"].setdefault("enabled", blank_status())
    if runlevels:
        enabled_status["runlevels"] = runlevels
        wanted_change = any(enabled != is_enabled(name, level) for level in runlevels)
    else:
        wanted_change = enabled is not None and enabled != is_enabled(name)
    if not wanted_change:
        return
    result["changed"] = enabled_status["changed"] = True
    if ctx.check_mode:
        return
    rc, out, err = set_enabled(ctx, name, bool(enabled), runlevels, tools)
    enabled_status.update(rc=rc, stdout=out, stderr=err)
    if "illegal runlevel specified" in err:
        ctx.fail(f"Illegal runlevel specified for enable operation on service {name}", **result)


def apply_state(args: dict[str, Any], ctx: ModuleContext, script: str, running: bool, result: dict[str, Any],
                state_status: dict[str, Any]) -> None:
    """Run the init script's verb for `state` when the service is not there yet (restart: always).

    `state_status` gets the last command's rc and output.
    """
    name = args["name"]
    action = re.sub(r"p?ed$", "", args["state"].lower())

    def run_action(verb: str) -> tuple[int, str, str]:
        extra = "" if args["arguments"] is None else args["arguments"]
        rc, out, err = run_text(ctx, f"{script} {verb} {extra}")
        if rc != 0:
            ctx.fail(f"Failed to {action} service: {name}", rc=rc, stdout=out, stderr=err)
        return rc, out, err

    outcome = None
    if action == "restart":
        result["changed"] = state_status["changed"] = True
        if not ctx.check_mode:
            for verb in ("stop", "start"):
                outcome = run_action(verb)
                if args["sleep"]:
                    time.sleep(args["sleep"])
    elif running != (action == "start") or running == (action == "stop"):
        result["changed"] = state_status["changed"] = True
        if not ctx.check_mode:
            outcome = run_action(action)
    if outcome is not None:
        state_status.update(rc=outcome[0], stdout=outcome[1], stderr=outcome[2])
