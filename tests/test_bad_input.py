"""Bad input: one clear error naming file:line, Ansible's exit code, no traceback."""
from __future__ import annotations

from pathlib import Path

import pytest

from helpers import miniplay, write

LOAD_ERRORS = [
    # (name, playbook text, expected message part, line:col)
    ("tab", "- hosts: localhost\n  tasks:\n\t- debug: msg=hi\n", "Tabs are usually invalid in YAML.", "3:1"),
    ("malformed", "- hosts: localhost\n  tasks: [\n", "YAML parsing failed: While parsing a flow node", "3:1"),
    ("unknown keyword", "- hosts: localhost\n  tasks:\n    - debug: msg=hi\n      whn: true\n",
     "'whn' is not a valid attribute for a Task. Did you mean 'when'?", "4:7"),
    ("unknown module", "- hosts: localhost\n  tasks:\n    - debugg: msg=hi\n",
     "couldn't resolve module/action 'debugg'", "3:7"),
    ("unknown play keyword", "- hosts: localhost\n  taks: []\n",
     "'taks' is not a valid attribute for a Play. Did you mean 'tasks'?", "2:3"),
    ("two modules", "- hosts: localhost\n  tasks:\n    - command: ls\n      shell: ls\n",
     "conflicting action statements: command, shell", "3:7"),
    ("no module", "- hosts: localhost\n  tasks:\n    - name: nothing\n", "no module/action detected in task", "3:7"),
    ("bad register", "- hosts: localhost\n  tasks:\n    - command: ls\n      register: 'my-var'\n",
     "Invalid 'register' specified", "4:7"),
    ("hosts missing", "- name: x\n  tasks: []\n", "the field 'hosts' is required", "1:3"),
    ("bad loop keyword", "- hosts: localhost\n  tasks:\n    - debug: msg=x\n      with_itemz: [1]\n",
     "no lookup named 'itemz'", "4:7"),
    ("vars_prompt without a name", "- hosts: localhost\n  vars_prompt: [{prompt: x}]\n  tasks: []\n",
     "Invalid vars_prompt data structure, missing 'name' key", "2:17"),
    ("loop on import_tasks", "- hosts: localhost\n  tasks:\n    - import_tasks: other.yml\n      loop: [1]\n",
     "You cannot use loops on 'import_tasks' statements. You should use 'include_tasks' instead.", "3:7"),
    ("loop_control typo", "- hosts: localhost\n  tasks:\n    - debug: msg=x\n      loop: [1]\n      loop_control: {loopvar: y}\n",
     "'loopvar' is not a valid attribute for a LoopControl", "5:7"),
]


@pytest.mark.parametrize("name,text,message,where", LOAD_ERRORS, ids=[c[0] for c in LOAD_ERRORS])
def test_load_errors_name_file_and_line(tmp_path: Path, name: str, text: str, message: str, where: str) -> None:
    playbook = tmp_path / "site.yml"
    playbook.write_text(text)
    result = miniplay("run", str(playbook), cwd=tmp_path)
    assert result.rc == 4, result.stderr
    assert message in result.stderr
    assert f"Origin: {playbook}:{where}" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert "PLAY [" not in result.stdout, "nothing may run before the playbook loads"


def test_error_shows_the_offending_line_with_a_caret(tmp_path: Path) -> None:
    playbook = write(tmp_path / "site.yml", """
        - hosts: localhost
          tasks:
            - debug: msg=hi
              whn: true
        """)
    result = miniplay("run", str(playbook))
    assert "4       whn: true\n        ^ column 7" in result.stderr


RUN_ERRORS = [
    ("undefined variable", "    - debug: msg=\"{{ nope }}\"\n",
     "Error while resolving value for 'msg': 'nope' is undefined"),
    ("template syntax", "    - debug: msg=\"{{ 1 + }}\"\n", "Syntax error in template: unexpected 'end of print statement'"),
    ("loop not a list", "    - debug: msg={{ item }}\n      loop: notalist\n",
     "The `loop` value must resolve to a 'list', not 'str'."),
    ("bad conditional", "    - debug: msg=x\n      when: nope == 1\n",
     "Error while evaluating conditional: 'nope' is undefined"),
    ("string conditional", "    - debug: msg=x\n      when: word\n",
     "Conditionals must have a boolean result"),
]


@pytest.mark.parametrize("name,task,message", RUN_ERRORS, ids=[c[0] for c in RUN_ERRORS])
def test_a_failing_template_fails_that_task_not_the_run(tmp_path: Path, name: str, task: str, message: str) -> None:
    playbook = tmp_path / "site.yml"
    playbook.write_text("- hosts: localhost\n  gather_facts: false\n  vars: {word: hello}\n  tasks:\n" + task +
                        "    - debug: msg=never\n")
    result = miniplay("run", str(playbook))
    assert result.rc == 2
    assert message in result.stdout
    assert "fatal: [localhost]: FAILED!" in result.stdout
    assert "never" not in result.stdout
    assert "localhost                  : ok=0    changed=0    unreachable=0    failed=1" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr


