"""Shared fixtures: real OpenSSH test hosts, and a `target` that is either local or SSH.

* `ssh_lab` / `ssh_hosts` (session): `SSH_HOSTS` sshd test hosts on 127.0.0.2, 127.0.0.3, ...
  (see `sshd.py`), each with its own Unix user `mpt_<n>`, home, keys and known_hosts. They
  are stopped and the users removed when the session ends.
* `target` (parametrized "local" / "ssh"): one host named `target1` and an inventory file for
  it, so a functional test is written once and runs over both connections. Use
  `target.workdir` for files the task writes (the target user owns it) and
  `target.run(playbook_text)` to run a playbook against it.

Without root or sshd the SSH variants skip and say why; with CI=true they fail instead,
so CI can never pass by skipping them. Every miniplay run started from the tests sees
`MINIPLAY_SSH_ISOLATED=1`: the developer's own ~/.ssh (config, keys, known_hosts, agent)
is never read.
"""
from __future__ import annotations

import getpass
import os
import pwd
import re
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from helpers import CliRun, miniplay, write  # noqa: E402
from sshd import ISOLATED_ENV, TARGET_PYTHON, LabError, SSHLab, TestHost  # noqa: E402

SSH_HOSTS = int(os.environ.get("MINIPLAY_TEST_SSH_HOSTS", "3"))
LOCAL_PYTHON = TARGET_PYTHON if os.path.exists(TARGET_PYTHON) else sys.executable

# Tests must not depend on the developer's ssh files (config, keys, known_hosts, agent).
os.environ.update(ISOLATED_ENV)


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")


def unavailable(reason: str) -> None:
    """Skip (on a developer's machine) or fail (in CI) a test that needs the SSH hosts."""
    if _in_ci():
        pytest.fail(f"the SSH test hosts are required in CI: {reason}", pytrace=False)
    pytest.skip(f"SSH test hosts unavailable: {reason}")


class HostList(list):
    """The lab's hosts, plus `inventory_text()` for INI lines with every variable they need."""

    def __init__(self, lab: SSHLab) -> None:
        super().__init__(lab.hosts)
        self.lab = lab

    def inventory_text(self, count: Optional[int] = None, group: Optional[str] = None, **options: Any) -> str:
        """`count` hosts (all by default) as INI lines; options go to `TestHost.inventory_vars`."""
        return self.lab.inventory_text(count, group=group, **options)


_LAB_FAILURE: list[str] = []


@pytest.fixture(scope="session")
def ssh_lab(tmp_path_factory: pytest.TempPathFactory):
    if _LAB_FAILURE:
        unavailable(_LAB_FAILURE[0])
    reason = SSHLab.available()
    if reason:
        _LAB_FAILURE.append(reason)
        unavailable(reason)
    lab = SSHLab(tmp_path_factory.mktemp("sshlab"), SSH_HOSTS)
    try:
        lab.start()
    except (LabError, OSError) as exc:
        _LAB_FAILURE.append(str(exc))
        unavailable(str(exc))
    try:
        yield lab
    finally:
        lab.stop()


@pytest.fixture(scope="session")
def sudo() -> str:
    """The path of sudo, which the become tests need (skip, or fail in CI, without it)."""
    path = shutil.which("sudo")
    if path is None:
        unavailable("sudo is not installed (apt-get install sudo)")
    return path


@pytest.fixture(scope="session")
def ssh_hosts(ssh_lab: SSHLab) -> HostList:
    """N (default 3, $MINIPLAY_TEST_SSH_HOSTS) running test hosts: name, address, port, user, home, key..."""
    return HostList(ssh_lab)


@pytest.fixture
def ssh_host(ssh_lab: SSHLab) -> TestHost:
    """The first lab host, with its sshd checked (and restarted) before the test."""
    host = ssh_lab.hosts[0]
    if host.pid is None or host.process is None or host.process.poll() is not None:
        ssh_lab.restart_host(host)
    return host


# ---------------------------------------------------------------------- target: local or ssh
@dataclass
class Target:
    """One test host named `target1`, reached over `kind` ("local" or "ssh")."""

    kind: str
    inventory: Path
    workdir: Path                    # a fresh directory on the target, owned by the target user
    user: str
    home: Path
    host: Optional[TestHost] = None  # the lab host (ssh only)
    tmp_path: Path = field(default=Path())

    @property
    def name(self) -> str:
        return "target1"

    def run(self, playbook_text: str, *args: str, env: Optional[dict[str, str]] = None,
            timeout: float = 120, stdin: Optional[str] = None) -> CliRun:
        """Write the playbook (dedented) in the test's tmp dir and run it against target1."""
        playbook = write(self.tmp_path / "site.yml", playbook_text)
        return miniplay("run", "-i", str(self.inventory), str(playbook), *args, cwd=self.tmp_path, env=env,
                        timeout=timeout, stdin=stdin)

    def chown(self, path: Path) -> Path:
        """Give a file or folder made by the test to the target user (ssh), so tasks can use it."""
        if self.kind == "ssh":
            entry = pwd.getpwnam(self.user)
            for item in [path, *path.rglob("*")] if path.is_dir() else [path]:
                os.chown(item, entry.pw_uid, entry.pw_gid)
        return path


@pytest.fixture(params=["local", "ssh"])
def target(request: pytest.FixtureRequest, tmp_path: Path):
    """A host `target1` over the local connection, then over SSH: write the test once."""
    inventory = tmp_path / "target.ini"
    if request.param == "local":
        workdir = tmp_path / "target"
        workdir.mkdir()
        inventory.write_text(f"target1 ansible_connection=local ansible_python_interpreter={LOCAL_PYTHON}\n")
        yield Target("local", inventory, workdir, getpass.getuser(), Path.home(), None, tmp_path)
        return
    lab: SSHLab = request.getfixturevalue("ssh_lab")
    host = lab.hosts[0]
    if host.pid is None or host.process is None or host.process.poll() is not None:
        lab.restart_host(host)
    entry = pwd.getpwnam(host.user)
    workdir = host.workdir / re.sub(r"[^\w.-]", "_", request.node.name)[:80]  # no glob characters in paths
    shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir(parents=True)
    os.chown(workdir, entry.pw_uid, entry.pw_gid)
    inventory.write_text(host.inventory_line("target1") + "\n")
    try:
        yield Target("ssh", inventory, workdir, host.user, host.home, host, tmp_path)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
