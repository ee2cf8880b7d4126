"""Helpers the package and system modules share (apt, package, service, user, cron, git...).

- `find_program()` looks a tool up the way Ansible's get_bin_path does: the PATH plus
  the sbin directories, which a non-login PATH often lacks (useradd, update-rc.d).
- `with_env()` gives a context whose commands run with extra environment variables
  (apt needs DEBIAN_FRONTEND=noninteractive and a C locale to parse its output),
  without touching the task's own environment.
- `package_manager()` names the host's package manager the way the `ansible_pkg_mgr`
  fact does, for the `package` module.

Standard library only: this file runs on the target.
"""
from __future__ import annotations

import os
import shlex
import shutil
from typing import Sequence

from miniplay.modules._common import ModuleContext

_SBIN_DIRS = ("/sbin", "/usr/sbin", "/usr/local/sbin", "/bin", "/usr/bin", "/usr/local/bin")

# Where each package manager's program lives, as the `ansible_pkg_mgr` fact checks them:
# the last one found wins, then the distribution family's default overrides.
PACKAGE_MANAGERS: tuple[tuple[str, str], ...] = (
    ("/usr/bin/yum", "dnf"), ("/usr/bin/dnf-3", "dnf"), ("/usr/bin/dnf5", "dnf5"),
    ("/usr/bin/apt-get", "apt"), ("/usr/bin/zypper", "zypper"), ("/usr/sbin/urpmi", "urpmi"),
    ("/usr/bin/pacman", "pacman"), ("/bin/opkg", "opkg"), ("/sbin/apk", "apk"), ("/usr/sbin/pkg", "pkgng"),
    ("/usr/bin/emerge", "portage"), ("/usr/bin/xbps-install", "xbps"), ("/usr/local/sbin/pkg", "pkgng"),
)


def find_program(name: str, extra_dirs: Sequence[str] = ()) -> str | None:
    """Absolute path of program `name`, or None; sbin directories are searched too."""
    dirs = [d for d in os.environ.get("PATH", "").split(os.pathsep) if d]
    for folder in (*extra_dirs, *_SBIN_DIRS):
        if folder not in dirs:
            dirs.append(folder)
    return shutil.which(name, path=os.pathsep.join(dirs))


def require_program(ctx: ModuleContext, name: str) -> str:
    """Like find_program, but fail with Ansible's message when it is missing."""
    found = find_program(name)
    if found is None:
        dirs = [d for d in os.environ.get("PATH", "").split(os.pathsep) if d]
        dirs += [d for d in _SBIN_DIRS if d not in dirs]
        ctx.fail(f'Failed to find required executable "{name}" in paths: {os.pathsep.join(dirs)}')
    return found


def with_env(ctx: ModuleContext, extra: dict[str, str]) -> ModuleContext:
    """A context like `ctx` whose commands also get `extra` in their environment."""
    child = ModuleContext(check_mode=ctx.check_mode, diff=ctx.diff, no_log=ctx.no_log,
                          module_name=ctx.module_name, async_dir=ctx.async_dir, env={**ctx.env, **extra})
    child.warnings = ctx.warnings  # warnings land on the task's result either way
    return child


def command_text(argv: Sequence[str]) -> str:
    """A command list as one shell-quoted line, for messages."""
    return " ".join(shlex.quote(str(a)) for a in argv)


def package_manager() -> str | None:
    """The `ansible_pkg_mgr` name for this host, or None when none is known."""
    found = None
    for path, name in PACKAGE_MANAGERS:
        if os.path.exists(path):
            found = name
    if os.path.exists("/etc/debian_version"):
        return "apt"  # dnf or zypper installed on Debian does not make them the system's manager
    if os.path.exists("/etc/redhat-release"):
        for binary in ("/usr/bin/dnf", "/usr/bin/microdnf"):
            if os.path.exists(binary):
                return "dnf5" if os.path.realpath(binary) == "/usr/bin/dnf5" else "dnf"
        return None
    return found
