"""The jsonfile fact cache, through the CLI and beside ansible-core: the same files, read both
ways; cacheable set_fact and gathered facts persist, plain set_fact does not; --flush-cache,
the timeout, a corrupt file and the memory default behave as in Ansible."""
from __future__ import annotations

import json
import os
import time
from pathlib import Path

from helpers import miniplay, write
from reference import ansible_playbook

WRITE = """
- hosts: all
  gather_facts: true
  tasks:
    - set_fact:
        color: "{{ inventory_hostname }}-blue"
        nested: {a: [1, 2], b: null}
        cacheable: true
    - set_fact:
        transient: here
    - set_fact:
        "looped_{{ item }}": "{{ item }}"
        cacheable: true
      loop: [a, b]
"""

READ = """
- hosts: all
  gather_facts: false
  tasks:
    - debug:
        msg: "{{ color }}{{ looped_b }} {{ nested }} {{ transient | default('gone') }} {{ ansible_facts.system }} {{ ansible_system }}"
    - debug:
        msg: "{{ hostvars['h2'].color | default('none') }}"
"""

ONE_HOST = "h1 ansible_connection=local ansible_python_interpreter=/usr/bin/python3\n"
INVENTORY = "[web]\nh1\nh2\n[web:vars]\nansible_connection=local\nansible_python_interpreter=/usr/bin/python3\n"


def _setup(tmp_path: Path) -> dict[str, str]:
    write(tmp_path / "write.yml", WRITE)
    write(tmp_path / "read.yml", READ)
    write(tmp_path / "hosts", INVENTORY)
    return {"ANSIBLE_CACHE_PLUGIN": "jsonfile", "ANSIBLE_CACHE_PLUGIN_CONNECTION": str(tmp_path / "cache"),
            "ANSIBLE_CACHE_PLUGIN_PREFIX": "mp_"}


def _messages(stdout: str) -> list[str]:
    return sorted(line.strip() for line in stdout.splitlines() if line.strip().startswith('"msg"'))


def test_facts_cached_by_ansible_are_seen_by_miniplay_and_the_other_way_round(tmp_path: Path) -> None:
    env = _setup(tmp_path)
    wrote = ansible_playbook("-i", "hosts", "write.yml", cwd=tmp_path, env=env)
    assert wrote.rc == 0, wrote.stdout + wrote.stderr
    assert sorted(os.listdir(tmp_path / "cache")) == ["mp_s1_h1", "mp_s1_h2"]
    read_by_us = miniplay("run", "-i", "hosts", "read.yml", cwd=tmp_path, env=env)
    assert read_by_us.rc == 0, read_by_us.stdout + read_by_us.stderr
    expected = sorted(['"msg": "h1-blueb {\'a\': [1, 2], \'b\': None} gone Linux Linux"',
                '"msg": "h2-blue"', '"msg": "h2-blue"',
                '"msg": "h2-blueb {\'a\': [1, 2], \'b\': None} gone Linux Linux"'])
    assert _messages(read_by_us.stdout) == expected

    for name in os.listdir(tmp_path / "cache"):
        os.remove(tmp_path / "cache" / name)
    ours = miniplay("run", "-i", "hosts", "write.yml", cwd=tmp_path, env=env)
    assert ours.rc == 0, ours.stdout + ours.stderr
    assert sorted(os.listdir(tmp_path / "cache")) == ["mp_s1_h1", "mp_s1_h2"]
    stored = json.loads(json.loads((tmp_path / "cache" / "mp_s1_h1").read_text())["__payload__"])
    assert stored["color"] == "h1-blue" and stored["looped_a"] == "a" and stored["ansible_system"] == "Linux"
    assert "transient" not in stored
    read_by_them = ansible_playbook("-i", "hosts", "read.yml", cwd=tmp_path, env=env)
    assert read_by_them.rc == 0, read_by_them.stdout + read_by_them.stderr
    assert _messages(read_by_them.stdout) == expected
    assert _messages(miniplay("run", "-i", "hosts", "read.yml", cwd=tmp_path, env=env).stdout) == expected


def test_settings_from_ansible_cfg_with_a_relative_directory(tmp_path: Path) -> None:
    _setup(tmp_path)
    write(tmp_path / "ansible.cfg", "[defaults]\nfact_caching = jsonfile\nfact_caching_connection = facts\n"
                                    "fact_caching_timeout = 0\n")
    env = {"ANSIBLE_CONFIG": str(tmp_path / "ansible.cfg")}
    assert miniplay("run", "-i", "hosts", "write.yml", cwd=tmp_path, env=env).rc == 0
    assert sorted(os.listdir(tmp_path / "facts")) == ["s1_h1", "s1_h2"]
    theirs = ansible_playbook("-i", "hosts", "read.yml", cwd=tmp_path, env=env)
    assert theirs.rc == 0 and '"msg": "h2-blue"' in theirs.stdout


