"""service — start, stop, restart or reload a service, and enable or disable it at boot.

Arguments:
  name              the service (required)
  state             started, stopped, restarted (always acts), reloaded (always acts;
                    starts a stopped service)
  enabled           yes/no: start at boot
  pattern           decide "running" by looking for this text in the process list instead
                    of asking the init script
  sleep             seconds between the stop and the start of a restart
  arguments / args  extra words for the init script
  runlevel          accepted for OpenRC compatibility; not used on Linux SysV hosts
  One of state and enabled is required.

How it works: when systemd runs the host (/run/systemd/system exists) the task is handed
to the systemd module, as Ansible's service action does (pattern, sleep, runlevel and
arguments are then ignored with a warning). Otherwise the SysV init script
/etc/init.d/NAME is used through the `service` command, its `status` action tells
whether it runs, and update-rc.d (or chkconfig) enables it. A service with neither
fails with "Could not find the requested service NAME: host".

Returns: name, state (started or stopped: what was asked, as Ansible reports it),
enabled, changed. In check mode, a state change returns only changed and
msg 'service state changed', as Ansible does.

Example:
  - name: Keep ssh running and on at boot
    service:
      name: ssh
      state: started
      enabled: true
"""
from __future__ import annotations

import glob
import os
import subprocess
import tempfile
import time
from typing import Any

from miniplay.modules._common import ModuleContext
from miniplay.modules._pkg import find_program

ARGUMENT_SPEC: dict[str, dict[str, Any]] = {
    "name": {"type": "str", "required": True},
    "state": {"type": "str", "choices": ["started", "stopped", "reloaded", "restarted"]},
    "sleep": {"type": "int"},
    "pattern": {"type": "str"},
    "enabled": {"type": "bool"},
    "runlevel": {"type": "str", "default": "default"},
    "arguments": {"type": "str", "default": "", "aliases": ["args"]},
}
REQUIRED_ONE_OF = (("state", "enabled"),)
SUPPORTS_CHECK_MODE = True

INIT_DIR = "/etc/init.d"
SYSTEMD_UNIT_DIRS = ("/etc/systemd/system", "/run/systemd/system", "/lib/systemd/system", "/usr/lib/systemd/system")
_LANG_ENV = {"LANG": "C", "LC_ALL": "C", "LC_MESSAGES": "C"}
# Options only the SysV/OpenRC side understands; the systemd module does not take them.
_SYSV_ONLY = ("pattern", "runlevel", "sleep", "arguments")


def systemd_running() -> bool:
    """True when systemd is this host's init (the check systemd's own sd_booted() makes)."""
    return os.path.isdir("/run/systemd/system")


def has_systemd_unit(name: str) -> bool:
    unit = name if "." in name else f"{name}.service"
    return any(os.path.exists(os.path.join(d, unit)) for d in SYSTEMD_UNIT_DIRS)


def missing_service_message(name: str) -> str:
    """Ansible's words for a service that is not there, plus why when systemd is the reason."""
    msg = f"Could not find the requested service {name}: host"
    if not systemd_running() and has_systemd_unit(name):
        msg += (f" (it has a systemd unit, but systemd is not running on this host: there is no "
                f"/run/systemd/system, and no {INIT_DIR}/{name} script to use instead)")
    return msg


def run_detached(ctx: ModuleContext, argv: list[str]) -> tuple[int, str, str]:
    """Run an init script action; output goes to temp files, not pipes.

    A daemon started by the script inherits its stdout/stderr; with pipes, reading to EOF
    would wait for the daemon to exit. Files let us return when the script itself ends
    (Ansible double-forks for the same reason). Own session, cwd /, so the daemon is
    detached from the worker.
    """
    env = ctx.environ()
    env.update(_LANG_ENV)
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        try:
            proc = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=out, stderr=err, env=env, cwd="/",
                                  start_new_session=True)
        except OSError as exc:
            return 127, "", str(exc)
        out.seek(0)
        err.seek(0)
        return (proc.returncode, out.read().decode("utf-8", errors="replace"),
                err.read().decode("utf-8", errors="replace"))


