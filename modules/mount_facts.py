"""mount_facts — list mounted and configured filesystems into the `mount_points` fact.

Reads the sources Ansible reads: the dynamic tables (/etc/mtab, /proc/mounts, /etc/mnttab,
falling back to the `mount` program's output when none of them has entries), and the static
ones (/etc/fstab, /etc/vfstab, AIX /etc/filesystems); each file is parsed with the first of
the vfstab, mnttab, fstab and AIX formats that fits it. Each mount gets its size and inode
counts (statvfs, within `timeout`) and its filesystem UUID when one can be found
(/dev/disk/by-uuid, lsblk, udevadm). Changes nothing; runs in check mode.

Arguments:
  sources         files to read, or `dynamic`, `static`, `all` (default all), or `mount`
  mount_binary    the program for the `mount` source/fallback (default 'mount'; null: none)
  devices         only devices matching one of these globs
  fstypes         only filesystem types matching one of these globs
  timeout         seconds for each slow step (statvfs, lsblk...; default: 10 for statvfs, none else)
  on_timeout      error (default), warn or ignore
  include_aggregate_mounts  also return every entry of every source (aggregate_mounts);
                  unset: repeats within one source are ignored with a warning

Returns: ansible_facts.mount_points: {mount point: {device, mount, fstype, options, dump,
passno, size_total, size_available, block_*, inode_*, uuid, ansible_context: {source,
source_data}}} (the first source that lists a mount point wins) and aggregate_mounts.

Example:
  - mount_facts:
      fstypes: [ext4, xfs]
  - debug:
      msg: "/ has {{ ansible_facts.mount_points['/'].size_available }} bytes free"
"""
from __future__ import annotations

import codecs
import datetime
import os
import re
import subprocess
import threading
from fnmatch import fnmatch
from typing import Any, Callable, Dict, Iterable, Tuple

from miniplay.modules._common import ModuleContext, ModuleFailed
from miniplay.modules._pkg import find_program, require_program

ARGUMENT_SPEC = {
    "sources": {"type": "list", "elements": "str"},
    "mount_binary": {"type": "raw", "default": "mount"},
    "devices": {"type": "list", "elements": "str"},
    "fstypes": {"type": "list", "elements": "str"},
    "timeout": {"type": "float"},
    "on_timeout": {"type": "str", "default": "error", "choices": ["error", "warn", "ignore"]},
    "include_aggregate_mounts": {"type": "bool"},
}
SUPPORTS_CHECK_MODE = True

STATIC_SOURCES = ["/etc/fstab", "/etc/vfstab", "/etc/filesystems"]
DYNAMIC_SOURCES = ["/etc/mtab", "/proc/mounts", "/etc/mnttab"]
DEFAULT_STATVFS_TIMEOUT = 10
LINUX_MOUNT = re.compile(r"^(?P<device>\S+) on (?P<mount>\S+) type (?P<fstype>\S+) \((?P<options>.+)\)$")
BSD_MOUNT = re.compile(r"^(?P<device>\S+) on (?P<mount>\S+) \((?P<fstype>.+)\)$")
AIX_MOUNT = re.compile(r"^(?P<node>\S*)\s+(?P<mounted>\S+)\s+(?P<mount>\S+)\s+(?P<fstype>\S+)\s+"
                       r"(?P<time>\S+\s+\d+\s+\d+:\d+)\s+(?P<options>.*)$")

# Runtime aliases use typing's names: the target's Python may be 3.8.
Entry = Tuple[str, str, Dict[str, Any]]  # mount point, source line(s), fields


class TimedOut(Exception):
    pass


def unescape(value: str) -> str:
    """fstab's octal escapes (\\040 is a space)."""
    return re.sub(r"(\\[0-7]{3})", lambda m: codecs.decode(m.group(0), "unicode_escape"), value)


# --------------------------------------------------------------------------- file formats
def fstab_entries(lines: list[str]) -> Iterable[Entry]:
    for raw in lines:
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        fields = [unescape(f) for f in line.split()]
        info: dict[str, Any] = {"device": fields[0], "mount": fields[1], "fstype": fields[2], "options": fields[3]}
        try:
            info["dump"] = int(fields[4])
            info["passno"] = int(fields[5])
        except IndexError:
            pass
        yield fields[1], line, info


def vfstab_entries(lines: list[str]) -> Iterable[Entry]:
    for line in lines:
        if not line.strip() or line.strip().startswith("#"):
            continue
        fields = line.split()
        passno: Any = fields[4]
        try:
            passno = int(passno)
        except ValueError:
            pass
        yield fields[2], line, {"device": fields[0], "device_to_fsck": fields[1], "mount": fields[2],
                                "fstype": fields[3], "passno": passno, "mount_at_boot": fields[5],
                                "options": fields[6]}


def mnttab_entries(lines: list[str]) -> Iterable[Entry]:
    if not any(len(line.split()[4]) == 10 for line in lines):
        raise ValueError("not an mnttab")
    for line in lines:
        fields = line.split()
        datetime.date.fromtimestamp(int(fields[4]))
        yield fields[1], line, {"device": fields[0], "mount": fields[1], "fstype": fields[2], "options": fields[3],
                                "time": int(fields[4])}


