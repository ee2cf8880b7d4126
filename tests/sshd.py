"""Real OpenSSH test hosts on loopback addresses, for the SSH tests and benchmarks.

How this works
--------------
`SSHLab(root, count)` makes `count` test hosts. Host *i* is:

* a Unix user `mpt_<n>` (n is the first free number, so two test sessions on one machine
  never share a user) with its own home, a random password, the lab's client key in
  `~/.ssh/authorized_keys`, and a sudo rule that asks for that password;
* its own `sshd -D -e -f <config>` listening on `127.0.0.<i+2>` at a free port, with its own
  host key, config and pid file under `root/host<i>/` (one sshd per host: one sshd listens
  on at most 16 sockets, and separate daemons let a test kill one host alone).

The lab writes one `known_hosts` file with every host's key. Nothing here reads or writes the
developer's `~/.ssh`: inventories point miniplay at the lab's key and known_hosts, and
`ISOLATED_ENV` tells miniplay not to load the user's ssh config, keys or agent.

`stop()` kills each sshd by its PID, removes the users (and their homes) and the sudo rule.
A user left by a session that died (its owner PID is gone) is removed at the next start.

Everything needs root (useradd, sshd on privileged config paths); `SSHLab.available()`
says why not when it cannot work here.
"""
from __future__ import annotations

import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

SSHD = shutil.which("sshd") or "/usr/sbin/sshd"
SSH_KEYGEN = shutil.which("ssh-keygen") or "/usr/bin/ssh-keygen"
TARGET_PYTHON = "/usr/bin/python3"
USER_PREFIX = "mpt_"
OWNER_FILE = ".mpt_owner"
SUDOERS_DIR = Path("/etc/sudoers.d")

#: Environment for miniplay runs against the lab: no user ssh config, keys, agent or known_hosts.
ISOLATED_ENV = {"MINIPLAY_SSH_ISOLATED": "1"}


class LabError(RuntimeError):
    """The lab cannot be set up here (not root, no sshd, sshd would not start)."""


@dataclass
class TestHost:
    """One test host: what an inventory line needs, and what a test may inspect."""

    __test__ = False  # not a pytest test class

    name: str
    address: str
    port: int
    user: str
    home: Path
    password: str
    key: Path
    known_hosts: Path
    workdir: Path
    sshd_config: Path = field(repr=False, default=Path())
    pid_file: Path = field(repr=False, default=Path())
    host_key: Path = field(repr=False, default=Path())
    pid: Optional[int] = None
    log: Optional[Path] = field(repr=False, default=None)
    process: Optional[subprocess.Popen] = field(repr=False, default=None)

    def inventory_vars(self, *, become_password: bool = True, key: bool = True, password: bool = False,
                       known_hosts: bool = True, **extra: object) -> dict[str, object]:
        """The inventory variables that reach this host (pass extra=None to drop one)."""
        values: dict[str, object] = {
            "ansible_host": self.address,
            "ansible_port": self.port,
            "ansible_user": self.user,
            "ansible_python_interpreter": TARGET_PYTHON,
        }
        if key:
            values["ansible_ssh_private_key_file"] = str(self.key)
        if password:
            values["ansible_password"] = self.password
        if known_hosts:
            values["ansible_ssh_known_hosts_file"] = str(self.known_hosts)
        if become_password:
            values["ansible_become_password"] = self.password
        for name, value in extra.items():
            if value is None:
                values.pop(name, None)
            else:
                values[name] = value
        return values

    def inventory_line(self, name: Optional[str] = None, **options: object) -> str:
        """One INI host line: `name var=value ...` (values quoted when they hold spaces)."""
        parts = [name or self.name]
        for key, value in self.inventory_vars(**options).items():
            text = str(value)
            if any(c in text for c in " \t'\"#="):
                text = "'" + text.replace("'", "\\'") + "'"
            parts.append(f"{key}={text}")
        return " ".join(parts)

    def session_pids(self) -> list[int]:
        """PIDs of this host's per-connection sshd processes (the listener's sshd descendants)."""
        if self.pid is None:
            return []
        found, queue = [], _children(self.pid)
        while queue:
            pid = queue.pop()
            if _comm(pid) == "sshd":
                found.append(pid)
                queue.extend(_children(pid))
        return found

    def session_processes(self) -> list[int]:
        """PIDs of everything running under this host's connections: shells, workers, sudo and
        the become workers under it (async jobs leave this tree: they start their own session)."""
        found, queue = [], [child for pid in self.session_pids() for child in _children(pid)]
        while queue:
            pid = queue.pop()
            if _comm(pid) != "sshd":
                found.append(pid)
            queue.extend(_children(pid))
        return found

    def drop_connections(self) -> None:
        """Cut every open SSH connection to this host (the listener keeps running)."""
        for pid in self.session_pids():
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        try:
            found.extend(int(p) for p in task.read_text().split())
        except (OSError, ValueError):
            continue
    return found


