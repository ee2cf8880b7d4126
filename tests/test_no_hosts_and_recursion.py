"""A --limit that leaves no host stops the run as ansible-playbook does (exit 1); a variable
that refers to itself fails the task instead of printing an error string with exit 0; a
non-numeric `ansible_port` fails the host's task as Ansible's `port` keyword does."""
from __future__ import annotations

from pathlib import Path

import pytest

from helpers import miniplay, write
from reference import ansible_playbook, require_ansible

NO_HOSTS = "Specified inventory, host pattern and/or --limit leaves us with no hosts to target."


@pytest.fixture
def lab(tmp_path: Path) -> Path:
    write(tmp_path / "hosts.ini", "[web]\nweb1 ansible_connection=local\nweb2 ansible_connection=local\n")
    write(tmp_path / "site.yml", "- hosts: all\n  gather_facts: false\n  tasks:\n    - debug: msg=hi\n")
    return tmp_path


@pytest.mark.parametrize("limit,message", [
    ("nomatch", NO_HOSTS),
    ("web[5]", "No hosts matched the subscripted pattern 'web[5]'"),
    ("@nofile", "Unable to find limit file nofile"),
    ("all:!", "'!' must be followed by a host pattern"),
])
def test_a_limit_that_matches_nothing_exits_1(lab: Path, limit: str, message: str) -> None:
    result = miniplay("run", "-i", "hosts.ini", "site.yml", "-l", limit, cwd=lab)
    assert result.rc == 1, result.stdout + result.stderr
    assert message in result.stderr
    assert "PLAY [" not in result.stdout and "Traceback" not in result.stderr


def test_a_limit_that_matches_runs(lab: Path) -> None:
    result = miniplay("run", "-i", "hosts.ini", "site.yml", "-l", "web[1]", cwd=lab)
    assert result.rc == 0 and "ok: [web2]" in result.stdout and "web1" not in result.stdout


def test_limit_exit_codes_match_ansible(lab: Path) -> None:
    require_ansible()
    for limit in ("nomatch", "web[5]", "@nofile", "web1"):
        ours = miniplay("run", "-i", "hosts.ini", "site.yml", "-l", limit, cwd=lab)
        theirs = ansible_playbook("-i", "hosts.ini", "site.yml", "-l", limit, cwd=lab)
        assert ours.rc == theirs.rc, limit


def test_a_self_referencing_variable_fails_the_task(tmp_path: Path) -> None:
    playbook = write(tmp_path / "site.yml", """
        - hosts: localhost
          gather_facts: false
          vars:
            a: "{{ a }}"
          tasks:
            - debug: var=a
            - debug: msg="{{ a }}"
              ignore_errors: true
        """)
    result = miniplay("run", str(playbook), cwd=tmp_path)
    assert result.rc == 2
    assert "fatal: [localhost]: FAILED! => {\"msg\": \"Task failed: Error while resolving `var` expression: " \
           "Recursive loop detected in template" in result.stdout
    assert "<< error" not in result.stdout


def test_a_port_that_is_not_a_number_fails_the_task(tmp_path: Path) -> None:
    write(tmp_path / "hosts.ini", "h1 ansible_connection=local ansible_port=abc\n")
    write(tmp_path / "site.yml", "- hosts: all\n  gather_facts: false\n  tasks:\n    - debug: msg=hi\n")
    result = miniplay("run", "-i", "hosts.ini", "site.yml", cwd=tmp_path)
    assert result.rc == 2
    assert "Error processing keyword 'port': The value 'abc' could not be converted to 'int'." in result.stdout


@pytest.mark.parametrize("hosts,limit", [
    ("all", "nomatch"), ("all", "nomatch,web1"), ("all", "all:&nomatch"), ("all", "all:!all"),
    ("all", "nomatch:other"), ("all", "web[5]"), ("nomatch", None), ("nomatch:web1", None), ("nomatch:other", "web2"),
    ("all:!web1:!web2", None),
])
def test_unmatched_pattern_warnings_and_exit_codes_match_ansible(tmp_path: Path, hosts: str, limit: str | None) -> None:
    """Each term of `hosts:` or `--limit` that names nothing is warned about once, before the
    play (or before the no-hosts error); a pattern whose terms all exist but leave no host is
    not. Exit codes, stdout and stderr are Ansible's, line for line."""
    require_ansible()
    write(tmp_path / "hosts.ini", "[web]\nweb1 ansible_connection=local\nweb2 ansible_connection=local\n")
    write(tmp_path / "site.yml", f"- hosts: '{hosts}'\n  gather_facts: false\n  tasks:\n    - debug: msg=hi\n"
                                 "- hosts: nomatch\n  gather_facts: false\n  tasks: []\n")
    args = ["-i", "hosts.ini", "site.yml", *(["-l", limit] if limit else [])]
    theirs = ansible_playbook(*args, cwd=tmp_path)
    ours = miniplay("run", *args, cwd=tmp_path)
    assert (ours.rc, ours.stdout, ours.stderr) == (theirs.rc, theirs.stdout, theirs.stderr)
    assert "Could not match" in ours.stderr or "subscripted" in ours.stderr or "!" in hosts + (limit or "")
