"""Semantics that ansible-core's own integration targets (tests/upstream) found missing, side by
side with ansible-core on small playbooks of our own."""
from __future__ import annotations

from pathlib import Path

from helpers import miniplay, write
from reference import TARGET_PYTHON, compare, require_ansible

INVENTORY = (f"[pair]\nh1 ansible_connection=local ansible_python_interpreter={TARGET_PYTHON}\n"
             f"h2 ansible_connection=local ansible_python_interpreter={TARGET_PYTHON}\n")

FAILING_HOST = """
- hosts: pair
  gather_facts: false
  tasks:
    - debug: msg=notify
      changed_when: true
      notify: report
    - fail: msg=down
      when: inventory_hostname == 'h1'
  handlers:
    - name: report
      debug: msg="handler on {{ inventory_hostname }}"
"""


def test_force_handlers_from_the_environment(tmp_path: Path) -> None:
    """ANSIBLE_FORCE_HANDLERS=true forces handlers as --force-handlers does: h1 failed, its handler runs."""
    require_ansible()
    source = tmp_path / "case"
    playbook = write(source / "site.yml", FAILING_HOST)
    inventory = write(source / "hosts.ini", INVENTORY)
    ours, _ = compare(playbook, inventory, "-f", "1", env={"ANSIBLE_FORCE_HANDLERS": "true"})
    assert "handler on h1" in ours.stdout and "handler on h2" in ours.stdout


def test_force_handlers_from_ansible_cfg(tmp_path: Path) -> None:
    require_ansible()
    source = tmp_path / "case"
    playbook = write(source / "site.yml", FAILING_HOST)
    inventory = write(source / "hosts.ini", INVENTORY)
    write(source / "ansible.cfg", "[defaults]\nforce_handlers = True\n")
    ours, _ = compare(playbook, inventory, "-f", "1")
    assert "handler on h1" in ours.stdout


def test_import_playbook_tags_reach_its_plays(tmp_path: Path) -> None:
    """`import_playbook: x.yml` with `tags:`: --tags selects the imported plays' tasks by that tag."""
    require_ansible()
    source = tmp_path / "case"
    write(source / "sub.yml", """
        - hosts: h1
          gather_facts: false
          tasks:
            - debug: msg="tagged by the import"
        """)
    playbook = write(source / "site.yml", """
        - import_playbook: sub.yml
          tags: picked
        - hosts: h1
          gather_facts: false
          tasks:
            - debug: msg="not picked"
        """)
    inventory = write(source / "hosts.ini", INVENTORY)
    ours, _ = compare(playbook, inventory, "--tags", "picked")
    assert "tagged by the import" in ours.stdout and "not picked" not in ours.stdout


def test_role_file_names_must_be_strings(tmp_path: Path) -> None:
    """include_role's vars_from given a list is refused when the playbook loads (exit 4), naming the key."""
    require_ansible()
    source = tmp_path / "case"
    write(source / "roles" / "r" / "tasks" / "main.yml", "- debug: msg=r\n")
    playbook = write(source / "site.yml", """
        - hosts: h1
          gather_facts: false
          tasks:
            - include_role:
                name: r
                vars_from:
                  - one.yml
        """)
    inventory = write(source / "hosts.ini", INVENTORY)
    ours, _ = compare(playbook, inventory)
    assert ours.rc == 4
    assert "Expected a string for vars_from but got <class 'list'> instead" in ours.stderr
    assert "site.yml:4" in ours.stderr and "Traceback" not in ours.stderr


def test_adhoc_include_role_takes_key_value_words(tmp_path: Path) -> None:
    """`ansible -m include_role -a name=r`: `name=r` is an argument, not a free-form command."""
    write(tmp_path / "roles" / "r" / "tasks" / "main.yml", "- debug: msg='In role r'\n")
    run = miniplay("adhoc", "-m", "include_role", "-a", "name=r", "localhost", cwd=tmp_path,
                   env={"ANSIBLE_ROLES_PATH": str(tmp_path / "roles")})
    assert run.rc == 0, run.stdout + run.stderr
    assert '"msg": "In role r"' in run.stdout


def test_hostvars_knows_the_implicit_localhost(tmp_path: Path) -> None:
    """`hostvars['localhost']` works when the inventory has no localhost, as in ansible-core."""
    require_ansible()
    source = tmp_path / "case"
    playbook = write(source / "site.yml", """
        - hosts: h1
          gather_facts: false
          tasks:
            - debug:
                msg: "{{ hostvars['localhost'].ansible_connection }} {{ 'localhost' in hostvars }} {{ hostvars | list }}"
        """)
    inventory = write(source / "hosts.ini", INVENTORY)
    ours, _ = compare(playbook, inventory)
    assert "local True ['h1', 'h2']" in ours.stdout


