"""package_facts — list the installed packages into the `packages` fact.

Reads the package database with the manager's own command-line tools, so nothing beyond
the standard library is needed on the target (Ansible needs python3-apt or the rpm bindings):
  apt      dpkg-query, and `apt-cache policy` for each version's origin (e.g. 'Debian')
  rpm      rpm -qa (also asked for as dnf, dnf5, yum or zypper)
  pacman   pacman -Qi
  apk      apk info -v
  pkg_info pkg_info -a (OpenBSD; also asked for as openbsd_pkg)

Arguments:
  manager   list of managers to ask (default ['auto']: every known one, in Ansible's order)
  strategy  first (default: stop at the first manager that found packages) or all

Returns: ansible_facts.packages: {name: [{name, version, arch, source, ...}, ...]} — a list
per name, since several versions or architectures can be installed at once. apt adds
category (the section) and origin; rpm adds release and epoch.

Example:
  - package_facts:
  - debug:
      msg: "nginx {{ ansible_facts.packages['nginx'][0].version }}"
    when: "'nginx' in ansible_facts.packages"
"""
from __future__ import annotations

import re
from typing import Any, Callable, Dict, List

from miniplay.modules._common import ModuleContext
from miniplay.modules._pkg import find_program, require_program, with_env

ARGUMENT_SPEC = {
    "manager": {"type": "list", "elements": "str", "default": ["auto"]},
    "strategy": {"type": "str", "default": "first", "choices": ["first", "all"]},
}
SUPPORTS_CHECK_MODE = True

# Runtime aliases use typing's names: the target's Python may be 3.8.
Packages = Dict[str, List[Dict[str, Any]]]
# Ansible's names: its manager classes, sorted, then the aliases in this order.
MANAGERS = ("apk", "apt", "pacman", "pkg", "pkg_info", "portage", "rpm")
ALIASES = {"rpm": ("dnf", "dnf5", "yum", "zypper"), "pkg": ("pkg5", "pkgng"), "pkg_info": ("openbsd_pkg",)}
ALL_NAMES = MANAGERS + tuple(alias for names in ALIASES.values() for alias in names)


class Unusable(Exception):
    """This manager cannot be asked on this host (its tool is missing)."""


def tool(ctx: ModuleContext, name: str) -> str:
    try:
        return require_program(ctx, name)
    except Exception as exc:  # ModuleFailed: turned into a warning by the caller
        raise Unusable(str(exc)) from None


def add(packages: Packages, details: dict[str, Any]) -> None:
    packages.setdefault(details["name"], []).append(details)


# --------------------------------------------------------------------------- apt (dpkg)
_INSTALLED_VERSION = re.compile(r"^ \*\*\* (\S+) ")


def apt_sources(ctx: ModuleContext, apt_cache: str, names: list[str]) -> dict[str, tuple[str, str]]:
    """Each package's installed version: (first origin, the file it is first listed in).

    python-apt's `origins[0].origin` is the Origin of the first package file that has that
    version: an archive ('Debian') when the version is still published, else dpkg's status
    file (''). `apt-cache policy` lists the same files in the same order.
    """
    _rc, files_text, _err = ctx.run_command([apt_cache, "policy"])
    origin_of: dict[str, str] = {}
    current = None
    for line in files_text.splitlines():
        found = re.match(r"^ *-?\d+ (\S.*)$", line)
        if found and not line.startswith("     "):
            current = found.group(1).strip()
            origin_of[current] = ""
        elif current and line.strip().startswith("release "):
            fields = dict(p.split("=", 1) for p in line.strip()[8:].split(",") if "=" in p)
            origin_of[current] = fields.get("o", "")
    _rc, text, _err = ctx.run_command([apt_cache, "policy", *names])
    sources: dict[str, tuple[str, str]] = {}
    package = None
    in_installed = False
    for line in text.splitlines():
        if line and not line.startswith(" "):
            package, in_installed = line.rstrip(":"), False
        elif _INSTALLED_VERSION.match(line):
            in_installed = True
        elif in_installed and package is not None:
            source = re.match(r"^ +-?\d+ (\S.*)$", line)
            if source:
                where = source.group(1).strip()
                sources[package] = (origin_of.get(where, ""), where)
            in_installed = False
    return sources