def test_a_template_error_on_one_host_leaves_the_others_running(tmp_path: Path) -> None:
    inventory = write(tmp_path / "hosts.ini", """
        a ansible_connection=local
        b ansible_connection=local special=yes
        """)
    playbook = write(tmp_path / "site.yml", """
        - hosts: all
          gather_facts: false
          tasks:
            - debug: msg="{{ special }}"
            - debug: msg="after"
        """)
    result = miniplay("run", "-i", str(inventory), str(playbook))
    assert result.rc == 2
    assert "fatal: [a]: FAILED!" in result.stdout
    assert 'ok: [b] => {\n    "msg": "after"\n}' in result.stdout


# Exit codes as ansible-playbook's: 4 for YAML it cannot parse, 5 for data that is not a
# mapping, 1 for a file it cannot read.
@pytest.mark.parametrize("value,code,message", [
    ("{bad", 4, "YAML parsing failed: While parsing a flow mapping did not find expected ',' or '}}'.\n"
                "Origin: <CLI option '-e'>:2:1"),
    ("@broken.yml", 4, "YAML parsing failed: While parsing a flow node did not find expected node content.\n"
                       "Origin: {tmp}/broken.yml:2:1"),
    ("[1, 2]", 5, "Invalid extra vars data supplied. '[1, 2]' could not be made into a dictionary"),
    ("@list.yml", 5, "Invalid extra vars data supplied. '@{tmp}/list.yml' could not be made into a dictionary"),
    ("@missing.yml", 1, "Unable to retrieve file contents. Could not find or access '{tmp}/missing.yml'"),
    ("justaword", 5, "'justaword' could not be made into a dictionary"),
])
def test_bad_extra_vars(tmp_path: Path, value: str, code: int, message: str) -> None:
    playbook = write(tmp_path / "site.yml", "- hosts: localhost\n  tasks: []\n")
    write(tmp_path / "broken.yml", "a: [\n")
    write(tmp_path / "list.yml", "- 1\n- 2\n")
    result = miniplay("run", "-e", value, str(playbook), cwd=tmp_path)
    assert result.rc == code, result.stderr
    assert message.format(tmp=tmp_path) in result.stderr
    assert "Traceback" not in result.stderr


def test_missing_inventory_and_playbook(tmp_path: Path) -> None:
    playbook = write(tmp_path / "site.yml", "- hosts: localhost\n  tasks: []\n")
    result = miniplay("run", "-i", str(tmp_path / "nope.ini"), str(playbook))
    assert result.rc != 0 and "nope.ini" in result.stderr and "Traceback" not in result.stderr
    result = miniplay("run", str(tmp_path / "absent.yml"))
    assert result.rc == 1 and f"[ERROR]: the playbook: {tmp_path / 'absent.yml'} could not be found" in result.stderr


def test_missing_vars_file_is_skipped_as_ansible_skips_it(tmp_path: Path) -> None:
    playbook = write(tmp_path / "site.yml", """
        - hosts: localhost
          gather_facts: false
          vars_files: [nothere.yml]
          tasks:
            - debug: msg=hi
        """)
    result = miniplay("run", str(playbook))
    assert result.rc == 0 and '"msg": "hi"' in result.stdout, result.stdout + result.stderr
    assert "Traceback" not in result.stderr


def test_bad_cli_option_exits_2_like_ansible_playbook() -> None:
    result = miniplay("run", "--no-such-flag", "x.yml")
    assert result.rc == 2
    assert "unrecognized arguments" in result.stderr


def test_traceback_only_with_vvv(tmp_path: Path) -> None:
    playbook = tmp_path / "site.yml"
    playbook.write_text("- hosts: localhost\n  tasks:\n    - debugg: {}\n")
    assert "Traceback" not in miniplay("run", str(playbook)).stderr
    assert "Traceback" in miniplay("run", "-vvv", str(playbook)).stderr


def test_unknown_handler_is_refused_before_running(tmp_path: Path) -> None:
    playbook = write(tmp_path / "site.yml", """
        - hosts: localhost
          gather_facts: false
          handlers:
            - name: restart web
              debug: msg=restart
          tasks:
            - command: echo hi
              notify: restart wbe
        """)
    result = miniplay("run", str(playbook))
    assert result.rc == 1
    assert "The requested handler 'restart wbe' was not found" in result.stderr
    assert f"Origin: {playbook}:8:7" in result.stderr
    assert "PLAY [" not in result.stdout


