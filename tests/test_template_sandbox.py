"""Templates cannot reach Python internals and cannot ask for unbounded work.

Every usual escape from a Jinja2 template is tried through the real CLI, from a playbook, an
inventory variable and `-e`; each must fail its task with Ansible's kind of refusal
("access to attribute '__class__' of 'str' object is unsafe."), and never print a class list.
"""
from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from helpers import miniplay, write
from reference import ansible_playbook, require_ansible

ESCAPES = [
    ("''.__class__", "access to attribute '__class__' of 'str' object is unsafe."),
    ("''.__class__.__mro__[1].__subclasses__()", "access to attribute '__class__' of 'str' object is unsafe."),
    ("''.__class__.mro()", "access to attribute '__class__' of 'str' object is unsafe."),
    ("cycler.__init__.__globals__", "access to attribute '__init__' of 'type' object is unsafe."),
    ("joiner.__call__", "access to attribute '__call__' of 'type' object is unsafe."),
    ("namespace.__init__.__globals__", "access to attribute '__init__' of 'type' object is unsafe."),
    ("lookup.__globals__['__builtins__']", "access to attribute '__globals__' of 'function' object is unsafe."),
    ("omit.__class__.__base__", "access to attribute '__class__' of 'str' object is unsafe."),
    ("'{0.__class__.__base__.__subclasses__}'.format('')", "access to attribute '__class__' of 'str' object is unsafe."),
    ("'{a.__class__}'.format_map({'a': ''})", "is unsafe"),
    ("(1).__class__.__base__.__subclasses__()", "access to attribute '__class__' of 'int' object is unsafe."),
    ("hostvars.__class__", "is unsafe"),
    ("self.__init__.__globals__", "is unsafe"),
    ("x.__class__", "access to attribute '__class__' of 'str' object is unsafe."),
]


def _playbook(tmp_path: Path, expressions: list[str]) -> Path:
    tasks = [{"name": f"try {i}", "debug": {"msg": "{{ " + e + " }}"}, "ignore_errors": True}
             for i, e in enumerate(expressions)]
    return write(tmp_path / "site.yml", json.dumps([{"hosts": "localhost", "gather_facts": False,
                                                      "vars": {"x": "s"}, "tasks": tasks}]))


def test_every_escape_is_refused(tmp_path: Path) -> None:
    playbook = _playbook(tmp_path, [e for e, _ in ESCAPES])
    result = miniplay("run", str(playbook), cwd=tmp_path)
    assert result.rc == 0, result.stdout + result.stderr  # every task failed, and was ignored
    assert f"ignored={len(ESCAPES)}" in result.stdout
    for index, (expression, refusal) in enumerate(ESCAPES):
        section = result.stdout.split(f"TASK [try {index}]")[1].split("TASK [")[0]
        assert "fatal: [localhost]: FAILED!" in section, expression
        assert refusal in section, expression
    assert "<class" not in result.stdout and "subprocess" not in result.stdout
    assert "Traceback" not in result.stderr and "a bug" not in result.stdout


def test_escapes_from_inventory_and_extra_vars_are_refused(tmp_path: Path) -> None:
    write(tmp_path / "hosts.ini", "h1 ansible_connection=local evil=\"{{ ''.__class__.__mro__ }}\"\n")
    playbook = write(tmp_path / "site.yml", """
        - hosts: all
          gather_facts: false
          tasks:
            - debug: msg="{{ evil }}"
              ignore_errors: true
            - debug: msg="{{ from_cli }}"
              ignore_errors: true
        """)
    result = miniplay("run", "-i", "hosts.ini", str(playbook), "-e", "from_cli={{ lookup.__globals__ }}",
                      cwd=tmp_path)
    assert result.stdout.count("is unsafe") >= 2 and "ignored=2" in result.stdout
    assert "<class" not in result.stdout


def test_ordinary_templates_still_work(tmp_path: Path) -> None:
    playbook = write(tmp_path / "site.yml", """
        - hosts: localhost
          gather_facts: false
          vars: {d: {_private: 1, a: [1, 2]}}
          tasks:
            - debug: msg="{{ d._private }} {{ d.a | map('string') | join(',') }} {{ '%s-%s' % ('a', 'b') }} {{ 'x{}'.format(1) }} {{ range(3) | list }} {{ 'ab' * 2 }} {{ 2 ** 10 }}"
        """)
    result = miniplay("run", str(playbook), cwd=tmp_path)
    assert result.rc == 0, result.stdout
    assert '"msg": "1 1,2 a-b x1 [0, 1, 2] abab 1024"' in result.stdout


@pytest.mark.parametrize("expression,message", [
    ("'a' * 10**10", "'a' * 10000000000 is too big"),
    ("[0] * 10**9", "[0] * 1000000000 is too big"),
    ("range(10**12) | list | length", "range(1000000000000) is too big"),
    ("7 ** 9999999", "7 ** 9999999 is too big"),
    ("'x' | center(10**10)", "center(10000000000) is too big"),
    ("'{:>1000000000}'.format('x')", "asks for a width of 1000000000"),
    ("'%1000000000d' % 1", "asks for a width of 1000000000"),
    ("'%1000000000d' | format(1)", "asks for a width of 1000000000"),
    ("lookup('sequence', 'count=99999999')", "with_sequence would make 99999999 items"),
    ("range(1, 10**30) | length", "range(1, 1000000000000000000000000000000) is too big"),
])
def test_huge_work_is_refused_at_once(tmp_path: Path, expression: str, message: str) -> None:
    playbook = _playbook(tmp_path, [expression])
    started = time.monotonic()
    result = miniplay("run", str(playbook), cwd=tmp_path, timeout=60)
    assert time.monotonic() - started < 20
    assert message in result.stdout and "ignored=1" in result.stdout


def test_refusals_match_ansible_core(tmp_path: Path) -> None:
    require_ansible()
    expressions = ["''.__class__", "cycler.__init__.__globals__", "lookup.__globals__", "joiner.__call__"]
    playbook = _playbook(tmp_path, expressions)
    ours = miniplay("run", str(playbook), cwd=tmp_path)
    theirs = ansible_playbook(str(playbook), cwd=tmp_path)
    assert ours.rc == theirs.rc
    fatal = [line for line in theirs.stdout.splitlines() if line.startswith("fatal:")]
    assert fatal and fatal == [line for line in ours.stdout.splitlines() if line.startswith("fatal:")]
