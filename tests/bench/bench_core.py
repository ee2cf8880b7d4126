"""Benchmark: the local connection — per-task cost, a 200-task playbook vs ansible-core, start-up.

Interleaved rounds (miniplay light, miniplay mixed, miniplay empty, ansible-core mixed, ...),
medians reported:

* per-task ms   — (light playbook − empty playbook) / tasks: ping/debug/set_fact tasks, the
                  engine's own cost per task once start-up is taken away (goal <= 1 ms);
* 200 tasks     — the mixed playbook (command, ping, debug, set_fact, file), miniplay vs
                  ansible-core (goal >= 150x);
* empty wall    — `miniplay run` of a playbook with no tasks (goal <= 150 ms).

    python tests/bench/bench_core.py [--tasks 200] [--rounds 5] [--quick] [--no-ansible]
"""
from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import benchlib  # noqa: E402


def playbook(tasks: int, kinds: list[str]) -> str:
    lines = ["- hosts: localhost", "  gather_facts: false", "  tasks:" if tasks else "  tasks: []"]
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


def main() -> None:
    parser = benchlib.arguments(__doc__.split("\n\n")[0])
    parser.add_argument("--tasks", type=int, default=200)
    args = parser.parse_args()
    rounds = benchlib.rounds_of(args)
    work = Path(tempfile.mkdtemp(prefix="miniplay-bench-"))
    try:
        inventory = work / "inv.ini"
        inventory.write_text(f"localhost ansible_connection=local ansible_python_interpreter={benchlib.PYTHON}\n")
        for name, tasks, kinds in (("mixed", args.tasks, ["command", "ping", "debug", "set_fact", "file"]),
                                   ("light", args.tasks, ["ping", "debug", "set_fact"]), ("empty", 0, ["ping"])):
            (work / f"{name}.yml").write_text(playbook(tasks, kinds))
        env = benchlib.environment(ANSIBLE_NOCOLOR="1", ANSIBLE_PYTHON_INTERPRETER=benchlib.PYTHON)
        mini = benchlib.MINIPLAY + ["-i", str(inventory)]
        engines = {f"miniplay {name}": (lambda name=name: benchlib.wall(mini + [str(work / f"{name}.yml")], work, env))
                   for name in ("empty", "light", "mixed")}
        if args.before:
            old = benchlib.before_environment(env, args.before)
            engines.update({f"before {name}": (lambda name=name: benchlib.wall(mini + [str(work / f"{name}.yml")],
                                                                              work, old))
                            for name in ("empty", "light", "mixed")})
        if benchlib.have_ansible(args):
            engines["ansible-core mixed"] = lambda: benchlib.wall(
                [benchlib.ANSIBLE, "-i", str(inventory), str(work / "mixed.yml")], work, env)
        samples = benchlib.interleaved(engines, rounds)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    empty, light, mixed = (samples[f"miniplay {n}"] for n in ("empty", "light", "mixed"))
    per_task = (benchlib.median(light) - benchlib.median(empty)) / args.tasks * 1000
    ansible = samples.get("ansible-core mixed", [])
    rows = [["miniplay, empty playbook (wall)", benchlib.spread(empty), "goal <= 0.150 s"],
            [f"miniplay, {args.tasks} light tasks", benchlib.spread(light),
             f"{per_task:.2f} ms per task beyond start-up (goal <= 1 ms)"],
            [f"miniplay, {args.tasks} mixed tasks", benchlib.spread(mixed), ""],
            [f"ansible-core, {args.tasks} mixed tasks", benchlib.spread(ansible),
             f"ansible-core / miniplay = {benchlib.ratio(ansible, mixed)} (goal >= 150)"]]
    if args.before:
        old_empty, old_light, old_mixed = (samples[f"before {n}"] for n in ("empty", "light", "mixed"))
        old_per_task = (benchlib.median(old_light) - benchlib.median(old_empty)) / args.tasks * 1000
        rows[1:1] = [["before: empty playbook (wall)", benchlib.spread(old_empty), ""]]
        rows[3:3] = [[f"before: {args.tasks} light tasks", benchlib.spread(old_light), f"{old_per_task:.2f} ms per task"]]
        rows[5:5] = [[f"before: {args.tasks} mixed tasks", benchlib.spread(old_mixed),
                      f"ansible-core / before = {benchlib.ratio(ansible, old_mixed)}"]]
    print(benchlib.table(f"local connection, medians of {rounds} interleaved rounds (seconds)",
                         ["run", "median (min-max) s", "figure"], rows))


if __name__ == "__main__":
    main()
