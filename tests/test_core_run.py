"""The core engine through the real CLI: loader, inventory, variables, keywords, output.

Each test runs a small playbook with `miniplay run` and asserts on what a user sees:
output lines, registered values (printed with debug), files written, exit codes.
"""
from __future__ import annotations

import time
from pathlib import Path

from helpers import miniplay, write

REPO = Path(__file__).resolve().parent.parent


def test_readme_example_runs_on_the_implicit_localhost() -> None:
    result = miniplay("run", "playbooks/hello.yml", cwd=REPO)
    assert result.rc == 0, result.stdout + result.stderr
    assert result.stdout.startswith("\nPLAY [Say hello from miniplay] ****")
    assert "TASK [Gathering Facts] ***" in result.stdout
    assert "ok: [localhost] => (item=banana) => {" in result.stdout
    assert "localhost                  : ok=4    changed=1    unreachable=0    failed=0    skipped=1    rescued=0    ignored=0   " in result.stdout


def test_python_m_and_api(tmp_path: Path) -> None:
    import miniplay as api

    playbook = write(tmp_path / "site.yml", """
        - hosts: localhost
          gather_facts: false
          tasks:
            - command: echo from-api
              register: out
        """)
    result = api.run_playbook(str(playbook), console=False)
    assert result.exit_code == 0
    assert result.registered["localhost"]["out"]["stdout"] == "from-api"
    assert result.stats["localhost"]["changed"] == 1


def test_inventory_groups_vars_patterns_and_limit(tmp_path: Path) -> None:
    write(tmp_path / "inv" / "hosts.ini", """
        [web]
        web[01:03] ansible_connection=local

        [db]
        db1 ansible_connection=local role=primary

        [app:children]
        web
        db

        [app:vars]
        tier=app
        """)
    write(tmp_path / "inv" / "group_vars" / "web.yml", "tier: web-from-group-vars\nport: 80\n")
    write(tmp_path / "inv" / "host_vars" / "web02.yml", "port: 8080\n")
    write(tmp_path / "group_vars" / "all.yml", "site: example\n")
    playbook = write(tmp_path / "site.yml", """
        - hosts: app:!web03
          gather_facts: false
          tasks:
            - debug: msg="{{ inventory_hostname }} {{ tier }} {{ port | default('-') }} {{ site }} {{ group_names | join('+') }}"
        - hosts: web:&app
          gather_facts: false
          tasks:
            - debug: msg="{{ groups.web | length }} {{ ansible_play_hosts | join(',') }}"
        """)
    result = miniplay("run", "-i", str(tmp_path / "inv" / "hosts.ini"), str(playbook), "-l", "web0*:db1", "-f", "1")
    assert result.rc == 0, result.stdout + result.stderr
    out = result.stdout
    assert '"msg": "web01 web-from-group-vars 80 example app+web"' in out
    assert '"msg": "web02 web-from-group-vars 8080 example app+web"' in out
    assert '"msg": "db1 app - example app+db"' in out
    assert "web03 web" not in out
    assert '"msg": "3 web01,web02,web03"' in out
    assert out.index("[web01]") < out.index("[web02]") < out.index("[db1]")


def test_yaml_inventory_and_host_list(tmp_path: Path) -> None:
    inventory = write(tmp_path / "hosts.yml", """
        all:
          vars: {ansible_connection: local}
          children:
            edge:
              hosts:
                e1: {zone: north}
                e2:
        """)
    playbook = write(tmp_path / "site.yml", """
        - hosts: edge
          gather_facts: false
          tasks:
            - debug: msg="{{ inventory_hostname }}:{{ zone | default('none') }}"
        """)
    result = miniplay("run", "-i", str(inventory), str(playbook), "-f", "1")
    assert '"msg": "e1:north"' in result.stdout and '"msg": "e2:none"' in result.stdout
    result = miniplay("run", "-i", "x1,x2", "-e", "ansible_connection=local", str(playbook))
    assert "skipping: no hosts matched" in result.stdout
    assert "Could not match supplied host pattern, ignoring: edge" in result.stderr


