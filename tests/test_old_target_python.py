"""Targets may run an older Python than the controller: Ansible 2.19 supports targets from 3.8.

The target-side modules are shipped to the host's worker and imported there by that host's
`ansible_python_interpreter`. A 3.9+ construct evaluated at import time (a `dict[str, ...]` alias)
passes every test run with the controller's Python and fails only on such a target, so these
tests run the modules under the oldest Python this machine has.
"""
from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from helpers import REPO, miniplay, write

OLDEST_SUPPORTED = "3.8"


def _oldest_python() -> str | None:
    """A working Python 3.8 from pyenv or PATH, if this machine has one (a pyenv shim may not run)."""
    pyenv_root = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
    candidates = [str(path / "bin" / "python") for path in sorted(pyenv_root.glob(f"{OLDEST_SUPPORTED}.*"))]
    on_path = shutil.which(f"python{OLDEST_SUPPORTED}")
    if on_path:
        candidates.append(on_path)
    for candidate in candidates:
        try:
            probe = subprocess.run([candidate, "-c", "import sys; print(sys.version_info[:2])"],
                                   capture_output=True, text=True, timeout=30)
        except OSError:
            continue
        if probe.returncode == 0 and probe.stdout.strip() == f"({OLDEST_SUPPORTED.replace('.', ', ')})":
            return candidate
    return None


OLD_PYTHON = _oldest_python()
needs_old_python = pytest.mark.skipif(OLD_PYTHON is None, reason=f"no Python {OLDEST_SUPPORTED} on this machine")


@needs_old_python
def test_every_module_imports_on_the_oldest_supported_python(tmp_path: Path) -> None:
    package = tmp_path / "miniplay"
    package.mkdir()
    (package / "__init__.py").write_text("")
    shutil.copytree(REPO / "modules", package / "modules")
    names = sorted(path.stem for path in (REPO / "modules").glob("*.py") if path.stem != "__init__")
    script = (
        "import importlib, sys\n"
        "bad = []\n"
        f"for name in {names!r}:\n"
        "    try:\n"
        "        importlib.import_module('miniplay.modules.' + name)\n"
        "    except Exception as exc:\n"
        "        bad.append(f'{name}: {type(exc).__name__}: {exc}')\n"
        "print('\\n'.join(bad))\n"
    )
    proc = subprocess.run([str(OLD_PYTHON), "-c", script], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "", f"modules that do not import on Python {OLDEST_SUPPORTED}:\n{proc.stdout}"


@needs_old_python
def test_a_play_runs_on_a_host_whose_interpreter_is_the_oldest_supported(tmp_path: Path) -> None:
    write(tmp_path / "hosts", f"old ansible_connection=local ansible_python_interpreter={OLD_PYTHON}\n")
    write(tmp_path / "site.yml", """
        - hosts: all
          gather_facts: false
          tasks:
            - ping:
            - service_facts:
            - package_facts:
            - mount_facts:
            - setup:
                gather_subset: [min]
            - command: echo hi
              register: said
            - assert:
                that:
                  - said.stdout == 'hi'
                  - ansible_facts.python.version.major == 3
                  - ansible_facts.python.version.minor == 8
    """)
    run = miniplay("run", "-i", "hosts", "site.yml", cwd=tmp_path)
    assert run.rc == 0, run.stdout + run.stderr
    assert "old                        : ok=7    changed=1" in run.stdout