def aix_entries(lines: list[str]) -> Iterable[Entry]:
    stanzas: list[list[str]] = []
    for line in lines:
        if line.startswith("*") or not line.strip():
            continue
        if line.rstrip().endswith(":"):
            stanzas.append([line])
        elif "=" not in line:
            return
        else:
            stanzas[-1].append(line)
    for stanza in stanzas:
        original = "\n".join(stanza)
        mount = stanza[0][:-1]
        attributes = {k.strip(): v.strip() for k, v in (line.split("=", 1) for line in stanza[1:])}
        device = attributes.get("nodename", "")
        if attributes.get("dev"):
            device = f"{device}:{attributes['dev']}" if device else attributes["dev"]
        yield mount, original, {"mount": mount, "device": device or "unknown",
                                "fstype": attributes.get("vfs") or "unknown", "attributes": attributes}


def file_entries(path: str) -> list[Entry]:
    """The entries of the first format that parses the whole file (most specific first)."""
    try:
        with open(path) as handle:
            lines = handle.read().splitlines()
    except OSError:
        return []
    for parse in (vfstab_entries, mnttab_entries, fstab_entries, aix_entries):
        try:
            return list(parse(lines))
        except (IndexError, ValueError):
            continue
    return []


def mount_output_entries(text: str) -> list[Entry]:
    lines = text.splitlines()
    if all(LINUX_MOUNT.match(line) for line in lines):
        pattern = LINUX_MOUNT
    elif all(BSD_MOUNT.match(line) for line in lines if not line.startswith("map ")):
        pattern = BSD_MOUNT
    elif len(lines) > 2 and all(AIX_MOUNT.match(line) for line in lines[2:]):
        pattern = AIX_MOUNT
    else:
        return []
    entries = []
    for line in lines:
        found = pattern.match(line)
        if not found:
            continue
        info: dict[str, Any] = found.groupdict()
        if pattern is BSD_MOUNT:
            parts = re.split(r"\s*,\s*", found.group("fstype"), maxsplit=1)
            info["fstype"] = parts[0]
            if len(parts) > 1:
                info["options"] = parts[1]
        elif pattern is AIX_MOUNT:
            device, node = info.pop("mounted"), info.pop("node")
            info["device"] = f"{node}:{device}" if device and node else device
        entries.append((info["mount"], line, info))
    return entries


