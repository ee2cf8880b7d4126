"""What the engine keeps from one task to the next must follow what changed in between.

The controller works some things out once and reuses them (compiled template files, search
paths, the play's host lists behind `ansible_play_hosts` and `ansible_play_batch`); the
differential case tests/differential/task_caches.yml compares most of it with ansible-core.
This file covers what ansible-core itself shows differently: a host brought back by
`meta: clear_host_errors` and then another host failing leaves the failed-host set as large
as before, with another member, and the lists must show the new one gone.
"""
from __future__ import annotations

import sys
from pathlib import Path

from helpers import miniplay, write

HOSTS = "".join(f"q{i} ansible_connection=local ansible_python_interpreter={sys.executable}\n" for i in range(1, 5))


def _lists(stdout: str, host: str) -> list[str]:
    """The `LISTS ...` messages the play printed for the host, in order."""
    shown = []
    lines = stdout.splitlines()
    for index, line in enumerate(lines):
        if line == f"ok: [{host}] => {{" and '"msg": "LISTS' in lines[index + 1]:
            shown.append(lines[index + 1].split('"msg": "', 1)[1].rstrip('"'))
    return shown


def test_play_host_lists_follow_a_failure_after_clear_host_errors(tmp_path: Path) -> None:
    write(tmp_path / "hosts.ini", HOSTS)
    write(tmp_path / "site.yml", """
        - hosts: all
          gather_facts: false
          tasks:
            - fail: msg=first
              when: inventory_hostname == 'q2'
            - debug: msg="LISTS {{ ansible_play_hosts }} {{ ansible_play_batch }} {{ play_hosts }}"
            - meta: clear_host_errors
            - fail: msg=second
              when: inventory_hostname == 'q3'
            - debug: msg="LISTS {{ ansible_play_hosts }} {{ ansible_play_batch }} {{ play_hosts }}"
        """)
    run = miniplay("run", "-i", str(tmp_path / "hosts.ini"), "-f", "1", str(tmp_path / "site.yml"), cwd=tmp_path)
    assert run.rc == 2, run.stdout + run.stderr
    first, second = _lists(run.stdout, "q1")
    assert "'q2'" not in first and "'q3'" in first
    assert "'q3'" not in second, second   # gone from all three lists, though as many hosts failed as before
    assert second.count("'q1'") == 3 and second.count("'q4'") == 3, second
    assert _lists(run.stdout, "q4") == [first, second]