def _comm(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return ""


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _run(*command: str, input: Optional[str] = None) -> subprocess.CompletedProcess:
    return subprocess.run(command, input=input, capture_output=True, text=True, check=False)


def _free_port(address: str) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((address, 0))
        return sock.getsockname()[1]


class SSHLab:
    """Start, describe and stop a set of loopback sshd test hosts."""

    def __init__(self, root: Path, count: int, name_prefix: str = "host") -> None:
        self.root = Path(root)
        self.count = count
        self.name_prefix = name_prefix
        self.hosts: list[TestHost] = []
        self.client_key = self.root / "client_key"
        self.known_hosts = self.root / "known_hosts"
        self.sudoers: Optional[Path] = None
        self._users: list[str] = []

    # ------------------------------------------------------------------ checks
    @staticmethod
    def available() -> Optional[str]:
        """None when a lab can run here, else the reason it cannot."""
        if os.geteuid() != 0:
            return "the SSH test hosts need root (useradd, sshd)"
        for tool in (SSHD, SSH_KEYGEN, "/usr/sbin/useradd", TARGET_PYTHON):
            if not os.path.exists(tool):
                return f"{tool} is not installed (apt-get install openssh-server)"
        return None

    # ------------------------------------------------------------------ start / stop
    def start(self) -> "SSHLab":
        reason = self.available()
        if reason:
            raise LabError(reason)
        self.root.mkdir(parents=True, exist_ok=True)
        os.chmod(self.root, 0o755)
        Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)  # sshd's privilege-separation directory
        remove_stale_users()
        self._keygen(self.client_key, "miniplay-test-client")
        known_lines = []
        try:
            for index in range(self.count):
                host = self._make_host(index)
                self.hosts.append(host)
                public = host.host_key.with_suffix(".pub").read_text().split()
                known_lines.append(f"[{host.address}]:{host.port} {public[0]} {public[1]}\n")
            self.known_hosts.write_text("".join(known_lines))
            os.chmod(self.known_hosts, 0o644)
            self._write_sudoers()
            for host in self.hosts:
                self._start_sshd(host)
            for host in self.hosts:
                self._wait_listening(host)
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        for host in self.hosts:
            self.stop_host(host)
        for user in self._users:
            delete_user(user)
        self._users.clear()
        if self.sudoers is not None:
            try:
                self.sudoers.unlink()
            except FileNotFoundError:
                pass
            self.sudoers = None

    def stop_host(self, host: TestHost) -> None:
        """Stop one host's sshd (listener and its open connections), by PID."""
        if host.pid is None:
            return
        for pid in host.session_pids():
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        try:
            os.kill(host.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        if host.process is not None:
            try:
                host.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                os.kill(host.pid, signal.SIGKILL)
                host.process.wait()
        host.pid = None
        host.process = None

    def restart_host(self, host: TestHost) -> None:
        self.stop_host(host)
        self._start_sshd(host)
        self._wait_listening(host)

    # ------------------------------------------------------------------ pieces
    def _keygen(self, path: Path, comment: str) -> None:
        if path.exists():
            return
        result = _run(SSH_KEYGEN, "-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", str(path))
        if result.returncode:
            raise LabError(f"ssh-keygen failed: {result.stderr.strip()}")

    def _make_host(self, index: int) -> TestHost:
        user = create_user()
        self._users.append(user)
        entry = pwd.getpwnam(user)
        home = Path(entry.pw_dir)
        password = secrets.token_urlsafe(12)
        result = _run("chpasswd", input=f"{user}:{password}\n")
        if result.returncode:
            raise LabError(f"chpasswd failed for {user}: {result.stderr.strip()}")
        ssh_dir = home / ".ssh"
        ssh_dir.mkdir(mode=0o700, exist_ok=True)
        authorized = ssh_dir / "authorized_keys"
        authorized.write_text(self.client_key.with_suffix(".pub").read_text())
        os.chmod(authorized, 0o600)
        workdir = home / "work"
        workdir.mkdir(exist_ok=True)
        for path in (ssh_dir, authorized, workdir):
            os.chown(path, entry.pw_uid, entry.pw_gid)
        folder = self.root / f"host{index + 1}"
        folder.mkdir(exist_ok=True)
        address = f"127.0.0.{index + 2}"
        host = TestHost(name=f"{self.name_prefix}{index + 1}", address=address, port=_free_port(address),
                        user=user, home=home, password=password, key=self.client_key,
                        known_hosts=self.known_hosts, workdir=workdir, sshd_config=folder / "sshd_config",
                        pid_file=folder / "sshd.pid", host_key=folder / "ssh_host_ed25519_key",
                        log=folder / "sshd.log")
        self._keygen(host.host_key, f"miniplay-test-host{index + 1}")
        host.sshd_config.write_text(
            f"ListenAddress {address}:{host.port}\n"
            f"HostKey {host.host_key}\n"
            f"PidFile {host.pid_file}\n"
            "UsePAM no\n"
            "PasswordAuthentication yes\n"
            "KbdInteractiveAuthentication no\n"
            "PubkeyAuthentication yes\n"
            "AuthorizedKeysFile .ssh/authorized_keys\n"
            "PermitRootLogin no\n"
            f"AllowUsers {user}\n"
            "StrictModes yes\n"
            "MaxStartups 1000:30:2000\n"
            "MaxSessions 1000\n"
            "LoginGraceTime 30\n"
            "UseDNS no\n"
            "PrintMotd no\n"
            "Subsystem sftp internal-sftp\n"
            "LogLevel ERROR\n"
        )
        return host

    def _write_sudoers(self) -> None:
        if not SUDOERS_DIR.is_dir():
            return  # no sudo here: become tests skip
        path = SUDOERS_DIR / f"miniplay-tests-{os.getpid()}"
        lines = [f"Defaults:{host.user} lecture=never\n{host.user} ALL=(ALL:ALL) ALL\n" for host in self.hosts]
        temp = path.with_name(path.name + ".tmp")  # sudo ignores names with a dot
        temp.write_text("".join(lines))
        os.chmod(temp, 0o440)
        os.replace(temp, path)
        self.sudoers = path

    def _start_sshd(self, host: TestHost) -> None:
        assert host.log is not None
        log = open(host.log, "ab")
        try:
            proc = subprocess.Popen([SSHD, "-D", "-e", "-f", str(host.sshd_config)], stdin=subprocess.DEVNULL,
                                    stdout=log, stderr=log, start_new_session=True)
        finally:
            log.close()
        host.process = proc
        host.pid = proc.pid

    def _wait_listening(self, host: TestHost, timeout: float = 10) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if host.pid is not None and not _pid_alive(host.pid):
                break
            try:
                with socket.create_connection((host.address, host.port), timeout=1) as sock:
                    sock.settimeout(2)
                    if sock.recv(4).startswith(b"SSH-"):
                        return
            except OSError:
                time.sleep(0.05)
        log = host.log.read_text(errors="replace").strip() if host.log and host.log.exists() else ""
        raise LabError(f"sshd for {host.name} did not start on {host.address}:{host.port}: {log[-500:]}")

    # ------------------------------------------------------------------ inventories
    def inventory_text(self, count: Optional[int] = None, group: Optional[str] = None, **options: object) -> str:
        """INI lines for the first `count` hosts (all by default), with every variable they need."""
        hosts = self.hosts[:count] if count is not None else self.hosts
        lines = [f"[{group}]"] if group else []
        lines += [host.inventory_line(**options) for host in hosts]
        return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------- users
def create_user() -> str:
    """Create the first free `mpt_<n>` user (with a home) and return its name."""
    for number in range(1, 1000):
        name = f"{USER_PREFIX}{number}"
        try:
            pwd.getpwnam(name)
            continue
        except KeyError:
            pass
        result = _run("useradd", "-m", "-s", "/bin/sh", name)
        if result.returncode == 9:  # taken by another session in the meantime
            continue
        if result.returncode:
            raise LabError(f"useradd {name} failed: {result.stderr.strip()}")
        home = Path(pwd.getpwnam(name).pw_dir)
        (home / OWNER_FILE).write_text(str(os.getpid()))
        return name
    raise LabError("no free mpt_<n> user name")


def delete_user(name: str) -> None:
    if not name.startswith(USER_PREFIX):
        raise ValueError(f"refusing to delete {name}: not a test user")
    _run("userdel", "-r", "-f", name)


def remove_stale_users() -> None:
    """Remove test users whose owning test session no longer runs."""
    for entry in pwd.getpwall():
        if not entry.pw_name.startswith(USER_PREFIX):
            continue
        try:
            owner = int((Path(entry.pw_dir) / OWNER_FILE).read_text().strip())
        except (OSError, ValueError):
            continue
        if not _pid_alive(owner):
            delete_user(entry.pw_name)
    for stale in SUDOERS_DIR.glob("miniplay-tests-*") if SUDOERS_DIR.is_dir() else ():
        try:
            owner = int(stale.name.rsplit("-", 1)[1])
        except ValueError:
            continue
        if not _pid_alive(owner):
            stale.unlink(missing_ok=True)
