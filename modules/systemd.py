"""systemd — control systemd units: start, stop, restart, reload, enable, mask, daemon-reload.

Arguments:
  name / service / unit   the unit (`nginx` means nginx.service); no globs
  state                   started, stopped, restarted, reloaded
  enabled                 yes/no: start at boot
  masked                  yes/no: mask the unit so nothing can start it
  daemon_reload / daemon-reload   run `systemctl daemon-reload` first
  daemon_reexec / daemon-reexec   run `systemctl daemon-reexec` first
  scope                   system (default), user or global
  no_block                do not wait for the start/stop job to finish
  force                   pass --force (e.g. to replace a conflicting symlink)
  One of state, enabled, masked, daemon_reload, daemon_reexec is required; state,
  enabled and masked need name. Also callable as systemd_service.

When systemd is not running on the host (no /run/systemd/system: containers, chroots),
miniplay does not fail as Ansible would: state and enabled go to the unit's SysV
script in /etc/init.d, like the service module, with a warning; daemon_reload and
daemon_reexec have nothing to act on and are skipped with a warning. A unit with no
init script then fails with a message that says systemd is not running.

Returns: name, changed, state, enabled, status (the unit's `systemctl show` properties:
ActiveState, LoadState, UnitFileState, ...; empty without systemd).

Example:
  - name: Pick up the new unit file and restart the app
    systemd:
      name: app
      state: restarted
      daemon_reload: true
      enabled: true
"""
from __future__ import annotations

import glob
import os
from typing import Any

from miniplay.modules._common import ModuleContext
from miniplay.modules._pkg import require_program, with_env
from miniplay.modules.service import SysVService, missing_service_message, run_sysv, state_action, systemd_running

ARGUMENT_SPEC = {
    "name": {"type": "str", "aliases": ["service", "unit"]},
    "state": {"type": "str", "choices": ["reloaded", "restarted", "started", "stopped"]},
    "enabled": {"type": "bool"},
    "force": {"type": "bool"},
    "masked": {"type": "bool"},
    "daemon_reload": {"type": "bool", "default": False, "aliases": ["daemon-reload"]},
    "daemon_reexec": {"type": "bool", "default": False, "aliases": ["daemon-reexec"]},
    "scope": {"type": "str", "default": "system", "choices": ["system", "user", "global"]},
    "no_block": {"type": "bool", "default": False},
}
REQUIRED_ONE_OF = (("state", "enabled", "masked", "daemon_reload", "daemon_reexec"),)
SUPPORTS_CHECK_MODE = True

# `systemctl is-enabled` answers that mean "a unit systemd knows".
_KNOWN_ENABLED_STATES = {"enabled", "enabled-runtime", "linked", "linked-runtime", "masked", "masked-runtime",
                         "static", "indirect", "disabled", "generated", "transient"}


def parse_show(text: str) -> dict[str, str]:
    """`systemctl show` output as a dict; values in { } may span several lines."""
    parsed: dict[str, str] = {}
    key: str | None = None
    value_lines: list[str] = []
    for line in text.splitlines():
        if key is not None:
            value_lines.append(line.rstrip())
            if line.rstrip().endswith("}"):
                parsed[key] = "\n".join(value_lines).strip()
                key = None
            continue
        if "=" not in line:
            continue
        name, value = line.split("=", 1)
        if value.lstrip().startswith("{") and not value.rstrip().endswith("}"):
            key, value_lines = name, [value]
            continue
        parsed[name] = value.rstrip()
    if key is not None:  # an unterminated { ...: keep what there is
        parsed[key] = "\n".join(value_lines).strip()
    return parsed


def is_running(status: dict[str, str]) -> bool:
    return status.get("ActiveState") in ("active", "activating")


def is_deactivating(status: dict[str, str]) -> bool:
    return status.get("ActiveState") == "deactivating"


def main(args: dict[str, Any], ctx: ModuleContext) -> dict[str, Any]:
    unit = args["name"]
    for key in ("state", "enabled", "masked"):
        if args[key] is not None and not unit:
            ctx.fail(f"missing parameter(s) required by '{key}': name")
    if unit is not None:
        for pattern in ("*", "?", "["):
            if pattern in unit:
                ctx.fail(f"This module does not currently support using glob patterns, found '{pattern}' "
                         f"in service name: {unit}")
    if not systemd_running():
        return _without_systemd(args, ctx)
    return Systemctl(args, ctx).run()


def _without_systemd(args: dict[str, Any], ctx: ModuleContext) -> dict[str, Any]:
    """No systemd on this host: daemon-reload has nothing to do; units fall back to SysV scripts."""
    for key in ("daemon_reload", "daemon_reexec"):
        if args[key]:
            ctx.warn(f"{key} skipped: systemd is not running on this host (no /run/systemd/system)")
    if args["masked"] is not None:
        ctx.fail(f"Cannot mask or unmask {args['name']}: systemd is not running on this host "
                 f"(no /run/systemd/system)")
    unit = args["name"]
    if unit is None or (args["state"] is None and args["enabled"] is None):
        return {"name": unit, "changed": False, "status": {}}
    name = unit[:-len(".service")] if unit.endswith(".service") else unit
    if not os.path.isfile(os.path.join("/etc/init.d", name)):
        ctx.fail(missing_service_message(name), status={})
    ctx.warn(f"systemd is not running on this host (no /run/systemd/system); managing {name} through its "
             f"SysV init script /etc/init.d/{name}")
    if ctx.check_mode and args["state"] is not None:
        # The service module answers check mode with a bare message; keep systemd's result shape.
        service = SysVService(ctx, name)
        changed = service.set_enabled(args["enabled"]) if args["enabled"] is not None else False
        running = service.running()
        if running is None:
            ctx.fail("failed determining service state, possible typo of service name?", status={})
        result = {"name": unit, "changed": changed or state_action(args["state"], running) is not None,
                  "status": {}, "state": "stopped" if args["state"] == "stopped" else "started"}
        if args["enabled"] is not None:
            result["enabled"] = args["enabled"]
        return result
    result = run_sysv({"name": name, "state": args["state"], "enabled": args["enabled"]}, ctx)
    result.update(name=unit, status={})
    return result


