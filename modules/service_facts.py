"""service_facts — list the host's services and their states into the `services` fact.

Asks whatever the host has, as Ansible does: `service --status-all` (SysV init scripts),
`initctl list` (upstart), `chkconfig` (Red Hat SysV), `rc-status`/`rc-update` (OpenRC) and,
on a systemd-booted host, `systemctl list-units` and `list-unit-files`. AIX and the BSDs'
service tools are not read (the module then finds nothing there and skips).

No arguments. Changes nothing; runs in check mode. When no service is found at all the task
is skipped with "Failed to find any services. This can be due to privileges or some other
configuration issue."

Returns: ansible_facts.services: {name: {name, state (running/stopped/...), status
(enabled/disabled/static/... for systemd and chkconfig), source (sysv, systemd, upstart,
openrc)}}.

Example:
  - service_facts:
  - debug:
      msg: "ssh is {{ ansible_facts.services['ssh'].state }}"
    when: "'ssh' in ansible_facts.services"
"""
from __future__ import annotations

import os
import re
from typing import Any, Dict

from miniplay.modules._common import ModuleContext
from miniplay.modules._pkg import find_program, with_env

ARGUMENT_SPEC: dict[str, dict[str, Any]] = {}
SUPPORTS_CHECK_MODE = True

# Runtime aliases use typing's names: the target's Python may be 3.8.
Services = Dict[str, Dict[str, Any]]
BAD_SYSTEMD_STATES = ("not-found", "masked", "failed")
_SYSV_LINE = re.compile(r"^\s*\[ (?P<state>\+|\-) \]\s+(?P<name>.+)$", re.M)
_UPSTART_LINE = re.compile(r"^\s?(?P<name>.*)\s(?P<goal>\w+)/(?P<state>\w+)(,\sprocess\s(?P<pid>[0-9]+))?\s*$")
_CHKCONFIG_LINE = re.compile(r"(?P<service>.*?)" + "".join(rf"\s+[0-9]:(?P<rl{n}>on|off)" for n in range(7)))


def sysv_services(ctx: ModuleContext, service: str, services: Services) -> None:
    rc, out, err = ctx.run_command([service, "--status-all"])
    if rc == 4 and not os.path.exists("/etc/init.d"):
        return
    if rc != 0:
        ctx.warn(f"Unable to query 'service' tool ({rc}): {err}")
    for found in _SYSV_LINE.finditer(out):
        name = found.group("name")
        services[name] = {"name": name, "state": "running" if found.group("state") == "+" else "stopped",
                          "source": "sysv"}


def upstart_services(ctx: ModuleContext, initctl: str, services: Services) -> None:
    rc, out, err = ctx.run_command([initctl, "list"])
    if rc != 0:
        ctx.warn(f"Unable to query upstart for service data: {err}")
        return
    for line in out.replace("\r", "").split("\n"):
        found = _UPSTART_LINE.match(line)
        if found:
            services[found.group("name")] = {"name": found.group("name"), "state": found.group("state"),
                                             "goal": found.group("goal"), "source": "upstart"}


def chkconfig_services(ctx: ModuleContext, chkconfig: str, service: str | None, services: Services) -> None:
    _rc, out, err = ctx.run_command(chkconfig, shell=True)
    if not any(_CHKCONFIG_LINE.match(line) for line in out.split("\n")):
        if any(re.match(r"(?P<service>.*?)\s+(?P<rl0>on|off)", line) for line in out.split("\n")):
            _rc, out, err = ctx.run_command(f"{chkconfig} -l --allservices", shell=True)
        elif "--list" in err:
            _rc, out, err = ctx.run_command(f"{chkconfig} --list", shell=True)
    for line in out.split("\n"):
        found = _CHKCONFIG_LINE.match(line)
        if not found:
            continue
        name = found.group("service")
        rc, _out, err = ctx.run_command(f"{service} {name} status", shell=True)
        state: Any = "running" if rc == 0 else "stopped"
        if rc != 0 and any(word in err.lower() for word in ("root", "permission", "not in sudoers")):
            ctx.warn(f'Insufficient permissions to query sysV service "{name}" and their states')
            state = rc
        services[name] = {"name": name, "state": state,
                          "status": "enabled" if found.group("rl3") == "on" else "disabled", "source": "sysv"}


