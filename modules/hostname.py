"""hostname — set the host's name, now and across reboots, the way its distribution keeps it.

How the name is kept depends on the system (chosen as Ansible chooses, or forced with `use`):
  systemd   hostnamectl --transient / --static (any Linux booted with systemd; also `use: debian`)
  file      /etc/hostname (Debian, Ubuntu and their relatives without systemd; only the file
            is changed, as in Ansible: the running name changes at the next boot)
  sles      /etc/HOSTNAME
  redhat    HOSTNAME= in /etc/sysconfig/network (Red Hat family without systemd)
  alpine    /etc/hostname, then `hostname -F /etc/hostname`
  openrc    hostname="..." in /etc/conf.d/hostname (Gentoo)
The BSDs, macOS and Solaris strategies are not implemented: the task fails and says so.

Arguments:
  name   the new name (required)
  use    systemd, debian, sles, redhat, alpine, openrc, generic (and, refused:
         freebsd, openbsd, solaris, macos, macosx, darwin)

Check mode reports whether it would change and changes nothing. With --diff:
'hostname = OLD' -> 'hostname = NEW'.

Returns: name, changed, and facts ansible_hostname, ansible_nodename, ansible_fqdn, ansible_domain.

Example:
  - hostname:
      name: web01.example.com
"""
from __future__ import annotations

import os
import platform
import socket
from typing import Any

from miniplay.modules._common import ModuleContext, ModuleFailed, atomic_write
from miniplay.modules._pkg import find_program, require_program

STRATEGIES = {
    "alpine": "alpine", "debian": "systemd", "freebsd": "freebsd", "generic": "generic", "macos": "darwin",
    "macosx": "darwin", "darwin": "darwin", "openbsd": "openbsd", "openrc": "openrc", "redhat": "redhat",
    "sles": "sles", "solaris": "solaris", "systemd": "systemd",
}
ARGUMENT_SPEC = {
    "name": {"type": "str", "required": True},
    "use": {"type": "str", "choices": list(STRATEGIES)},
}
SUPPORTS_CHECK_MODE = True

# Which strategy each distribution gets when systemd is not running (Ansible's Hostname subclasses).
_FILE_DISTROS = {"debian", "ubuntu", "kali", "linuxmint", "raspbian", "devuan", "deepin", "linaro", "neon",
                 "parrot", "pop", "uos", "kylin", "void", "cumulus-linux"}
_REDHAT_DISTROS = {"rhel", "redhat", "centos", "scientific", "ol", "oracle", "amzn", "amazon", "anolis",
                   "cloudlinux", "cloudlinuxserver", "alinux", "virtuozzo", "eurolinux", "altlinux"}


def read_text(path: str) -> str:
    with open(path, encoding="utf-8") as handle:
        return handle.read()


def distribution_id() -> str:
    try:
        for line in read_text("/etc/os-release").splitlines():
            if line.startswith("ID="):
                return line[3:].strip().strip('"').lower()
    except OSError:
        pass
    return ""


def systemd_booted() -> bool:
    if any(os.path.exists(p) for p in ("/run/systemd/system/", "/dev/.run/systemd/", "/dev/.systemd/")):
        return True
    try:
        return read_text("/proc/1/comm").strip() == "systemd"
    except OSError:
        return False


class Strategy:
    """How one kind of system keeps its name: read and write the running and the permanent name."""

    PERMANENT_FIRST = False  # systemd sets the static name before the transient one

    def __init__(self, ctx: ModuleContext) -> None:
        self.ctx = ctx

    def run(self, argv: list[str]) -> str:
        rc, out, err = self.ctx.run_command(argv)
        if rc != 0:
            self.ctx.fail(f"Command failed rc={rc}, out={out}, err={err}")
        return out

    def current(self) -> str:
        return self.permanent()

    def set_current(self, name: str) -> None:
        pass

    def permanent(self) -> str:
        raise ModuleFailed("the generic hostname strategy cannot read or set the name: choose `use` for this system")

    def set_permanent(self, name: str) -> None:
        raise ModuleFailed("the generic hostname strategy cannot read or set the name: choose `use` for this system")

    def apply(self, name: str) -> bool:
        """Set what differs (nothing in check mode); permanent first for systemd, current first otherwise."""
        changed = False
        steps = [(self.current, self.set_current), (self.permanent, self.set_permanent)]
        if self.PERMANENT_FIRST:
            steps.reverse()
        for read, write in steps:
            if read() != name:
                if not self.ctx.check_mode:
                    write(name)
                changed = True
        return changed


class FileStrategy(Strategy):
    FILE = "/etc/hostname"

    def permanent(self) -> str:
        if not os.path.isfile(self.FILE):
            return ""
        try:
            text = read_text(self.FILE)
        except OSError as exc:
            self.ctx.fail(f"failed to read hostname: {exc}")
        return text.strip()

    def set_permanent(self, name: str) -> None:
        try:
            with open(self.FILE, "w") as handle:  # in place: /etc/hostname may be a bind mount
                handle.write(f"{name}\n")
        except OSError as exc:
            self.ctx.fail(f"failed to update hostname: {exc}")


