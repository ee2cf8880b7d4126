"""The SSH connection against real OpenSSH test hosts (see conftest.py and sshd.py).

Each test runs the real CLI. What is checked is what a user sees: the task lines, the
UNREACHABLE/FAILED line with its cause, the recap and the exit code; and what really
happened on the host (which user ran the task, which connection it came over).
"""
from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Optional

import pytest

from helpers import CliRun, miniplay, write
from sshd import SSH_KEYGEN

PLAY_HEAD = """
- hosts: {hosts}
  gather_facts: false
  tasks:
"""


def run(tmp_path: Path, inventory: str, tasks: str, *args: str, hosts: str = "all",
        env: Optional[dict[str, str]] = None, stdin: Optional[str] = None, timeout: float = 120,
        extra_files: Optional[dict[str, str]] = None) -> CliRun:
    """Write `inventory` and a one-play playbook with `tasks` (indented YAML items) and run it."""
    write(tmp_path / "hosts.ini", inventory)
    body = "\n".join("    " + line if line.strip() else line for line in _dedent(tasks).splitlines())
    (tmp_path / "site.yml").write_text(PLAY_HEAD.format(hosts=hosts).lstrip("\n") + body + "\n")
    for name, text in (extra_files or {}).items():
        write(tmp_path / name, text)
    return miniplay("run", "-i", str(tmp_path / "hosts.ini"), str(tmp_path / "site.yml"), *args, cwd=tmp_path,
                    env=env, stdin=stdin, timeout=timeout)


def _dedent(text: str) -> str:
    import textwrap

    return textwrap.dedent(text).strip("\n")


