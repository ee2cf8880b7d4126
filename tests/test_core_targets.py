"""Core task behaviour over both connections (`target`: local, then SSH).

The same playbook, the same expected output lines and files, whether the host is this
machine or a real OpenSSH server on 127.0.0.x with its own user.
"""
from __future__ import annotations

import json


def test_module_forms_fqcn_free_form_args_action(target) -> None:
    sub = target.workdir / "sub"
    sub.mkdir()
    (sub / "data.txt").write_text("in sub\n")
    target.chown(sub)
    result = target.run(f"""
        - hosts: target1
          gather_facts: false
          tasks:
            - ansible.builtin.command: echo fqcn
              register: a
            - command: cat data.txt
              args:
                chdir: {sub}
              register: b
            - action: shell echo action-form | tr a-z A-Z
              register: c
            - ansible.builtin.debug: msg="{{{{ [a.stdout, b.stdout, c.stdout] | join(',') }}}}"
            - command:
                argv: [echo, "two words"]
              register: e
            - debug: var=e.cmd
        """)
    assert result.rc == 0, result.stdout + result.stderr
    assert '"msg": "fqcn,in sub,ACTION-FORM"' in result.stdout
    assert "TASK [ansible.builtin.command] ***" in result.stdout
    assert result.debug_values()["e.cmd"] == ["echo", "two words"]


def test_until_retries_lines_and_attempts(target) -> None:
    counter = target.workdir / "count"
    result = target.run(f"""
        - hosts: target1
          gather_facts: false
          tasks:
            - name: wait for the third try
              shell: echo x >> {counter}; wc -l < {counter}
              register: r
              until: r.stdout | int >= 3
              retries: 5
              delay: 0
            - debug: var=r.attempts
            - name: never good
              command: "false"
              register: bad
              retries: 2
              delay: 0
              ignore_errors: true
            - debug: var=bad.attempts
        """)
    lines = result.lines()
    assert "FAILED - RETRYING: [target1]: wait for the third try (5 retries left)." in lines
    assert "FAILED - RETRYING: [target1]: wait for the third try (4 retries left)." in lines
    assert "FAILED - RETRYING: [target1]: wait for the third try (3 retries left)." not in lines
    assert "FAILED - RETRYING: [target1]: never good (2 retries left)." in lines
    values = result.debug_values()
    assert values["r.attempts"] == 3
    assert values["bad.attempts"] == 2
    assert result.rc == 0


def test_environment_no_log_and_verbose_output(target) -> None:
    result = target.run("""
        - hosts: target1
          gather_facts: false
          environment:
            GREETING: from-play
          tasks:
            - shell: echo $GREETING $EXTRA
              environment:
                EXTRA: from-task
              register: env_out
            - debug: var=env_out.stdout
            - command: echo secret-value
              no_log: true
              register: hidden
            - debug: msg="{{ hidden.stdout | length }}"
        """, "-v")
    assert result.debug_values()["env_out.stdout"] == "from-play from-task"
    assert "secret-value" not in result.stdout
    assert "the output has been hidden due to the fact that 'no_log: true' was specified for this result" in result.stdout
    assert '"msg": 12' in result.stdout, "a lone expression keeps its native type"
    assert 'changed: [target1] => {"changed": true, "cmd": "echo $GREETING $EXTRA"' in result.stdout


def test_changed_when_failed_when_register_shapes(target) -> None:
    result = target.run("""
        - hosts: target1
          gather_facts: false
          tasks:
            - shell: echo out; echo err >&2; exit 3
              register: r
              failed_when: r.rc not in [0, 3]
              changed_when: "'out' in r.stdout"
            - debug: var=r
            - command: echo never
              when: false
              register: r
            - debug: var=r
        """)
    blocks = result.stdout.split("TASK [debug] ")
    shapes = [json.loads(block[block.index("{"):block.index("\n}\n") + 2]) for block in blocks[1:]]
    first = shapes[0]["r"]
    assert first["rc"] == 3 and first["stdout_lines"] == ["out"] and first["stderr"] == "err"
    assert first["failed"] is False and first["failed_when_result"] is False and first["changed"] is True
    assert "invocation" not in first
    assert shapes[1]["r"] == {"changed": False, "false_condition": False,
                              "skip_reason": "Conditional result was False", "skipped": True}


def test_modules_write_files_on_the_target(target) -> None:
    conf = target.workdir / "app.conf"
    result = target.run(f"""
        - hosts: target1
          gather_facts: false
          tasks:
            - copy:
                content: "port=80\\nhost=a\\n"
                dest: {conf}
                mode: "0640"
            - lineinfile:
                path: {conf}
                regexp: '^port='
                line: port=8080
            - blockinfile:
                path: {conf}
                block: "extra=1"
            - replace:
                path: {conf}
                regexp: 'host=a'
                replace: 'host=b'
            - stat:
                path: {conf}
              register: st
            - debug: msg="{{{{ st.stat.mode }}}}"
            - slurp:
                src: {conf}
              register: content
            - debug: msg="{{{{ content.content | b64decode | regex_search('port=\\\\d+') }}}}"
        """)
    assert result.rc == 0, result.stdout
    text = conf.read_text()
    assert text.startswith("port=8080\nhost=b\n")
    assert "# BEGIN ANSIBLE MANAGED BLOCK\nextra=1\n# END ANSIBLE MANAGED BLOCK" in text
    assert oct(conf.stat().st_mode & 0o777) == "0o640"
    assert '"msg": "0640"' in result.stdout
    assert '"msg": "port=8080"' in result.stdout
    assert "ok=8    changed=4 " in result.stdout


def test_command_creates_removes_and_check_mode(target) -> None:
    marker = target.workdir / "marker"
    playbook = f"""
        - hosts: target1
          gather_facts: false
          tasks:
            - command: touch {marker}
              args:
                creates: {marker}
              register: r
            - debug: var=r.msg
        """
    checked = target.run(playbook, "-C")
    assert not marker.exists(), "check mode must not run commands"
    # guarded by creates, the command can tell it would change something (Ansible reports changed)
    assert "changed: [target1]" in checked.stdout
    assert '"r.msg": "Command would have run if not in check mode"' in checked.stdout
    first = target.run(playbook)
    assert marker.exists() and "changed: [target1]" in first.stdout
    second = target.run(playbook)
    assert f"Did not run command since '{marker}' exists" in second.stdout
    assert f"Would not run command since '{marker}' exists" in target.run(playbook, "-C").stdout


def test_reset_connection_logs_in_afresh(target) -> None:
    # the worker that runs modules is the shell's parent: the same one until reset_connection
    result = target.run("""
        - hosts: target1
          gather_facts: false
          tasks:
            - shell: echo $PPID
              register: first
            - shell: echo $PPID
              register: second
            - meta: reset_connection
            - shell: echo $PPID
              register: third
            - debug: msg="{{ [first.stdout, second.stdout, third.stdout] }}"
        """, "-vv")
    assert result.rc == 0, result.stdout + result.stderr
    first, second, third = result.debug_values()["msg"]
    assert first == second, "one worker per host for the run"
    assert third != first, "reset_connection closed it; the next task started a new one"
    assert "META: reset connection" in result.stdout
