"""Roles through the real CLI: layout, variable precedence, dependencies, handlers,
include_role / import_role, banners and the role-not-found error.

The expected lines and values are what ansible-core 2.19 prints for the same playbooks.
"""
from __future__ import annotations

from pathlib import Path

from helpers import miniplay, write


def banners(stdout: str) -> list[str]:
    """TASK / RUNNING HANDLER banner names, in order."""
    names = []
    for line in stdout.splitlines():
        for prefix in ("TASK [", "RUNNING HANDLER ["):
            if line.startswith(prefix):
                names.append(line[:line.rindex("]") + 1])
    return names


def messages(stdout: str) -> list[str]:
    """The `msg` of every debug line, in order."""
    return [line.split('"msg": ', 1)[1].strip().strip('"') for line in stdout.splitlines() if '"msg": ' in line]


def make_roles(base: Path) -> None:
    write(base / "roles" / "web" / "tasks" / "main.yml", """
        - name: show
          debug: msg="port={{ port }} color={{ color }} who={{ who }} common={{ common_msg }}"
        - name: a fact that role params outrank
          set_fact:
            who: from_set_fact
        - name: who now
          debug: msg="who={{ who }}"
        - name: change something
          command: "true"
          notify: restart web
        """)
    write(base / "roles" / "web" / "tasks" / "extra.yml", """
        - name: extra
          debug: msg="extra color={{ color }} item={{ item | default('-') }}"
        """)
    write(base / "roles" / "web" / "defaults" / "main.yml", "port: 80\ncolor: red\nwho: default\n")
    write(base / "roles" / "web" / "vars" / "main.yml", "color: blue\n")
    write(base / "roles" / "web" / "vars" / "alt.yml", "color: green\n")
    write(base / "roles" / "web" / "handlers" / "main.yml", """
        - name: restart web
          debug: msg="restarting for {{ who }}"
        """)
    write(base / "roles" / "web" / "meta" / "main.yml", """
        galaxy_info: {author: tests}
        dependencies:
          - role: common
          - again
          - again
        """)
    write(base / "roles" / "common" / "tasks" / "main.yml", """
        - name: common task
          debug: msg="common {{ common_msg }}"
        """)
    write(base / "roles" / "common" / "defaults" / "main.yml", "common_msg: c1\n")
    write(base / "roles" / "pub" / "tasks" / "main.yml", "- name: pub task\n  debug: msg=\"pub {{ pub_msg }}\"\n")
    write(base / "roles" / "pub" / "defaults" / "main.yml", "pub_msg: p1\n")
    write(base / "roles" / "again" / "tasks" / "main.yml", "- name: again task\n  debug: msg=again\n")
    write(base / "roles" / "again" / "meta" / "main.yml", "allow_duplicates: true\n")


def test_role_layout_precedence_dependencies_and_handlers(tmp_path: Path) -> None:
    make_roles(tmp_path)
    playbook = write(tmp_path / "site.yml", """
        - hosts: localhost
          gather_facts: false
          vars:
            color: play_var
          pre_tasks:
            - debug: msg="pre sees port={{ port }}"
          roles:
            - role: web
              who: param
            - role: web
              who: second
            - common
          tasks:
            - debug: msg="play sees color={{ color }} port={{ port }}"
        """)
    result = miniplay("run", str(playbook), cwd=tmp_path)
    assert result.rc == 0, result.stdout + result.stderr
    assert banners(result.stdout) == [
        "TASK [debug]",
        "TASK [common : common task]", "TASK [again : again task]", "TASK [again : again task]",
        "TASK [web : show]", "TASK [web : a fact that role params outrank]", "TASK [web : who now]",
        "TASK [web : change something]",
        # the second `web` has other params: it runs again, but its dependency `common` does not
        "TASK [again : again task]", "TASK [again : again task]",
        "TASK [web : show]", "TASK [web : a fact that role params outrank]", "TASK [web : who now]",
        "TASK [web : change something]",
        # `- common` is the very same use as web's dependency: left out
        "TASK [debug]",
        "RUNNING HANDLER [web : restart web]",
    ]
    assert messages(result.stdout) == [
        "pre sees port=80",            # role defaults are the play's from the start
        "common c1", "again", "again",
        "port=80 color=blue who=param common=c1",   # vars/ over play vars, params over defaults
        "who=param",                                # role params outrank set_fact
        "again", "again",
        "port=80 color=blue who=second common=c1",
        "who=second",
        "play sees color=blue port=80",             # role vars outrank play vars everywhere in the play
        "restarting for second",                    # one handler: the last one loaded, with its params
    ]
    assert "localhost                  : ok=16   changed=2 " in result.stdout


