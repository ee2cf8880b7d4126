"""Async under ansible-core and under miniplay: the same registered values and output.

* Registered shapes: one playbook (polled, fire-and-forget, async_status running /
  finished / cleanup / missing, looped polled, looped poll 0 joined with async_status)
  runs under both engines; every registered value
  must be equal once job ids, paths, times and retry counts are normalised.
* Output: a playbook whose async timing cannot race (jobs end well between two polls,
  with room for ansible-core's slow status checks) prints the same lines under both.
* Job files: Ansible's own async_status reads a job miniplay started, running and finished.

Skipped, with the reason, when ansible-core is not installed (see tests/reference.py).
"""
from __future__ import annotations

import concurrent.futures
import re
from pathlib import Path
from typing import Any

import pytest

from async_helpers import stop_jobs
from helpers import CliRun, miniplay, write
from reference import TARGET_PYTHON, ansible_playbook, normalise, require_ansible

JID = re.compile(r"\bj\d+\.\d+\b")
TIMES = {"start", "end", "delta"}

SHAPES = """
- hosts: localhost
  gather_facts: false
  tasks:
    - command: sleep 1.3
      async: 10
      poll: 1
      register: polled
    - shell: sleep 2; echo hi
      async: 20
      poll: 0
      register: launched
    - async_status: jid={{ launched.ansible_job_id }}
      register: running
    - command: echo {{ item }}
      loop: [a, b]
      async: 10
      poll: 0
      register: launched_loop
    - async_status: jid={{ launched.ansible_job_id }}
      register: finished
      until: finished is finished
      retries: 30
      delay: 0.5
    - async_status: jid={{ launched.ansible_job_id }} mode=cleanup
      register: cleaned
    - async_status: jid={{ launched.ansible_job_id }}
      register: missing
      ignore_errors: true
    - async_status: jid={{ item.ansible_job_id }}
      loop: "{{ launched_loop.results }}"
      loop_control:
        label: "{{ item.item }}"
      register: joined
      until: joined is finished
      retries: 30
      delay: 0.5
    - command: echo {{ item }}
      loop: [a, b]
      async: 10
      poll: 1
      register: polled_loop
    - debug: var=polled
    - debug: var=launched
    - debug: var=running
    - debug: var=finished
    - debug: var=cleaned
    - debug: var=missing
    - debug: var=launched_loop
    - debug: var=joined
    - debug: var=polled_loop
"""

OUTPUT = """
- hosts: localhost
  gather_facts: false
  tasks:
    - name: Polled job that ends between two polls
      command: sleep 3.2
      async: 10
      poll: 2
      register: polled
    - name: Polled job that fails at once
      command: /bin/false
      async: 10
      poll: 1
      ignore_errors: true
    - name: Fire and forget
      command: echo hi
      async: 10
      poll: 0
      register: launched
    - name: Fire and forget in a loop
      command: echo {{ item }}
      loop: [a, b]
      async: 10
      poll: 0
    - name: Not launched
      command: echo never
      async: 10
      poll: 1
      when: false
    - name: Polled loop
      command: echo {{ item }}
      loop: [x, y]
      async: 10
      poll: 1
"""


def normalised(value: Any, key: str = "") -> Any:
    if isinstance(value, dict):
        return {k: normalised(v, k) for k, v in value.items() if k != "attempts"}
    if isinstance(value, list):
        return [normalised(v) for v in value]
    if key in TIMES and isinstance(value, str):
        return "<time>"
    if isinstance(value, str):
        value = JID.sub("<jid>", value)
        return re.sub(r"^/\S*/(<jid>)$", r"<dir>/\1", value)
    return value


def local_inventory(path: Path, hosts: tuple[str, ...] = ("localhost",)) -> Path:
    return write(path, "".join(f"{h} ansible_connection=local ansible_python_interpreter={TARGET_PYTHON}\n"
                               for h in hosts))


@pytest.fixture(scope="module")
def both_engines(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[CliRun, CliRun]]:
    """Run SHAPES and OUTPUT under both engines, all four at once (ansible-core is slow)."""
    require_ansible()
    runs: dict[str, tuple[CliRun, CliRun]] = {}
    base = tmp_path_factory.mktemp("async-differential")
    inv = local_inventory(base / "hosts.ini")
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        futures = {}
        for name, text in (("shapes", SHAPES), ("output", OUTPUT)):
            playbook = write(base / f"{name}.yml", text)
            theirs = pool.submit(ansible_playbook, "-i", str(inv), str(playbook), cwd=base,
                                 env={"ANSIBLE_ASYNC_DIR": str(base / f"{name}-theirs")})
            ours = pool.submit(miniplay, "run", "-i", str(inv), str(playbook), cwd=base,
                               env={"ANSIBLE_ASYNC_DIR": str(base / f"{name}-ours")})
            futures[name] = (ours, theirs)
        for name, (ours, theirs) in futures.items():
            runs[name] = (ours.result(), theirs.result())
    for name in ("shapes", "output"):
        stop_jobs(base / f"{name}-ours")
    return runs


