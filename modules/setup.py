"""setup — gather facts about the target: OS, distribution, Python, user, time, CPUs, memory, network.

How this works
--------------
Every fact comes from a file under /proc, /sys or /etc, or from the os/platform/socket
modules — no subprocess — so gathering takes a few milliseconds. Facts are grouped like
Ansible's: the minimal set (platform, distribution, python, user, env, date_time, pkg_mgr,
service_mgr, dns, cmdline, selinux, apparmor, fips, local) is always gathered unless
'!min' is given; 'hardware', 'network' and 'virtual' are added by 'all' (the default).

Arguments:
  gather_subset   list of subsets: all, min, hardware, network, virtual, or single minimal
                  ones (platform, distribution, ...); '!name' leaves one out (default [all])
  filter          list of shell-style patterns; only facts whose name matches are returned
                  (e.g. ansible_distribution*)
  gather_timeout, fact_path   accepted for compatibility

Returns: ansible_facts: {ansible_hostname, ansible_fqdn, ansible_nodename, ansible_domain,
ansible_os_family, ansible_distribution, ansible_distribution_version,
ansible_distribution_major_version, ansible_distribution_release, ansible_system, ansible_kernel,
ansible_architecture, ansible_machine, ansible_python, ansible_python_version, ansible_env,
ansible_user_id, ansible_user_uid, ansible_user_gid, ansible_user_dir, ansible_user_shell,
ansible_date_time, ansible_processor_count, ansible_processor_cores, ansible_processor_vcpus,
ansible_memtotal_mb, ansible_memfree_mb, ansible_default_ipv4, ansible_all_ipv4_addresses,
ansible_interfaces, ansible_<interface>, ansible_pkg_mgr, ansible_service_mgr, ...,
gather_subset, module_setup}.

Example:
  - name: Only what the templates need
    setup:
      gather_subset: ["!all", "network"]
      filter: ["ansible_distribution*", "ansible_default_ipv4"]
"""
from __future__ import annotations

import datetime
import fnmatch
import getpass
import os
import platform
import pwd
import socket
import struct
import sys
import time
from typing import Any, Callable

from miniplay.modules._common import ModuleContext

ARGUMENT_SPEC = {
    "gather_subset": {"type": "list", "elements": "str", "default": ["all"]},
    "gather_timeout": {"type": "int", "default": 10},
    "filter": {"type": "list", "elements": "str", "default": []},
    "fact_path": {"type": "path", "default": "/etc/ansible/facts.d"},
}
SUPPORTS_CHECK_MODE = True

# Ansible's distribution names for os-release IDs, and the family of each name.
DISTRIBUTION_NAMES = {
    "debian": "Debian", "ubuntu": "Ubuntu", "raspbian": "Debian", "linuxmint": "Linux Mint", "kali": "Kali",
    "devuan": "Devuan", "pop": "Pop!_OS", "centos": "CentOS", "rhel": "RedHat", "fedora": "Fedora",
    "rocky": "Rocky", "almalinux": "AlmaLinux", "ol": "OracleLinux", "amzn": "Amazon", "scientific": "Scientific",
    "cloudlinux": "CloudLinux", "eurolinux": "EuroLinux", "openEuler": "openEuler", "sles": "SLES",
    "sled": "SLED", "opensuse-leap": "openSUSE Leap", "opensuse-tumbleweed": "openSUSE Tumbleweed",
    "opensuse": "openSUSE", "arch": "Archlinux", "manjaro": "Manjaro", "alpine": "Alpine", "gentoo": "Gentoo",
    "clear-linux-os": "Clear Linux OS", "void": "Void", "nixos": "NixOS",
}
FAMILIES = {
    "RedHat": ("RedHat", "Fedora", "CentOS", "Scientific", "CloudLinux", "OracleLinux", "Amazon", "AlmaLinux",
               "Rocky", "EuroLinux", "openEuler", "Virtuozzo", "XenServer", "Alibaba", "EulerOS", "TencentOS"),
    "Debian": ("Debian", "Ubuntu", "Raspbian", "Linux Mint", "Kali", "Devuan", "Pop!_OS", "Neon", "KDE neon",
               "SteamOS", "Cumulus Linux", "Parrot", "Deepin", "Uos", "OSMC"),
    "Suse": ("SLES", "SLED", "openSUSE", "openSUSE Leap", "openSUSE Tumbleweed", "SLES_SAP", "SUSE_LINUX"),
    "Archlinux": ("Archlinux", "Antergos", "Manjaro"),
    "Gentoo": ("Gentoo", "Funtoo"),
    "Alpine": ("Alpine",),
    "ClearLinux": ("Clear Linux OS",),
}
FAMILY_OF = {name: family for family, names in FAMILIES.items() for name in names}

