"""Foreign modules: modules written for Ansible, run from library/, -M, ANSIBLE_LIBRARY and ansible.cfg.

The modules under tests/foreign/library are our own small ones, one of each kind Ansible
runs (new-style with AnsibleModule, old-style key=value, WANT_JSON, a shell script) and
one for each way a module goes wrong. New-style modules take `ansible.module_utils` from
the reference ansible-core (MINIPLAY_ANSIBLE_PYTHON points at its Python).
"""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from helpers import miniplay, write
from reference import ansible_playbook_path, compare, require_ansible

HERE = Path(__file__).parent / "foreign"
LOCAL_PYTHON = "/usr/bin/python3"


def reference_env() -> dict[str, str]:
    """MINIPLAY_ANSIBLE_PYTHON for the reference ansible-core (skips when it is not installed)."""
    require_ansible()
    python = Path(str(ansible_playbook_path())).parent / "python"
    if not python.exists():
        pytest.skip(f"no Python beside {ansible_playbook_path()} to take ansible.module_utils from")
    return {"MINIPLAY_ANSIBLE_PYTHON": str(python)}


def with_library(directory: Path) -> Path:
    shutil.copytree(HERE / "library", directory / "library")
    return directory


def local_inventory(directory: Path) -> Path:
    return write(directory / "hosts.ini",
                 f"localhost ansible_connection=local ansible_python_interpreter={LOCAL_PYTHON}\n")


# ---------------------------------------------------------------------- side by side with ansible-core
def test_library_modules_match_ansible(tmp_path: Path) -> None:
    """Every kind of module, and every way one fails, gives Ansible's output line for line."""
    env = reference_env()
    work = tmp_path / "case"
    shutil.copytree(HERE, work)
    local_inventory(work)
    compare(work / "library_modules.yml", work / "hosts.ini", env=env)


# ---------------------------------------------------------------------- on the target (local and SSH)
def test_new_style_module_changes_the_target_and_ships_once(target) -> None:
    env = reference_env()
    with_library(target.tmp_path)
    out = target.workdir / "greeting.txt"
    playbook = f"""
        - hosts: target1
          gather_facts: false
          tasks:
            - greet: name=one path={out}
              register: first
            - greet: name=one path={out}
              register: second
            - greet: name=two path={out}
              check_mode: true
              register: checked
            - debug: var=first.changed
            - debug: var=second.changed
            - debug: var=checked.changed
            - debug: var=first.tmpdir_exists
        """
    result = target.run(playbook, env=env)
    assert result.rc == 0, result.stdout + result.stderr
    values = result.debug_values()
    assert values == {"first.changed": True, "second.changed": False, "checked.changed": True,
                      "first.tmpdir_exists": True}
    assert out.read_text() == "hello one\n"  # the check-mode run wrote nothing
    cache = target.home / ".ansible" / "tmp" / "miniplay-payloads"
    payloads = [p for p in cache.iterdir() if (p / "ansible" / "legacy" / "greet.py").exists()]
    assert len(payloads) == 1, "one payload per module version, named by its content hash"
    marker = payloads[0] / ".complete"
    before = marker.stat().st_mtime_ns
    again = target.run(playbook, env=env)
    assert again.rc == 0
    assert marker.stat().st_mtime_ns == before, "a host that has the payload is not sent it again"
    assert sorted(p.name for p in (payloads[0] / "ansible" / "module_utils").iterdir())[:1], \
        "module_utils shipped beside the module"


def test_async_foreign_module_on_the_target(target) -> None:
    env = reference_env()
    with_library(target.tmp_path)
    result = target.run("""
        - hosts: target1
          gather_facts: false
          tasks:
            - sleeper: seconds=1
              async: 30
              poll: 1
              register: polled
            - sleeper: seconds=20
              async: 2
              poll: 1
              register: too_long
              ignore_errors: true
            - debug: var=polled.slept
            - debug: var=too_long.msg
        """, env=env)
    values = result.debug_values()
    assert values["polled.slept"] == 1.0, result.stdout
    assert values["too_long.msg"] == "async task did not complete within the requested time - 2s"