def recap(result: CliRun, host: str) -> dict[str, int]:
    for line in result.lines():
        if line.startswith(host + " ") and ": ok=" in line:
            return {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", line)}
    raise AssertionError(f"no recap line for {host}:\n{result.stdout}")


def debug_by_host(result: CliRun) -> dict[str, dict]:
    """What each `ok: [host] => {...}` block printed, by host (the last block wins)."""
    found = {}
    for match in re.finditer(r"^ok: \[([^\]]+)\] => (\{.*?^\})$", result.stdout, re.M | re.S):
        found[match.group(1)] = json.loads(match.group(2))
    return found


def fatal_line(result: CliRun, host: str) -> str:
    lines = [line for line in result.lines() if line.startswith(f"fatal: [{host}]")]
    assert len(lines) == 1, f"expected one fatal line for {host}:\n{result.stdout}"
    return lines[0]


def no_traceback(result: CliRun) -> None:
    assert "Traceback" not in result.stdout + result.stderr, result.stdout + result.stderr
    assert "probably a bug" not in result.stderr, result.stderr


def closed_port(address: str) -> int:
    with socket.socket() as sock:
        sock.bind((address, 0))
        return sock.getsockname()[1]


def keygen(path: Path) -> Path:
    subprocess.run([SSH_KEYGEN, "-q", "-t", "ed25519", "-N", "", "-f", str(path)], check=True)
    return path


# =========================================================================== running over ssh
def test_tasks_run_as_each_hosts_user_over_one_connection_and_one_worker(ssh_hosts, sudo, tmp_path):
    result = run(tmp_path, ssh_hosts.inventory_text(), """
        - shell: echo "$SSH_CONNECTION|$PPID|$(id -un)|$HOME"
          register: first
        - copy:
            content: "hello {{ inventory_hostname }}\\n"
            dest: "{{ first.stdout.split('|')[3] }}/greeting.txt"
        - shell: echo "$SSH_CONNECTION|$PPID"; cat ~/greeting.txt
          register: second
        - shell: id -un; echo $HOME
          become: true
          register: root
        - debug:
            msg: "{{ first.stdout }}#{{ second.stdout_lines | join('#') }}#{{ root.stdout_lines | join('#') }}"
        """)
    no_traceback(result)
    assert result.rc == 0, result.stdout + result.stderr
    shown = debug_by_host(result)
    for host in ssh_hosts:
        first, second, greeting, root_user, root_home = shown[host.name]["msg"].split("#")
        connection, worker, user, home = first.split("|")
        assert connection.split()[2] == host.address and user == host.user and home == str(host.home)
        # the same client port (one TCP connection) and the same worker process for every task
        assert second == f"{connection}|{worker}"
        assert greeting == f"hello {host.name}"
        assert (root_user, root_home) == ("root", "/root")
        assert recap(result, host.name)["unreachable"] == 0


def test_one_ssh_connection_per_host_even_with_become_workers(ssh_host, sudo, tmp_path):
    """While a run is paused after plain and become tasks, the host holds exactly one session;
    once the run has ended, nothing it started is left running there (the end of a run closes
    the connection without waiting for the workers: each ends on its channel's EOF)."""
    write(tmp_path / "hosts.ini", ssh_host.inventory_line("h1") + "\n")
    write(tmp_path / "site.yml", """
        - hosts: h1
          gather_facts: false
          tasks:
            - command: whoami
            - command: whoami
              become: true
            - command: whoami
              become: true
              become_user: nobody
            - pause: seconds=2
            - command: whoami
        """)
    proc = subprocess.Popen([sys.executable, "-m", "miniplay", "run", "-i", "hosts.ini", "site.yml"], cwd=tmp_path,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONPATH": ""})
    sessions = None
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            if line.startswith("TASK [pause]"):
                time.sleep(0.8)
                sessions = ssh_host.session_pids()
                workers = ssh_host.session_processes()
                break
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, out + err
    # one connection = one privileged monitor + one unprivileged session process
    assert sessions is not None and len(sessions) == 2, sessions
    # the plain worker, and sudo with a become worker under it for root and for nobody
    assert len(workers) >= 3, workers
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and [pid for pid in workers if os.path.exists(f"/proc/{pid}")]:
        time.sleep(0.1)
    assert [pid for pid in workers if os.path.exists(f"/proc/{pid}")] == []
    assert ssh_host.session_pids() == []


def test_connection_vars_from_group_vars_and_password_login(ssh_hosts, tmp_path):
    host = ssh_hosts[0]
    write(tmp_path / "group_vars" / "lab.yml", f"""
        ansible_host: {host.address}
        ansible_port: {host.port}
        ansible_user: {host.user}
        ansible_password: {host.password}
        ansible_ssh_known_hosts_file: {host.known_hosts}
        ansible_python_interpreter: /usr/bin/python3
        """)
    result = run(tmp_path, "[lab]\nbox\n", """
        - command: id -un
          register: who
        - debug: var=who.stdout
        """)
    assert result.rc == 0, result.stdout + result.stderr
    assert result.debug_values()["who.stdout"] == host.user


# =========================================================================== unreachable hosts
def test_each_connection_failure_is_one_unreachable_line_with_its_cause(ssh_hosts, tmp_path):
    host = ssh_hosts[0]
    empty_known = write(tmp_path / "empty_known_hosts", "")
    other_key = keygen(tmp_path / "other_host_key")
    changed_known = write(tmp_path / "changed_known_hosts", f"[{host.address}]:{host.port} "
                          + " ".join(other_key.with_suffix(".pub").read_text().split()[:2]) + "\n")
    stranger = keygen(tmp_path / "stranger_key")
    inventory = "\n".join([
        host.inventory_line("good"),
        host.inventory_line("refused", ansible_port=closed_port(host.address)),
        host.inventory_line("unknown_key", ansible_ssh_known_hosts_file=str(empty_known)),
        host.inventory_line("changed_key", ansible_ssh_known_hosts_file=str(changed_known)),
        host.inventory_line("wrong_key", ansible_ssh_private_key_file=str(stranger)),
        host.inventory_line("wrong_password", key=False, password=True, ansible_password="not-the-password"),
        host.inventory_line("bad_port", ansible_port="notaport"),
    ]) + "\n"
    result = run(tmp_path, inventory, """
        - command: whoami
        - command: echo second
        """)
    no_traceback(result)
    assert result.rc == 4, result.stdout
    prefix = "Task failed: Failed to connect to the host via ssh: "
    causes = {
        "refused": f"ssh: connect to host {host.address} port ",
        "unknown_key": "and you have requested strict checking. Host key verification failed.",
        "changed_key": "REMOTE HOST IDENTIFICATION HAS CHANGED",
        "wrong_key": f"{host.user}@{host.address}: Permission denied (publickey,password).",
        "wrong_password": f"{host.user}@{host.address}: Permission denied (publickey,password).",
        "bad_port": "Bad port 'notaport'",
    }
    for name, cause in causes.items():
        line = fatal_line(result, name)
        assert line.startswith(f"fatal: [{name}]: UNREACHABLE! => "), line
        shown = json.loads(line.split(" => ", 1)[1])
        assert shown["unreachable"] is True and shown["msg"].startswith(prefix), line
        assert cause in shown["msg"], line
        assert recap(result, name) == {"ok": 0, "changed": 0, "unreachable": 1, "failed": 0, "skipped": 0,
                                       "rescued": 0, "ignored": 0}
    assert "Connection refused" in fatal_line(result, "refused")
    assert recap(result, "good")["changed"] == 2
    # the unreachable hosts left the play: the second task ran on `good` only
    second = result.stdout.split("TASK [command]")[2].split("PLAY RECAP")[0]
    assert "changed: [good]" in second and "refused" not in second


def test_a_dead_host_costs_its_connect_timeout_and_the_others_go_on(ssh_hosts, tmp_path):
    """A server that accepts the TCP connection but never speaks (a hung host)."""
    host = ssh_hosts[0]
    silent = socket.socket()
    silent.bind((host.address, 0))
    silent.listen(16)
    try:
        inventory = host.inventory_line("good") + "\n" + host.inventory_line(
            "hung", ansible_port=silent.getsockname()[1], ansible_ssh_timeout=2) + "\n"
        started = time.monotonic()
        result = run(tmp_path, inventory, """
            - command: whoami
            - command: whoami
            """, "-f", "5")
        elapsed = time.monotonic() - started
    finally:
        silent.close()
    no_traceback(result)
    assert result.rc == 4
    assert "timed out" in fatal_line(result, "hung")
    assert recap(result, "good")["changed"] == 2 and recap(result, "hung")["unreachable"] == 1
    assert elapsed < 8, elapsed


def test_timeout_flag_applies_when_the_inventory_sets_none(ssh_hosts, tmp_path):
    host = ssh_hosts[0]
    silent = socket.socket()
    silent.bind((host.address, 0))
    silent.listen(4)
    try:
        started = time.monotonic()
        result = run(tmp_path, host.inventory_line("hung", ansible_port=silent.getsockname()[1]) + "\n",
                     "- command: whoami\n", "-T", "1")
        elapsed = time.monotonic() - started
    finally:
        silent.close()
    assert result.rc == 4 and "timed out" in fatal_line(result, "hung")
    assert elapsed < 6, elapsed


def test_ignore_unreachable_keeps_the_host_in_the_play(ssh_hosts, tmp_path):
    host = ssh_hosts[0]
    inventory = host.inventory_line("gone", ansible_port=closed_port(host.address)) + "\n"
    result = run(tmp_path, inventory, """
        - command: whoami
          ignore_unreachable: true
        - debug:
            msg: still here
        """)
    no_traceback(result)
    assert "UNREACHABLE!" in result.stdout and "...ignoring" in result.stdout
    assert '"msg": "still here"' in result.stdout
    assert result.rc == 0, result.stdout
    # like ansible-playbook: an ignored unreachable counts as ok + ignored, not as unreachable
    counts = recap(result, "gone")
    assert counts["unreachable"] == 0 and counts["ignored"] == 1 and counts["ok"] == 2


# =========================================================================== host key checking
@pytest.mark.parametrize("how", ["inventory", "inventory_ssh", "env", "ansible_cfg", "ssh_args"])
def test_host_key_checking_can_be_turned_off_for_labs(ssh_hosts, tmp_path, how):
    host = ssh_hosts[0]
    empty = write(tmp_path / "empty_known_hosts", "")
    options: dict = {"ansible_ssh_known_hosts_file": str(empty)}
    env = {}
    files = {}
    if how == "inventory":
        options["ansible_host_key_checking"] = "false"
    elif how == "inventory_ssh":
        options["ansible_ssh_host_key_checking"] = "no"
    elif how == "env":
        env["ANSIBLE_HOST_KEY_CHECKING"] = "False"
    elif how == "ansible_cfg":
        files["ansible.cfg"] = "[defaults]\nhost_key_checking = False\n"
    else:
        options["ansible_ssh_common_args"] = "-o StrictHostKeyChecking=no"
    result = run(tmp_path, host.inventory_line("lab", **options) + "\n", "- command: whoami\n", env=env,
                 extra_files=files)
    assert result.rc == 0, result.stdout + result.stderr
    assert empty.read_text() == ""  # nothing learned is written anywhere


def test_host_keys_are_checked_by_default_even_with_a_config_file(ssh_hosts, tmp_path):
    host = ssh_hosts[0]
    empty = write(tmp_path / "empty_known_hosts", "")
    result = run(tmp_path, host.inventory_line("lab", ansible_ssh_known_hosts_file=str(empty)) + "\n",
                 "- command: whoami\n", extra_files={"ansible.cfg": "[defaults]\nforks = 3\n"})
    assert result.rc == 4 and "Host key verification failed" in fatal_line(result, "lab")


def test_a_large_hashed_known_hosts_file_is_honoured_for_every_host(ssh_hosts, tmp_path):
    """Two hosts found among 400 other entries, every name hashed (`ssh-keygen -H`); with one
    host's key replaced in the file, that host is refused and the other still runs."""
    first, second = ssh_hosts[0], ssh_hosts[1]
    lab_lines = first.known_hosts.read_text().splitlines()
    mine = [line for line in lab_lines if line.startswith((f"[{first.address}]:{first.port} ",
                                                           f"[{second.address}]:{second.port} "))]
    assert len(mine) == 2, lab_lines
    other_key = keygen(tmp_path / "other_key").with_suffix(".pub").read_text().split()[:2]
    others = [f"[10.9.{n // 200}.{n % 200}]:22 {other_key[0]} {other_key[1]}" for n in range(400)]
    known = tmp_path / "known_hosts"
    known.write_text("\n".join(others[:200] + mine + others[200:]) + "\n")
    subprocess.run([SSH_KEYGEN, "-H", "-f", str(known)], capture_output=True, check=True)  # every name hashed
    assert first.address not in known.read_text()
    inventory = "".join(host.inventory_line(name, ansible_ssh_known_hosts_file=str(known)) + "\n"
                        for name, host in (("one", first), ("two", second)))
    result = run(tmp_path, inventory, "- command: whoami\n")
    assert result.rc == 0, result.stdout + result.stderr
    assert recap(result, "one")["changed"] == 1 and recap(result, "two")["changed"] == 1

    lines = known.read_text().splitlines()
    found = subprocess.run([SSH_KEYGEN, "-F", f"[{second.address}]:{second.port}", "-f", str(known)],
                           capture_output=True, text=True, check=True).stdout
    entry = next(line for line in found.splitlines() if line and not line.startswith("#"))
    name = entry.split()[0]
    known.write_text("\n".join(f"{name} {other_key[0]} {other_key[1]}" if line.split()[0] == name else line
                               for line in lines) + "\n")
    again = run(tmp_path, inventory, "- command: whoami\n")
    no_traceback(again)
    assert again.rc == 4 and recap(again, "one")["changed"] == 1
    assert "REMOTE HOST IDENTIFICATION HAS CHANGED" in fatal_line(again, "two")


# =========================================================================== settings sources
def test_ansible_cfg_defaults_inventory_remote_user_private_key(ssh_hosts, tmp_path):
    host = ssh_hosts[1]
    write(tmp_path / "ansible.cfg", f"""
        [defaults]
        inventory = lab.ini
        remote_user = {host.user}
        private_key_file = {host.key}
        timeout = 5
        forks = 2
        """)
    write(tmp_path / "lab.ini", f"box ansible_host={host.address} ansible_port={host.port} "
                                f"ansible_ssh_known_hosts_file={host.known_hosts} ansible_python_interpreter=/usr/bin/python3\n")
    write(tmp_path / "site.yml", """
        - hosts: box
          gather_facts: false
          tasks:
            - command: id -un
              register: who
            - debug: var=who.stdout
        """)
    result = miniplay("run", "site.yml", cwd=tmp_path)
    assert result.rc == 0, result.stdout + result.stderr
    assert result.debug_values()["who.stdout"] == host.user


def test_inventory_vars_win_over_ansible_cfg(ssh_hosts, tmp_path):
    host = ssh_hosts[1]
    write(tmp_path / "ansible.cfg", "[defaults]\nremote_user = nobody\nprivate_key_file = /nonexistent\n")
    result = run(tmp_path, host.inventory_line("box") + "\n", """
        - command: id -un
          register: who
        - debug: var=who.stdout
        """)
    assert result.rc == 0, result.stdout + result.stderr
    assert result.debug_values()["who.stdout"] == host.user


def test_user_key_and_timeout_flags(ssh_hosts, tmp_path):
    host = ssh_hosts[2]
    inventory = f"box ansible_host={host.address} ansible_port={host.port} " \
                f"ansible_ssh_known_hosts_file={host.known_hosts} ansible_python_interpreter=/usr/bin/python3\n"
    result = run(tmp_path, inventory, """
        - command: id -un
          register: who
        - debug: var=who.stdout
        """, "-u", host.user, "--private-key", str(host.key), "-T", "5")
    assert result.rc == 0, result.stdout + result.stderr
    assert result.debug_values()["who.stdout"] == host.user


def test_ask_pass_reads_the_connection_password(ssh_hosts, tmp_path):
    host = ssh_hosts[2]
    inventory = host.inventory_line("box", key=False) + "\n"
    result = run(tmp_path, inventory, """
        - command: id -un
          register: who
        - debug: var=who.stdout
        """, "-k", stdin=host.password + "\n")
    assert result.rc == 0, result.stdout + result.stderr
    assert result.debug_values()["who.stdout"] == host.user
    assert host.password not in result.stdout + result.stderr


def test_remote_user_port_and_connection_keywords(ssh_hosts, tmp_path):
    """Play/task keywords fill in what the inventory leaves open (an inventory ansible_user would win)."""
    host = ssh_hosts[1]
    write(tmp_path / "hosts.ini", f"box ansible_host={host.address} ansible_ssh_private_key_file={host.key} "
                                  f"ansible_ssh_known_hosts_file={host.known_hosts} "
                                  "ansible_python_interpreter=/usr/bin/python3\n")
    write(tmp_path / "site.yml", f"""
        - hosts: box
          gather_facts: false
          remote_user: {host.user}
          tasks:
            - command: id -un
              port: {host.port}
              register: over_ssh
            - command: id -un
              connection: local
              register: local
            - debug:
                msg: "{{{{ over_ssh.stdout }}}} {{{{ local.stdout }}}}"
        """)
    result = miniplay("run", "-i", "hosts.ini", "site.yml", cwd=tmp_path)
    assert result.rc == 0, result.stdout + result.stderr
    assert debug_by_host(result)["box"]["msg"] == f"{host.user} {_me()}"


def _me() -> str:
    import getpass

    return getpass.getuser()


def test_ssh_config_file_with_dash_F(ssh_hosts, tmp_path):
    host = ssh_hosts[0]
    config = write(tmp_path / "ssh_config", f"""
        Host labbox
            HostName {host.address}
            Port {host.port}
            User {host.user}
            IdentityFile {host.key}
            UserKnownHostsFile {host.known_hosts}
        """)
    inventory = f"labbox ansible_ssh_common_args='-F {config}' ansible_python_interpreter=/usr/bin/python3\n"
    result = run(tmp_path, inventory, """
        - command: id -un
          register: who
        - debug: var=who.stdout
        """)
    assert result.rc == 0, result.stdout + result.stderr
    assert result.debug_values()["who.stdout"] == host.user


def test_the_users_ssh_config_and_known_hosts_are_honoured(ssh_hosts, tmp_path):
    """With a stand-in HOME (never the developer's own), ~/.ssh/config and ~/.ssh/known_hosts apply."""
    host = ssh_hosts[1]
    home = tmp_path / "home"
    write(home / ".ssh" / "config", f"""
        Host webbox
            HostName {host.address}
            Port {host.port}
            User {host.user}
            IdentityFile {host.key}
        """)
    write(home / ".ssh" / "known_hosts", host.known_hosts.read_text())
    env = {"HOME": str(home), "MINIPLAY_SSH_ISOLATED": ""}
    result = run(tmp_path, "webbox ansible_python_interpreter=/usr/bin/python3\n", """
        - command: id -un
          register: who
        - debug: var=who.stdout
        """, env=env)
    assert result.rc == 0, result.stdout + result.stderr
    assert result.debug_values()["who.stdout"] == host.user
    # and an unknown host is still refused by the same known_hosts
    write(home / ".ssh" / "known_hosts", "")
    result = run(tmp_path, "webbox ansible_python_interpreter=/usr/bin/python3\n", "- command: id -un\n", env=env)
    assert result.rc == 4 and "Host key verification failed" in fatal_line(result, "webbox")


def test_proxyjump_through_a_gateway(ssh_hosts, tmp_path):
    jump, inner = ssh_hosts[0], ssh_hosts[1]
    spec = f"{jump.user}@{jump.address}:{jump.port}"
    inventory = inner.inventory_line("inner", ansible_ssh_common_args=f"-o ProxyJump={spec}") + "\n" + \
        inner.inventory_line("inner_j", ansible_ssh_extra_args=f"-J {spec}") + "\n" + \
        inner.inventory_line("unreachable_behind", ansible_port=closed_port(inner.address),
                             ansible_ssh_common_args=f"-o ProxyJump={spec}") + "\n"
    result = run(tmp_path, inventory, """
        - shell: echo "$SSH_CONNECTION"; id -un
          register: out
        - debug: var=out.stdout_lines
        """)
    no_traceback(result)
    assert result.rc == 4, result.stdout
    shown = debug_by_host(result)
    for name in ("inner", "inner_j"):
        origin, user = shown[name]["out.stdout_lines"]
        assert user == inner.user
        # the target saw the connection coming from the jump host's sshd, not from us directly
        assert origin.split()[2] == inner.address and origin.split()[0] == "127.0.0.1"
    line = fatal_line(result, "unreachable_behind")
    assert "UNREACHABLE!" in line and f"(via {spec})" in line


# =========================================================================== dropped connections
def _run_and_act(tmp_path: Path, inventory: str, playbook: str, when: str, action, delay: float = 0.5) -> CliRun:
    """Run the CLI; when a line starting with `when` is printed, wait `delay` and call `action`."""
    write(tmp_path / "hosts.ini", inventory)
    write(tmp_path / "site.yml", playbook)
    proc = subprocess.Popen([sys.executable, "-m", "miniplay", "run", "-i", "hosts.ini", "site.yml"], cwd=tmp_path,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONPATH": ""})
    lines = []
    try:
        assert proc.stdout is not None
        acted = False
        for line in proc.stdout:
            lines.append(line)
            if not acted and line.startswith(when):
                time.sleep(delay)
                action()
                acted = True
        err = proc.stderr.read() if proc.stderr else ""
        proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return CliRun(proc.returncode, "".join(lines), err)


def test_a_connection_dropped_between_tasks_is_reopened(ssh_host, tmp_path):
    result = _run_and_act(tmp_path, ssh_host.inventory_line("h1") + "\n", """
        - hosts: h1
          gather_facts: false
          tasks:
            - shell: echo $SSH_CONNECTION
              register: before
            - pause: seconds=2
            - shell: echo $SSH_CONNECTION
              register: after
            - debug: msg="{{ before.stdout != after.stdout }}"
        """, "TASK [pause]", ssh_host.drop_connections)
    no_traceback(result)
    assert result.rc == 0, result.stdout + result.stderr
    assert '"msg": true' in result.stdout  # a new connection (new client port) carried on


def test_a_connection_dropped_during_a_task_makes_the_host_unreachable(ssh_hosts, tmp_path):
    host, other = ssh_hosts[0], ssh_hosts[1]
    inventory = host.inventory_line("h1") + "\n" + other.inventory_line("h2") + "\n"
    result = _run_and_act(tmp_path, inventory, """
        - hosts: all
          gather_facts: false
          tasks:
            - command: sleep 3
            - command: whoami
        """, "TASK [command]", host.drop_connections, delay=1.2)
    no_traceback(result)
    assert result.rc == 4, result.stdout
    line = fatal_line(result, "h1")
    assert "UNREACHABLE!" in line and f"Connection to {host.address} closed by remote host" in line
    assert recap(result, "h2")["changed"] == 2


def test_a_host_that_cannot_be_reopened_is_unreachable(ssh_lab, tmp_path):
    host = ssh_lab.hosts[2]
    try:
        result = _run_and_act(tmp_path, host.inventory_line("h3") + "\n", """
            - hosts: h3
              gather_facts: false
              tasks:
                - command: whoami
                - pause: seconds=2
                - command: whoami
            """, "TASK [pause]", lambda: ssh_lab.stop_host(host))
    finally:
        ssh_lab.restart_host(host)
    no_traceback(result)
    assert result.rc == 4
    line = fatal_line(result, "h3")
    assert "UNREACHABLE!" in line and "Connection refused" in line
    assert recap(result, "h3") == {"ok": 2, "changed": 1, "unreachable": 1, "failed": 0, "skipped": 0,
                                   "rescued": 0, "ignored": 0}


# =========================================================================== targets that fail
def test_a_target_without_the_python_fails_that_host_only(ssh_hosts, tmp_path):
    host = ssh_hosts[0]
    inventory = host.inventory_line("nopython", ansible_python_interpreter="/usr/bin/no-such-python") + "\n" + \
        host.inventory_line("fine") + "\n"
    result = run(tmp_path, inventory, "- command: whoami\n- command: whoami\n")
    no_traceback(result)
    assert result.rc == 2
    line = fatal_line(result, "nopython")
    assert "FAILED!" in line and "/usr/bin/no-such-python: not found" in line
    assert recap(result, "fine")["changed"] == 2


def test_raw_commands_need_no_python(ssh_hosts, tmp_path):
    from miniplay.transport.ssh import SSHConnection

    host = ssh_hosts[0]
    variables = host.inventory_vars()
    connection = SSHConnection("h", variables)
    connection.open()
    try:
        result = connection.exec_command("cat; echo err >&2; exit 3", stdin=b"fed in")
        assert (result.rc, result.stdout, result.stderr) == (3, b"fed in", b"err\n")
        process = connection.start_process("read line; echo got:$line")
        process.stdin.write(b"abc\n")
        process.stdin.flush()
        assert process.stdout.read() == b"got:abc\n"
        assert process.poll() == 0
    finally:
        connection.close()
    assert not connection.alive and connection.dropped is None
