"""Hostile input answers at once with a clear error: alias bombs, deep nesting, self-including
files and roles, huge async values, devices and FIFOs, huge inventory ranges, and bytes that
are not UTF-8 (named with the file, byte offset, line and column). Never a traceback, never
"a bug", never a hang (every run here is bounded by a timeout)."""
from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from helpers import CliRun, miniplay, write

SITE = "- hosts: all\n  gather_facts: false\n  tasks:\n    - debug: msg=hi\n"


def run(*args: str, cwd: Path, limit: float = 30, env: dict[str, str] | None = None) -> CliRun:
    started = time.monotonic()
    result = miniplay(*args, cwd=cwd, timeout=limit * 2, env=env)
    assert time.monotonic() - started < limit, "must answer at once"
    shown = result.stdout + result.stderr
    assert "Traceback" not in shown and "a bug" not in shown, shown
    return result


def billion_laughs() -> str:
    lines = ["    a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for previous, name in zip("abcdefgh", "bcdefghi"):
        lines.append(f"    {name}: &{name} [" + ", ".join([f"*{previous}"] * 9) + "]")
    return "- hosts: localhost\n  gather_facts: false\n  vars:\n" + "\n".join(lines) + "\n  tasks:\n    - debug: msg=hi\n"


def test_an_alias_bomb_is_refused(tmp_path: Path) -> None:
    playbook = write(tmp_path / "site.yml", billion_laughs())
    result = run("run", str(playbook), cwd=tmp_path)
    assert result.rc == 4
    assert "YAML document refused: its aliases expand to" in result.stderr
    assert f"Origin: {playbook}" in result.stderr


def test_ordinary_aliases_still_work(tmp_path: Path) -> None:
    playbook = write(tmp_path / "site.yml", """
        - hosts: localhost
          gather_facts: false
          vars:
            base: &base {a: 1}
            copy: *base
          tasks:
            - debug: msg="{{ copy.a }}"
        """)
    assert '"msg": 1' in run("run", str(playbook), cwd=tmp_path).stdout


@pytest.mark.parametrize("how", ["inline", "file"])
def test_extra_vars_nested_5000_deep_are_refused(tmp_path: Path, how: str) -> None:
    write(tmp_path / "site.yml", SITE)
    deep = '{"x": ' + "[" * 5000 + "]" * 5000 + "}"
    write(tmp_path / "deep.json", deep)
    result = run("run", "site.yml", "-e", deep if how == "inline" else "@deep.json", cwd=tmp_path)
    assert result.rc == 4
    assert "nests more than 400 levels deep" in result.stderr


def test_an_include_that_includes_itself_stops_with_the_chain(tmp_path: Path) -> None:
    write(tmp_path / "again.yml", "- debug: msg=again\n- include_tasks: again.yml\n")
    playbook = write(tmp_path / "site.yml", "- hosts: localhost\n  gather_facts: false\n  tasks:\n"
                                            "    - include_tasks: again.yml\n")
    result = run("run", str(playbook), cwd=tmp_path, limit=60)
    assert result.rc == 2
    assert "Includes nested more than 48 deep (an include that includes itself?): include_tasks again.yml at " \
           f"{playbook}:4:7 -> include_tasks again.yml at {tmp_path}/again.yml:2:3 -> include_tasks again.yml" \
           in result.stdout


def test_a_role_that_includes_itself_stops_with_the_chain(tmp_path: Path) -> None:
    write(tmp_path / "roles/loop/tasks/main.yml", "- debug: msg=in\n- include_role: name=loop\n")
    playbook = write(tmp_path / "site.yml", "- hosts: localhost\n  gather_facts: false\n  tasks:\n"
                                            "    - include_role: name=loop\n")
    result = run("run", str(playbook), cwd=tmp_path, limit=60)
    assert result.rc == 2
    assert "Includes nested more than 48 deep" in result.stdout and "include_role loop at" in result.stdout


def test_a_recursive_include_that_ends_still_runs(tmp_path: Path) -> None:
    write(tmp_path / "count.yml", "- set_fact: n={{ n | int + 1 }}\n- debug: msg={{ n }}\n"
                                  "- include_tasks: count.yml\n  when: n | int < 5\n")
    playbook = write(tmp_path / "site.yml", "- hosts: localhost\n  gather_facts: false\n  tasks:\n"
                                            "    - set_fact: n=0\n    - include_tasks: count.yml\n")
    result = run("run", str(playbook), cwd=tmp_path)
    assert result.rc == 0 and '"msg": 5' in result.stdout


def test_a_huge_async_value_does_not_hang(tmp_path: Path) -> None:
    playbook = write(tmp_path / "site.yml", "- hosts: localhost\n  gather_facts: false\n  tasks:\n"
                                            "    - command: echo hi\n      async: 10000000000\n      poll: 1\n")
    result = run("run", str(playbook), cwd=tmp_path, env={"ANSIBLE_ASYNC_DIR": str(tmp_path / "jobs")})
    assert result.rc == 0 and "changed: [localhost]" in result.stdout


@pytest.mark.parametrize("kind", ["/dev/zero", "fifo", "directory"])
def test_a_playbook_that_is_not_a_file_is_refused(tmp_path: Path, kind: str) -> None:
    path = kind
    if kind == "fifo":
        path = str(tmp_path / "pipe.yml")
        os.mkfifo(path)
    elif kind == "directory":
        path = str(tmp_path)
    result = run("run", path, cwd=tmp_path)
    assert result.rc == 1
    assert f"the playbook: {path} does not appear to be a file" in result.stderr


@pytest.mark.parametrize("target", ["/dev/urandom", "/dev/zero", "pipe.yml"])
def test_an_include_that_is_not_a_file_fails_the_task(tmp_path: Path, target: str) -> None:
    os.mkfifo(tmp_path / "pipe.yml")
    playbook = write(tmp_path / "site.yml", "- hosts: localhost\n  gather_facts: false\n  tasks:\n"
                                            f"    - include_tasks: {target}\n")
    result = run("run", str(playbook), cwd=tmp_path)
    assert result.rc == 2
    assert "does not appear to be a file" in result.stdout


def test_a_huge_inventory_range_is_refused(tmp_path: Path) -> None:
    write(tmp_path / "hosts.ini", "h[1:99999999] ansible_connection=local\n")
    write(tmp_path / "site.yml", SITE)
    result = run("run", "-i", "hosts.ini", "site.yml", cwd=tmp_path)
    assert result.rc == 4
    assert "Invalid host range in 'h[1:99999999]': the range makes 99,999,999 hosts" in result.stderr
    assert "hosts.ini:1" in result.stderr


LATIN1 = "caf\xe9".encode("latin-1")


@pytest.mark.parametrize("where", ["playbook", "vars_files", "group_vars", "extra_vars", "inventory", "tasks"])
def test_bytes_that_are_not_utf8_name_the_file_and_offset(tmp_path: Path, where: str) -> None:
    write(tmp_path / "hosts.ini", "h1 ansible_connection=local\n")
    site = "- hosts: all\n  gather_facts: false\n" + ("  vars_files: [v.yml]\n" if where == "vars_files" else "") + \
        "  tasks:\n    - " + ("include_tasks: t.yml" if where == "tasks" else "debug: msg=hi") + "\n"
    (tmp_path / "site.yml").write_bytes(site.encode() + (b"    - debug: msg=" + LATIN1 + b"\n" if where == "playbook"
                                                          else b""))
    bad = {"vars_files": "v.yml", "group_vars": "group_vars/all.yml", "extra_vars": "e.yml", "inventory": "hosts.ini",
           "tasks": "t.yml"}.get(where, "site.yml")
    if where != "playbook":
        (tmp_path / bad).parent.mkdir(exist_ok=True)
        prefix = b"h1 ansible_connection=local x=" if where == "inventory" else \
            b"- debug: msg=" if where == "tasks" else b"a: "
        (tmp_path / bad).write_bytes(prefix + LATIN1 + b"\n")
    extra = ["-e", "@e.yml"] if where == "extra_vars" else []
    result = run("run", "-i", "hosts.ini", "site.yml", *extra, cwd=tmp_path)
    shown = result.stdout + result.stderr
    assert result.rc in (2, 4), shown
    assert "byte 0xe9 at offset" in shown and "cannot be decoded" in shown
    assert bad in shown