class SysVService:
    """A service run by an /etc/init.d script (through `service` when there is one)."""

    def __init__(self, ctx: ModuleContext, name: str, arguments: str = "", pattern: str | None = None,
                 sleep: int | None = None) -> None:
        self.ctx = ctx
        self.name = name
        self.arguments = arguments.split() if arguments else []
        self.pattern = pattern
        self.sleep = sleep
        script = os.path.join(INIT_DIR, name)
        self.initscript = script if os.path.isfile(script) else None
        self.enable_cmd: str | None = None
        if self.initscript:
            self.enable_cmd = find_program("update-rc.d") or find_program("chkconfig")
        if self.enable_cmd is None:
            ctx.fail(missing_service_message(name))
        self.svc_cmd = find_program("service")
        if self.svc_cmd is None and not self.initscript:
            ctx.fail("cannot find 'service' binary or init script for service,  possible typo in service name?, "
                     "aborting")

    # ------------------------------------------------------------------ running
    def control(self, action: str) -> tuple[int, str, str]:
        base = [self.svc_cmd, self.name] if self.svc_cmd else [str(self.initscript)]
        if action != "restart":
            return run_detached(self.ctx, [*base, action, *self.arguments])
        # Not every script knows restart: stop, then start, as Ansible does.
        rc1, out1, err1 = run_detached(self.ctx, [*base, "stop", *self.arguments])
        if self.sleep:
            time.sleep(self.sleep)
        rc2, out2, err2 = run_detached(self.ctx, [*base, "start", *self.arguments])
        if rc1 != 0 and rc2 == 0:
            return rc2, out2, err2
        return rc1 + rc2, out1 + out2, err1 + err2

    def running(self) -> bool | None:
        """Is it running? None when the answer cannot be told."""
        if self.pattern is not None:
            return self._pattern_running(self.pattern)
        rc, out, _ = self.control("status")
        if rc in (1, 2, 3, 4, 69):
            return False
        if out.count("\n") <= 1:
            # One line of output: read its words (LSB scripts are not all honest with rc).
            text = out.lower().replace(self.name.lower(), "")
            if "stop" in text:
                return False
            if "run" in text:
                return "not " not in text
            if "start" in text and "not " not in text:
                return True
            for dead in ("could not access pid file", "is dead and pid file exists", "dead but subsys locked",
                         "dead but pid file exists"):
                if dead in text:
                    return False
        if rc == 0:
            return True
        return None

    def _pattern_running(self, pattern: str) -> bool:
        me = os.getpid()
        for entry in os.listdir("/proc"):
            if not entry.isdigit() or int(entry) == me:
                continue
            try:
                with open(f"/proc/{entry}/cmdline", "rb") as handle:
                    cmdline = handle.read().replace(b"\0", b" ").decode("utf-8", errors="replace")
            except OSError:
                continue
            if pattern in cmdline and "pattern=" not in cmdline:
                return True
        return False

    # ------------------------------------------------------------------ boot
    def is_enabled(self) -> bool:
        if self.enable_cmd and self.enable_cmd.endswith("chkconfig"):
            rc, out, _ = self.ctx.run_command([self.enable_cmd, "--list", self.name])
            return rc == 0 and "3:on" in out and "5:on" in out
        return bool(glob.glob(f"/etc/rc?.d/S??{self.name}"))

    def set_enabled(self, enable: bool) -> bool:
        """Make the boot links say `enable`; True when they had to change."""
        if self.is_enabled() == enable:
            return False
        if self.ctx.check_mode:
            return True
        assert self.enable_cmd is not None
        if self.enable_cmd.endswith("chkconfig"):
            commands = [[self.enable_cmd, self.name, "on" if enable else "off"]]
        else:
            commands = []
            if enable and not glob.glob(f"/etc/rc?.d/K??{self.name}"):
                commands.append([self.enable_cmd, self.name, "defaults"])
            commands.append([self.enable_cmd, self.name, "enable" if enable else "disable"])
        for argv in commands:
            rc, out, err = self.ctx.run_command(argv)
            if rc != 0:
                self.ctx.fail(err or out or f"{' '.join(argv)} failed with rc {rc}")
        return True


def state_action(state: str, running: bool | None) -> str | None:
    """The init script action that brings a service to `state`, or None when it is there."""
    if state == "started":
        return None if running else "start"
    if state == "stopped":
        return "stop" if running else None
    if state == "reloaded":
        return "reload" if running else "start"
    return "restart"


def main(args: dict[str, Any], ctx: ModuleContext) -> dict[str, Any]:
    if systemd_running():
        from miniplay.modules import systemd

        for key in _SYSV_ONLY:
            if args.get(key) not in (None, "", ARGUMENT_SPEC[key].get("default")):
                ctx.warn(f'Ignoring "{key}" as it is not used in "systemd"')
        params: dict[str, Any] = {key: None for key in systemd.ARGUMENT_SPEC}
        params.update(name=args["name"], state=args["state"], enabled=args["enabled"], daemon_reload=False,
                      daemon_reexec=False, scope="system", no_block=False)
        return systemd.main(params, ctx)
    return run_sysv(args, ctx)


def run_sysv(args: dict[str, Any], ctx: ModuleContext) -> dict[str, Any]:
    name, state, enabled = args["name"], args["state"], args["enabled"]
    service = SysVService(ctx, name, args.get("arguments") or "", args.get("pattern"), args.get("sleep"))
    result: dict[str, Any] = {"name": name}
    changed = False
    if enabled is not None:
        changed = service.set_enabled(enabled)
        result["enabled"] = enabled
    if state is None:
        result["changed"] = changed
        return result
    running = service.running()
    if running is None:
        ctx.fail("failed determining service state, possible typo of service name?")
    action = state_action(state, running)
    if action and ctx.check_mode:
        return {"changed": True, "msg": "service state changed"}
    if action:
        rc, out, err = service.control(action)
        if rc != 0:
            ctx.fail(err or out)
    result["changed"] = changed or action is not None
    result["state"] = "stopped" if state == "stopped" else "started"
    return result
