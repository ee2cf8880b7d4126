"""Action plugins written for Ansible: run by the user's ansible-core, their target work done by miniplay.

The plugins under tests/action_plugins*/action_plugins are our own small ones: one that
runs a module, one that hands its task to another action, one that answers by itself,
one that refuses (AnsibleActionFail), one that raises, one whose import is missing, one
that asks for what the bridge does not carry, one that works the target through the base
class's low-level helpers; and in tests/action_plugins_generic a `normal.py` (the generic
action) and a `ping.py` (an action named like a module).
"""
from __future__ import annotations

import shutil
from pathlib import Path

from helpers import miniplay, write
from reference import compare
from test_foreign_modules import reference_env

HERE = Path(__file__).parent


def copied(name: str, into: Path) -> Path:
    work = into / "case"
    shutil.copytree(HERE / name, work)
    return work


# ---------------------------------------------------------------------- side by side with ansible-core
def test_plugins_that_wrap_modules_actions_or_answer_alone_match_ansible(tmp_path: Path) -> None:
    """A module through the plugin, another action (shell), a result of its own, AnsibleActionFail, an
    exception: the same output lines and exit code as ansible-core."""
    work = copied("action_plugins", tmp_path)
    ours, _ = compare(work / "plugins.yml", work / "hosts.ini", env=reference_env())
    assert ours.rc == 0
    assert "wrapped: one two" in ours.stdout


def test_normal_py_and_a_plugin_named_like_a_module_match_ansible(tmp_path: Path) -> None:
    """normal.py stands in front of every module with no action of its own (native, library/, async
    ones too); ping.py in front of ping; debug keeps its own action."""
    work = copied("action_plugins_generic", tmp_path)
    ours, _ = compare(work / "generic.yml", work / "hosts.ini", env=reference_env())
    assert '"ping.py",' in ours.stdout and '"through ping.py",' in ours.stdout


def test_results_are_registered_and_seen_by_until(tmp_path: Path) -> None:
    """The plugin's result is the task's: registered, retried by `until`, with the task's variables."""
    work = copied("action_plugins", tmp_path)
    counter = tmp_path / "counter"
    counter.write_text("2")
    write(work / "until.yml", f"""
        - hosts: localhost
          gather_facts: false
          vars:
            greeting: hi there
          tasks:
            - wrap_action:
                cmd: n=$(cat {counter}); echo $((n - 1)) > {counter}; echo left $n
              register: counted
              until: counted.said.strip() == 'left 1'
              delay: 0
              retries: 5
            - answer:
                question: why
              register: answered
            - debug: var=counted.attempts
            - debug: var=answered
        """)
    run = miniplay("run", "-i", str(work / "hosts.ini"), str(work / "until.yml"), env=reference_env())
    assert run.rc == 0, run.stdout + run.stderr
    values = run.debug_values()
    assert values["counted.attempts"] == 2
    assert values["answered"] == {"changed": False, "failed": False, "answer": 42, "asked": "why",
                                  "host": "localhost", "greeting": "hi there"}


# ---------------------------------------------------------------------- what the bridge cannot do
def test_a_plugin_whose_import_is_missing_fails_its_task_naming_file_line_and_import(tmp_path: Path) -> None:
    """(ansible-core itself stops the whole run with a traceback here.)"""
    work = copied("action_plugins", tmp_path)
    write(work / "missing.yml", """
        - hosts: localhost
          gather_facts: false
          tasks:
            - needs_missing:
              ignore_errors: true
            - debug: msg=after
        """)
    run = miniplay("run", "-i", str(work / "hosts.ini"), str(work / "missing.yml"), env=reference_env())
    assert run.rc == 0, run.stdout + run.stderr
    assert "Traceback" not in run.stdout + run.stderr
    assert (f"Could not load the action plugin {work}/action_plugins/needs_missing.py:4: it imports "
            "'no_such_library_for_miniplay', which is not installed") in run.stdout + run.stderr
    assert '"msg": "after"' in run.stdout


def test_a_plugin_asking_for_what_the_bridge_lacks_fails_with_one_paragraph(tmp_path: Path) -> None:
    work = copied("action_plugins", tmp_path)
    write(work / "lacks.yml", """
        - hosts: localhost
          gather_facts: false
          tasks:
            - uses_unbridged:
        """)
    run = miniplay("run", "-i", str(work / "hosts.ini"), str(work / "lacks.yml"), env=reference_env())
    assert run.rc == 2
    assert (f"The action plugin {work}/action_plugins/uses_unbridged.py uses self._task.get_first_parent_include, "
            "which miniplay's bridge to Ansible action plugins does not provide") in run.stdout + run.stderr
    assert "Traceback" not in run.stdout + run.stderr