def test_variable_precedence_and_extra_vars(tmp_path: Path) -> None:
    inventory = write(tmp_path / "hosts.ini", "h ansible_connection=local level=inventory fromfile=inventory\n")
    write(tmp_path / "extra.yml", "fromfile: extra-file\n")
    write(tmp_path / "vars.yml", "level: vars-file\nonly_file: yes\n")
    playbook = write(tmp_path / "site.yml", """
        - hosts: h
          gather_facts: false
          vars:
            level: play
            lazy: "{{ level }}-lazy"
          vars_files: [vars.yml]
          tasks:
            - debug: msg="{{ level }} {{ lazy }} {{ only_file }}"
            - debug: msg="{{ level }}"
              vars:
                level: task
            - set_fact:
                level: fact
            - debug: msg="{{ level }} {{ lazy }} {{ fromfile }} {{ cli }} {{ json_var.k }}"
              vars:
                level: task-loses-to-set-fact
        """)
    result = miniplay("run", "-i", str(inventory), str(playbook), "-e", "cli=kv", "-e", "@extra.yml",
                      "-e", '{"json_var": {"k": 7}}', cwd=tmp_path)
    assert result.rc == 0, result.stdout + result.stderr
    assert '"msg": "vars-file vars-file-lazy True"' in result.stdout
    assert '"msg": "task"' in result.stdout
    assert '"msg": "fact fact-lazy extra-file kv 7"' in result.stdout
    result = miniplay("run", "-i", str(inventory), str(playbook), "-e", "level=cli", cwd=tmp_path)
    assert '"msg": "cli cli-lazy True"' in result.stdout


def test_magic_variables(tmp_path: Path) -> None:
    inventory = write(tmp_path / "hosts.ini", "[g]\nalpha.example.com ansible_connection=local x=1\nbeta ansible_connection=local x=2\n")
    playbook = write(tmp_path / "site.yml", """
        - hosts: g
          gather_facts: false
          tasks:
            - debug:
                msg: "{{ inventory_hostname_short }}|{{ hostvars['beta'].x }}|{{ groups.g }}|{{ ansible_play_hosts_all | length }}|{{ ansible_check_mode }}|{{ omit is string }}|{{ playbook_dir == inventory_dir }}"
              when: inventory_hostname == 'alpha.example.com'
        """)
    result = miniplay("run", "-i", str(inventory), str(playbook), "-C")
    assert "\"msg\": \"alpha|2|['alpha.example.com', 'beta']|2|True|True|True\"" in result.stdout
    assert "skipping: [beta]" in result.stdout


def test_omit_removes_an_argument(tmp_path: Path) -> None:
    target = tmp_path / "made"
    playbook = write(tmp_path / "site.yml", f"""
        - hosts: localhost
          gather_facts: false
          tasks:
            - file:
                path: {target}
                state: directory
                mode: "{{{{ wanted_mode | default(omit) }}}}"
              register: r
            - debug: var=r.invocation
        """)
    result = miniplay("run", str(playbook))
    assert result.rc == 0, result.stdout
    assert target.is_dir()


def test_failed_host_leaves_the_play_and_later_plays(tmp_path: Path) -> None:
    inventory = write(tmp_path / "hosts.ini", "a ansible_connection=local\nb ansible_connection=local\n")
    playbook = write(tmp_path / "site.yml", """
        - hosts: all
          gather_facts: false
          tasks:
            - command: "{{ 'false' if inventory_hostname == 'a' else 'true' }}"
            - debug: msg="second task"
        - hosts: all
          gather_facts: false
          tasks:
            - debug: msg="play two on {{ inventory_hostname }}"
        """)
    result = miniplay("run", "-i", str(inventory), str(playbook))
    assert result.rc == 2
    assert "fatal: [a]: FAILED!" in result.stdout
    assert "play two on b" in result.stdout and "play two on a" not in result.stdout
    assert "a                          : ok=0    changed=0    unreachable=0    failed=1" in result.stdout
    assert "b                          : ok=3    changed=1    unreachable=0    failed=0" in result.stdout


def test_unreachable_host_exit_code_4_and_ignore_unreachable(tmp_path: Path) -> None:
    inventory = write(tmp_path / "hosts.ini", """
        good ansible_connection=local
        dead ansible_connection=local ansible_python_interpreter=/nonexistent/python3
        """)
    playbook = write(tmp_path / "site.yml", """
        - hosts: all
          gather_facts: false
          tasks:
            - ping:
            - debug: msg=after
        """)
    result = miniplay("run", "-i", str(inventory), str(playbook))
    assert "fatal: [dead]: FAILED!" in result.stdout or "UNREACHABLE" in result.stdout
    assert 'ok: [good] => {\n    "msg": "after"\n}' in result.stdout
    assert result.rc in (2, 4)