class SlesStrategy(FileStrategy):
    FILE = "/etc/HOSTNAME"


class AlpineStrategy(FileStrategy):
    def set_current(self, name: str) -> None:
        self.run([require_program(self.ctx, "hostname"), "-F", self.FILE])


class SystemdStrategy(Strategy):
    PERMANENT_FIRST = True

    def __init__(self, ctx: ModuleContext) -> None:
        super().__init__(ctx)
        self.hostnamectl = require_program(ctx, "hostnamectl")

    def current(self) -> str:
        return self.run([self.hostnamectl, "--transient", "status"]).strip()

    def set_current(self, name: str) -> None:
        self.check_length(name)
        self.run([self.hostnamectl, "--transient", "set-hostname", name])

    def permanent(self) -> str:
        return self.run([self.hostnamectl, "--static", "status"]).strip()

    def set_permanent(self, name: str) -> None:
        self.check_length(name)
        self.run([self.hostnamectl, "--pretty", "--static", "set-hostname", name])

    def check_length(self, name: str) -> None:
        if len(name) > 64:
            self.ctx.fail("name cannot be longer than 64 characters on systemd servers, try a shorter name")


class RedHatStrategy(Strategy):
    FILE = "/etc/sysconfig/network"

    def permanent(self) -> str:
        try:
            for line in read_text(self.FILE).splitlines():
                if line.strip().startswith("HOSTNAME"):
                    return line.strip().split("=")[1].strip()
        except (OSError, IndexError) as exc:
            self.ctx.fail(f"failed to read hostname: {exc}")
        raise ModuleFailed(f"Unable to locate HOSTNAME entry in {self.FILE}")

    def set_permanent(self, name: str) -> None:
        try:
            text = read_text(self.FILE) if os.path.exists(self.FILE) else ""
            lines = [f"HOSTNAME={name}\n" if line.strip().startswith("HOSTNAME") else line
                     for line in text.splitlines(True)]
            if not any(line.strip().startswith("HOSTNAME") for line in lines):
                lines.append(f"HOSTNAME={name}\n")
            atomic_write(self.FILE, "".join(lines).encode())
        except OSError as exc:
            self.ctx.fail(f"failed to update hostname: {exc}")


class OpenRCStrategy(Strategy):
    FILE = "/etc/conf.d/hostname"

    def permanent(self) -> str:
        if not os.path.isfile(self.FILE):
            return ""
        for line in read_text(self.FILE).splitlines():
            if line.strip().startswith("hostname="):
                return line.strip()[10:].strip('"')
        return ""

    def set_permanent(self, name: str) -> None:
        try:
            lines = [line.strip() for line in read_text(self.FILE).splitlines()]
            for index, line in enumerate(lines):
                if line.startswith("hostname="):
                    lines[index] = f'hostname="{name}"'
                    break
            atomic_write(self.FILE, ("\n".join(lines) + "\n").encode())
        except OSError as exc:
            self.ctx.fail(f"failed to update hostname: {exc}")


BY_NAME = {"systemd": SystemdStrategy, "alpine": AlpineStrategy, "sles": SlesStrategy, "redhat": RedHatStrategy,
           "openrc": OpenRCStrategy, "generic": Strategy}


def choose(ctx: ModuleContext, use: Any) -> Strategy:
    if use is not None:
        kind = STRATEGIES[use]
        if kind not in BY_NAME:
            ctx.fail(f"hostname strategy '{use}' ({kind}) is not implemented in miniplay")
        return BY_NAME[kind](ctx)
    system = platform.system()
    if system == "Linux" and find_program("systemctl") and systemd_booted():
        return SystemdStrategy(ctx)
    distro = distribution_id()
    if system == "Linux":
        if distro in _FILE_DISTROS:
            return FileStrategy(ctx)
        if distro in _REDHAT_DISTROS:
            return RedHatStrategy(ctx)
        if distro == "alpine":
            return AlpineStrategy(ctx)
        if distro in ("sles", "sles_sap", "opensuse-leap"):
            return SlesStrategy(ctx)
        if distro == "gentoo":
            return OpenRCStrategy(ctx)
    shown = f"{system} ({distro.capitalize()})" if distro else system
    raise ModuleFailed(f"hostname module cannot be used on platform {shown}")


def main(args: dict[str, Any], ctx: ModuleContext) -> dict[str, Any]:
    name = args["name"]
    strategy = choose(ctx, args["use"])
    current, permanent = strategy.current(), strategy.permanent()
    changed = strategy.apply(name)
    before = current if name != current else permanent
    fqdn = socket.getfqdn()
    result: dict[str, Any] = {
        "changed": changed, "name": name,
        "ansible_facts": {"ansible_hostname": name.split(".")[0], "ansible_nodename": name,
                          "ansible_fqdn": fqdn, "ansible_domain": ".".join(fqdn.split(".")[1:])},
    }
    if changed:
        result["diff"] = {"after": f"hostname = {name}\n", "before": f"hostname = {before}\n"}
    return result