def test_modules_without_ansible_core(tmp_path: Path) -> None:
    """No ansible-core: a new-style module fails with one paragraph; other kinds still run."""
    with_library(tmp_path)
    playbook = write(tmp_path / "site.yml", """
        - hosts: localhost
          gather_facts: false
          tasks:
            - oldstyle: a=1
              register: old
            - debug: var=old.a
            - greet: name=x
        """)
    result = miniplay("run", "-i", str(local_inventory(tmp_path)), str(playbook), cwd=tmp_path,
                      env={"MINIPLAY_ANSIBLE_PYTHON": "none"})
    assert result.rc == 2
    assert result.debug_values() == {"old.a": "1"}
    assert "[ERROR]: Task failed: The module 'greet' is written for Ansible and imports " \
           "ansible.module_utils.basic, which comes with ansible-core; no ansible-core was found on the " \
           "controller" in result.stdout
    assert "pip install ansible-core" in result.stdout and "MINIPLAY_ANSIBLE_PYTHON" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr


# ---------------------------------------------------------------------- where modules are found
@pytest.mark.parametrize("how", ["role library", "-M", "ANSIBLE_LIBRARY", "ansible.cfg"])
def test_module_search_places(tmp_path: Path, how: str) -> None:
    env = {"MINIPLAY_ANSIBLE_PYTHON": "none"}
    modules = tmp_path / "mods"
    shutil.copytree(HERE / "library", modules)
    args: list[str] = []
    tasks = "- oldstyle: a=found\n  register: r\n- debug: var=r.a\n"
    if how == "role library":
        shutil.move(str(modules), tmp_path / "roles" / "withlib" / "library")
        write(tmp_path / "roles" / "withlib" / "tasks" / "main.yml", tasks)
        body = "  roles: [withlib]\n"
    else:
        body = "  tasks:\n" + "".join(f"    {line}\n" for line in tasks.splitlines())
        if how == "-M":
            args = ["-M", str(modules)]
        elif how == "ANSIBLE_LIBRARY":
            env["ANSIBLE_LIBRARY"] = f"/nonexistent:{modules}"
        else:
            write(tmp_path / "ansible.cfg", "[defaults]\nlibrary = mods\n")
    playbook = write(tmp_path / "site.yml", "- hosts: localhost\n  gather_facts: false\n" + body)
    result = miniplay("run", "-i", str(local_inventory(tmp_path)), str(playbook), *args, cwd=tmp_path, env=env)
    assert result.rc == 0, result.stdout + result.stderr
    assert result.debug_values() == {"r.a": "found"}


def test_a_module_nowhere_keeps_did_you_mean(tmp_path: Path) -> None:
    playbook = write(tmp_path / "site.yml", """
        - hosts: localhost
          gather_facts: false
          tasks:
            - shel: echo hi
        """)
    result = miniplay("run", "-i", str(local_inventory(tmp_path)), str(playbook), cwd=tmp_path)
    assert result.rc == 4
    assert "couldn't resolve module/action 'shel'. This often indicates a misspelling, missing collection, or " \
           "incorrect module path. Did you mean 'shell'?" in result.stderr
    assert f"{playbook}:4:7" in result.stderr


def test_adhoc_runs_a_library_module(tmp_path: Path) -> None:
    with_library(tmp_path)
    result = miniplay("adhoc", "localhost", "-i", str(local_inventory(tmp_path)), "-m", "oldstyle", "-a", "a=adhoc",
                      cwd=tmp_path, env={"MINIPLAY_ANSIBLE_PYTHON": "none"})
    assert result.rc == 0, result.stdout + result.stderr
    assert result.stdout.startswith("localhost | SUCCESS => {\n")
    assert '"a": "adhoc"' in result.stdout


