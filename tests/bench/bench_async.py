"""Benchmark: async jobs, miniplay vs ansible-core, on the local connection.

Two scenarios, each on every host of a small local inventory (h1..hN, all this machine):

* join   — 20 `poll: 0` jobs of 1 s per host (one looped task), then one looped
           async_status task with `until: ... is finished` (retries, delay 0.25 s);
* polled — one `command: sleep 1` with `async: 10, poll: 1` per host.

For each it prints the wall time of the whole run and the *lag*: how long after the
last job ended (the module's own `end` time) the waiting task was over, measured by
a `date` task right after it (so the lag includes one task's overhead). miniplay's
target: the waiting ends within 0.3 s of the longest job.

    python tests/bench/bench_async.py [--hosts 4] [--jobs 20] [--repeat 1]
"""
from __future__ import annotations

import argparse
import datetime
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Optional

ANSIBLE = os.environ.get("MINIPLAY_ANSIBLE_PLAYBOOK", "/opt/ansible-venv/bin/ansible-playbook")
PYTHON = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable
MARK = re.compile(r"LAST_END (\S+ \S+) AFTER (\d+\.\d+)")

JOIN = """
- hosts: all
  gather_facts: false
  tasks:
    - name: Start {jobs} jobs of 1 s
      command: sleep 1
      loop: "{{{{ range({jobs}) | list }}}}"
      async: 60
      poll: 0
      register: jobs
    - name: Join them
      async_status:
        jid: "{{{{ item.ansible_job_id }}}}"
      loop: "{{{{ jobs.results }}}}"
      loop_control:
        label: "{{{{ item.item }}}}"
      register: joined
      until: joined is finished
      retries: 400
      delay: 0.25
    - command: date +%s.%N
      register: after
    - debug:
        msg: "LAST_END {{{{ joined.results | map(attribute='end') | max }}}} AFTER {{{{ after.stdout }}}}"
    - async_status:
        jid: "{{{{ item.ansible_job_id }}}}"
        mode: cleanup
      loop: "{{{{ jobs.results }}}}"
      loop_control:
        label: "{{{{ item.item }}}}"
"""

POLLED = """
- hosts: all
  gather_facts: false
  tasks:
    - name: One polled job of 1 s
      command: sleep 1
      async: 10
      poll: 1
      register: polled
    - command: date +%s.%N
      register: after
    - debug:
        msg: "LAST_END {{ polled.end }} AFTER {{ after.stdout }}"
"""


def run(command: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, Optional[float], int, str]:
    """(wall seconds, lag seconds or None, rc, stdout)."""
    start = time.perf_counter()
    proc = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - start
    lags = []
    for end_text, after in MARK.findall(proc.stdout):
        end = datetime.datetime.strptime(end_text, "%Y-%m-%d %H:%M:%S.%f").timestamp()
        lags.append(float(after) - end)
    # the lag of the slowest host: the task is over only when every host is
    return wall, (max(lags) if lags else None), proc.returncode, proc.stdout + proc.stderr


def describe(name: str, wall: float, lag: Optional[float], rc: int, output: str) -> str:
    if rc != 0:
        return f"{name:<28}: FAILED (rc={rc})\n{output[-2000:]}"
    lag_text = f"{lag:.3f} s after the last job ended" if lag is not None else "lag not measured"
    return f"{name:<28}: {wall:6.2f} s wall, waiting over {lag_text}"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--hosts", type=int, default=4)
    parser.add_argument("--jobs", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=1, help="best of N runs (miniplay)")
    parser.add_argument("--no-ansible", action="store_true")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="miniplay-bench-async-"))
    try:
        inventory = work / "hosts.ini"
        inventory.write_text("".join(f"h{n} ansible_connection=local ansible_python_interpreter={PYTHON}\n"
                                     for n in range(1, args.hosts + 1)))
        (work / "join.yml").write_text(JOIN.format(jobs=args.jobs))
        (work / "polled.yml").write_text(POLLED)
        env = dict(os.environ, ANSIBLE_NOCOLOR="1", ANSIBLE_PYTHON_INTERPRETER=PYTHON,
                   ANSIBLE_ASYNC_DIR=str(work / "jobs"), ANSIBLE_HOST_KEY_CHECKING="False",
                   ANSIBLE_FORKS=str(max(5, args.hosts)))
        env.pop("ANSIBLE_CONFIG", None)
        print(f"hosts: {args.hosts} (local connection), {args.jobs} jobs of 1 s per host in 'join'")
        engines = [("miniplay", [sys.executable, "-m", "miniplay", "run", "-i", str(inventory)], args.repeat)]
        if not args.no_ansible and os.path.exists(ANSIBLE):
            engines.append(("ansible-core", [ANSIBLE, "-i", str(inventory)], 1))
        elif not args.no_ansible:
            print(f"ansible-core not found at {ANSIBLE}: only miniplay is measured")
        for scenario in ("join", "polled"):
            for name, command, repeat in engines:
                runs = [run(command + [str(work / f"{scenario}.yml")], work, env) for _ in range(repeat)]
                wall, lag, rc, output = min(runs, key=lambda r: r[0])
                line = describe(f"{name}, {scenario}", wall, lag, rc, output)
                if name == "miniplay" and lag is not None and rc == 0:
                    line += "  (target < 0.3 s: " + ("met" if lag < 0.3 else "MISSED") + ")"
                print(line)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
