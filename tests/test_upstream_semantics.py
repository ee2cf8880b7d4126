"""Semantics that ansible-core's own integration targets (tests/upstream) found missing, side by
side with ansible-core on small playbooks of our own."""
from __future__ import annotations

from pathlib import Path

from helpers import write
from reference import TARGET_PYTHON, compare, require_ansible

INVENTORY = (f"[pair]\nh1 ansible_connection=local ansible_python_interpreter={TARGET_PYTHON}\n"
             f"h2 ansible_connection=local ansible_python_interpreter={TARGET_PYTHON}\n")

FAILING_HOST = """
- hosts: pair
  gather_facts: false
  tasks:
    - debug: msg=notify
      changed_when: true
      notify: report
    - fail: msg=down
      when: inventory_hostname == 'h1'
  handlers:
    - name: report
      debug: msg="handler on {{ inventory_hostname }}"
"""


def test_force_handlers_from_the_environment(tmp_path: Path) -> None:
    """ANSIBLE_FORCE_HANDLERS=true forces handlers as --force-handlers does: h1 failed, its handler runs."""
    require_ansible()
    source = tmp_path / "case"
    playbook = write(source / "site.yml", FAILING_HOST)
    inventory = write(source / "hosts.ini", INVENTORY)
    ours, _ = compare(playbook, inventory, "-f", "1", env={"ANSIBLE_FORCE_HANDLERS": "true"})
    assert "handler on h1" in ours.stdout and "handler on h2" in ours.stdout


def test_force_handlers_from_ansible_cfg(tmp_path: Path) -> None:
    require_ansible()
    source = tmp_path / "case"
    playbook = write(source / "site.yml", FAILING_HOST)
    inventory = write(source / "hosts.ini", INVENTORY)
    write(source / "ansible.cfg", "[defaults]\nforce_handlers = True\n")
    ours, _ = compare(playbook, inventory, "-f", "1")
    assert "handler on h1" in ours.stdout
