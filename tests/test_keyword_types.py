"""Keyword values of the wrong type: refused as ansible-core 2.19 refuses them, with its
wording, its exit code and the file:line of the value.

Each case is a playbook; the expected exit code and message are ansible-core's (checked side
by side in `test_same_exit_code_as_ansible_core` where ansible-core is installed).
"""
from __future__ import annotations

from pathlib import Path

import pytest

from helpers import miniplay, write
from reference import ansible_playbook, require_ansible

HEAD = "- hosts: localhost\n  gather_facts: false\n"


def task(keyword: str, value: str, module: str = "debug: msg=hi") -> str:
    return f"{HEAD}  tasks:\n    - {module}\n      {keyword}: {value}\n"


def play(keyword: str, value: str) -> str:
    return f"{HEAD}  {keyword}: {value}\n  tasks:\n    - debug: msg=hi\n"


BOOL_MESSAGE = "could not be converted to 'bool'."

# (id, playbook, exit code, message part, origin line:col or "" when Ansible names no line)
CASES = [
    *[(f"task {k}: abc", task(k, "abc"), 2, f"Error processing keyword '{k}': The value 'abc' {BOOL_MESSAGE}", "")
      for k in ("run_once", "become", "check_mode", "diff", "any_errors_fatal", "ignore_unreachable",
                "delegate_facts")],
    *[(f"play {k}: abc", play(k, "abc"), 2, f"Error processing keyword '{k}': The value 'abc' {BOOL_MESSAGE}", "")
      for k in ("run_once", "become", "diff", "ignore_unreachable")],
    ("no_log: abc fails the task, its output masked", task("no_log", "abc"), 2,
     "fatal: [localhost]: FAILED! => {\"censored\"", ""),
    ("ignore_errors: abc fails, then is ignored", task("ignore_errors", "abc"), 0,
     f"Error processing keyword 'ignore_errors': The value 'abc' {BOOL_MESSAGE}", ""),
    ("become from a template", f"{HEAD}  vars: {{r: abc}}\n  tasks:\n    - debug: msg=hi\n      become: \"{{{{ r }}}}\"\n",
     2, f"Error processing keyword 'become': The value 'abc' {BOOL_MESSAGE}", ""),
    ("timeout: abc", task("timeout", "abc"), 2, "Error processing keyword 'timeout': The value 'abc' could not be "
                                               "converted to 'int'.", ""),
    ("timeout: 1.5", task("timeout", "1.5"), 2, "The value 1.5 could not be converted to 'int'.", ""),
    ("async: abc", task("async", "abc", "command: echo hi"), 2,
     "Error processing keyword 'async_val': The value 'abc' could not be converted to 'int'.", ""),
    ("retries: abc", task("retries", "abc") + "      until: true\n", 2,
     "Error processing keyword 'retries': The value 'abc' could not be converted to 'int'.", ""),
    ("delay: abc", task("delay", "abc"), 2, "The value 'abc' could not be converted to 'float'.", ""),
    ("gather_facts: abc", "- hosts: localhost\n  gather_facts: abc\n  tasks: []\n", 4,
     f"Error processing keyword 'gather_facts': The value 'abc' {BOOL_MESSAGE}", "2:17"),
    ("force_handlers: abc", play("force_handlers", "abc"), 4,
     f"Error processing keyword 'force_handlers': The value 'abc' {BOOL_MESSAGE}", "3:19"),
    ("max_fail_percentage: abc", play("max_fail_percentage", "abc"), 4,
     "Error processing keyword 'max_fail_percentage': The value 'abc' could not be converted to 'percent'.", "3:24"),
    ("strategy: abc", play("strategy", "abc"), 1, "Invalid play strategy specified: abc", "1:3"),
    ("order: abc", play("order", "abc"), 5, "Invalid 'order' specified for inventory hosts: abc", "3:10"),
    ("task tags: {}", task("tags", "{}"), 1, "tags must be specified as a list", "5:13"),
    ("play tags: {}", play("tags", "{}"), 1, "tags must be specified as a list", "3:9"),
    ("task vars: []", task("vars", "[]"), 4, "Vars in a Task must be specified as a dictionary.", "5:13"),
    ("play vars: []", play("vars", "[]"), 4, "Vars in a Play must be specified as a dictionary.", "3:9"),
    ("task name: []", task("name", "[]"), 4, "The field 'name' is supposed to be a string type, however the "
                                             "incoming data structure is a list", "4:7"),
    ("play name: []", play("name", "[]"), 4, "The field 'name' is supposed to be a string type", "1:3"),
    ("delegate_to: []", task("delegate_to", "[]"), 4, "The field 'delegate_to' is supposed to be a string type", "4:7"),
    ("become_user: []", task("become_user", "[]"), 4, "The field 'become_user' is supposed to be a string type", "4:7"),
    ("connection: []", task("connection", "[]"), 4, "The field 'connection' is supposed to be a string type", "4:7"),
    ("roles: {}", play("roles", "{}"), 4, "A malformed role declaration was encountered", "1:3"),
    ("vars_files: {}", play("vars_files", "{}"), 4, "Invalid `vars_files` value of type 'dict'.", "3:15"),
    ("hosts: {}", "- hosts: {}\n  tasks: []\n", 4, "Hosts list cannot be empty. Please check your playbook", ""),
    ("playbook ~", "~\n", 4, "Empty playbook, nothing to do:", ""),
    ("throttle: abc", task("throttle", "abc"), 1,
     "Failed to convert the throttle value to an integer: invalid literal for int() with base 10: 'abc'", "5:17"),
    ("module_defaults: 5", task("module_defaults", "5"), 4,
     "The field 'module_defaults' is supposed to be a dictionary or list of dictionaries", "5:24"),
    ("loop_control: 5 (without a loop)", task("loop_control", "5"), 4,
     "the `loop_control` value must be specified as a dictionary and cannot be a variable itself", "5:21"),
    ("listen: {}", f"{HEAD}  handlers:\n    - debug: msg=hi\n      listen: {{}}\n  tasks: []\n", 4,
     "Keyword 'listen' items must be of type 'str', not 'dict'.", "5:15"),
]