def archive_sections(ctx: ModuleContext, apt_cache: str, wanted: list[str], native: str) -> dict[str, str]:
    """The Section the archive gives `name=version` (python-apt reports it, not dpkg's own copy)."""
    if not wanted:
        return {}
    _rc, text, _err = ctx.run_command([apt_cache, "show", *wanted])
    sections: dict[str, str] = {}
    for record in text.split("\n\n"):
        fields = dict(line.split(": ", 1) for line in record.splitlines() if ": " in line and not line[:1].isspace())
        if "Package" not in fields:
            continue
        arch = fields.get("Architecture", native)
        key = fields["Package"] if arch in (native, "all") else f"{fields['Package']}:{arch}"
        sections.setdefault(key, fields.get("Section", ""))
    return sections


def apt_packages(ctx: ModuleContext) -> Packages:
    dpkg_query = tool(ctx, "dpkg-query")
    rc, out, err = ctx.run_command([dpkg_query, "-W", "-f=${db:Status-Abbrev}\t${Package}\t${Version}\t"
                                    "${Architecture}\t${Section}\n"])
    if rc != 0:
        raise RuntimeError(f"Unable to list packages rc={rc} : {err}")
    _rc, native, _err = ctx.run_command([find_program("dpkg") or "dpkg", "--print-architecture"])
    native = native.strip()
    rows = []
    for line in out.splitlines():
        status, name, version, arch, section = (line.split("\t") + [""] * 5)[:5]
        if len(status) < 2 or status[1] in "nc":  # not installed, or only its config files left
            continue
        key = name if arch in (native, "all") else f"{name}:{arch}"
        rows.append((key, version, arch, section))
    apt_cache = find_program("apt-cache")
    sources = apt_sources(ctx, apt_cache, [row[0] for row in rows]) if apt_cache and rows else {}
    published = [f"{key}={version}" for key, version, _a, _s in rows
                 if sources.get(key, ("", "/var/lib/dpkg/status"))[1] != "/var/lib/dpkg/status"]
    sections = archive_sections(ctx, apt_cache, published, native) if apt_cache else {}
    packages: Packages = {}
    for key, version, arch, section in sorted(rows):
        add(packages, {"name": key, "version": version, "arch": arch, "category": sections.get(key, section),
                       "origin": sources.get(key, ("", ""))[0], "source": "apt"})
    return packages


# --------------------------------------------------------------------------- the others
def rpm_packages(ctx: ModuleContext) -> Packages:
    rpm = tool(ctx, "rpm")
    rc, out, err = ctx.run_command([rpm, "-qa", "--queryformat",
                                    "%{NAME}\t%{VERSION}\t%{RELEASE}\t%{EPOCH}\t%{ARCH}\n"])
    if rc != 0:
        raise RuntimeError(f"Unable to list packages rc={rc} : {err}")
    packages: Packages = {}
    for line in sorted(out.splitlines()):
        name, version, release, epoch, arch = (line.split("\t") + [""] * 5)[:5]
        add(packages, {"name": name, "version": version, "release": release,
                       "epoch": None if epoch == "(none)" else epoch, "arch": arch, "source": "rpm"})
    return packages


def pacman_packages(ctx: ModuleContext) -> Packages:
    pacman = tool(ctx, "pacman")
    rc, out, err = ctx.run_command([pacman, "-Qi"])
    if rc != 0 or err:
        raise RuntimeError(f"Unable to list packages rc={rc} : {err}")
    packages: Packages = {}
    for block in out.split("\n\n")[:-1]:
        fields: dict[str, str] = {}
        last = ""
        for line in block.splitlines():
            found = re.match(r"([\w ]*[\w]) +: (.*)", line)
            if found:
                last = found.group(1)
                fields[last] = found.group(2)
            elif last:
                fields[last] += "  " + line.lstrip()
        provides = None if fields.get("Provides", "None") == "None" else \
            [p.split("=")[0] for p in fields["Provides"].split("  ")]
        add(packages, {"name": fields["Name"], "version": fields["Version"], "arch": fields["Architecture"],
                       "provides": provides, "source": "pacman"})
    return packages


