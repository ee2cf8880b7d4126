"""An async_status join wakes on its job's end, whatever its `delay`; other retries keep theirs.

The worker tells the controller the moment a job ends; a join (`until: job is finished`)
sleeping between two attempts wakes on that message. The bounds here are generous (a loaded
machine must not fail them) but far below the delay they replace.
"""
from __future__ import annotations

import datetime
from pathlib import Path

from helpers import miniplay, write

JOIN = """
- hosts: all
  gather_facts: false
  vars:
    ansible_async_dir: "{jobs}"
  tasks:
    - name: A job of 1 s
      command: sleep 1
      async: 60
      poll: 0
      register: job
    - name: Join it, with a delay far longer than the job
      async_status:
        jid: "{{{{ job.ansible_job_id }}}}"
      register: joined
      until: joined is finished
      retries: 5
      delay: 30
    - name: Show when the join was over
      debug:
        msg: "ENDED {{{{ joined.end }}}} JOINED {{{{ now().timestamp() }}}} ATTEMPTS {{{{ joined.attempts }}}}"
"""


def _stamps(stdout: str) -> tuple[float, float, int]:
    line = next(line for line in stdout.splitlines() if '"msg": "ENDED' in line)
    words = line.split('"msg": "', 1)[1].rstrip('"').split()
    ended = datetime.datetime.strptime(f"{words[1]} {words[2]}", "%Y-%m-%d %H:%M:%S.%f").timestamp()
    return ended, float(words[4]), int(words[6])


def test_a_join_with_a_long_delay_ends_soon_after_its_job(target) -> None:
    run = target.run(JOIN.format(jobs=target.workdir / "jobs"), timeout=60)
    assert run.rc == 0, run.stdout + run.stderr
    ended, joined, attempts = _stamps(run.stdout)
    assert 0 <= joined - ended < 10, f"the join ended {joined - ended:.1f} s after the job (delay 30)"
    assert 2 <= attempts <= 5, "the first check found the job running; a later one found it finished"
    assert "FAILED - RETRYING: [target1]: Join it, with a delay far longer than the job (5 retries left)." \
        in run.stdout


def test_other_until_loops_keep_their_delay(tmp_path: Path) -> None:
    playbook = write(tmp_path / "site.yml", """
        - hosts: localhost
          gather_facts: false
          tasks:
            - set_fact:
                started: "{{ now().timestamp() }}"
            - name: Never satisfied
              command: echo not yet
              register: out
              until: out.stdout == 'done'
              retries: 2
              delay: 1.5
              ignore_errors: true
            - debug:
                msg: "WAITED {{ now().timestamp() - started | float }} ATTEMPTS {{ out.attempts }}"
        """)
    inventory = write(tmp_path / "hosts.ini", "localhost ansible_connection=local\n")
    run = miniplay("run", "-i", str(inventory), str(playbook), cwd=tmp_path, env={"ANSIBLE_NOCOLOR": "1"})
    assert run.rc == 0, run.stdout + run.stderr
    line = next(line for line in run.stdout.splitlines() if '"msg": "WAITED' in line)
    words = line.split('"msg": "', 1)[1].rstrip('"').split()
    assert float(words[1]) >= 2.9, "two retries of 1.5 s each"
    assert words[3] == "2"