class Systemctl:
    """The module's work on a host where systemd runs."""

    def __init__(self, args: dict[str, Any], ctx: ModuleContext) -> None:
        self.args = args
        # systemctl --user needs the user's runtime dir to find its manager.
        extra = {} if os.environ.get("XDG_RUNTIME_DIR") else {"XDG_RUNTIME_DIR": f"/run/user/{os.geteuid()}"}
        self.ctx = with_env(ctx, extra)
        self.base = [require_program(ctx, "systemctl")]
        if args["scope"] != "system":
            self.base.append(f"--{args['scope']}")
        if args["no_block"]:
            self.base.append("--no-block")
        if args["force"]:
            self.base.append("--force")

    def systemctl(self, *words: str) -> tuple[int, str, str]:
        return self.ctx.run_command([*self.base, *words])

    def run(self) -> dict[str, Any]:  # noqa: C901  (existing; split when next touched)
        args, ctx = self.args, self.ctx
        unit = args["name"]
        result: dict[str, Any] = {"name": unit, "changed": False, "status": {}}
        for key, word in (("daemon_reload", "daemon-reload"), ("daemon_reexec", "daemon-reexec")):
            if args[key] and not ctx.check_mode:
                rc, _, err = self.systemctl(word)
                if rc != 0:
                    if os.environ.get("SYSTEMD_OFFLINE") == "1":
                        ctx.warn(f"{word} failed, but target is a chroot or systemd is offline. Continuing. "
                                 f"Error was: {rc} / {err}")
                    else:
                        ctx.fail(f"failure {rc} during {word}: {err}")
        if not unit:
            return result

        is_initd = os.access(f"/etc/init.d/{unit}", os.X_OK)
        is_systemd = False
        rc, out, err = self.systemctl("show", unit)
        if rc == 0 and "ignoring request" not in (out + err).lower():
            if out:
                result["status"] = parse_show(out)
                load_state = result["status"].get("LoadState")
                is_systemd = load_state is not None and load_state != "not-found"
                if is_systemd and load_state != "masked" and "LoadError" in result["status"]:
                    ctx.fail(f"Error loading unit file '{unit}': {result['status']['LoadError']}")
        else:
            rc, out, _ = self.systemctl("is-enabled", unit)
            if out.strip() in _KNOWN_ENABLED_STATES:
                is_systemd = True
            else:
                rc, _, _ = self.systemctl("list-unit-files", unit)
                is_systemd = rc == 0
        found = is_systemd or is_initd
        if is_initd and not is_systemd:
            ctx.warn(f"The service ({unit}) is actually an init script but the system is managed by systemd")

        if args["masked"] is not None:
            _, out, _ = self.systemctl("is-enabled", unit)
            if (out.strip() == "masked") != args["masked"]:
                result["changed"] = True
                action = "mask" if args["masked"] else "unmask"
                if not ctx.check_mode:
                    rc, _, err = self.systemctl(action, unit)
                    if rc != 0:
                        if not found:
                            ctx.fail(missing_service_message(unit))
                        ctx.fail(f"Failed to {action} the service ({unit}): {err.strip()}")

        if args["enabled"] is not None:
            if not found:
                ctx.fail(missing_service_message(unit))
            rc, out, _ = self.systemctl("is-enabled", unit, "-l")
            enabled = False
            if rc == 0:
                # enabled-runtime, indirect and alias are not a permanent "enabled": enable for real.
                enabled = out.rstrip() not in ("enabled-runtime", "indirect", "alias")
            elif rc == 1 and args["scope"] == "system" and is_initd and not out.strip().endswith("disabled"):
                enabled = bool(glob.glob(f"/etc/rc?.d/S??{unit}"))
            result["enabled"] = enabled
            if enabled != args["enabled"]:
                result["changed"] = True
                action = "enable" if args["enabled"] else "disable"
                if not ctx.check_mode:
                    rc, out, err = self.systemctl(action, unit)
                    if rc != 0:
                        ctx.fail(f"Unable to {action} service {unit}: {out + err}")
                result["enabled"] = not enabled

        if args["state"] is not None:
            if not found:
                ctx.fail(missing_service_message(unit))
            state = args["state"]
            result["state"] = state
            status = result["status"]
            if "ActiveState" in status:
                transition = None
                if state == "started":
                    transition = None if is_running(status) else "start"
                elif state == "stopped":
                    transition = "stop" if is_running(status) or is_deactivating(status) else None
                else:
                    transition = state[:-2] if is_running(status) else "start"  # restart / reload
                    result["state"] = "started"
                if transition:
                    result["changed"] = True
                    if not ctx.check_mode:
                        rc, _, err = self.systemctl(transition, unit)
                        if rc != 0:
                            ctx.fail(f"Unable to {transition} service {unit}: {err}")
            elif os.environ.get("SYSTEMD_OFFLINE") == "1":
                ctx.warn("Target is a chroot or systemd is offline. This can lead to false positives or prevent "
                         "the init system tools from working.")
            else:
                ctx.fail("Service is in unknown state", status=status)
        return result