ACCEPTED = [
    ("yes/on/1 are booleans", f"{HEAD}  tasks:\n    - debug: msg=hi\n      no_log: 'yes'\n      check_mode: 'On'\n"
                              "      diff: 1\n      run_once: 'n'\n"),
    ("throttle: -1 means no limit", task("throttle", "-1")),
    ("max_fail_percentage: '50%'", play("max_fail_percentage", "'50%'")),
    ("strategy: free", play("strategy", "free")),
    ("failed_when: [] is no condition", task("failed_when", "[]")),
]


@pytest.mark.parametrize("name,text,code,message,origin", CASES, ids=[c[0] for c in CASES])
def test_wrong_type_is_refused_like_ansible(tmp_path: Path, name: str, text: str, code: int, message: str,
                                            origin: str) -> None:
    playbook = tmp_path / "site.yml"
    playbook.write_text(text)
    result = miniplay("run", str(playbook), cwd=tmp_path)
    shown = result.stdout + result.stderr
    assert result.rc == code, shown
    assert message in shown
    if origin:
        assert f"{playbook}:{origin}" in shown
    assert "Traceback" not in shown and "a bug" not in shown
    if code in (1, 4, 5):
        assert "PLAY [" not in result.stdout, "a load error stops the run before anything runs"


@pytest.mark.parametrize("name,text", ACCEPTED, ids=[c[0] for c in ACCEPTED])
def test_values_ansible_converts_are_accepted(tmp_path: Path, name: str, text: str) -> None:
    playbook = tmp_path / "site.yml"
    playbook.write_text(text)
    result = miniplay("run", str(playbook), cwd=tmp_path)
    assert result.rc == 0, result.stdout + result.stderr


