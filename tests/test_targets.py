"""Core behaviour written once, run over the local connection and over SSH (`target`).

Files the tasks write go to `target.workdir`, which the target user owns on either side.
"""
from __future__ import annotations

import os
import pwd
import re


def test_facts_and_file_modules(target):
    result = target.run(f"""
        - hosts: target1
          tasks:
            - file:
                path: {target.workdir}/conf
                state: directory
                mode: "0750"
            - copy:
                content: "name=one\\n"
                dest: {target.workdir}/conf/app.ini
            - lineinfile:
                path: {target.workdir}/conf/app.ini
                line: "port=8080"
            - stat:
                path: {target.workdir}/conf/app.ini
              register: st
            - command: cat app.ini
              args:
                chdir: {target.workdir}/conf
              register: content
            - debug:
                msg: "{{{{ ansible_facts.user_id }}}}|{{{{ st.stat.size }}}}|{{{{ content.stdout_lines | join(',') }}}}"
        """)
    assert result.rc == 0, result.stdout + result.stderr
    assert "TASK [Gathering Facts]" in result.stdout
    match = re.search(r'"msg": "([^"]*)"', result.stdout)
    assert match, result.stdout
    assert match.group(1) == f"{target.user}|19|name=one,port=8080"
    made = target.workdir / "conf" / "app.ini"
    assert made.read_text() == "name=one\nport=8080\n"
    assert os.stat(made).st_uid == pwd.getpwnam(target.user).pw_uid


def test_loops_conditions_handlers_and_failures(target):
    result = target.run(f"""
        - hosts: target1
          gather_facts: false
          tasks:
            - shell: echo {{{{ item }}}} >> {target.workdir}/items
              loop: [a, b, c]
              when: item != 'b'
              notify: done
            - command: "false"
              ignore_errors: true
            - command: cat {target.workdir}/items
              register: items
            - debug: var=items.stdout_lines
          handlers:
            - name: done
              command: touch {target.workdir}/handled
        """)
    assert result.rc == 0, result.stdout + result.stderr
    assert "skipping: [target1] => (item=b)" in result.stdout
    assert "...ignoring" in result.stdout
    assert result.debug_values()["items.stdout_lines"] == ["a", "c"]
    assert (target.workdir / "handled").exists()
    assert "target1                    : ok=5    changed=4    unreachable=0    failed=0    skipped=0    rescued=0    ignored=1" \
        in result.stdout


def test_a_failing_task_ends_the_host_with_exit_code_2(target):
    result = target.run("""
        - hosts: target1
          gather_facts: false
          tasks:
            - command: ls /no/such/path
            - debug: msg=never
        """)
    assert result.rc == 2
    assert 'fatal: [target1]: FAILED! => {"changed": true, "cmd": ["ls", "/no/such/path"]' in result.stdout
    assert "never" not in result.stdout.split("PLAY RECAP")[0].split("fatal:")[1].split("\n", 1)[1]


def test_async_poll_and_fire_and_forget(target):
    jobs = target.workdir / "jobs"
    result = target.run(f"""
        - hosts: target1
          gather_facts: false
          vars:
            ansible_async_dir: {jobs}
          tasks:
            - command: sleep 1
              async: 20
              poll: 1
            - shell: sleep 1; echo later
              async: 20
              poll: 0
              register: job
            - async_status:
                jid: "{{{{ job.ansible_job_id }}}}"
              register: done
              until: done.finished
              retries: 30
              delay: 0.2
            - debug: var=done.stdout
        """)
    assert result.rc == 0, result.stdout + result.stderr
    assert "ASYNC OK on target1" in result.stdout
    assert result.debug_values()["done.stdout"] == "later"
    assert all(os.stat(path).st_uid == pwd.getpwnam(target.user).pw_uid for path in jobs.iterdir())