def apk_packages(ctx: ModuleContext) -> Packages:
    apk = tool(ctx, "apk")
    rc, out, err = ctx.run_command([apk, "info", "-v"])
    if rc != 0:
        raise RuntimeError(f"Unable to list packages rc={rc} : {err}")
    packages: Packages = {}
    for line in out.splitlines():
        parts = line.rsplit("-", 2)
        details = {"name": parts[0], "version": parts[1], "release": parts[2]} if len(parts) == 3 \
            else {"name": line, "version": "", "release": ""}
        add(packages, {**details, "source": "apk"})
    return packages


def pkg_info_packages(ctx: ModuleContext) -> Packages:
    pkg_info = tool(ctx, "pkg_info")
    rc, out, err = ctx.run_command([pkg_info, "-a"])
    if rc != 0 or err:
        raise RuntimeError(f"Unable to list packages rc={rc} : {err}")
    packages: Packages = {}
    for line in out.splitlines():
        parts = line.split(maxsplit=1)[0].rsplit("-", 1) if line.strip() else [line]
        details = {"name": parts[0], "version": parts[1]} if len(parts) == 2 else {"name": line, "version": ""}
        add(packages, {**details, "source": "pkg_info"})
    return packages


def not_supported_here(name: str) -> Callable[[ModuleContext], Packages]:
    def reader(ctx: ModuleContext) -> Packages:
        raise Unusable(f"miniplay does not read {name}'s package database")
    return reader


READERS: dict[str, Callable[[ModuleContext], Packages]] = {
    "apt": apt_packages, "rpm": rpm_packages, "pacman": pacman_packages, "apk": apk_packages,
    "pkg_info": pkg_info_packages, "pkg": not_supported_here("pkg"), "portage": not_supported_here("portage"),
}


def canonical(manager: str) -> str:
    return next((main for main, names in ALIASES.items() if manager in names), manager)


def main(args: dict[str, Any], ctx: ModuleContext) -> dict[str, Any]:
    ctx = with_env(ctx, {"LANG": "C", "LC_ALL": "C"})
    requested = [m.lower() for m in args["manager"]]
    managers = [m for m in requested if m != "auto"] + (list(ALL_NAMES) if "auto" in requested else [])
    unsupported = sorted(set(managers) - set(ALL_NAMES))
    if unsupported:
        ctx.fail("Could not auto detect a usable package manager, check warnings for details."
                 if "auto" in args["manager"] else f"Unsupported package managers requested: {', '.join(unsupported)}")
    packages: Packages = {}
    found = 0
    seen: set[str] = set()
    for manager in managers:
        if args["strategy"] == "first" and found:
            break
        name = canonical(manager)
        if name in seen:
            continue
        seen.add(name)
        try:
            try:
                listed = READERS[name](ctx)
            except Unusable:
                raise
            except Exception as exc:
                ctx.warn(f"Failed to retrieve packages with {name}: {exc}")
                listed = {}
            if not listed:
                ctx.warn(f'Found "{name}" but no associated packages')
                continue
            found += 1
            for key, entries in listed.items():
                packages.setdefault(key, []).extend(entries)
        except Unusable as exc:
            if name in args["manager"]:
                ctx.warn(f"Requested package manager {name} was not usable by this module: {exc}")
    if not found:
        ctx.fail(f"Could not detect a supported package manager from the following list: {managers}, "
                 "or the required Python library is not installed. Check warnings for details.")
    return {"ansible_facts": {"packages": packages}}