def test_flush_cache_forgets_the_inventory_hosts_only(tmp_path: Path) -> None:
    env = _setup(tmp_path)
    assert miniplay("run", "-i", "hosts", "write.yml", cwd=tmp_path, env=env).rc == 0
    (tmp_path / "cache" / "mp_s1_elsewhere").write_text('{"__payload__": "{}"}')
    write(tmp_path / "h1only", ONE_HOST)
    flushed = miniplay("run", "-i", "h1only", "--flush-cache", "read.yml", cwd=tmp_path, env=env)
    assert flushed.rc == 2 and "'color' is undefined" in flushed.stdout + flushed.stderr
    assert sorted(os.listdir(tmp_path / "cache")) == ["mp_s1_elsewhere", "mp_s1_h2"]


def test_an_expired_file_is_not_read(tmp_path: Path) -> None:
    env = {**_setup(tmp_path), "ANSIBLE_CACHE_PLUGIN_TIMEOUT": "60"}
    assert miniplay("run", "-i", "hosts", "write.yml", cwd=tmp_path, env=env).rc == 0
    old = time.time() - 3600
    os.utime(tmp_path / "cache" / "mp_s1_h2", (old, old))
    ours = miniplay("run", "-i", "hosts", "read.yml", cwd=tmp_path, env=env)
    theirs = ansible_playbook("-i", "hosts", "read.yml", cwd=tmp_path, env=env)
    assert ours.rc == theirs.rc == 2
    assert '"msg": "h1-blue' in ours.stdout and '"msg": "none"' in ours.stdout
    assert _messages(ours.stdout) == _messages(theirs.stdout)


def test_a_corrupt_file_is_removed_and_stops_the_run_as_in_ansible(tmp_path: Path) -> None:
    env = _setup(tmp_path)
    results = []
    for run in (miniplay, None):
        (tmp_path / "cache").mkdir(exist_ok=True)
        (tmp_path / "cache" / "mp_s1_h1").write_text("{not json")
        if run is None:
            results.append(ansible_playbook("-i", "hosts", "read.yml", cwd=tmp_path, env=env))
        else:
            results.append(miniplay("run", "-i", "hosts", "read.yml", cwd=tmp_path, env=env))
        assert not (tmp_path / "cache" / "mp_s1_h1").exists()
    ours, theirs = results
    assert ours.rc == theirs.rc == 1
    path = tmp_path / "cache" / "mp_s1_h1"
    for result in results:
        assert (f"[WARNING]: error in 'jsonfile' cache plugin while trying to read {path} : "
                in result.stderr), result.stderr
        assert (f"[ERROR]: The cache file {path} was corrupt, or did not otherwise contain valid data. "
                "It has been removed, so you can re-run your command now.") in result.stderr
    assert "Traceback" not in ours.stderr


def test_memory_is_the_default_cacheable_facts_last_the_run_only(tmp_path: Path) -> None:
    write(tmp_path / "site.yml", """
        - hosts: all
          gather_facts: false
          tasks:
            - set_fact: {kept: 1, cacheable: true}
        - hosts: all
          gather_facts: false
          vars:
            kept: from_play_vars
          tasks:
            - debug: var=kept
        """)
    write(tmp_path / "hosts", ONE_HOST)
    ours = miniplay("run", "-i", "hosts", "site.yml", cwd=tmp_path)
    theirs = ansible_playbook("-i", "hosts", "site.yml", cwd=tmp_path)
    assert ours.rc == theirs.rc == 0 and ours.stdout == theirs.stdout
    assert sorted(name for name in os.listdir(tmp_path) if not name.startswith(".")) == ["hosts", "site.yml"]
    write(tmp_path / "later.yml", "- hosts: all\n  gather_facts: false\n  tasks:\n    - assert: {that: kept is undefined}\n")
    later = miniplay("run", "-i", "hosts", "later.yml", cwd=tmp_path)
    assert later.rc == 0, later.stdout  # a later run starts with no facts: memory kept nothing


def test_an_unusable_cache_falls_back_to_memory_with_ansibles_warning(tmp_path: Path) -> None:
    write(tmp_path / "site.yml", "- hosts: all\n  gather_facts: false\n  tasks:\n    - debug: msg=hi\n")
    write(tmp_path / "hosts", ONE_HOST)
    for env, warning in (({"ANSIBLE_CACHE_PLUGIN": "redis"}, "Unable to load the cache plugin 'redis'."),
                         ({"ANSIBLE_CACHE_PLUGIN": "jsonfile"},
                          "Required config '_uri' for 'jsonfile' cache plugin not provided.")):
        ours = miniplay("run", "-i", "hosts", "site.yml", cwd=tmp_path, env=env)
        theirs = ansible_playbook("-i", "hosts", "site.yml", cwd=tmp_path, env=env)
        assert ours.rc == theirs.rc == 0 and ours.stdout == theirs.stdout
        assert f"[WARNING]: {warning}" in ours.stderr and f"[WARNING]: {warning}" in theirs.stderr