# Package managers by the file that shows them; the last one found wins, as in Ansible.
PKG_MGRS = (("/usr/bin/rpm-ostree", "atomic_container"), ("/usr/bin/yum", "dnf"), ("/usr/bin/dnf-3", "dnf"),
            ("/usr/bin/dnf5", "dnf5"), ("/usr/bin/apt-get", "apt"), ("/usr/bin/zypper", "zypper"),
            ("/usr/sbin/urpmi", "urpmi"), ("/usr/bin/pacman", "pacman"), ("/bin/opkg", "opkg"),
            ("/sbin/apk", "apk"), ("/usr/bin/emerge", "portage"), ("/usr/bin/xbps-install", "xbps"),
            ("/usr/bin/swupd", "swupd"))

MINIMAL = ("platform", "distribution", "python", "user", "env", "date_time", "pkg_mgr", "service_mgr",
           "dns", "cmdline", "selinux", "apparmor", "fips", "local", "lsb", "ssh_pub_keys", "chroot")
GROUPS = ("hardware", "network", "virtual")


def _read(path: str, default: str | None = None) -> str | None:
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            return handle.read()
    except OSError:
        return default


def _key_values(text: str | None) -> dict[str, str]:
    """KEY=value lines, quotes removed (os-release, lsb-release)."""
    found: dict[str, str] = {}
    for line in (text or "").splitlines():
        if "=" in line and not line.lstrip().startswith("#"):
            key, value = line.split("=", 1)
            found[key.strip()] = value.strip().strip("'\"")
    return found


# --------------------------------------------------------------------------- minimal facts
def platform_facts(facts: dict[str, Any]) -> None:
    uname = os.uname()
    fqdn = socket.getfqdn()
    facts.update(system=uname.sysname, kernel=uname.release, kernel_version=uname.version,
                 machine=uname.machine, python_version=platform.python_version(), fqdn=fqdn,
                 hostname=uname.nodename.split(".")[0], nodename=uname.nodename,
                 domain=".".join(fqdn.split(".")[1:]))
    bits = "64" if sys.maxsize > 2 ** 32 else "32"
    facts["userspace_bits"] = bits
    machine = uname.machine
    if machine == "x86_64":
        facts["architecture"] = machine
        facts["userspace_architecture"] = "x86_64" if bits == "64" else "i386"
    elif machine in ("i386", "i486", "i586", "i686"):
        facts["architecture"] = "i386"
    else:
        facts["architecture"] = machine
    machine_id = _read("/var/lib/dbus/machine-id") or _read("/etc/machine-id")
    if machine_id and machine_id.strip():
        facts["machine_id"] = machine_id.splitlines()[0].strip()


def distribution_facts(facts: dict[str, Any]) -> None:
    release = _key_values(_read("/etc/os-release") or _read("/usr/lib/os-release"))
    if not release:
        facts.update(distribution=platform.system(), distribution_version=platform.version(),
                     distribution_release=platform.release(), distribution_major_version="NA",
                     os_family=platform.system())
        return
    ident = release.get("ID", "")
    name = DISTRIBUTION_NAMES.get(ident) or (release.get("NAME", ident).split()[0] if release.get("NAME") else
                                             ident.capitalize())
    version = release.get("VERSION_ID", "")
    codename = release.get("VERSION_CODENAME") or release.get("UBUNTU_CODENAME", "")
    if ident == "debian":
        # /etc/debian_version holds the point release (12.11); os-release only says 12.
        point = (_read("/etc/debian_version") or "").strip()
        if point and point[0].isdigit():
            version = point
        elif point and not version:
            version = point.split("/")[0]
    elif ident == "alpine":
        version = (_read("/etc/alpine-release") or version).strip()
    if not codename:
        text = release.get("VERSION", "")
        if "(" in text and ")" in text:  # 'VERSION="9.3 (Blue Onyx)"'
            codename = text[text.index("(") + 1:text.index(")")]
    family = FAMILY_OF.get(name)
    if family is None:
        likes = release.get("ID_LIKE", "").split()
        family = next((FAMILY_OF[DISTRIBUTION_NAMES[like]] for like in likes
                       if like in DISTRIBUTION_NAMES and DISTRIBUTION_NAMES[like] in FAMILY_OF), name)
    parts = version.split(".")
    facts.update(distribution=name, distribution_version=version or "NA",
                 distribution_major_version=parts[0] if version else "NA",
                 distribution_release=codename or "NA", os_family=family,
                 distribution_file_path="/etc/os-release", distribution_file_parsed=True,
                 distribution_file_variety=family)
    if len(parts) > 1:
        facts["distribution_minor_version"] = parts[1]