SIDE_BY_SIDE = ["task run_once: abc", "play become: abc", "ignore_errors: abc fails, then is ignored",
                "become from a template", "async: abc", "gather_facts: abc", "strategy: abc", "order: abc",
                "task tags: {}", "play vars: []", "task name: []", "roles: {}", "throttle: abc", "playbook ~"]


def test_same_exit_code_as_ansible_core(tmp_path: Path) -> None:
    require_ansible()
    cases = {c[0]: c for c in CASES}
    for name in SIDE_BY_SIDE:
        _, text, code, message, _ = cases[name]
        playbook = tmp_path / f"{len(name)}-{abs(hash(name))}.yml"
        playbook.write_text(text)
        theirs = ansible_playbook(str(playbook), cwd=tmp_path)
        ours = miniplay("run", str(playbook), cwd=tmp_path)
        assert (ours.rc, theirs.rc) == (code, code), name
        assert message[:40] in theirs.stdout + theirs.stderr, name


@pytest.mark.parametrize("value", ["abc", "[abc]", "[[abc, def]]", "abc.yml", "[nothere.yml, found.yml]"])
def test_vars_files_as_ansible_reads_them(tmp_path: Path, value: str) -> None:
    """A string is one file; a file that does not exist is skipped without a word (exit 0);
    a name is looked up in the play's `vars/` folder first. Side by side with ansible-core."""
    require_ansible()
    write(tmp_path / "vars/abc.yml", "word: from-vars-folder\n")
    write(tmp_path / "abc.yml", "word: beside-the-play\n")
    write(tmp_path / "found.yml", "word: found\n")
    playbook = write(tmp_path / "site.yml", "- hosts: localhost\n  gather_facts: false\n"
                     f"  vars_files: {value}\n  tasks:\n    - debug: msg={{{{ word | default('none') }}}}\n")
    write(tmp_path / "hosts", "localhost ansible_connection=local ansible_python_interpreter=/usr/bin/python3\n")
    theirs = ansible_playbook("-i", "hosts", str(playbook), cwd=tmp_path)
    ours = miniplay("run", "-i", "hosts", str(playbook), cwd=tmp_path)
    assert (ours.rc, ours.stdout, ours.stderr) == (theirs.rc, theirs.stdout, theirs.stderr)
    assert ours.rc == 0


def test_a_missing_import_is_refused_as_ansible_refuses_it(tmp_path: Path) -> None:
    """ansible-core 2.19 exits 1 with three lines naming the missing file (and no Origin)."""
    playbook = tmp_path / "site.yml"
    playbook.write_text(f"{HEAD}  tasks:\n    - import_tasks: nothere.yml\n")
    result = miniplay("run", str(playbook), cwd=tmp_path)
    assert result.rc == 1
    assert f"Could not find or access '{tmp_path}/nothere.yml' on the Ansible Controller." in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("keyword,value,code,message", [
    ("tags", "{}", 1, "tags must be specified as a list"),
    ("become_user", "[]", 4, "The field 'become_user' is supposed to be a string type"),
    ("vars", "[1]", 4, "Vars in a RoleInclude must be specified as a dictionary."),
])
def test_role_entry_keywords_have_types_too(tmp_path: Path, keyword: str, value: str, code: int, message: str) -> None:
    (tmp_path / "roles/r/tasks").mkdir(parents=True)
    (tmp_path / "roles/r/tasks/main.yml").write_text("- debug: msg=r\n")
    playbook = tmp_path / "site.yml"
    playbook.write_text(f"{HEAD}  roles:\n    - role: r\n      {keyword}: {value}\n")
    result = miniplay("run", str(playbook), cwd=tmp_path)
    assert result.rc == code and message in result.stderr
    assert f"Origin: {playbook}:" in result.stderr