# --------------------------------------------------------------------------- the run
class MountFacts:
    """One gathering: the options, and the caches of the slow lookups (lsblk, udevadm, blkid)."""

    def __init__(self, args: dict[str, Any], ctx: ModuleContext) -> None:
        self.args = args
        self.ctx = ctx
        self.timeout: float | None = args["timeout"]
        self._lsblk: list[list[str]] | None = None
        self._udev: dict[str, str | None] = {}
        self._blkid: dict[str, str | None] = {}

    def on_timeout(self, message: str, default: Any = None) -> Any:
        if self.args["on_timeout"] == "error":
            self.ctx.fail(message)
        if self.args["on_timeout"] == "warn":
            self.ctx.warn(message)
        return default

    def output(self, argv: list[str]) -> str:
        """A program's stdout; CalledProcessError when it fails, TimedOut past the timeout."""
        try:
            return subprocess.check_output(argv, text=True, timeout=self.timeout, stderr=subprocess.DEVNULL)
        except subprocess.TimeoutExpired as exc:
            raise TimedOut(str(exc)) from None

    def run_mount(self) -> str:
        program = require_program(self.ctx, self.args["mount_binary"])
        try:
            return self.output([program])
        except TimedOut as exc:
            return self.on_timeout(str(exc), "")
        except subprocess.CalledProcessError as exc:
            raise ModuleFailed(f"Failed to execute {program}: {exc}") from None

    def sources(self) -> list[str]:
        names: list[str] = []
        for source in self.args["sources"] or ["all"]:
            if not source:
                self.ctx.fail("sources contains an empty string")
            if source in ("dynamic", "all"):
                names += DYNAMIC_SOURCES
            if source in ("static", "all"):
                names += STATIC_SOURCES
            elif source not in ("static", "dynamic", "all"):
                names.append(source)
        return names

    def entries(self) -> Iterable[tuple[str, Entry]]:
        names = self.sources()
        if len(set(names)) < len(names):
            self.ctx.warn("mount_facts option 'sources' contains duplicate entries, repeat sources will be "
                          f"ignored: {names}")
        fallback = bool(self.args["mount_binary"]) and bool(set(names) & set(DYNAMIC_SOURCES))
        seen: set[str] = set()
        for name in names:
            real = os.path.realpath(name)
            if name in seen or real in seen:
                continue
            if name == "mount":
                seen.add(name)
                found = mount_output_entries(self.run_mount())
            else:
                seen.add(real)
                found = file_entries(name)
            if found and name in ("mount", *DYNAMIC_SOURCES):
                fallback = False
            for entry in found:
                yield name, entry
        if fallback:
            for entry in mount_output_entries(self.run_mount()):
                yield "mount", entry

    def size_of(self, mount: str, fstype: str) -> dict[str, int]:
        """statvfs figures, in a thread so a hung network mount cannot hang the task."""
        box: dict[str, Any] = {}

        def measure() -> None:
            try:
                st = os.statvfs(mount)
            except OSError:
                return
            box.update(size_total=st.f_frsize * st.f_blocks, size_available=st.f_frsize * st.f_bavail,
                       block_size=st.f_bsize, block_total=st.f_blocks, block_available=st.f_bavail,
                       block_used=st.f_blocks - st.f_bavail, inode_total=st.f_files,
                       inode_available=st.f_favail, inode_used=st.f_files - st.f_favail)

        seconds = self.timeout if self.timeout is not None else DEFAULT_STATVFS_TIMEOUT
        worker = threading.Thread(target=measure, daemon=True)
        worker.start()
        worker.join(seconds)
        if worker.is_alive():
            return self.on_timeout(f"Timed out getting mount size for mount {mount} (type {fstype}) "
                                   f"after {seconds} seconds", {}) or {}
        return box

    def guarded(self, step: Callable[[], Any], default: Any) -> Any:
        try:
            return step()
        except TimedOut as exc:
            return self.on_timeout(str(exc), default)

    def device_of_uuid(self, uuid: str) -> str | None:
        if uuid not in self._blkid:
            blkid = find_program("blkid")
            found = None
            if blkid:
                try:
                    found = self.guarded(lambda: self.output([blkid, "--uuid", uuid]), None)
                except subprocess.CalledProcessError:
                    pass
            self._blkid[uuid] = found
        return self._blkid[uuid]

    def lsblk(self) -> list[list[str]]:
        if self._lsblk is None:
            program = find_program("lsblk")
            text = self.output([program, "--list", "--noheadings", "--paths", "--output", "NAME,UUID",
                                "--exclude", "2"]) if program else ""
            self._lsblk = [line.split() for line in text.splitlines() if len(line.split()) == 2]
        return self._lsblk

    def udev_uuid(self, device: str) -> str | None:
        if device not in self._udev:
            program = find_program("udevadm")
            text = self.output([program, "info", "--query", "property", "--name", device]) if program else ""
            self._udev[device] = next((line.split("=", 1)[1] for line in text.splitlines()
                                       if line.startswith("ID_FS_UUID=")), None)
        return self._udev[device]

    def uuid_of(self, device: str) -> str | None:
        try:
            for uuid in os.listdir("/dev/disk/by-uuid"):
                if os.path.realpath(os.path.join("/dev/disk/by-uuid", uuid)) == device:
                    return uuid
        except OSError:
            pass
        for name, uuid in self.guarded(self.lsblk, []):
            if name == device:
                return uuid
        return self.guarded(lambda: self.udev_uuid(device), None)

    def gather(self) -> list[dict[str, Any]]:
        mounts = []
        for source, (mount, origin, fields) in self.entries():
            device, fstype = fields["device"], fields["fstype"]
            uuid = None
            if device.startswith("UUID="):
                uuid = device.split("=", 1)[1]
                device = self.device_of_uuid(uuid) or device
            if not any(fnmatch(device, p) for p in self.args["devices"] or ["*"]):
                continue
            if not any(fnmatch(fstype, p) for p in self.args["fstypes"] or ["*"]):
                continue
            fields.update(self.size_of(mount, fstype))
            if uuid is None:
                try:
                    uuid = self.uuid_of(device)
                except subprocess.CalledProcessError:
                    pass
            fields.update({"ansible_context": {"source": source, "source_data": origin}, "uuid": uuid})
            mounts.append(fields)
        return mounts


def main(args: dict[str, Any], ctx: ModuleContext) -> dict[str, Any]:
    if args["timeout"] is not None and args["timeout"] <= 0:
        ctx.fail(f"argument 'timeout' must be a positive number or null, not {args['timeout']}")
    if args["mount_binary"] is not None and not isinstance(args["mount_binary"], str):
        ctx.fail(f"argument 'mount_binary' must be a string or null, not {args['mount_binary']}")
    mounts = MountFacts(args, ctx).gather()
    points: dict[str, Any] = {}
    by_source: dict[str, list[str]] = {}
    for mount in mounts:
        points.setdefault(mount["mount"], mount)
        by_source.setdefault(mount["ansible_context"]["source"], []).append(mount["mount"])
    repeats = {src: names for src, names in by_source.items() if len(set(names)) != len(names)}
    if repeats and args["include_aggregate_mounts"] is None:
        listed = ", ".join(f"{src} ({names})" for src, names in repeats.items())
        ctx.warn(f"mount_facts: ignoring repeat mounts in the following sources: {listed}. You can disable this "
                 "warning by configuring the 'include_aggregate_mounts' option as True or False.")
    aggregate = mounts if args["include_aggregate_mounts"] else []
    return {"ansible_facts": {"mount_points": points, "aggregate_mounts": aggregate}}