def python_facts(facts: dict[str, Any]) -> None:
    info = sys.version_info
    facts["python"] = {
        "version": {"major": info.major, "minor": info.minor, "micro": info.micro,
                    "releaselevel": info.releaselevel, "serial": info.serial},
        "version_info": list(info), "executable": sys.executable, "has_sslcontext": True,
        "type": sys.implementation.name.capitalize() if sys.implementation.name != "cpython" else "cpython",
    }


def user_facts(facts: dict[str, Any]) -> None:
    try:
        name = getpass.getuser()
        entry = pwd.getpwnam(name)
    except (KeyError, OSError):
        entry = pwd.getpwuid(os.getuid())
        name = entry.pw_name
    facts.update(user_id=name, user_uid=entry.pw_uid, user_gid=entry.pw_gid, user_gecos=entry.pw_gecos,
                 user_dir=entry.pw_dir, user_shell=entry.pw_shell, real_user_id=os.getuid(),
                 effective_user_id=os.geteuid(), real_group_id=os.getgid(), effective_group_id=os.getgid())


def date_time_facts(facts: dict[str, Any]) -> None:
    stamp = time.time()
    local = datetime.datetime.fromtimestamp(stamp)
    utc = datetime.datetime.fromtimestamp(stamp, tz=datetime.timezone.utc)
    epoch = str(int(stamp))
    facts["date_time"] = {
        "year": local.strftime("%Y"), "month": local.strftime("%m"), "weekday": local.strftime("%A"),
        "weekday_number": local.strftime("%w"), "weeknumber": local.strftime("%W"), "day": local.strftime("%d"),
        "hour": local.strftime("%H"), "minute": local.strftime("%M"), "second": local.strftime("%S"),
        "epoch": epoch, "epoch_int": epoch, "date": local.strftime("%Y-%m-%d"), "time": local.strftime("%H:%M:%S"),
        "iso8601_micro": utc.strftime("%Y-%m-%dT%H:%M:%S.%fZ"), "iso8601": utc.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "iso8601_basic": local.strftime("%Y%m%dT%H%M%S%f"), "iso8601_basic_short": local.strftime("%Y%m%dT%H%M%S"),
        "tz": time.strftime("%Z"), "tz_dst": time.tzname[1], "tz_offset": time.strftime("%z"),
    }


def pkg_mgr_facts(facts: dict[str, Any]) -> None:
    found = "unknown"
    for path, name in PKG_MGRS:
        if os.path.exists(path):
            found = name
    family = facts.get("os_family")
    if family == "RedHat":
        found = "unknown"
        if os.path.exists("/run/ostree-booted"):
            found = "atomic_container"
        else:
            for binary in ("/usr/bin/dnf", "/usr/bin/microdnf"):
                if os.path.exists(binary):
                    found = "dnf5" if os.path.realpath(binary) == "/usr/bin/dnf5" else "dnf"
                    break
    elif family == "Debian":
        found = "apt"
    facts["pkg_mgr"] = found


def service_mgr_facts(facts: dict[str, Any]) -> None:
    init = (_read("/proc/1/comm") or "").strip()
    if not init and os.path.islink("/sbin/init"):
        init = os.path.basename(os.readlink("/sbin/init"))
    if init == "init" or init.endswith("sh"):
        init = ""
    if init:
        name = {"procd": "openwrt_init", "runit-init": "runit", "svscan": "svc", "openrc-init": "openrc"}.get(init, init)
    elif os.path.isdir("/run/systemd/system"):
        name = "systemd"
    elif os.path.exists("/sbin/openrc"):
        name = "openrc"
    elif os.path.isdir("/etc/init.d"):
        name = "sysvinit"
    else:
        name = "service"
    facts["service_mgr"] = name