def openrc_services(ctx: ModuleContext, rc_status: str, rc_update: str, services: Services) -> None:
    _rc, out, _err = ctx.run_command(f"{rc_status} -a -s -m 2>&1 | grep '^ ' | tr -d '[]'", shell=True)
    _rc, levels_out, _err = ctx.run_command(f"{rc_update} show -v 2>&1 | grep '|'", shell=True)
    runlevels: dict[str, list[str] | None] = {}
    for line in levels_out.split("\n"):
        fields = line.split("|")
        if len(fields) >= 2:
            runlevels[fields[0].strip()] = fields[1].split() or None
    for line in out.split("\n"):
        fields = line.split()
        if len(fields) < 2 or fields[0] == "*":
            continue
        if fields[0] not in runlevels:
            ctx.warn(f"Service {fields[0]} not found in the service list")
            continue
        services[fields[0]] = {"name": fields[0], "runlevels": runlevels[fields[0]], "state": fields[1],
                               "source": "openrc"}


def systemd_booted() -> bool:
    """sd_booted()'s test, plus PID 1's name, as Ansible's is_systemd_managed checks."""
    if any(os.path.exists(p) for p in ("/run/systemd/system/", "/dev/.run/systemd/", "/dev/.systemd/")):
        return True
    try:
        with open("/proc/1/comm") as handle:
            return handle.readline().strip() == "systemd"
    except OSError:
        return False


def systemd_services(ctx: ModuleContext, systemctl: str, services: Services) -> None:
    rc, out, err = ctx.run_command([systemctl, "list-units", "--no-pager", "--type", "service", "--all", "--plain"])
    if rc != 0:
        ctx.warn(f"Could not list units from systemd: {err}")
    else:
        for line in (line for line in out.split("\n") if ".service" in line):
            fields = line.split()
            status = next((bad for bad in BAD_SYSTEMD_STATES if bad in fields[:-1]), fields[2])
            services[fields[0]] = {"name": fields[0], "state": "running" if fields[3] == "running" else "stopped",
                                   "status": status, "source": "systemd"}
    rc, out, err = ctx.run_command([systemctl, "list-unit-files", "--no-pager", "--type", "service", "--all"])
    if rc != 0:
        ctx.warn(f"Could not get unit files data from systemd: {err}")
        return
    for line in (line for line in out.split("\n") if ".service" in line):
        fields = line.split()
        if len(fields) < 2:
            ctx.fail(f"Malformed output discovered from systemd list-unit-files: {line}")
        name, status = fields[:2]
        if name not in services:
            rc, shown, _err = ctx.run_command([systemctl, "show", name, "--property=ActiveState"])
            state = shown.replace("ActiveState=", "").rstrip() if rc == 0 and shown else "unknown"
            services[name] = {"name": name, "state": state, "status": status, "source": "systemd"}
        elif services[name]["status"] not in BAD_SYSTEMD_STATES:
            services[name]["status"] = status


def main(args: dict[str, Any], ctx: ModuleContext) -> dict[str, Any]:
    ctx = with_env(ctx, {"LANG": "C", "LC_ALL": "C"})  # the tools' output is parsed
    services: Services = {}
    service, chkconfig, initctl = find_program("service"), find_program("chkconfig"), find_program("initctl")
    rc_status, rc_update = find_program("rc-status"), find_program("rc-update")
    if service and chkconfig is None and rc_status is None:
        sysv_services(ctx, service, services)
    if initctl and chkconfig is None:
        upstart_services(ctx, initctl, services)
    elif chkconfig:
        chkconfig_services(ctx, chkconfig, service, services)
    elif rc_status and rc_update:
        openrc_services(ctx, rc_status, rc_update, services)
    systemctl = find_program("systemctl")
    if systemctl and systemd_booted():
        systemd_services(ctx, systemctl, services)
    if not services:
        return {"skipped": True, "changed": False,
                "msg": "Failed to find any services. This can be due to privileges or some other configuration issue."}
    return {"ansible_facts": {"services": services}}