LOAD_ERRORS_AS_ANSIBLE = [
    # (name, playbook text): refused while loading, with ansible-core's exit code 1 and its words
    ("removed include", "- hosts: localhost\n  gather_facts: false\n  tasks:\n    - include: other.yml\n"),
    ("missing import_tasks file", "- hosts: localhost\n  gather_facts: false\n  tasks:\n    - import_tasks: missing.yml\n"),
]


@pytest.mark.parametrize("name,text", LOAD_ERRORS_AS_ANSIBLE, ids=[c[0] for c in LOAD_ERRORS_AS_ANSIBLE])
def test_load_errors_as_ansible_core_words_them(tmp_path: Path, name: str, text: str) -> None:
    from reference import ansible_playbook, require_ansible

    require_ansible()
    write(tmp_path / "other.yml", "- debug: msg=hi\n")
    playbook = write(tmp_path / "site.yml", text)
    inventory = write(tmp_path / "hosts.ini", "localhost ansible_connection=local\n")
    theirs = ansible_playbook("-i", str(inventory), str(playbook), cwd=tmp_path)
    ours = miniplay("run", "-i", str(inventory), str(playbook), cwd=tmp_path)
    assert (ours.rc, ours.stdout, ours.stderr) == (theirs.rc, theirs.stdout, theirs.stderr)
    assert ours.rc == 1


def test_missing_playbook_as_ansible_core_words_it(tmp_path: Path) -> None:
    from reference import ansible_playbook, require_ansible

    require_ansible()
    theirs = ansible_playbook("absent.yml", cwd=tmp_path)
    ours = miniplay("run", "absent.yml", cwd=tmp_path)
    assert (ours.rc, ours.stderr.rstrip("\n")) == (theirs.rc, theirs.stderr.rstrip("\n")) \
        == (1, "[ERROR]: the playbook: absent.yml could not be found")


def test_flush_handlers_as_a_handler_stops_the_run_as_ansible_core_does(tmp_path: Path) -> None:
    from reference import ansible_playbook, require_ansible

    require_ansible()
    playbook = write(tmp_path / "site.yml", """
        - hosts: localhost
          gather_facts: false
          tasks:
            - debug: msg=x
              changed_when: true
              notify: flush
          handlers:
            - name: flush
              meta: flush_handlers
        """)
    inventory = write(tmp_path / "hosts.ini", "localhost ansible_connection=local\n")
    theirs = ansible_playbook("-i", str(inventory), str(playbook), cwd=tmp_path)
    ours = miniplay("run", "-i", str(inventory), str(playbook), cwd=tmp_path)
    assert (ours.rc, ours.stdout) == (theirs.rc, theirs.stdout)
    assert ours.stderr.rstrip("\n") == theirs.stderr.rstrip("\n") == "[ERROR]: flush_handlers cannot be used as a handler"
    assert ours.rc == 1 and "RUNNING HANDLER [flush]" in ours.stdout and "PLAY RECAP" not in ours.stdout


def test_a_negative_poll_leaves_the_job_running_as_ansible_does(tmp_path: Path) -> None:
    """ansible-core 2.19 polls only when poll > 0: `poll: -1` is `poll: 0` (no load error)."""
    from reference import compare

    write(tmp_path / "p/hosts", "localhost ansible_connection=local ansible_python_interpreter=/usr/bin/python3\n")
    playbook = write(tmp_path / "p/site.yml", """
        - hosts: localhost
          gather_facts: false
          tasks:
            - command: echo hi
              async: 5
              poll: -1
              register: job
            - command: sleep 2
              changed_when: false
            - async_status:
                jid: "{{ job.ansible_job_id }}"
              register: done
            - debug: var=done.stdout
        """)
    ours, _ = compare(playbook, tmp_path / "p/hosts", "-v", env={"ANSIBLE_ASYNC_DIR": str(tmp_path / "async")})
    assert ours.rc == 0 and '"done.stdout": "hi"' in ours.stdout


def test_unreadable_ansible_cfg_is_one_clear_error(tmp_path: Path) -> None:
    """configparser is imported only when an ansible.cfg is found: its errors still read as one."""
    write(tmp_path / "ansible.cfg", "this is not ini\n[defaults\n")
    write(tmp_path / "site.yml", "- hosts: localhost\n  gather_facts: false\n  tasks: []\n")
    result = miniplay("run", "-i", "localhost,", "site.yml", cwd=tmp_path)
    assert result.rc == 5 and result.stdout == ""  # ansible-playbook's exit code for an unreadable ansible.cfg
    assert result.stderr.startswith(f"[ERROR]: Error reading config file {tmp_path / 'ansible.cfg'}: "
                                    "File contains no section headers.")
    assert "Traceback" not in result.stderr
