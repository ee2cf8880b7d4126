"""Run a playbook under ansible-core and under miniplay, and compare what users see.

ansible-core lives in its own venv (`.ci/run` installs it at /opt/ansible-venv; override
with $MINIPLAY_ANSIBLE_PLAYBOOK). Without it the differential tests skip and say why.
Volatile values (timestamps, durations, job ids, temp paths) are normalised before
comparing; everything else must match line for line.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Optional

import pytest

from helpers import CliRun, miniplay

DEFAULT_ANSIBLE = "/opt/ansible-venv/bin/ansible-playbook"
TARGET_PYTHON = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable


def ansible_playbook_path() -> Optional[str]:
    candidate = os.environ.get("MINIPLAY_ANSIBLE_PLAYBOOK", DEFAULT_ANSIBLE)
    if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
        return candidate
    return shutil.which("ansible-playbook")


def require_ansible() -> str:
    path = ansible_playbook_path()
    if path is None:
        pytest.skip("ansible-core is not installed: set MINIPLAY_ANSIBLE_PLAYBOOK or run .ci/run "
                    "(it installs ansible-core 2.19 into /opt/ansible-venv)")
    return path


def require_reference_module(module: str) -> None:
    """Skip unless the Python that runs ansible-playbook can import `module` (passlib, say)."""
    python = Path(require_ansible()).parent / "python"
    found = python.exists() and subprocess.run([str(python), "-c", f"import {module}"],
                                               capture_output=True).returncode == 0
    if not found:
        pytest.skip(f"ansible-core's venv lacks {module}, which this case needs there: "
                    f"run .ci/run, or pip install {module} into that venv")


def ansible_playbook(*args: str, cwd: Path, env: Optional[dict[str, str]] = None, timeout: float = 300) -> CliRun:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("ANSIBLE_")}
    full_env.update({"ANSIBLE_NOCOLOR": "1", "ANSIBLE_HOST_KEY_CHECKING": "False",
                     "ANSIBLE_PYTHON_INTERPRETER": TARGET_PYTHON, "ANSIBLE_LOCAL_TEMP": str(cwd / ".ansible-tmp"),
                     "ANSIBLE_RETRY_FILES_ENABLED": "False", "PYTHONPATH": "",
                     # a newer cryptography in its venv warns on import (DSA): not part of what users see
                     "PYTHONWARNINGS": "ignore"})
    if env:
        full_env.update(env)
    proc = subprocess.run([require_ansible(), *args], cwd=cwd, env=full_env, capture_output=True, text=True,
                          stdin=subprocess.DEVNULL,  # never a terminal: vars_prompt takes its defaults
                          timeout=timeout)
    return CliRun(proc.returncode, proc.stdout, proc.stderr)


VOLATILE = [
    (re.compile(r'"(start|end|stop)": "\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+"'), r'"\1": "<time>"'),
    (re.compile(r'"delta": "\d+:\d\d:\d\d\.\d+"'), '"delta": "<delta>"'),
    (re.compile(r"\bj\d+\.\d+\b"), "<jid>"),
    (re.compile(r"/tmp/[^\s\"']*"), "<tmp>"),
    (re.compile(r"Paused for \d+(\.\d+)? (seconds|minutes)"), r"Paused for <n> \2"),
    (re.compile(r'"(epoch|epoch_int|date|time|iso8601\w*)": "[^"]*"'), r'"\1": "<clock>"'),
    # -vv opens with each tool's own version block (and Ansible's callback notes): not compared
    (re.compile(r"^(ansible-playbook \[core .*|miniplay run \[miniplay .*|  [a-z. ]+ = .*|Skipping callback .*)\n",
                re.M), ""),
]


def normalise(text: str) -> str:
    for pattern, replacement in VOLATILE:
        text = pattern.sub(replacement, text)
    return text


def compare(playbook: Path, inventory: Path, *extra: str, env: Optional[dict[str, str]] = None) -> tuple[CliRun, CliRun]:
    """Run both engines on copies of the same folder; assert same exit code and stdout (normalised)."""
    source = playbook.parent
    runs = {}
    for engine in ("ansible", "miniplay"):
        work = source.parent / f"{source.name}-{engine}"
        shutil.copytree(source, work)
        args = ["-i", str(work / inventory.relative_to(source)), str(work / playbook.name), *extra]
        runs[engine] = ansible_playbook(*args, cwd=work, env=env) if engine == "ansible" else \
            miniplay("run", *args, cwd=work, env=env)
    theirs, ours = runs["ansible"], runs["miniplay"]
    assert ours.rc == theirs.rc, f"exit codes differ: miniplay {ours.rc}, ansible {theirs.rc}\n" \
                                 f"--- miniplay\n{ours.stdout}{ours.stderr}\n--- ansible\n{theirs.stdout}{theirs.stderr}"
    mine, reference = normalise(ours.stdout).splitlines(), normalise(theirs.stdout).splitlines()
    if mine != reference:
        import difflib

        delta = "\n".join(difflib.unified_diff(reference, mine, "ansible-playbook", "miniplay", lineterm=""))
        raise AssertionError(f"output differs from ansible-core:\n{delta}")
    return ours, theirs