def test_registered_shapes_match_ansible(both_engines: dict[str, tuple[CliRun, CliRun]]) -> None:
    ours, theirs = both_engines["shapes"]
    assert theirs.rc == 0, theirs.stdout + theirs.stderr
    assert ours.rc == 0, ours.stdout + ours.stderr
    their_values, our_values = theirs.debug_values(), ours.debug_values()
    names = ["polled", "launched", "running", "finished", "cleaned", "missing", "launched_loop", "joined",
             "polled_loop"]
    assert sorted(their_values) == sorted(names)
    for name in names:
        assert normalised(our_values[name]) == normalised(their_values[name]), name


def test_output_matches_ansible(both_engines: dict[str, tuple[CliRun, CliRun]]) -> None:
    ours, theirs = both_engines["output"]
    assert ours.rc == theirs.rc == 0, ours.stdout + ours.stderr + theirs.stdout + theirs.stderr
    assert normalise(ours.stdout).splitlines() == normalise(theirs.stdout).splitlines()


def test_ansible_async_status_reads_our_job_files(tmp_path: Path) -> None:
    require_ansible()
    jobs = tmp_path / "jobs"
    env = {"ANSIBLE_ASYNC_DIR": str(jobs)}
    inv = local_inventory(tmp_path / "hosts.ini")
    start = write(tmp_path / "start.yml", """
        - hosts: localhost
          gather_facts: false
          tasks:
            - shell: while [ ! -e go ]; do sleep 0.05; done; echo from-miniplay
              args:
                chdir: "{{ playbook_dir }}"
              async: 30
              poll: 0
              register: job
            - debug: var=job.ansible_job_id
        """)
    started = miniplay("run", "-i", str(inv), str(start), cwd=tmp_path, env=env)
    try:
        jid = started.debug_values()["job.ansible_job_id"]
        read = write(tmp_path / "read.yml", f"""
            - hosts: localhost
              gather_facts: false
              tasks:
                - async_status: jid={jid}
                  register: first
                - file: path={tmp_path}/go state=touch
                - async_status: jid={jid}
                  register: last
                  until: last is finished
                  retries: 20
                  delay: 0.5
                - debug: var=first
                - debug: var=last
            """)
        theirs = ansible_playbook("-i", str(inv), str(read), cwd=tmp_path, env=env)
        assert theirs.rc == 0, theirs.stdout + theirs.stderr
        values = theirs.debug_values()
        assert values["first"]["finished"] is False and values["first"]["started"] is True
        last = values["last"]
        assert last["finished"] is True and last["stdout"] == "from-miniplay" and last["rc"] == 0
        # Ansible passes our extra key through untouched; everything else is what miniplay reports.
        assert set(last.pop("_miniplay")) >= {"pid", "pgid", "start", "deadline", "task", "command"}
        ours = miniplay("run", "-i", str(inv), str(read), cwd=tmp_path, env=env)
        assert normalised(ours.debug_values()["last"]) == normalised(last)
    finally:
        stop_jobs(jobs)


FAILURES = """
- hosts: localhost
  gather_facts: false
  tasks:
    - name: Killed at its limit, joined later
      shell: sleep 30
      async: 4
      poll: 0
      register: slow
    - name: Join that sees the job killed
      async_status: jid={{ slow.ansible_job_id }}
      register: killed
      until: killed is finished
      retries: 3
      delay: 5
      ignore_errors: true
    - name: A job that fails
      shell: exit 3
      async: 10
      poll: 0
      register: failing
    - command: sleep 1
    - name: Join of a failed job
      async_status: jid={{ failing.ansible_job_id }}
      register: failed_join
      ignore_errors: true
    - debug: var=killed
    - debug: var=failed_join
"""


def test_async_failures_match_ansible(tmp_path: Path) -> None:
    """A join that finds the job killed at its limit, a failed job's join: the same lines
    ("Module failed: Timeout exceeded") and registered values. (How many ASYNC POLL lines a polled
    job that outlives its limit prints depends on each engine's speed, so it is not compared here.)"""
    require_ansible()
    inv = local_inventory(tmp_path / "hosts.ini")
    playbook = write(tmp_path / "failures.yml", FAILURES)
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        theirs_f = pool.submit(ansible_playbook, "-i", str(inv), str(playbook), cwd=tmp_path,
                               env={"ANSIBLE_ASYNC_DIR": str(tmp_path / "theirs")})
        ours_f = pool.submit(miniplay, "run", "-i", str(inv), str(playbook), cwd=tmp_path,
                             env={"ANSIBLE_ASYNC_DIR": str(tmp_path / "ours")})
        theirs, ours = theirs_f.result(), ours_f.result()
    stop_jobs(tmp_path / "ours")
    assert ours.rc == theirs.rc == 0, ours.stdout + theirs.stdout
    assert "[ERROR]: Task failed: Module failed: Timeout exceeded" in ours.stdout
    pid = re.compile(r'"child_pid": \d+')
    mine = [pid.sub('"child_pid": <pid>', line) for line in normalise(ours.stdout).splitlines()]
    reference = [pid.sub('"child_pid": <pid>', line) for line in normalise(theirs.stdout).splitlines()]
    assert mine == reference
    their_values, our_values = theirs.debug_values(), ours.debug_values()
    for name in ("killed", "failed_join"):
        mine_value, their_value = normalised(our_values[name]), normalised(their_values[name])
        assert isinstance(mine_value.pop("child_pid", 0), int) and isinstance(their_value.pop("child_pid", 0), int)
        assert mine_value == their_value, name