def test_templates_in_a_conditionals_string_constants(tmp_path: Path) -> None:
    """Each string constant holding `{{ }}` is rendered alone, natively: `"{{ x }}" == "1"` is 1 == "1",
    false; `"{{ x }}" == 1` holds."""
    require_ansible()
    source = tmp_path / "case"
    playbook = write(source / "site.yml", """
        - hosts: h1
          gather_facts: false
          vars:
            x: 1
          tasks:
            - debug: msg="text compared with a number"
              when: '"{{ x }}" == "1"'
            - debug: msg="number compared with a number"
              when: '"{{ x }}" == 1'
            - debug: msg="{{ 'y' if ('{{ x }}' | int) == 1 else 'n' }}"
        """)
    inventory = write(source / "hosts.ini", INVENTORY)
    ours, _ = compare(playbook, inventory)
    assert "number compared with a number" in ours.stdout and "text compared with a number" not in ours.stdout


def test_template_delimiters_that_break_the_expression(tmp_path: Path) -> None:
    """`"{{ "a" }}" == "a"` is no expression (the quotes end early): the task fails with Ansible's words."""
    source = tmp_path / "case"
    playbook = write(source / "site.yml", """
        - hosts: h1
          gather_facts: false
          tasks:
            - assert:
                that: "{{x}} is defined"
              vars:
                x: 1
              ignore_errors: true
            - assert:
                that: '"{{ "a" }}" == "a"'
        """)
    inventory = write(source / "hosts.ini", INVENTORY)
    run = miniplay("run", "-i", str(inventory), str(playbook))
    assert run.rc == 2
    assert ("Syntax error in expression. Template delimiters are not supported in expressions: expected token "
            "':', got '}'") in run.stdout
    assert ("Syntax error in expression. Template delimiters are not supported in expressions: chunk after "
            "expression") in run.stdout + run.stderr


def test_jinja_tests_on_undefined_values_fail(tmp_path: Path) -> None:
    """`d.missing is none` is no longer false: the test is not run and the conditional fails with
    the undefined error (ansible-core 2.19); `is defined` / `is undefined` still look at it."""
    source = tmp_path / "case"
    playbook = write(source / "site.yml", """
        - hosts: h1
          gather_facts: false
          vars:
            d: {a: 1}
          tasks:
            - assert:
                that:
                  - d.missing is undefined
                  - d.a is not none
            - assert:
                that: d.missing is none
        """)
    inventory = write(source / "hosts.ini", INVENTORY)
    run = miniplay("run", "-i", str(inventory), str(playbook))
    assert run.rc == 2
    assert run.stdout.count("All assertions passed") == 1
    assert "Error while evaluating conditional: object of type 'dict' has no attribute 'missing'" in run.stdout


def test_unvault_lookup_reads_vaulted_and_plain_files_unstripped(tmp_path: Path) -> None:
    require_ansible()
    source = tmp_path / "case"
    write(source / "secret", "pw\n")
    write(source / "files" / "plain.txt", "plain\n")
    write(source / "files" / "vaulted.txt", "hidden\n")
    done = miniplay("vault", "encrypt", "--vault-password-file", "secret", "files/vaulted.txt", cwd=source)
    assert done.rc == 0, done.stderr
    assert "$ANSIBLE_VAULT" in (source / "files" / "vaulted.txt").read_text()
    playbook = write(source / "site.yml", """
        - hosts: h1
          gather_facts: false
          tasks:
            - debug:
                msg: "{{ lookup('unvault', 'vaulted.txt') }}|{{ lookup('unvault', 'plain.txt') }}|"
        """)
    inventory = write(source / "hosts.ini", INVENTORY)
    ours, _ = compare(playbook, inventory, "--vault-password-file", "secret")
    assert '"msg": "hidden\\n|plain\\n|"' in ours.stdout


def test_ini_lookup_side_by_side(tmp_path: Path) -> None:
    require_ansible()
    source = tmp_path / "case"
    write(source / "files" / "lookup.ini", """
        [global]
        value_in_global = from global
        [section1]
        value1 = section1/value1
        value2 = section1/value2
        other = x
        Mixed = case
        """)
    write(source / "files" / "app.properties", "field.with.space = with space\nplain=p\n")
    playbook = write(source / "site.yml", """
        - hosts: h1
          gather_facts: false
          tasks:
            - debug:
                msg:
                  - "{{ lookup('ini', 'value1 section=section1 file=lookup.ini') }}"
                  - "{{ lookup('ini', 'value_in_global', file='lookup.ini') }}"
                  - "{{ lookup('ini', 'missing', section='section1', file='lookup.ini', default='dflt') }}"
                  - "{{ query('ini', 'value[1-2]', section='section1', file='lookup.ini', re=true) }}"
                  - "{{ lookup('ini', 'field.with.space type=properties file=app.properties') }}"
                  - "{{ lookup('ini', 'mixed', section='section1', file='lookup.ini') }}"
            - debug: msg="{{ item }}"
              with_ini: value[1-2] section=section1 file=lookup.ini re=true
        """)
    inventory = write(source / "hosts.ini", INVENTORY)
    ours, _ = compare(playbook, inventory)
    assert "section1/value2" in ours.stdout and "dflt" in ours.stdout
