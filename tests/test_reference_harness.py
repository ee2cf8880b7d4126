"""The differential harness compares what Ansible prints, not what its interpreter prints.

A new release of a library under ansible-core (cryptography 51 deprecating DSA, say) makes
the reference's Python print a warning at the top of stderr. Each test here puts a small
wrapper in front of the real reference that adds such noise, or changes one of Ansible's own
lines, and runs a real comparison (a YAML syntax error, whose [ERROR] block both engines
must print alike) through the harness.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import miniplay, write
from reference import ansible_playbook, error_block, require_ansible, without_python_warnings

BROKEN_YAML = "a: [1,\n"
WARNING_LINES = (
    "/opt/ansible-venv/lib/python3.11/site-packages/ansible/_internal/_ssh/_ssh_agent.py:18: "
    "CryptographyDeprecationWarning: DSA is deprecated and support will be removed in a future release.\n"
    "  from cryptography.hazmat.primitives.asymmetric.dsa import (\n"
)


def _wrapper(tmp_path: Path, name: str, text: str) -> Path:
    path = write(tmp_path / "bin" / name, text)
    path.chmod(0o755)
    return path


def _both_engines(tmp_path: Path, reference: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[str, str]:
    """The [ERROR] blocks that miniplay and the given reference print for the same broken playbook."""
    monkeypatch.setenv("MINIPLAY_ANSIBLE_PLAYBOOK", str(reference))
    playbook = write(tmp_path / "site.yml", BROKEN_YAML)
    inventory = write(tmp_path / "hosts", "localhost ansible_connection=local\n")
    theirs = ansible_playbook("-i", str(inventory), str(playbook), cwd=tmp_path)
    ours = miniplay("run", "-i", str(inventory), str(playbook), cwd=tmp_path)
    assert ours.rc == theirs.rc == 4, theirs.stderr
    return error_block(ours.stderr), error_block(theirs.stderr)


def test_a_python_warning_raised_in_the_reference_is_silenced(tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    real = require_ansible()
    python = Path(real).parent / "python"
    wrapper = _wrapper(tmp_path, "ansible-playbook", f"""\
        #!{python}
        import os, sys, warnings

        class CryptographyDeprecationWarning(UserWarning):
            pass

        warnings.warn("DSA is deprecated", CryptographyDeprecationWarning)
        sys.stderr.flush()
        os.execv({real!r}, [{real!r}, *sys.argv[1:]])
        """)
    # without the harness the warning is there: the wrapper really raises it
    loud = subprocess.run([str(wrapper), "--version"], capture_output=True, text=True,
                          env={k: v for k, v in os.environ.items() if k != "PYTHONWARNINGS"})
    assert "CryptographyDeprecationWarning: DSA is deprecated" in loud.stderr
    ours, theirs = _both_engines(tmp_path, wrapper, monkeypatch)
    assert "Warning" not in theirs
    assert ours == theirs


def test_warning_lines_printed_by_the_reference_are_dropped(tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    real = require_ansible()
    noisy = "".join(f"printf '%s\\n' '{line}' >&2\n" for line in WARNING_LINES.splitlines())
    wrapper = _wrapper(tmp_path, "ansible-playbook", f"#!/bin/sh\n{noisy}exec '{real}' \"$@\"\n")
    ours, theirs = _both_engines(tmp_path, wrapper, monkeypatch)
    assert ours == theirs


def test_a_real_difference_in_ansibles_own_lines_still_fails(tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    real = require_ansible()
    wrapper = _wrapper(tmp_path, "ansible-playbook", f"""\
        #!/bin/sh
        '{real}' "$@" 2>"$0.err"; code=$?
        sed 's/YAML parsing failed/YAML parsing broke/' "$0.err" >&2
        exit $code
        """)
    ours, theirs = _both_engines(tmp_path, wrapper, monkeypatch)
    assert "YAML parsing broke" in theirs
    assert ours != theirs


def test_only_warning_lines_are_dropped() -> None:
    ansible_lines = ("[WARNING]: Could not match supplied host pattern, ignoring: web\n"
                     "[ERROR]: YAML parsing failed: Found undefined alias.\n"
                     "Origin: /tmp/site.yml:1:4\n\n"
                     "1 a: *nope\n     ^ column 4\n")
    assert without_python_warnings(WARNING_LINES + ansible_lines) == ansible_lines
    assert without_python_warnings(ansible_lines + WARNING_LINES) == ansible_lines
    runtime = f"{sys.prefix}/x.py:3: RuntimeWarning: coroutine was never awaited\n  f()\n"
    assert without_python_warnings(runtime + ansible_lines) == ansible_lines
