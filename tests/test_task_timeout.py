"""`timeout:` on miniplay's own modules: the target kills the module (and what it started) at the
deadline, and the task fails with Ansible 2.19's words."""
from __future__ import annotations

from pathlib import Path

from helpers import write
from reference import compare


def test_native_modules_time_out_as_in_ansible(tmp_path: Path) -> None:
    work = tmp_path / "case"
    write(work / "hosts.ini", "localhost ansible_connection=local ansible_python_interpreter=/usr/bin/python3\n")
    write(work / "site.yml", """
        - hosts: localhost
          gather_facts: false
          tasks:
            - command: sleep 5
              timeout: 1
              ignore_errors: true
              register: slow
            - debug: msg="{{ [slow.msg, slow.timedout.period, slow is timedout, slow is failed] }}"
            - ansible.builtin.wait_for:
                timeout: 10
              timeout: 1
              ignore_errors: true
            - name: quick enough
              command: echo fine
              timeout: 5
              register: quick
            - debug: var=quick.stdout
        """)
    ours, _ = compare(work / "site.yml", work / "hosts.ini")
    assert "Task failed: Timed out after 1 second(s)." in ours.stdout
    assert '"quick.stdout": "fine"' in ours.stdout


def test_the_timed_out_module_is_killed_with_what_it_started(target) -> None:
    marker = target.workdir / "late-marker"
    result = target.run(f"""
        - hosts: target1
          gather_facts: false
          tasks:
            - shell: sleep 2 && touch {marker}
              timeout: 1
              ignore_errors: true
            - command: sleep 3
            - stat:
                path: {marker}
              register: late
            - debug: var=late.stat.exists
        """)
    assert result.rc == 0, result.stdout + result.stderr
    assert result.debug_values() == {"late.stat.exists": False}
    assert "Timed out after 1 second(s)." in result.stdout
