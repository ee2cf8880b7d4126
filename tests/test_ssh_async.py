"""Async jobs over SSH: become homes, dropped connections, a dead controller, polling.

The job status files live in each lab user's own `~/.ansible_async`, which the lab removes
with the user at the end of the session.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from helpers import write
from test_ssh import _run_and_act, debug_by_host, no_traceback, run


def wait_for(predicate, timeout: float = 15.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


def test_an_async_job_under_become_writes_to_the_become_users_home(ssh_hosts, sudo, tmp_path):
    host, other = ssh_hosts[0], ssh_hosts[1]
    result = run(tmp_path, host.inventory_line("h1") + "\n", f"""
        - command: id -un
          become: true
          become_user: {other.user}
          async: 30
          poll: 0
          register: job
        - async_status:
            jid: "{{{{ job.ansible_job_id }}}}"
          become: true
          become_user: {other.user}
          register: done
          until: done.finished
          retries: 30
          delay: 0.2
        - debug: var=job.results_file
        - debug: var=done.stdout
        """)
    no_traceback(result)
    assert result.rc == 0, result.stdout + result.stderr
    shown = result.debug_values()
    results_file = Path(shown["job.results_file"])
    assert results_file.parent == other.home / ".ansible_async"
    assert shown["done.stdout"] == other.user
    assert results_file.stat().st_uid == os.stat(other.home).st_uid
    assert json.loads(results_file.read_text())["rc"] == 0  # the finished job's result, as Ansible writes it


def test_a_job_keeps_running_when_the_connection_drops(ssh_hosts, tmp_path):
    host = ssh_hosts[1]
    marker = host.workdir / f"survived-{os.getpid()}"
    marker.unlink(missing_ok=True)
    result = _run_and_act(tmp_path, host.inventory_line("h2") + "\n", f"""
        - hosts: h2
          gather_facts: false
          tasks:
            - shell: sleep 2; echo done > {marker}; echo finished
              async: 60
              poll: 0
              register: job
            - pause: seconds=1
            - async_status:
                jid: "{{{{ job.ansible_job_id }}}}"
              register: done
              until: done.finished
              retries: 40
              delay: 0.25
            - debug: var=done.stdout
        """, "TASK [pause]", host.drop_connections, delay=0.2)
    no_traceback(result)
    assert result.rc == 0, result.stdout + result.stderr
    assert debug_by_host(result)["h2"]["done.stdout"] == "finished"
    assert marker.read_text() == "done\n"


def test_a_job_keeps_running_when_the_controller_dies(ssh_hosts, tmp_path):
    host = ssh_hosts[2]
    marker = host.workdir / f"outlived-{os.getpid()}"
    marker.unlink(missing_ok=True)
    write(tmp_path / "hosts.ini", host.inventory_line("h3") + "\n")
    write(tmp_path / "site.yml", f"""
        - hosts: h3
          gather_facts: false
          tasks:
            - shell: sleep 2; echo done > {marker}
              async: 60
              poll: 1
        """)
    proc = subprocess.Popen([sys.executable, "-m", "miniplay", "run", "-i", "hosts.ini", "site.yml"], cwd=tmp_path,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONPATH": ""}, start_new_session=True)
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            if line.startswith("ASYNC POLL"):
                break
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert not marker.exists()
    assert wait_for(marker.exists), "the job died with the controller"
    assert marker.read_text() == "done\n"


def test_polling_reuses_the_open_connection(ssh_hosts, tmp_path):
    host = ssh_hosts[0]
    seen: list[int] = []
    result = _run_and_act(tmp_path, host.inventory_line("h1") + "\n", """
        - hosts: h1
          gather_facts: false
          tasks:
            - command: sleep 3
              async: 30
              poll: 1
        """, "ASYNC POLL", lambda: seen.append(len(host.session_pids())), delay=1.2)
    no_traceback(result)
    assert result.rc == 0, result.stdout + result.stderr
    assert result.stdout.count("ASYNC POLL on h1") >= 2 and "ASYNC OK on h1" in result.stdout
    assert seen == [2]  # one connection: the sshd monitor and its session process