def dns_facts(facts: dict[str, Any]) -> None:
    dns: dict[str, Any] = {}
    for line in (_read("/etc/resolv.conf") or "").splitlines():
        words = line.split()
        if not words or words[0].startswith(("#", ";")):
            continue
        if words[0] == "nameserver" and len(words) > 1:
            dns.setdefault("nameservers", []).append(words[1])
        elif words[0] == "domain" and len(words) > 1:
            dns["domain"] = words[1]
        elif words[0] == "search":
            dns["search"] = words[1:]
        elif words[0] == "options":
            dns["options"] = {o.split(":")[0]: (o.split(":", 1)[1] if ":" in o else True) for o in words[1:]}
    facts["dns"] = dns


def cmdline_facts(facts: dict[str, Any]) -> None:
    text = _read("/proc/cmdline")
    if text is None:
        return
    parsed: dict[str, Any] = {}
    for word in text.split():
        key, _, value = word.partition("=")
        parsed[key] = value if "=" in word else True
    facts["cmdline"] = parsed
    facts["proc_cmdline"] = parsed


def security_facts(facts: dict[str, Any]) -> None:
    facts["selinux"] = {"status": "enabled" if os.path.isdir("/sys/fs/selinux") and os.listdir("/sys/fs/selinux")
                        else "disabled"}
    facts["selinux_python_present"] = True
    facts["apparmor"] = {"status": "enabled" if os.path.isdir("/sys/kernel/security/apparmor") else "disabled"}
    facts["fips"] = (_read("/proc/sys/crypto/fips_enabled") or "0").strip() == "1"


def local_facts(facts: dict[str, Any]) -> None:
    facts["local"] = {}  # fact.d scripts are not run: that would need subprocesses


def lsb_facts(facts: dict[str, Any]) -> None:
    lsb = _key_values(_read("/etc/lsb-release"))
    if lsb:
        found = {"id": lsb.get("DISTRIB_ID"), "release": lsb.get("DISTRIB_RELEASE"),
                 "codename": lsb.get("DISTRIB_CODENAME"), "description": lsb.get("DISTRIB_DESCRIPTION")}
    else:
        # What lsb_release would print, taken from os-release instead of running it.
        release = _key_values(_read("/etc/os-release"))
        if not release:
            return
        found = {"id": (release.get("NAME") or release.get("ID", "")).split()[0] if release.get("NAME") or
                 release.get("ID") else None, "release": release.get("VERSION_ID"),
                 "codename": release.get("VERSION_CODENAME"), "description": release.get("PRETTY_NAME")}
    present: dict[str, str] = {k: v for k, v in found.items() if v}
    if "release" in present:
        present["major_release"] = present["release"].split(".")[0]
    facts["lsb"] = present


def ssh_pub_key_facts(facts: dict[str, Any]) -> None:
    for kind in ("dsa", "rsa", "ecdsa", "ed25519"):
        for folder in ("/etc/ssh", "/etc/openssh", "/etc"):
            text = _read(f"{folder}/ssh_host_{kind}_key.pub")
            if text and len(text.split()) >= 2:
                keytype, key = text.split()[:2]
                facts[f"ssh_host_key_{kind}_public"] = key
                facts[f"ssh_host_key_{kind}_public_keytype"] = keytype
                break


def chroot_facts(facts: dict[str, Any]) -> None:
    if os.environ.get("debian_chroot"):
        facts["is_chroot"] = True
        return
    mine = os.stat("/")
    try:
        init = os.stat("/proc/1/root/.")
        facts["is_chroot"] = (mine.st_ino, mine.st_dev) != (init.st_ino, init.st_dev)
    except OSError:
        # Cannot look at init's root: a real root has the file system's root inode number.
        fstype = next((line.split()[2] for line in (_read("/proc/mounts") or "").splitlines()
                       if len(line.split()) > 2 and line.split()[1] == "/"), "")
        facts["is_chroot"] = mine.st_ino != {"btrfs": 256, "xfs": 128}.get(fstype, 2)


def env_facts(facts: dict[str, Any], ctx: ModuleContext) -> None:
    facts["env"] = ctx.environ()


