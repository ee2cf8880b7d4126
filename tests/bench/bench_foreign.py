"""Benchmark: what a foreign module (a module written for Ansible) costs per task, against a native one.

Runs N tasks of miniplay's native `ping`, N of a new-style `library/` module that does the
same through AnsibleModule (its module_utils taken from the reference ansible-core), and N
of an old-style one, on the local connection; prints wall times and the extra cost per
foreign task. The goal is at most 20 ms more than a native task. With --ansible it also
times ansible-core on the new-style playbook, for scale.

    python tests/bench/bench_foreign.py [--tasks 100] [--repeat 3] [--ansible]
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
NEW_STYLE = '''#!/usr/bin/python
from ansible.module_utils.basic import AnsibleModule


def main():
    module = AnsibleModule(argument_spec=dict(data=dict(type='str', default='pong')), supports_check_mode=True)
    module.exit_json(ping=module.params['data'])


main()
'''
OLD_STYLE = '''#!/usr/bin/python
import json
print(json.dumps({"changed": False, "ping": "pong"}))
'''


def playbook(tasks: int, module: str) -> str:
    return "- hosts: localhost\n  gather_facts: false\n  tasks:\n" + f"    - {module}:\n" * tasks


def best(command: list[str], cwd: Path, env: dict[str, str], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        done = subprocess.run(command, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, check=False)
        times.append(time.perf_counter() - start)
        if done.returncode != 0:
            raise SystemExit(f"{' '.join(command)} failed:\n{done.stdout.decode()[-2000:]}")
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tasks", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--ansible", action="store_true", help="also time ansible-core on the foreign playbook")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="miniplay-bench-foreign-"))
    (work / "library").mkdir()
    (work / "library" / "fping.py").write_text(NEW_STYLE)
    (work / "library" / "oping.py").write_text(OLD_STYLE)
    (work / "inv.ini").write_text(f"localhost ansible_connection=local ansible_python_interpreter={PYTHON}\n")
    for name, module in (("native", "ping"), ("new", "fping"), ("old", "oping")):
        (work / f"{name}.yml").write_text(playbook(args.tasks, module))
    env = dict(os.environ)
    env.setdefault("MINIPLAY_ANSIBLE_PYTHON", str(Path(ANSIBLE).parent / "python"))
    miniplay = [sys.executable, "-m", "miniplay", "run", "-i", "inv.ini"]
    times = {name: best(miniplay + [f"{name}.yml"], work, env, args.repeat) for name in ("native", "new", "old")}
    print(f"miniplay, {args.tasks} tasks on the local connection (best of {args.repeat}):")
    for name, label in (("native", "native ping"), ("new", "new-style library module"),
                        ("old", "old-style library module")):
        print(f"  {label:28s} {times[name]:6.2f} s  {1000 * times[name] / args.tasks:6.1f} ms/task")
    for name, label in (("new", "new-style"), ("old", "old-style")):
        extra = 1000 * (times[name] - times["native"]) / args.tasks
        print(f"  {label} foreign task costs {extra:+.1f} ms more than a native one (goal: <= 20 ms)")
    if args.ansible and os.path.exists(ANSIBLE):
        ansible_env = {**env, "ANSIBLE_NOCOLOR": "1", "PYTHONWARNINGS": "ignore"}
        reference = best([ANSIBLE, "-i", "inv.ini", "new.yml"], work, ansible_env, 1)
        print(f"ansible-core, the new-style playbook: {reference:6.2f} s  {1000 * reference / args.tasks:6.1f} ms/task")


if __name__ == "__main__":
    main()