def test_without_ansible_core_the_task_fails_saying_what_to_install(tmp_path: Path) -> None:
    work = copied("action_plugins", tmp_path)
    run = miniplay("run", "-i", str(work / "hosts.ini"), str(work / "plugins.yml"),
                   env={"MINIPLAY_ANSIBLE_PYTHON": "none"})
    assert run.rc == 2
    shown = run.stdout + run.stderr
    assert f"The action plugin {work}/action_plugins/wrap_module.py is Python code written for Ansible" in shown
    assert "pip install ansible-core" in shown


# ---------------------------------------------------------------------- on the target (local and SSH)
def test_low_level_helpers_reach_the_target(target) -> None:
    """_make_tmp_path, _transfer_data, _low_level_execute_command, _remote_expand_user, _remove_tmp_path."""
    shutil.copytree(HERE / "action_plugins" / "action_plugins", target.tmp_path / "action_plugins")
    result = target.run("""
        - hosts: target1
          gather_facts: false
          tasks:
            - remote_file:
                text: "a note\\nover two lines"
              register: note
            - stat:
                path: "{{ note.tmpdir }}"
              register: gone
            - debug: var=note.read_back
            - debug: var=note.home
            - debug: var=gone.stat.exists
        """, env=reference_env())
    assert result.rc == 0, result.stdout + result.stderr
    values = result.debug_values()
    assert values == {"note.read_back": "a note\nover two lines", "note.home": str(target.home),
                      "gone.stat.exists": False}


def test_collection_and_configured_action_plugins_match_ansible(tmp_path: Path) -> None:
    """`ns.col.name`, a short name through `collections:`, and ANSIBLE_ACTION_PLUGINS; the collection's
    plugin imports the collection's own module_utils."""
    collection = tmp_path / "colls" / "ansible_collections" / "my" / "tools" / "plugins"
    write(collection / "module_utils" / "stamping.py", """
        def stamp(text):
            return "[" + text + "]"
        """)
    write(collection / "action" / "stamp.py", """
        from ansible.plugins.action import ActionBase
        from ansible_collections.my.tools.plugins.module_utils.stamping import stamp


        class ActionModule(ActionBase):
            def run(self, tmp=None, task_vars=None):
                return {"changed": False, "stamped": stamp(self._task.args["text"])}
        """)
    write(tmp_path / "shared" / "shared_answer.py", """
        from ansible.plugins.action import ActionBase


        class ActionModule(ActionBase):
            def run(self, tmp=None, task_vars=None):
                return {"changed": False, "from": "ANSIBLE_ACTION_PLUGINS"}
        """)
    work = tmp_path / "case"
    write(work / "hosts.ini", "localhost ansible_connection=local ansible_python_interpreter=/usr/bin/python3\n")
    write(work / "site.yml", """
        - hosts: localhost
          gather_facts: false
          tasks:
            - my.tools.stamp:
                text: fq
              register: a
            - shared_answer:
              register: b
            - debug: msg="{{ [a.stamped, b.from] }}"
        - hosts: localhost
          gather_facts: false
          collections: [my.tools]
          tasks:
            - stamp:
                text: short
              register: c
            - debug: var=c.stamped
        """)
    env = {**reference_env(), "ANSIBLE_COLLECTIONS_PATH": str(tmp_path / "colls"),
           "ANSIBLE_ACTION_PLUGINS": str(tmp_path / "shared")}
    ours, _ = compare(work / "site.yml", work / "hosts.ini", env=env)
    assert '"c.stamped": "[short]"' in ours.stdout


def test_free_form_text_loops_conditions_and_check_mode_match_ansible(tmp_path: Path) -> None:
    """A plugin without raw params refuses free-form text as ansible-core does; `action: name k=v`,
    loop with when, and check mode on a plugin that supports it."""
    work = copied("action_plugins", tmp_path)
    ours, _ = compare(work / "more.yml", work / "hosts.ini", env=reference_env())
    assert "Task failed: Action 'answer' does not support raw params." in ours.stdout