# --------------------------------------------------------------------------- hardware
def hardware_facts(facts: dict[str, Any]) -> None:
    processors: list[str] = []
    sockets: dict[str, int] = {}
    cores: dict[str, int] = {}
    physical, core = "0", "0"
    vendor_count = model_count = processor_count = 0
    for line in (_read("/proc/cpuinfo") or "").splitlines():
        key, _, value = line.partition(":")
        key, value = key.strip(), value.strip()
        if key in ("model name", "Processor", "vendor_id", "cpu", "Vendor", "processor"):
            processors.append(value)
            vendor_count += key == "vendor_id"
            model_count += key == "model name"
            processor_count += key == "processor"
        elif key == "flags" and "flags" not in facts:
            facts["flags"] = value.split()
        elif key == "physical id":
            physical = value
            sockets.setdefault(physical, 1)
        elif key == "core id":
            core = value
            cores.setdefault(core, 1)
        elif key == "cpu cores":
            sockets[physical] = int(value)
        elif key == "siblings":
            cores[core] = int(value)
    entries = vendor_count if vendor_count and vendor_count == model_count else processor_count
    if facts.get("architecture", platform.machine()).startswith(("armv", "aarch", "ppc")):
        entries = processor_count
    count = len(sockets) if sockets else entries
    per_socket = next(iter(sockets.values()), 0) or 1
    threads = round(next(iter(cores.values())) / per_socket) if cores else round(1 / per_socket)
    try:
        nproc = len(os.sched_getaffinity(0))
    except AttributeError:
        nproc = os.cpu_count() or processor_count
    facts.update(processor=processors, processor_count=count, processor_cores=per_socket,
                 processor_threads_per_core=threads, processor_vcpus=threads * count * per_socket,
                 processor_nproc=nproc)

    memory: dict[str, int] = {}
    for line in (_read("/proc/meminfo") or "").splitlines():
        key, _, value = line.partition(":")
        if value.strip():
            memory[key] = int(value.split()[0]) // 1024
    if memory:
        total, free = memory.get("MemTotal", 0), memory.get("MemFree", 0)
        swap_total, swap_free = memory.get("SwapTotal", 0), memory.get("SwapFree", 0)
        cache = memory.get("Buffers", 0) + memory.get("Cached", 0)
        facts.update(memtotal_mb=total, memfree_mb=free, swaptotal_mb=swap_total, swapfree_mb=swap_free)
        facts["memory_mb"] = {
            "real": {"total": total, "used": total - free, "free": free},
            "nocache": {"free": free + cache, "used": total - free - cache},
            "swap": {"total": swap_total, "free": swap_free, "used": swap_total - swap_free,
                     "cached": memory.get("SwapCached", 0)},
        }
    uptime = _read("/proc/uptime")
    if uptime:
        facts["uptime_seconds"] = int(float(uptime.split()[0]))
    facts["mounts"] = _mounts()
    dmi_facts(facts)
    load = _read("/proc/loadavg")
    if load:
        values = load.split()
        facts["loadavg"] = {"1m": float(values[0]), "5m": float(values[1]), "15m": float(values[2])}


_DMI = {"bios_date": "bios_date", "bios_vendor": "bios_vendor", "bios_version": "bios_version",
        "board_asset_tag": "board_asset_tag", "board_name": "board_name", "board_serial": "board_serial",
        "board_vendor": "board_vendor", "board_version": "board_version", "chassis_asset_tag": "chassis_asset_tag",
        "chassis_serial": "chassis_serial", "chassis_vendor": "chassis_vendor", "chassis_version": "chassis_version",
        "product_name": "product_name", "product_serial": "product_serial", "product_uuid": "product_uuid",
        "product_version": "product_version", "system_vendor": "sys_vendor"}
_FORM_FACTORS = ["Unknown", "Other", "Unknown", "Desktop", "Low Profile Desktop", "Pizza Box", "Mini Tower", "Tower",
                 "Portable", "Laptop", "Notebook", "Hand Held", "Docking Station", "All In One", "Sub Notebook",
                 "Space-saving", "Lunch Box", "Main Server Chassis", "Expansion Chassis", "Sub Chassis",
                 "Bus Expansion Chassis", "Peripheral Chassis", "RAID Chassis", "Rack Mount Chassis",
                 "Sealed-case PC", "Multi-system", "CompactPCI", "AdvancedTCA", "Blade", "Blade Enclosure",
                 "Tablet", "Convertible", "Detachable", "IoT Gateway", "Embedded PC", "Mini PC", "Stick PC"]


def dmi_facts(facts: dict[str, Any]) -> None:
    """Machine identity from /sys/devices/virtual/dmi/id ('NA' where it is missing or unreadable)."""
    for fact, name in _DMI.items():
        value = _read(f"/sys/devices/virtual/dmi/id/{name}")
        facts[fact] = value.strip() if value is not None else "NA"
    chassis = (_read("/sys/devices/virtual/dmi/id/chassis_type") or "").strip()
    facts["form_factor"] = _FORM_FACTORS[int(chassis)] if chassis.isdigit() and int(chassis) < len(_FORM_FACTORS) \
        else "NA"