def test_forks_run_hosts_side_by_side(tmp_path: Path) -> None:
    inventory = write(tmp_path / "hosts.ini", "\n".join(f"h{i} ansible_connection=local" for i in range(4)) + "\n")
    playbook = write(tmp_path / "site.yml", """
        - hosts: all
          gather_facts: false
          tasks:
            - command: sleep 1
        """)
    start = time.monotonic()
    result = miniplay("run", "-i", str(inventory), str(playbook), "-f", "4")
    parallel = time.monotonic() - start
    assert result.rc == 0
    start = time.monotonic()
    miniplay("run", "-i", str(inventory), str(playbook), "-f", "1")
    serial = time.monotonic() - start
    assert serial - parallel > 2.0, (serial, parallel)


def test_setup_facts_for_labs(tmp_path: Path) -> None:
    playbook = write(tmp_path / "site.yml", """
        - hosts: localhost
          tasks:
            - debug: msg="{{ ansible_facts.hostname == ansible_hostname }} {{ ansible_os_family is string }} {{ ansible_processor_vcpus > 0 }} {{ ansible_date_time.year | int > 2000 }} {{ ansible_python.version.major }}"
        """)
    result = miniplay("run", str(playbook))
    assert '"msg": "True True True True 3"' in result.stdout


def test_include_vars_add_host_group_by(tmp_path: Path) -> None:
    write(tmp_path / "vars" / "extra.yml", "colour: green\n")
    playbook = write(tmp_path / "site.yml", """
        - hosts: localhost
          gather_facts: false
          tasks:
            - include_vars: extra.yml
            - add_host:
                name: dynamic1
                groups: [made]
                ansible_connection: local
                flavour: "{{ colour }}"
            - group_by:
                key: "colour_{{ colour }}"
        - hosts: made
          gather_facts: false
          tasks:
            - debug: msg="{{ inventory_hostname }} {{ flavour }} {{ groups['colour_green'] }}"
        """)
    result = miniplay("run", str(playbook))
    assert result.rc == 0, result.stdout
    assert "\"msg\": \"dynamic1 green ['localhost']\"" in result.stdout


def test_module_argument_errors_use_ansible_wording(tmp_path: Path) -> None:
    playbook = write(tmp_path / "site.yml", """
        - hosts: localhost
          gather_facts: false
          tasks:
            - file:
                path: /tmp/x
                colour: red
              ignore_errors: true
            - stat: {}
        """)
    result = miniplay("run", str(playbook))
    assert "Unsupported parameters for (file) module: colour." in result.stdout
    assert "missing required arguments: path" in result.stdout
    assert result.rc == 2


def test_list_and_selection_flags(tmp_path: Path) -> None:
    playbook = write(tmp_path / "site.yml", """
        - name: tagged play
          hosts: localhost
          gather_facts: false
          tags: [p]
          tasks:
            - debug: msg=one
              tags: [first]
            - name: second task
              debug: msg=two
            - debug: msg=three
              tags: [never, extra]
        """)
    listed = miniplay("run", str(playbook), "--list-tasks", cwd=tmp_path)
    assert "      debug\tTAGS: [first, p]\n      second task\tTAGS: [p]\n" in listed.stdout
    assert "three" not in listed.stdout
    assert "      TASK TAGS: [extra, first, never, p]" in miniplay("run", str(playbook), "--list-tags").stdout
    assert "    hosts (1):\n      localhost\n" in miniplay("run", str(playbook), "--list-hosts").stdout
    only = miniplay("run", str(playbook), "--tags", "extra")
    assert '"msg": "three"' in only.stdout and '"msg": "one"' not in only.stdout
    skipped = miniplay("run", str(playbook), "--skip-tags", "first")
    assert '"msg": "one"' not in skipped.stdout and '"msg": "two"' in skipped.stdout
    started = miniplay("run", str(playbook), "--start-at-task", "second task")
    assert '"msg": "one"' not in started.stdout and '"msg": "two"' in started.stdout
    assert miniplay("run", str(playbook), "--syntax-check").stdout == f"\nplaybook: {playbook}\n"


def test_play_order_keyword(tmp_path: Path) -> None:
    inventory = write(tmp_path / "hosts.ini", "b ansible_connection=local\nc ansible_connection=local\na ansible_connection=local\n")
    playbook = write(tmp_path / "site.yml", """
        - hosts: all
          gather_facts: false
          order: sorted
          tasks:
            - command: echo {{ inventory_hostname }}
        - hosts: all
          gather_facts: false
          order: reverse_inventory
          tasks:
            - command: echo {{ inventory_hostname }}
        """)
    result = miniplay("run", "-i", str(inventory), "-f", "1", str(playbook))
    changed = [line for line in result.lines() if line.startswith("changed:")]
    assert changed == ["changed: [a]", "changed: [b]", "changed: [c]", "changed: [a]", "changed: [c]", "changed: [b]"]