def test_include_and_import_role_with_from_files(tmp_path: Path) -> None:
    make_roles(tmp_path)
    playbook = write(tmp_path / "site.yml", """
        - hosts: localhost
          gather_facts: false
          tasks:
            - include_role:
                name: web
                tasks_from: extra
                vars_from: alt
              loop: [1, 2]
              register: inc
            - name: named include
              include_role:
                name: pub
            - debug: msg="after include pub_msg={{ pub_msg | default('private') }} color={{ color }}"
            - import_role:
                name: web
                tasks_from: extra.yml
              when: true
            - include_role:
                name: "{{ which }}"
                public: true
              vars:
                which: pub
            - debug: msg="public pub_msg={{ pub_msg }}"
            - debug: var=inc
        """)
    result = miniplay("run", str(playbook), cwd=tmp_path)
    assert result.rc == 0, result.stdout + result.stderr
    lines = result.lines()
    assert "included: web for localhost => (item=1)" in lines
    assert "included: web for localhost => (item=2)" in lines
    assert "included: pub for localhost" in lines
    assert banners(result.stdout) == [
        "TASK [include_role : web]",
        "TASK [common : common task]", "TASK [again : again task]", "TASK [again : again task]",
        "TASK [web : extra]",
        # second item: `common` already ran on this host, `again` allows duplicates
        "TASK [again : again task]", "TASK [again : again task]", "TASK [web : extra]",
        "TASK [named include]", "TASK [pub : pub task]",
        "TASK [debug]",
        # import_role: its dependency `common` already ran on this host, `again` runs again
        "TASK [again : again task]", "TASK [again : again task]", "TASK [web : extra]",
        "TASK [include_role : {{ which }}]", "TASK [pub : pub task]",
        "TASK [debug]", "TASK [debug]",
    ]
    shown = messages(result.stdout)
    assert shown[:5] == ["common c1", "again", "again", "extra color=green item=1", "again"]
    # include_role is private by default; import_role exports web's vars to the whole play, earlier tasks too
    assert "after include pub_msg=private color=blue" in shown
    assert "extra color=blue item=-" in shown            # import_role: vars/main.yml
    assert "public pub_msg=p1" in shown
    registered = result.debug_values()["inc"]
    assert registered["msg"] == "All items completed" and registered["changed"] is False
    assert registered["results"][0] == {"ansible_loop_var": "item", "item": 1,
                                        "include_args": {"name": "web", "tasks_from": "extra", "vars_from": "alt"}}


def test_role_keywords_tags_when_and_role_files(tmp_path: Path) -> None:
    write(tmp_path / "roles" / "site" / "tasks" / "main.yml", """
        - name: install config
          copy: src=site.conf dest={{ out }}/site.conf
        - name: render page
          template: src=index.html.j2 dest={{ out }}/index.html
        - include_tasks: more.yml
        """)
    write(tmp_path / "roles" / "site" / "tasks" / "more.yml", "- name: more\n  debug: msg=\"more {{ role_name }}\"\n")
    write(tmp_path / "roles" / "site" / "files" / "site.conf", "listen 8080\n")
    write(tmp_path / "roles" / "site" / "templates" / "index.html.j2", "<h1>{{ title }}</h1>\n")
    write(tmp_path / "roles" / "disabled" / "tasks" / "main.yml", "- name: never\n  debug: msg=never\n")
    out = tmp_path / "out"
    out.mkdir()
    playbook = write(tmp_path / "site.yml", f"""
        - hosts: localhost
          gather_facts: false
          vars:
            out: {out}
          roles:
            - role: site
              title: Welcome
              tags: [web]
            - role: disabled
              when: false
          tasks:
            - name: untagged
              debug: msg=untagged
        """)
    result = miniplay("run", str(playbook), "--tags", "web", cwd=tmp_path)
    assert result.rc == 0, result.stdout + result.stderr
    assert (out / "site.conf").read_text() == "listen 8080\n"
    assert (out / "index.html").read_text() == "<h1>Welcome</h1>\n"
    assert banners(result.stdout) == ["TASK [site : install config]", "TASK [site : render page]",
                                      "TASK [site : include_tasks]", "TASK [site : more]"]
    assert f"included: {tmp_path}/roles/site/tasks/more.yml for localhost" in result.lines()

    everything = miniplay("run", str(playbook), cwd=tmp_path)
    lines = everything.lines()
    never = [n for n, line in enumerate(lines) if line.startswith("TASK [disabled : never] ***")]
    assert len(never) == 1 and lines[never[0] + 1] == "skipping: [localhost]"
    assert messages(everything.stdout) == ["more site", "untagged"]