def _mounts() -> list[dict[str, Any]]:
    """Real filesystems from /proc/mounts with their sizes (statvfs; network mounts get no sizes)."""
    uuids: dict[str, str] = {}
    try:
        for uuid in os.listdir("/dev/disk/by-uuid"):
            uuids[os.path.realpath(os.path.join("/dev/disk/by-uuid", uuid))] = uuid
    except OSError:
        pass
    mounts: list[dict[str, Any]] = []
    seen: set[str] = set()
    for line in (_read("/proc/mounts") or "").splitlines():
        fields = line.split()
        if len(fields) < 6:
            continue
        device, mount, fstype, options = fields[0], fields[1].replace("\\040", " "), fields[2], fields[3]
        if (not device.startswith("/") and ":/" not in device) or fstype == "none" or mount in seen:
            continue
        seen.add(mount)
        entry: dict[str, Any] = {"mount": mount, "device": device, "fstype": fstype, "options": options,
                                 "dump": int(fields[4]), "passno": int(fields[5]),
                                 "uuid": uuids.get(os.path.realpath(device), "N/A")}
        if device.startswith("/"):
            try:
                vfs = os.statvfs(mount)
                entry.update(size_total=vfs.f_frsize * vfs.f_blocks, size_available=vfs.f_frsize * vfs.f_bavail,
                             block_size=vfs.f_bsize, block_total=vfs.f_blocks, block_available=vfs.f_bavail,
                             block_used=vfs.f_blocks - vfs.f_bfree, inode_total=vfs.f_files,
                             inode_available=vfs.f_favail, inode_used=vfs.f_files - vfs.f_ffree)
            except OSError:
                pass
        mounts.append(entry)
    return mounts


# --------------------------------------------------------------------------- network
_SIOCGIFADDR, _SIOCGIFBRDADDR, _SIOCGIFNETMASK = 0x8915, 0x8919, 0x891B


def _ipv4_of(name: str) -> dict[str, str]:
    """Primary IPv4 address, netmask and broadcast of one interface, by ioctl."""
    try:
        import fcntl
    except ImportError:
        return {}
    request = struct.pack("256s", name[:15].encode())
    found: dict[str, str] = {}
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        for key, code in (("address", _SIOCGIFADDR), ("netmask", _SIOCGIFNETMASK), ("broadcast", _SIOCGIFBRDADDR)):
            try:
                found[key] = socket.inet_ntoa(fcntl.ioctl(sock.fileno(), code, request)[20:24])
            except OSError:
                if key == "address":
                    return {}
    if "netmask" in found:
        mask = struct.unpack("!I", socket.inet_aton(found["netmask"]))[0]
        address = struct.unpack("!I", socket.inet_aton(found["address"]))[0]
        found["network"] = socket.inet_ntoa(struct.pack("!I", address & mask))
        found["prefix"] = str(bin(mask).count("1"))
    if found.get("broadcast") == "0.0.0.0" or name == "lo":
        found.pop("broadcast", None)
        if name == "lo":
            found["broadcast"] = ""
    return found


def _interface(name: str) -> dict[str, Any]:
    base = f"/sys/class/net/{name}"
    info: dict[str, Any] = {"device": name}
    mac = (_read(f"{base}/address") or "").strip()
    if mac and mac != "00:00:00:00:00:00":
        info["macaddress"] = mac
    mtu = (_read(f"{base}/mtu") or "").strip()
    if mtu.isdigit():
        info["mtu"] = int(mtu)
    state = (_read(f"{base}/operstate") or "").strip()
    if state:
        info["active"] = state != "down"
    kind = (_read(f"{base}/type") or "").strip()
    if kind == "1":
        info["type"] = "bridge" if os.path.isdir(f"{base}/bridge") else "ether"
    elif kind == "772":
        info["type"] = "loopback"
    elif kind == "32":
        info["type"] = "infiniband"
    else:
        info["type"] = "unknown"
    flags = (_read(f"{base}/flags") or "").strip()
    if flags.startswith("0x"):
        info["promisc"] = bool(int(flags, 16) & 0x100)
    ipv4 = _ipv4_of(name)
    if ipv4:
        info["ipv4"] = ipv4
    ipv6 = _ipv6_of().get(name)
    if ipv6:
        info["ipv6"] = ipv6
    return info