def test_setup_task_and_delegate_facts(tmp_path: Path) -> None:
    inventory = write(tmp_path / "hosts.ini", "web ansible_connection=local\ndb ansible_connection=local\n")
    playbook = write(tmp_path / "site.yml", """
        - hosts: web
          gather_facts: false
          tasks:
            - setup:
            - set_fact:
                role_of_db: database
              delegate_to: db
              delegate_facts: true
            - debug: msg="{{ ansible_hostname is string }} {{ role_of_db | default('not here') }} {{ hostvars['db'].role_of_db }}"
        """)
    result = miniplay("run", "-i", str(inventory), str(playbook))
    assert '"msg": "True not here database"' in result.stdout, result.stdout


def test_verbose_runs_say_which_config_file_they_use(tmp_path: Path) -> None:
    playbook = write(tmp_path / "site.yml", """
        - hosts: localhost
          gather_facts: false
          tasks:
            - ping:
        """)
    plain = miniplay("run", str(playbook), cwd=tmp_path, env={"HOME": str(tmp_path)})
    assert "config file" not in plain.stdout
    verbose = miniplay("run", "-v", str(playbook), cwd=tmp_path, env={"HOME": str(tmp_path)})
    assert verbose.stdout.startswith("No config file found; using defaults\n\nPLAY [localhost]")
    config = write(tmp_path / "ansible.cfg", "[defaults]\nforks = 2\n")
    chatty = miniplay("run", "-vv", str(playbook), cwd=tmp_path, env={"HOME": str(tmp_path)})
    assert chatty.stdout.startswith(f"miniplay run [miniplay 0.1.0]\n  config file = {config}\n")
    assert f"\nUsing {config} as config file\n" in chatty.stdout
    adhoc = miniplay("adhoc", "localhost", "-v", "-m", "ping", cwd=tmp_path, env={"HOME": str(tmp_path)})
    assert adhoc.stdout.startswith(f"Using {config} as config file\nlocalhost | SUCCESS")


def test_free_form_arguments_keep_regex_backreferences(tmp_path: Path) -> None:
    """`line='x \\1'` in key=value form is a backreference, not an octal escape."""
    conf = write(tmp_path / "sshd.conf", "ListenAddress 0.0.0.0\nport=22\n")
    playbook = write(tmp_path / "site.yml", f"""
        - hosts: localhost
          gather_facts: false
          tasks:
            - lineinfile: path={conf} regexp='^ListenAddress (\\S+)' line='ListenAddress \\1:8080' backrefs=yes
            - replace: path={conf} regexp='^port=(\\d+)' replace='port=1\\1'
            - debug: msg="a\\1b \\t"
        """)
    result = miniplay("run", str(playbook))
    assert result.rc == 0, result.stdout + result.stderr
    assert conf.read_text() == "ListenAddress 0.0.0.0:8080\nport=122\n"
    assert '"msg": "a\\\\1b \\t"' in result.stdout


def test_refresh_inventory_reads_the_sources_again(tmp_path: Path) -> None:
    inventory = write(tmp_path / "hosts.ini", "[web]\nw1 ansible_connection=local\n")
    write(tmp_path / "site.yml", f"""
        - hosts: localhost
          gather_facts: false
          tasks:
            - debug: msg="{{{{ groups.web | join(',') }}}}"
            - copy:
                dest: {inventory}
                content: "[web]\\nw1 ansible_connection=local\\nw2 ansible_connection=local colour=green\\n"
            - debug: msg="{{{{ groups.web | join(',') }}}}"
            - meta: refresh_inventory
            - debug: msg="{{{{ groups.web | join(',') }}}} {{{{ hostvars.w2.colour }}}}"
        """)
    result = miniplay("run", "-i", "hosts.ini", "site.yml", cwd=tmp_path)
    assert result.rc == 0, result.stdout + result.stderr
    messages = [line.split('"msg": ', 1)[1] for line in result.stdout.splitlines() if '"msg": ' in line]
    assert messages == ['"w1"', '"w1"', '"w1,w2 green"'], "the new host is seen only after the refresh"


def test_clear_facts_forgets_gathered_facts_but_not_set_fact(tmp_path: Path) -> None:
    write(tmp_path / "site.yml", """
        - hosts: localhost
          tasks:
            - set_fact: mine=1
            - meta: clear_facts
            - debug: msg="{{ ansible_facts.hostname is defined }} {{ ansible_hostname is defined }} {{ mine }}"
        """)
    result = miniplay("run", "site.yml", cwd=tmp_path)
    assert result.rc == 0, result.stdout + result.stderr
    assert '"msg": "False False 1"' in result.stdout
