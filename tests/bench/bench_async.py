"""Benchmark: how long after an async job ends does the task waiting for it end (local connection).

Scenarios, each on every host of a small local inventory (h1..hN, all this machine):

* join D — `poll: 0` jobs of 1 s (one looped task), then one looped `async_status` join with
           `until: joined is finished`, `retries: 100`, `delay: D` (D = 0.5 and 30);
* polled — one `command: sleep 1` with `async: 10, poll: 1`.

The *lag* is the time from the end of the last job (the job's own `end` stamp) to the moment
the waiting task is over, read by a `debug` of `now()` right after it (so the lag includes one
controller-side task). Engines are interleaved round after round; medians are printed.
Goal (issue 15): the join ends <= 50 ms after the job, whatever its delay.

    python tests/bench/bench_async.py [--hosts 2] [--jobs 3] [--rounds 5] [--quick] [--no-ansible]
"""
from __future__ import annotations

import datetime
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import benchlib  # noqa: E402

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
      retries: 100
      delay: {delay}
    - debug:
        msg: "LAST_END {{{{ joined.results | map(attribute='end') | max }}}} AFTER {{{{ now().timestamp() }}}}"
    - async_status:
        jid: "{{{{ item.ansible_job_id }}}}"
        mode: cleanup
      loop: "{{{{ jobs.results }}}}"
      loop_control:
        label: "{{{{ item.item }}}}"
"""

# The first task renders a template so that the lag measures the wait, not Jinja2's first load
# (miniplay loads it on the first template; the join scenario has templates before its end).
POLLED = """
- hosts: all
  gather_facts: false
  tasks:
    - debug:
        msg: "{{ 'templates ready' }}"
    - name: One polled job of 1 s
      command: sleep 1
      async: 10
      poll: 1
      register: polled
    - debug:
        msg: "LAST_END {{ polled.end }} AFTER {{ now().timestamp() }}"
"""


def lag(command: list[str], cwd: Path, env: dict[str, str]) -> float:
    """Seconds from the last job's end to the end of the waiting task, slowest host (nan on failure)."""
    proc = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    lags = []
    for end_text, after in MARK.findall(proc.stdout):
        end = datetime.datetime.strptime(end_text, "%Y-%m-%d %H:%M:%S.%f").timestamp()
        lags.append(float(after) - end)
    if proc.returncode != 0 or not lags:
        sys.stderr.write(f"FAILED (rc {proc.returncode}): {' '.join(command)}\n{(proc.stdout + proc.stderr)[-2000:]}\n")
        return float("nan")
    return max(lags)


def main() -> None:
    parser = benchlib.arguments(__doc__.split("\n\n")[0])
    parser.add_argument("--hosts", type=int, default=2)
    parser.add_argument("--jobs", type=int, default=3)
    parser.add_argument("--delays", default="0.5,30", help="join delays to measure (comma-separated)")
    args = parser.parse_args()
    rounds = benchlib.rounds_of(args)
    work = Path(tempfile.mkdtemp(prefix="miniplay-bench-async-"))
    try:
        inventory = work / "hosts.ini"
        inventory.write_text("".join(f"h{n} ansible_connection=local ansible_python_interpreter={benchlib.PYTHON}\n"
                                     for n in range(1, args.hosts + 1)))
        scenarios = []
        for delay in [d.strip() for d in args.delays.split(",") if d.strip()]:
            (work / f"join-{delay}.yml").write_text(JOIN.format(jobs=args.jobs, delay=delay))
            scenarios.append((f"join, delay {delay}", f"join-{delay}.yml"))
        (work / "polled.yml").write_text(POLLED)
        scenarios.append(("polled, poll 1", "polled.yml"))
        env = benchlib.environment(ANSIBLE_NOCOLOR="1", ANSIBLE_PYTHON_INTERPRETER=benchlib.PYTHON,
                   ANSIBLE_ASYNC_DIR=str(work / "jobs"), ANSIBLE_FORKS=str(max(5, args.hosts)))
        env.pop("ANSIBLE_CONFIG", None)
        engines = {"miniplay": (benchlib.MINIPLAY + ["-i", str(inventory)], env)}
        if args.before:
            engines["miniplay-before"] = (benchlib.MINIPLAY + ["-i", str(inventory)],
                                          benchlib.before_environment(env, args.before))
        if benchlib.have_ansible(args):
            engines["ansible-core"] = ([benchlib.ANSIBLE, "-i", str(inventory)], env)
        measures = {(scenario, engine): (lambda c=command + [str(work / name)], e=engine_env: lag(c, work, e))
                    for scenario, name in scenarios for engine, (command, engine_env) in engines.items()}
        samples = benchlib.interleaved(measures, rounds)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    rows = [[scenario] + [benchlib.spread(samples[(scenario, engine)]) for engine in engines]
            for scenario, _ in scenarios]
    print(benchlib.table(f"lag after the job ends (s), {args.hosts} local hosts x {args.jobs} jobs of 1 s, "
                         f"medians of {rounds} interleaved rounds", ["waiting task", *engines], rows))
    print("goal: miniplay's join lag <= 0.050 s whatever the delay")


if __name__ == "__main__":
    main()