_V6_SCOPES = {0x00: "global", 0x10: "host", 0x20: "link", 0x40: "site"}


def _ipv6_of() -> dict[str, list[dict[str, str]]]:
    """IPv6 addresses per interface from /proc/net/if_inet6."""
    found: dict[str, list[dict[str, str]]] = {}
    for line in (_read("/proc/net/if_inet6") or "").splitlines():
        fields = line.split()
        if len(fields) < 6:
            continue
        address = socket.inet_ntop(socket.AF_INET6, bytes.fromhex(fields[0]))
        scope = int(fields[3], 16)
        found.setdefault(fields[5], []).append({"address": address, "prefix": str(int(fields[2], 16)),
                                                "scope": _V6_SCOPES.get(scope, str(scope))})
    return found


def _default_route() -> tuple[str | None, str | None]:
    """(interface, gateway) of the IPv4 default route with the lowest metric."""
    best: tuple[int, str | None, str | None] = (1 << 31, None, None)
    for line in (_read("/proc/net/route") or "").splitlines()[1:]:
        fields = line.split()
        if len(fields) < 8 or fields[1] != "00000000" or not int(fields[3], 16) & 1:
            continue
        metric = int(fields[6])
        if metric < best[0]:
            gateway = socket.inet_ntoa(struct.pack("<I", int(fields[2], 16)))
            best = (metric, fields[0], gateway if gateway != "0.0.0.0" else None)
    return best[1], best[2]


def network_facts(facts: dict[str, Any]) -> None:
    try:
        names = os.listdir("/sys/class/net")
    except OSError:
        names = [name for _, name in socket.if_nameindex()]
    facts["interfaces"] = names
    all_v4: list[str] = []
    for name in names:
        info = _interface(name)
        facts[name.replace("-", "_").replace(".", "_").replace(":", "_")] = info
        address = info.get("ipv4", {}).get("address")
        if address and not address.startswith("127."):
            all_v4.append(address)
    facts["all_ipv4_addresses"] = all_v4
    all_v6: list[str] = []
    for line in (_read("/proc/net/if_inet6") or "").splitlines():
        fields = line.split()
        if len(fields) >= 6:
            address = socket.inet_ntop(socket.AF_INET6, bytes.fromhex(fields[0]))
            if address != "::1":
                all_v6.append(address)
    facts["all_ipv6_addresses"] = all_v6
    interface, gateway = _default_route()
    default: dict[str, Any] = {}
    if interface:
        info = facts.get(interface.replace("-", "_").replace(".", "_")) or _interface(interface)
        default = dict(info.get("ipv4", {}))
        default.update(interface=interface, alias=interface)
        if gateway:
            default["gateway"] = gateway
        for key in ("macaddress", "mtu", "type"):
            if key in info:
                default[key] = info[key]
    facts["default_ipv4"] = default
    facts["default_ipv6"] = _default_ipv6(facts)


def _default_ipv6(facts: dict[str, Any]) -> dict[str, Any]:
    best: tuple[int, str, str] | None = None
    for line in (_read("/proc/net/ipv6_route") or "").splitlines():
        fields = line.split()
        if len(fields) < 10 or fields[0] != "0" * 32 or fields[1] != "00" or fields[9] == "lo":
            continue
        metric = int(fields[5], 16)
        if best is None or metric < best[0]:
            best = (metric, fields[9], socket.inet_ntop(socket.AF_INET6, bytes.fromhex(fields[4])))
    if best is None:
        return {}
    _, interface, gateway = best
    info = facts.get(interface.replace("-", "_").replace(".", "_").replace(":", "_")) or {}
    default: dict[str, Any] = {"interface": interface}
    global_addresses = [a for a in info.get("ipv6", []) if a["scope"] == "global"]
    if global_addresses:
        default.update(global_addresses[0])
    if gateway != "::":
        default["gateway"] = gateway
    for key in ("macaddress", "mtu", "type"):
        if key in info:
            default[key] = info[key]
    return default


