"""become over SSH (and locally): sudo and su, passwords from the inventory or -K.

The lab's sudo rule asks for the connecting user's own password, so every become test
really goes through the password prompt. The password must never show up: not on the
console (even at -vvv), not in the event log, not in any process's command line.
"""
from __future__ import annotations

import re

import pytest

from helpers import miniplay, write
from test_ssh import debug_by_host, fatal_line, no_traceback, recap, run

pytestmark = pytest.mark.usefixtures("sudo")


def test_sudo_to_root_and_to_another_user_with_the_inventory_password(ssh_hosts, tmp_path):
    host, other = ssh_hosts[0], ssh_hosts[1]
    result = run(tmp_path, host.inventory_line("h1") + "\n", f"""
        - shell: id -un; echo $HOME
          become: true
          register: as_root
        - shell: id -un; echo $HOME
          become: true
          become_user: {other.user}
          register: as_other
        - shell: id -un
          register: as_self
        - debug:
            msg: "{{{{ as_root.stdout_lines + as_other.stdout_lines + as_self.stdout_lines }}}}"
        """)
    no_traceback(result)
    assert result.rc == 0, result.stdout + result.stderr
    assert debug_by_host(result)["h1"]["msg"] == ["root", "/root", other.user, str(other.home), host.user]


def test_become_flag_and_ask_become_pass(ssh_hosts, tmp_path):
    host = ssh_hosts[0]
    result = run(tmp_path, host.inventory_line("h1", become_password=False) + "\n", """
        - command: id -un
          register: who
        - debug: var=who.stdout
        """, "-b", "-K", stdin=host.password + "\n")
    assert result.rc == 0, result.stdout + result.stderr
    assert debug_by_host(result)["h1"]["who.stdout"] == "root"
    assert host.password not in result.stdout + result.stderr


def test_become_user_flag(ssh_hosts, tmp_path):
    host, other = ssh_hosts[0], ssh_hosts[2]
    result = run(tmp_path, host.inventory_line("h1") + "\n", """
        - command: id -un
          register: who
        - debug: var=who.stdout
        """, "--become", "--become-user", other.user)
    assert result.rc == 0, result.stdout + result.stderr
    assert debug_by_host(result)["h1"]["who.stdout"] == other.user


def test_missing_and_incorrect_sudo_passwords_fail_that_host_with_ansibles_message(ssh_hosts, tmp_path):
    host = ssh_hosts[0]
    inventory = "\n".join([
        host.inventory_line("nopass", become_password=False),
        host.inventory_line("badpass", ansible_become_password="wrong-password"),
        host.inventory_line("goodpass"),
    ]) + "\n"
    result = run(tmp_path, inventory, """
        - command: id -un
          become: true
        - command: id -un
        """)
    no_traceback(result)
    assert result.rc == 2
    assert fatal_line(result, "nopass") == 'fatal: [nopass]: FAILED! => {"changed": false, "msg": "Task failed: Missing sudo password"}'
    assert fatal_line(result, "badpass") == 'fatal: [badpass]: FAILED! => {"changed": false, "msg": "Task failed: Incorrect sudo password"}'
    assert recap(result, "goodpass")["changed"] == 2
    assert "wrong-password" not in result.stdout + result.stderr


def test_su_with_the_target_users_password(ssh_hosts, tmp_path):
    host, other = ssh_hosts[0], ssh_hosts[1]
    inventory = host.inventory_line("good", ansible_become_password=other.password) + "\n" + \
        host.inventory_line("bad", ansible_become_password="nope") + "\n"
    result = run(tmp_path, inventory, f"""
        - shell: id -un; echo $HOME
          become: true
          become_method: su
          become_user: {other.user}
          register: who
        - debug: var=who.stdout_lines
        """)
    no_traceback(result)
    assert debug_by_host(result)["good"]["who.stdout_lines"] == [other.user, str(other.home)]
    assert fatal_line(result, "bad") == 'fatal: [bad]: FAILED! => {"changed": false, "msg": "Task failed: Incorrect su password"}'


def test_the_become_password_never_appears(ssh_hosts, tmp_path):
    host = ssh_hosts[0]
    write(tmp_path / "hosts.ini", host.inventory_line("h1") + "\n")
    jobs = tmp_path / "jobs"
    write(tmp_path / "site.yml", f"""
        - hosts: h1
          gather_facts: false
          vars:
            ansible_async_dir: {jobs}
          tasks:
            - shell: ps -eo args
              become: true
              register: processes
            - command: whoami
              become: true
              async: 30
              poll: 0
              register: job
            - async_status:
                jid: "{{{{ job.ansible_job_id }}}}"
              become: true
              register: done
              until: done.finished
              retries: 20
              delay: 0.2
            - debug: var=processes.stdout_lines
        """)
    events = tmp_path / "events.jsonl"
    result = miniplay("run", "-vvv", "-i", "hosts.ini", "site.yml", "--events", str(events), cwd=tmp_path)
    assert result.rc == 0, result.stdout + result.stderr
    assert "sudo" in result.stdout  # the process list was really captured
    assert host.password not in result.stdout + result.stderr
    if events.exists():
        assert host.password not in events.read_text()
    job_files = list(jobs.glob("*"))
    assert job_files, "the async job wrote no status file"
    for path in job_files:
        assert host.password not in path.read_text(errors="replace")


def test_an_unknown_become_method_is_one_clear_failure(ssh_hosts, tmp_path):
    host = ssh_hosts[0]
    result = run(tmp_path, host.inventory_line("h1") + "\n", """
        - command: id -un
          become: true
          become_method: runas
        """)
    no_traceback(result)
    assert result.rc == 2
    assert "Invalid become method specified" in fatal_line(result, "h1")


def test_become_works_the_same_over_both_connections(target):
    """`become_user: nobody` from root (local) or from the lab user with sudo (ssh)."""
    result = target.run("""
        - hosts: target1
          gather_facts: false
          tasks:
            - command: id -un
              become: true
              become_user: nobody
              register: who
            - debug: var=who.stdout
        """)
    assert result.rc == 0, result.stdout + result.stderr
    assert re.search(r'"who.stdout": "nobody"', result.stdout), result.stdout


def test_a_become_plan_runs_a_plain_command_for_raw(ssh_hosts):
    """`Become.run`: what `raw` needs to honour become (no worker, the same handshake)."""
    from miniplay.transport.become import Become
    from miniplay.transport.ssh import SSHConnection
    from miniplay.transport.worker import WorkerError

    host = ssh_hosts[0]
    connection = SSHConnection("h1", host.inventory_vars())
    connection.open()
    try:
        done = Become("sudo", "root", host.password).run(connection, "id -un; echo oops >&2; exit 3")
        assert (done.rc, done.stdout, done.stderr) == (3, b"root\n", b"oops\n")
        try:
            Become("sudo", "root", None).run(connection, "id -un")
        except WorkerError as exc:
            assert exc.result == {"changed": False, "failed": True, "msg": "Task failed: Missing sudo password"}
        else:
            raise AssertionError("no password, yet sudo ran")
    finally:
        connection.close()
