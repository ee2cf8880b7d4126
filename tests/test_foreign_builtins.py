"""ansible-core's own modules: each one is native, runs from the installed ansible-core, or is refused
with the specific reason — never "did you mean" for a module that exists."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from helpers import miniplay, write
from reference import compare
from test_foreign_modules import HERE, local_inventory, reference_env

# Load-time names with their own argument rules; a bare task of theirs fails for that reason.
NEEDS_ARGUMENTS = {"import_playbook", "import_tasks", "import_role", "include_tasks", "include_role",
                   "include_vars", "add_host", "group_by", "meta", "set_fact", "script", "raw", "command", "shell"}
CONTROLLER_ONLY = {"reboot", "wait_for_connection", "set_stats", "validate_argument_spec", "gather_facts",
                   "async_wrapper"}


def core_module_names(env: dict[str, str]) -> list[str]:
    python = env["MINIPLAY_ANSIBLE_PYTHON"]
    modules = next(Path(python).parent.parent.glob("lib/python*/site-packages/ansible/modules"))
    return sorted(p.stem for p in modules.glob("*.py") if not p.stem.startswith("_"))


def syntax_check(tmp_path: Path, name: str, env: dict[str, str]):
    playbook = write(tmp_path / f"{name}.yml",
                     f"- hosts: localhost\n  gather_facts: false\n  tasks:\n    - ansible.builtin.{name}:\n")
    return miniplay("run", "--syntax-check", "-i", str(local_inventory(tmp_path)), str(playbook), cwd=tmp_path,
                    env=env)


def test_every_ansible_core_module_name_resolves(tmp_path: Path) -> None:
    env = reference_env()
    names = core_module_names(env)
    assert len(names) > 60
    outcome: dict[str, str] = {}
    for name in names:
        if name in NEEDS_ARGUMENTS:
            continue
        result = syntax_check(tmp_path, name, env)
        assert "couldn't resolve" not in result.stderr and "Did you mean" not in result.stderr, (name, result.stderr)
        if result.rc == 0:
            outcome[name] = "runs"
        else:
            assert "is an ansible-core action that runs on the controller" in result.stderr, (name, result.stderr)
            outcome[name] = "refused"
    refused = {n for n, o in outcome.items() if o == "refused"}
    assert refused <= CONTROLLER_ONLY, refused - CONTROLLER_ONLY  # (miniplay may implement some natively)
    assert "dnf" in outcome and outcome["dnf"] == "runs" and outcome.get("rpm_key") == "runs"


@pytest.mark.parametrize("name", ["dnf", "yum", "rpm_key", "yum_repository", "dnf5"])
def test_without_ansible_core_a_core_module_says_what_it_needs(tmp_path: Path, name: str) -> None:
    result = syntax_check(tmp_path, name, {"MINIPLAY_ANSIBLE_PYTHON": "none", "PATH": "/usr/bin:/bin"})
    assert result.rc == 4
    assert f"'ansible.builtin.{name}' is an ansible-core module that miniplay does not implement natively" \
           in result.stderr, result.stderr
    assert "pip install ansible-core" in result.stderr and "MINIPLAY_ANSIBLE_PYTHON" in result.stderr
    assert "Did you mean" not in result.stderr


def test_core_modules_match_ansible(tmp_path: Path) -> None:
    """yum_repository (a real file), dnf's backend choice on Debian, yum → dnf, rpm_key."""
    env = reference_env()
    work = tmp_path / "case"
    shutil.copytree(HERE, work)
    local_inventory(work)
    compare(work / "builtin_modules.yml", work / "hosts.ini", env=env)
    assert os.path.isdir(tmp_path / "case-miniplay" / "repos"), "the miniplay run worked on its own copy"
