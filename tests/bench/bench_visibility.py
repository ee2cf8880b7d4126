"""Benchmark: the cost of seeing what a run does.

Prints:
* plan: load, graph and check times for a 1,000-task playbook (target: graph + check < 1 s);
* events: wall time of a run without and with `--events` (and `--trace`), best of N, and the
  overhead in percent (target: < 5 %); plus the writer's own cost per event, measured in
  process on the run's real events, as a share of the run's time (noise-free figure).

    python tests/bench/bench_visibility.py [--tasks 1000] [--run-tasks 300] [--hosts 3] [--repeat 9]
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))


def plan_figures(tasks: int) -> None:
    from generated_playbooks import big_playbook  # the same playbook the graph test plans

    from miniplay.planning.export import to_mermaid
    from miniplay.planning.graph import build_plan, load_for_plan
    from miniplay.planning.plancheck import check_plan

    work = Path(tempfile.mkdtemp(prefix="miniplay-bench-plan-"))
    book = work / "big.yml"
    big_playbook(book, tasks)
    t0 = time.perf_counter()
    playbook = load_for_plan(str(book))
    t1 = time.perf_counter()
    plan = build_plan(playbook, [",".join(f"h{n}" for n in range(20))])
    t2 = time.perf_counter()
    findings = check_plan(plan)
    t3 = time.perf_counter()
    to_mermaid(plan)
    t4 = time.perf_counter()
    nodes = sum(1 for _ in plan.groups[0].task_nodes())
    print(f"plan: {tasks} tasks ({nodes} task nodes, 20 hosts): load {t1 - t0:.3f} s, graph {t2 - t1:.3f} s, "
          f"check {t3 - t2:.3f} s ({len(findings)} findings), mermaid {t4 - t3:.3f} s; "
          f"graph + check {t3 - t1:.3f} s (target < 1 s)")


def run_playbook_text(tasks: int) -> str:
    lines = ["- hosts: all", "  gather_facts: false", "  vars:", "    ansible_connection: local", "  tasks:"]
    for n in range(tasks):
        lines.append([f"    - command: echo {n}", "    - ping:", f"    - debug: msg='task {n} {{{{ inventory_hostname }}}}'",
                      f"    - set_fact: v{n}={n}", f"    - debug: msg=x\n      when: v{n - 1 if n else 0} is defined"][n % 5])
    return "\n".join(lines) + "\n"


def measure(command: list[str], cwd: Path) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the run and every process it started)."""
    env = dict(os.environ, PYTHONPATH="")
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(command, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    took = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise SystemExit(f"run failed: {' '.join(command)}\n{proc.stderr}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return took, cpu


def event_figures(tasks: int, hosts: int, repeat: int) -> None:
    work = Path(tempfile.mkdtemp(prefix="miniplay-bench-events-"))
    book = work / "run.yml"
    book.write_text(run_playbook_text(tasks))
    inventory = ",".join(f"h{n}" for n in range(hosts))
    base = [sys.executable, "-m", "miniplay", "run", str(book), "-i", inventory]
    variants = {"plain": base, "--events": base + ["--events", str(work / "ev.jsonl")],
                "--events --trace": base + ["--events", str(work / "ev.jsonl"), "--trace", str(work / "tr.json")]}
    measure(base, work)  # warm the file cache
    walls: dict[str, list[float]] = {name: [] for name in variants}
    cpus: dict[str, list[float]] = {name: [] for name in variants}
    for _ in range(repeat):  # interleaved, so drift hits every variant alike
        for name, command in variants.items():
            took, cpu = measure(command, work)
            walls[name].append(took)
            cpus[name].append(cpu)
    best = {name: min(values) for name, values in walls.items()}
    best_cpu = {name: min(values) for name, values in cpus.items()}
    print(f"events: {tasks} tasks × {hosts} hosts, best of {repeat} (wall time is noisy on a busy machine; "
          "CPU time, the run's and its workers', is the steadier figure):")
    for name in variants:
        line = f"  {name:<18} wall {best[name]:.3f} s, CPU {best_cpu[name]:.3f} s"
        if name != "plain":
            line += (f"  ({(best[name] / best['plain'] - 1) * 100:+.1f} % wall, "
                     f"{(best_cpu[name] / best_cpu['plain'] - 1) * 100:+.1f} % CPU vs plain)")
        print(line)

    # the writer's own cost, on the run's real events, without process start-up or scheduling noise
    from miniplay.core.events import LoggedEvent
    from miniplay.core.model import Task
    from miniplay.core.errors import Location
    from miniplay.views.jsonlog import JsonLogWriter

    records = [json.loads(line) for line in (work / "ev.jsonl").read_text().splitlines()[1:]]
    task = Task(action="debug", module="debug", args={}, location=Location(str(book), 3, 7), name="x")
    events = [LoggedEvent(kind=r["kind"], time=r["time"], host=r["host"], task=task if r["task"] else None,
                          payload=r["data"]) for r in records]
    writer = JsonLogWriter(str(work / "again.jsonl"))
    start = time.perf_counter()
    for event in events:
        writer(event)
    writer.close()
    cost = time.perf_counter() - start
    share = cost / best["plain"] * 100
    print(f"  writer alone: {len(events)} events in {cost * 1000:.1f} ms ({cost / len(events) * 1e6:.1f} µs an "
          f"event) = {share:.2f} % of the plain run (target < 5 %)")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tasks", type=int, default=1000, help="tasks in the planned playbook")
    parser.add_argument("--run-tasks", type=int, default=300, help="tasks in the playbook that is run")
    parser.add_argument("--hosts", type=int, default=3)
    parser.add_argument("--repeat", type=int, default=9)
    args = parser.parse_args()
    plan_figures(args.tasks)
    event_figures(args.run_tasks, args.hosts, args.repeat)


if __name__ == "__main__":
    main()