def test_roles_path_from_ansible_cfg(tmp_path: Path) -> None:
    write(tmp_path / "shared" / "greeter" / "tasks" / "main.yml", "- name: hi\n  debug: msg=\"hi from greeter\"\n")
    write(tmp_path / "ansible.cfg", "[defaults]\nroles_path = shared\n")
    playbook = write(tmp_path / "play" / "site.yml", """
        - hosts: localhost
          gather_facts: false
          roles: [greeter]
        """)
    result = miniplay("run", str(playbook), cwd=tmp_path)
    assert result.rc == 0, result.stdout + result.stderr
    assert messages(result.stdout) == ["hi from greeter"]


def test_role_not_found_names_the_line_and_the_paths(tmp_path: Path) -> None:
    playbook = write(tmp_path / "site.yml", """
        - hosts: localhost
          gather_facts: false
          roles:
            - present
            - nothere
        """)
    write(tmp_path / "roles" / "present" / "tasks" / "main.yml", "- debug: msg=x\n")
    result = miniplay("run", str(playbook), cwd=tmp_path, env={"HOME": str(tmp_path)})
    assert result.rc == 1
    assert result.stdout == ""
    assert result.stderr.startswith(
        f"[ERROR]: the role 'nothere' was not found in {tmp_path}/roles:{tmp_path}/.ansible/roles:"
        f"/usr/share/ansible/roles:/etc/ansible/roles:{tmp_path}\n"
        f"Origin: {playbook}:5:7\n")
    assert "5     - nothere" in result.stderr

    dynamic = write(tmp_path / "dynamic.yml", """
        - hosts: localhost
          gather_facts: false
          tasks:
            - include_role:
                name: nothere
            - debug: msg=not reached
        """)
    failed = miniplay("run", str(dynamic), cwd=tmp_path, env={"HOME": str(tmp_path)})
    assert failed.rc == 2
    assert "TASK [include_role : nothere]" in failed.stdout
    assert ('fatal: [localhost]: FAILED! => {"changed": false, "reason": "the role \'nothere\' was not found in '
            f'{tmp_path}/roles:') in failed.stdout

    missing_file = write(tmp_path / "tasks_from.yml", """
        - hosts: localhost
          gather_facts: false
          tasks:
            - import_role:
                name: present
                tasks_from: nope
        """)
    broken = miniplay("run", str(missing_file), cwd=tmp_path)
    assert broken.rc == 4
    assert "[ERROR]: Could not find specified file in role: tasks/nope" in broken.stderr


def test_roles_example_playbook_runs(tmp_path: Path) -> None:
    repo = Path(__file__).resolve().parent.parent
    result = miniplay("run", "playbooks/roles-example.yml", "-e", f"workdir={tmp_path}/work", cwd=repo)
    assert result.rc == 0, result.stdout + result.stderr
    assert banners(result.stdout) == [
        "TASK [workdir : Make the work folder]", "TASK [motd : Render the message of the day]",
        "TASK [motd : Add the extra tasks]", "TASK [motd : Say which role this is]",
        "TASK [Use the role again, other tasks file]", "TASK [motd : Say which role this is]", "TASK [debug]",
        "RUNNING HANDLER [motd : Show the motd]", "RUNNING HANDLER [motd : Print it]"]
    assert (tmp_path / "work" / "motd").read_text() == "# Ansible managed (motd.j2)\nWelcome\nto miniplay\n" \
                                                      "-- the admins\n"
    assert "localhost                  : ok=9    changed=2 " in result.stdout
