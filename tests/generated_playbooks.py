"""Playbooks made by code, shared by the tests and the benchmarks.

Standard library only: the scripts under tests/bench/ import this and must run with
miniplay's runtime dependencies alone (no pytest).
"""
from __future__ import annotations

from pathlib import Path


def big_playbook(path: Path, tasks: int) -> None:
    """A playbook of `tasks` tasks mixing async launches and joins, blocks, loops and set_fact."""
    lines = ["- hosts: all", "  gather_facts: false", "  handlers:", "    - name: restart", "      debug: msg=r",
             "  tasks:"]
    for n in range(tasks):
        kind = n % 5
        if kind == 0:
            lines += [f"    - name: launch {n}", f"      command: sleep {n % 7}", "      async: 60", "      poll: 0",
                      f"      register: job{n}"]
        elif kind == 1:
            lines += [f"    - name: join {n}", f"      async_status: jid={{{{ job{n - 1}.ansible_job_id }}}}",
                      f"      register: r{n}", f"      until: r{n}.finished", "      retries: 60", "      delay: 1"]
        elif kind == 2:
            lines += [f"    - name: block {n}", "      block:", f"        - debug: msg={{{{ r{n - 1}.rc }}}}",
                      "      rescue:", "        - debug: msg=rescued", "      always:", "        - debug: msg=always"]
        elif kind == 3:
            lines += [f"    - name: loop {n}", "      debug: msg={{ item }}", "      loop: [1, 2, 3]",
                      "      when: inventory_hostname != 'x'", "      notify: restart", "      changed_when: true"]
        else:
            lines += [f"    - name: set {n}", f"      set_fact: v{n}={n}"]
    path.write_text("\n".join(lines) + "\n")