def virtual_facts(facts: dict[str, Any]) -> None:
    kind, role = "", ""
    cgroup = _read("/proc/1/cgroup") or ""
    environ = _read("/proc/1/environ") or ""
    if os.path.exists("/.dockerenv") or "docker" in cgroup:
        kind, role = "docker", "guest"
    elif os.path.exists("/run/.containerenv") or "container=podman" in environ:
        kind, role = "podman", "guest"
    elif "container=lxc" in environ or "lxc" in cgroup:
        kind, role = "lxc", "guest"
    elif os.path.exists("/proc/xen"):
        kind, role = "xen", "guest"
    else:
        product = (_read("/sys/devices/virtual/dmi/id/product_name") or "").strip()
        vendor = (_read("/sys/devices/virtual/dmi/id/sys_vendor") or "").strip()
        for needle, name in (("KVM", "kvm"), ("QEMU", "kvm"), ("VMware", "VMware"), ("VirtualBox", "virtualbox"),
                             ("Amazon EC2", "kvm"), ("Google", "kvm"), ("Microsoft", "VirtualPC")):
            if needle in product or needle in vendor:
                kind, role = name, "guest"
                break
        else:
            cpu_flags = _read("/proc/cpuinfo") or ""
            if " hypervisor" in cpu_flags:
                kind, role = "kvm", "guest"
    facts["virtualization_type"] = kind or "NA"
    facts["virtualization_role"] = role or "NA"
    guest = [kind] if kind else []
    if kind in ("docker", "podman", "lxc"):
        guest.append("container")
    facts["virtualization_tech_guest"] = guest
    facts["virtualization_tech_host"] = []


# --------------------------------------------------------------------------- subsets
def _collectors(ctx: ModuleContext) -> dict[str, Callable[[dict[str, Any]], None]]:
    return {
        "platform": platform_facts, "distribution": distribution_facts, "python": python_facts,
        "user": user_facts, "env": lambda facts: env_facts(facts, ctx), "date_time": date_time_facts,
        "pkg_mgr": pkg_mgr_facts, "service_mgr": service_mgr_facts, "dns": dns_facts, "cmdline": cmdline_facts,
        "selinux": security_facts, "apparmor": security_facts, "fips": security_facts, "local": local_facts,
        "lsb": lsb_facts, "ssh_pub_keys": ssh_pub_key_facts, "chroot": chroot_facts, "hardware": hardware_facts,
        "network": network_facts, "virtual": virtual_facts,
    }


def chosen_subsets(wanted: list[str], ctx: ModuleContext) -> list[str]:
    """Which collectors to run for a gather_subset list, the way Ansible reads it.

    'min' is always implied first; 'all' adds everything; '!all' removes all but the minimal
    set; '!min' removes the minimal set; a name added explicitly survives any '!'.
    """
    valid = set(MINIMAL) | set(GROUPS)
    added: set[str] = set()
    removed: set[str] = set()
    explicit: set[str] = set()
    for item in ["min", *wanted]:
        if item == "min":
            added.update(MINIMAL)
        elif item == "all":
            added.update(valid)
        elif item == "!min":
            removed.update(MINIMAL)
        elif item == "!all":
            removed.update(valid - set(MINIMAL))
        elif item.startswith("!"):
            removed.add(item[1:])  # excluding an unknown name is ignored, as in Ansible
        else:
            if item not in valid:
                ctx.fail(f"Bad subset '{item}' given to Ansible. gather_subset options allowed: all, "
                         f"{', '.join(sorted(valid))}")
            explicit.add(item)
            added.add(item)
    chosen = added - (removed - explicit)
    # A stable order: distribution before pkg_mgr needs it, platform before hardware.
    return [name for name in (*MINIMAL, *GROUPS) if name in chosen]


def main(args: dict[str, Any], ctx: ModuleContext) -> dict[str, Any]:
    subsets = chosen_subsets(args["gather_subset"], ctx)
    collectors = _collectors(ctx)
    raw: dict[str, Any] = {}
    done: set[Any] = set()
    for name in subsets:
        collector = collectors[name]
        if collector in done:
            continue
        done.add(collector)
        try:
            collector(raw)
        except Exception as exc:  # one broken source must not cost all the facts
            ctx.warn(f"Error gathering {name} facts: {type(exc).__name__}: {exc}")
    facts = {f"ansible_{key}": value for key, value in raw.items()}
    facts["gather_subset"] = list(args["gather_subset"])
    facts["module_setup"] = True
    patterns = [p for p in args["filter"] if p]
    if patterns:
        facts = {key: value for key, value in facts.items() if any(fnmatch.fnmatch(key, p) for p in patterns)}
    return {"ansible_facts": facts, "changed": False}
