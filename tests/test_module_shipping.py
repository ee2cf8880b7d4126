"""How module code reaches a host's worker, seen from what a user gets back.

A worker whose Python reads the controller's bytecode is sent each module compiled (no
compile on every host); any other Python is sent the source. Either way a module that
fails reports the same traceback: the shipped file's name, `<miniplay>/modules/<name>.py`,
and its line, never a path of the controller's own checkout.
"""
from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

from helpers import REPO, miniplay, write
from test_old_target_python import OLD_PYTHON

PLAYBOOK = """
- hosts: all
  gather_facts: false
  tasks:
    - copy:
        content: "shipped\\n"
        dest: "{{ playbook_dir }}/copied-{{ inventory_hostname }}.txt"
    - stat:
        path: "a\\0b"
      register: broken
      ignore_errors: true
    - debug:
        var: broken.exception
"""


def _stat_line_that_raises() -> int:
    """The line of modules/stat.py whose os call meets the null byte (the traceback's last frame)."""
    for number, line in enumerate((REPO / "modules" / "stat.py").read_text().splitlines(), 1):
        if re.search(r"os\.l?stat\(path\)", line):
            return number
    raise AssertionError("no os.stat call in modules/stat.py")


def _run(tmp_path: Path, python: str) -> str:
    write(tmp_path / "hosts", f"target ansible_connection=local ansible_python_interpreter={python}\n")
    write(tmp_path / "site.yml", PLAYBOOK)
    run = miniplay("run", "-i", "hosts", "site.yml", cwd=tmp_path)
    assert run.rc == 0, run.stdout + run.stderr
    assert (tmp_path / "copied-target.txt").read_text() == "shipped\n"  # a module with a helper module (_files)
    return run.stdout


@pytest.mark.parametrize("python", [
    pytest.param(sys.executable, id="same-python-compiled"),
    pytest.param(OLD_PYTHON or "missing", id="older-python-source",
                 marks=pytest.mark.skipif(OLD_PYTHON is None, reason="no Python 3.8 on this machine")),
])
def test_a_failing_module_names_the_shipped_file_and_line(tmp_path: Path, python: str) -> None:
    out = _run(tmp_path, python)
    frames = re.findall(r'File \\"([^"\\]+)\\", line (\d+), in (\w+)', out)
    assert frames, out
    assert all(name.startswith("<miniplay>/modules/") for name, _, _ in frames), frames
    assert str(REPO) not in out
    names = [(name, function) for name, _, function in frames]
    assert ("<miniplay>/modules/stat.py", "main") in names, frames
    last_name, last_line, _ = frames[-1]
    assert (last_name, int(last_line)) == ("<miniplay>/modules/stat.py", _stat_line_that_raises()), frames
