"""Run a playbook under ansible-core and under miniplay, and compare what users see.

ansible-core lives in its own venv (`.ci/run` installs it at /opt/ansible-venv; override
with $MINIPLAY_ANSIBLE_PLAYBOOK). Without it the differential tests skip and say why.
Volatile values (timestamps, durations, job ids, temp paths) are normalised before
comparing; everything else must match line for line.

What is compared is what Ansible itself prints, never its interpreter's noise: the reference
runs with PYTHONWARNINGS=ignore and, as a second guard, Python warning lines (a library's
DeprecationWarning and the source line under it) are dropped from its stderr. Under CI=true a
missing or broken reference fails the tests that need it instead of skipping them.
"""
from __future__ import annotations

import functools
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import NoReturn, Optional

import pytest

from helpers import CliRun, miniplay

DEFAULT_ANSIBLE = "/opt/ansible-venv/bin/ansible-playbook"
TARGET_PYTHON = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")


def _unavailable(reason: str) -> NoReturn:
    """Skip on a developer's machine; fail under CI=true, so CI never passes by skipping."""
    if _in_ci():
        pytest.fail(f"the ansible-core reference is required in CI: {reason}", pytrace=False)
    pytest.skip(reason)


def ansible_playbook_path() -> Optional[str]:
    candidate = os.environ.get("MINIPLAY_ANSIBLE_PLAYBOOK", DEFAULT_ANSIBLE)
    if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
        return candidate
    return shutil.which("ansible-playbook")


@functools.lru_cache(maxsize=None)
def _broken_reason(path: str) -> Optional[str]:
    """Why the reference at `path` cannot run (a venv whose Python or ansible is gone), or None."""
    try:
        proc = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=120,
                              env={**os.environ, "PYTHONWARNINGS": "ignore"})
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"{path} --version could not run: {exc}"
    if proc.returncode != 0 or "[core " not in proc.stdout:
        last = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        return f"{path} --version failed (exit {proc.returncode}): {last}"
    return None


def require_ansible() -> str:
    path = ansible_playbook_path()
    if path is None:
        _unavailable("ansible-core is not installed: set MINIPLAY_ANSIBLE_PLAYBOOK or run .ci/run "
                     "(it installs ansible-core 2.19 into /opt/ansible-venv from .ci/reference-constraints.txt)")
    broken = _broken_reason(path)
    if broken:
        _unavailable(f"the ansible-core reference is broken: {broken}; delete its venv and run .ci/run to "
                     "make it anew")
    return path


def reference_tool(name: str) -> str:
    """Another command of the reference install (ansible-inventory, ansible-vault), beside ansible-playbook."""
    tool = Path(require_ansible()).parent / name
    if not (tool.is_file() and os.access(tool, os.X_OK)):
        _unavailable(f"the ansible-core reference has no {name} beside ansible-playbook ({tool})")
    return str(tool)


def require_reference_module(module: str) -> None:
    """Skip unless the Python that runs ansible-playbook can import `module` (passlib, say)."""
    python = Path(require_ansible()).parent / "python"
    found = python.exists() and subprocess.run([str(python), "-c", f"import {module}"],
                                               capture_output=True).returncode == 0
    if not found:
        _unavailable(f"ansible-core's venv lacks {module}, which this case needs there: "
                     f"run .ci/run, or pip install {module} into that venv")


# A Python warning as the interpreter prints it: "file.py:18: SomeWarning: text" and, under it,
# the indented source line it points at. These come from the reference's interpreter and
# libraries (cryptography's DSA deprecation, say), never from Ansible's own output.
PYTHON_WARNING = re.compile(r"^[^\n\[]*:\d+: (?:[A-Za-z_][\w.]*\.)?[A-Z]\w*Warning: .*\n(?:[ \t]+\S.*\n)?", re.M)


def without_python_warnings(stderr: str) -> str:
    """The reference's stderr less its interpreter's warnings: what Ansible itself printed."""
    return PYTHON_WARNING.sub("", stderr)


def reference_env(cwd: Path, env: Optional[dict[str, str]] = None) -> dict[str, str]:
    """The environment every reference command runs in: no ANSIBLE_* of the caller, warnings off."""
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("ANSIBLE_")}
    full_env.update({"ANSIBLE_NOCOLOR": "1", "ANSIBLE_HOST_KEY_CHECKING": "False",
                     "ANSIBLE_PYTHON_INTERPRETER": TARGET_PYTHON, "ANSIBLE_LOCAL_TEMP": str(cwd / ".ansible-tmp"),
                     "ANSIBLE_RETRY_FILES_ENABLED": "False", "PYTHONPATH": "", "PYTHONWARNINGS": "ignore"})
    if env:
        full_env.update(env)
    return full_env


def ansible_playbook(*args: str, cwd: Path, env: Optional[dict[str, str]] = None, timeout: float = 300) -> CliRun:
    """`ansible-playbook ARGS...` from the reference venv; stderr keeps Ansible's lines only."""
    proc = subprocess.run([require_ansible(), *args], cwd=cwd, env=reference_env(cwd, env), capture_output=True,
                          stdin=subprocess.DEVNULL,  # never a terminal: vars_prompt takes its defaults
                          text=True, timeout=timeout)
    return CliRun(proc.returncode, proc.stdout, without_python_warnings(proc.stderr))


def error_block(stderr: str) -> str:
    """An [ERROR] report's message, Origin and source excerpt: what both engines must print alike
    (miniplay may add a worked example of its own after two blank lines)."""
    return stderr.split("\n\n\n")[0].rstrip("\n")


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
