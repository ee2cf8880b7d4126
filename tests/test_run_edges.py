"""The edges of a run: hosts that stall while connecting, workers that will not leave.

A host that accepts the TCP connection and then says nothing must not hold up the other
hosts (each host connects on its own, with its own timeout), and the end of a run gives a
worker that does not answer its exit request a bounded time before it is killed. Bounds are
generous: what is checked is that nothing waits for the slow party, not how fast things are.
"""
from __future__ import annotations

import os
import socket
import stat
import time
from pathlib import Path

from helpers import miniplay, write

STAMP_PLAY = """
- hosts: all
  gather_facts: false
  tasks:
    - command: date +%s.%N
      register: stamp
    - debug:
        msg: "STAMP {{ stamp.stdout }}"
"""


def test_a_host_that_stalls_after_accepting_does_not_hold_up_the_others(ssh_host, tmp_path: Path) -> None:
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)   # the kernel completes the TCP handshake; nobody ever answers
        port = silent.getsockname()[1]
        write(tmp_path / "hosts.ini", f"""
            stalled ansible_host=127.0.0.1 ansible_port={port} ansible_user=nobody ansible_ssh_timeout=15
            {ssh_host.inventory_line("good")}
            """)
        write(tmp_path / "site.yml", STAMP_PLAY)
        started = time.time()
        run = miniplay("run", "-i", str(tmp_path / "hosts.ini"), str(tmp_path / "site.yml"), cwd=tmp_path,
                       env={"MINIPLAY_SSH_ISOLATED": "1", "ANSIBLE_NOCOLOR": "1"})
        ended = time.time()
    assert run.rc == 4, run.stdout + run.stderr
    assert "fatal: [stalled]: UNREACHABLE!" in run.stdout
    assert ended - started >= 14, "the stalled host is given its whole timeout"
    line = next(line for line in run.stdout.splitlines() if '"msg": "STAMP' in line)
    good_ran_at = float(line.split("STAMP ", 1)[1].rstrip('"'))
    assert good_ran_at - started < 10, "the good host's task ran while the stalled host was still connecting"
    assert "ok: [good]" in run.stdout


def test_a_worker_that_does_not_leave_is_killed_after_a_bound(tmp_path: Path) -> None:
    pid_file = tmp_path / "worker.pid"
    wrapper = write(tmp_path / "python-that-lingers", f"""
        #!/bin/sh
        echo $$ > {pid_file}
        /usr/bin/python3 "$@"
        exec sleep 60
        """)
    os.chmod(wrapper, os.stat(wrapper).st_mode | stat.S_IXUSR)
    write(tmp_path / "hosts.ini", f"h1 ansible_connection=local ansible_python_interpreter={wrapper}\n")
    write(tmp_path / "site.yml", STAMP_PLAY)
    started = time.time()
    run = miniplay("run", "-i", str(tmp_path / "hosts.ini"), str(tmp_path / "site.yml"), cwd=tmp_path,
                   env={"ANSIBLE_NOCOLOR": "1"})
    assert run.rc == 0, run.stdout + run.stderr
    assert time.time() - started < 40, "the run ended without waiting out the lingering worker"
    pid = int(pid_file.read_text())
    assert not _alive(pid), "the worker that did not leave was killed"


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False