def test_secrets_never_show(tmp_path: Path) -> None:
    """A no_log argument of the module, and a no_log task, at -vvv: the secret appears nowhere."""
    env = reference_env()
    with_library(tmp_path)
    playbook = write(tmp_path / "site.yml", """
        - hosts: localhost
          gather_facts: false
          tasks:
            - greet: name=a secret=hunter2-module
              register: first
            - greet: name=hunter2-task
              no_log: true
            - greet: name=b secret=hunter2-async
              async: 20
              poll: 1
            - debug: var=first.has_secret
        """)
    result = miniplay("run", "-vvv", "-i", str(local_inventory(tmp_path)), str(playbook), cwd=tmp_path, env=env)
    assert result.rc == 0, result.stdout + result.stderr
    assert '"first.has_secret": true' in result.stdout
    assert "hunter2" not in result.stdout + result.stderr
    assert "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER" in result.stdout  # -vvv shows the arguments, masked


def test_role_meta_collections_list(tmp_path: Path) -> None:
    """A role's meta/main.yml `collections:` lets its tasks use a collection's modules by short name."""
    env = reference_env()
    shutil.copytree(HERE / "collections", tmp_path / "collections")
    write(tmp_path / "roles" / "uses" / "meta" / "main.yml", "collections: [mini.demo]\n")
    write(tmp_path / "roles" / "uses" / "tasks" / "main.yml", "- shout: text=meta\n  register: r\n- debug: var=r.shouted\n")
    playbook = write(tmp_path / "site.yml", "- hosts: localhost\n  gather_facts: false\n  roles: [uses]\n")
    result = miniplay("run", "-i", str(local_inventory(tmp_path)), str(playbook), cwd=tmp_path, env=env)
    assert result.rc == 0, result.stdout + result.stderr
    assert result.debug_values() == {"r.shouted": "META!"}


@pytest.mark.usefixtures("sudo")
def test_foreign_module_under_become(ssh_hosts, tmp_path: Path) -> None:
    """Over SSH with sudo to another user: the payload lives in that user's home, the module runs as them."""
    from test_ssh import debug_by_host, no_traceback, run

    env = reference_env()
    host, other = ssh_hosts[0], ssh_hosts[1]
    with_library(tmp_path)
    result = run(tmp_path, host.inventory_line("h1") + "\n", f"""
        - greet: name=become
          become: true
          become_user: {other.user}
          register: as_other
        - wantjson: numbers=[1]
          become: true
          register: as_root
        - debug:
            msg: "{{{{ [as_other.greeting, as_other.tmpdir_exists, as_root.changed] }}}}"
        """, env=env)
    no_traceback(result)
    assert result.rc == 0, result.stdout + result.stderr
    assert debug_by_host(result)["h1"]["msg"] == ["hello become", True, True]
    assert any((other.home / ".ansible" / "tmp" / "miniplay-payloads").iterdir())


def test_a_library_module_named_like_a_native_one_shadows_it_as_in_ansible(tmp_path: Path) -> None:
    """library/stat.py and a role's library/ping.py win over miniplay's stat and ping (short and
    ansible.legacy names); ansible.builtin.stat stays the builtin one."""
    work = tmp_path / "case"
    write(work / "library" / "stat.py", """
        #!/usr/bin/python
        import json
        print(json.dumps({"changed": False, "shadowed": "library/stat.py"}))
        """)
    write(work / "roles" / "pinger" / "library" / "ping.py", """
        #!/usr/bin/python
        import json
        print(json.dumps({"changed": False, "ping": "from the role's library"}))
        """)
    write(work / "roles" / "pinger" / "tasks" / "main.yml", """
        - ping:
          register: pinged
        - debug: var=pinged.ping
        """)
    local_inventory(work)
    write(work / "site.yml", """
        - hosts: localhost
          gather_facts: false
          roles: [pinger]
          tasks:
            - stat: path=/
              register: short
            - ansible.legacy.stat: path=/
              register: legacy
            - ansible.builtin.stat: path=/
              register: builtin
            - debug: msg="{{ [short.shadowed, legacy.shadowed, builtin.stat.isdir, builtin.shadowed | default('-')] }}"
        """)
    ours, _ = compare(work / "site.yml", work / "hosts.ini", env=reference_env())
    assert '"pinged.ping": "from the role\'s library"' in ours.stdout
    assert '"library/stat.py",' in ours.stdout
