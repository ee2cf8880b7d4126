"""Benchmark: a 200-task playbook on the local connection, miniplay vs ansible-core.

Prints wall times, the ratio, and miniplay's per-task engine overhead (the cost of a
task beyond the work the module itself does: measured on ping/debug/set_fact tasks,
after subtracting the cost of an empty playbook, i.e. start-up).

    python tests/bench/bench_core.py [--tasks 200] [--repeat 3]
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ANSIBLE = os.environ.get("MINIPLAY_ANSIBLE_PLAYBOOK", "/opt/ansible-venv/bin/ansible-playbook")
PYTHON = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable


def playbook(tasks: int, kinds: list[str]) -> str:
    lines = ["- hosts: localhost", "  gather_facts: false", "  tasks:"]
    for number in range(tasks):
        kind = kinds[number % len(kinds)]
        lines.append({
            "command": f"    - command: echo {number}",
            "ping": "    - ping:",
            "debug": f"    - debug: msg='task {number}'",
            "set_fact": f"    - set_fact: v{number}={number}",
            "file": f"    - file: path={{{{ playbook_dir }}}}/f{number % 10} state=touch",
        }[kind])
    return "\n".join(lines) + "\n"


def wall(command: list[str], cwd: Path, env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return time.perf_counter() - start


def best(command: list[str], cwd: Path, env: dict[str, str], repeat: int) -> float:
    return min(wall(command, cwd, env) for _ in range(repeat))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tasks", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="miniplay-bench-"))
    inventory = work / "inv.ini"
    inventory.write_text(f"localhost ansible_connection=local ansible_python_interpreter={PYTHON}\n")
    mixed = work / "mixed.yml"
    mixed.write_text(playbook(args.tasks, ["command", "ping", "debug", "set_fact", "file"]))
    light = work / "light.yml"
    light.write_text(playbook(args.tasks, ["ping", "debug", "set_fact"]))
    empty = work / "empty.yml"
    empty.write_text(playbook(0, ["ping"]).replace("  tasks:\n", "  tasks: []\n"))
    env = dict(os.environ, ANSIBLE_NOCOLOR="1", ANSIBLE_PYTHON_INTERPRETER=PYTHON)
    mini = [sys.executable, "-m", "miniplay", "run", "-i", str(inventory)]

    mp_mixed = best(mini + [str(mixed)], work, env, args.repeat)
    mp_light = best(mini + [str(light)], work, env, args.repeat)
    mp_empty = best(mini + [str(empty)], work, env, args.repeat)
    overhead_ms = (mp_light - mp_empty) / args.tasks * 1000
    print(f"tasks per playbook            : {args.tasks}")
    print(f"miniplay, mixed playbook      : {mp_mixed:.2f} s  ({mp_mixed / args.tasks * 1000:.1f} ms/task)")
    print(f"miniplay, start-up (0 tasks)  : {mp_empty:.2f} s")
    print(f"miniplay engine overhead/task : {overhead_ms:.2f} ms  (ping/debug/set_fact, start-up subtracted; target < 5)")
    if os.path.exists(ANSIBLE):
        ans_mixed = best([ANSIBLE, "-i", str(inventory), str(mixed)], work, env, 1)
        print(f"ansible-core, mixed playbook  : {ans_mixed:.2f} s  ({ans_mixed / args.tasks * 1000:.1f} ms/task)")
        per_task_ratio = (ans_mixed / args.tasks) / (mp_mixed / args.tasks)
        print(f"ratio (ansible / miniplay)    : {per_task_ratio:.1f}x  (target >= 20x)")
    else:
        print(f"ansible-core not found at {ANSIBLE}: ratio not measured")


if __name__ == "__main__":
    main()
