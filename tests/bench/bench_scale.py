"""Benchmark: many local inventory hosts — wall time, controller memory and descriptors, worker memory.

Runs the same 10-task playbook over 100 and over 1,000 local inventory hosts at `-f 50`
(sizes interleaved: small, large, small, large, ...) and prints medians of:

- wall time, and the ratio large / (large/small × small): 1.0 means the cost per host does
  not grow with the inventory (the goal is ≤ 1.2);
- the controller's peak RSS and peak open descriptors (sampled from /proc every 50 ms),
  and descriptors per host (peak minus an empty run's, divided by the hosts);
- the workers' memory (median and maximum over every worker seen: processes whose command
  line holds the worker bootstrap): RSS, and PSS and private memory from smaps_rollup. RSS
  counts the interpreter's shared library pages (libpython, libc: ~10 MB on Debian's 3.11)
  in full for every worker; PSS shares them out, and private memory is what one more host
  really adds;
- failures (hosts not ok at the end).

The load average is printed with each table, since the machine may be shared.

    python tests/bench/bench_scale.py [--small 100] [--large 1000] [--forks 50] [--repeat 3] [--quick]

`--quick` runs 20 and 200 hosts once each.
"""
from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

PYTHON = sys.executable
WORKER_MARK = b"__miniplay_worker__"

TASKS = """
- hosts: all
  gather_facts: false
  tasks:
    - ping:
    - command: "true"
    - debug: msg="{{ inventory_hostname }}"
    - set_fact: n="{{ inventory_hostname | length }}"
    - stat: path=/
    - file: path={{ work }}/{{ inventory_hostname }} state=touch
    - copy: content="{{ n }}" dest={{ work }}/{{ inventory_hostname }}.txt
    - shell: echo {{ n }}
    - assert: {that: "n | int > 0"}
    - ping:
"""


@dataclass
class Sample:
    wall: float = 0.0
    controller_rss_kb: int = 0
    controller_fds: int = 0
    worker_rss_kb: dict[int, int] = field(default_factory=dict)
    worker_pss_kb: dict[int, int] = field(default_factory=dict)
    worker_private_kb: dict[int, int] = field(default_factory=dict)
    failures: int = -1
    rc: int = -1


def _status_kb(pid: int, key: str) -> int:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii", errors="replace") as handle:
            for line in handle:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def _rollup_kb(pid: int) -> tuple[int, int]:
    """(PSS, private) of a process in kB, from /proc/PID/smaps_rollup (0, 0 if it is gone)."""
    values: dict[str, int] = {}
    try:
        with open(f"/proc/{pid}/smaps_rollup", encoding="ascii", errors="replace") as handle:
            for line in handle:
                key, _, rest = line.partition(":")
                if key in ("Pss", "Private_Clean", "Private_Dirty"):
                    values[key] = int(rest.split()[0])
    except (OSError, ValueError, IndexError):
        return 0, 0
    return values.get("Pss", 0), values.get("Private_Clean", 0) + values.get("Private_Dirty", 0)


def _fd_count(pid: int) -> int:
    try:
        return len(os.listdir(f"/proc/{pid}/fd"))
    except OSError:
        return 0


def _workers() -> list[int]:
    found = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/cmdline", "rb") as handle:
                if WORKER_MARK in handle.read():
                    found.append(int(name))
        except OSError:
            continue
    return found


def _watch(pid: int, sample: Sample, done: threading.Event) -> None:
    """Sample the controller every 50 ms and the workers every 0.5 s until the run ends."""
    last_workers = 0.0
    while not done.is_set():
        sample.controller_rss_kb = max(sample.controller_rss_kb, _status_kb(pid, "VmRSS"))
        sample.controller_fds = max(sample.controller_fds, _fd_count(pid))
        now = time.monotonic()
        if now - last_workers > 0.5:
            last_workers = now
            for worker in _workers():
                rss = _status_kb(worker, "VmRSS")
                if rss:
                    sample.worker_rss_kb[worker] = max(sample.worker_rss_kb.get(worker, 0), rss)
                    pss, private = _rollup_kb(worker)
                    sample.worker_pss_kb[worker] = max(sample.worker_pss_kb.get(worker, 0), pss)
                    sample.worker_private_kb[worker] = max(sample.worker_private_kb.get(worker, 0), private)
        done.wait(0.05)


def run_once(work: Path, hosts: int, forks: int, playbook: str = "site.yml") -> Sample:
    inventory = work / f"hosts{hosts}.ini"
    if not inventory.exists():
        inventory.write_text(f"[all:vars]\nansible_connection=local\nansible_python_interpreter={PYTHON}\n"
                             f"work={work}/files\n[all]\nh[0001:{hosts:04d}]\n")
    sample = Sample()
    done = threading.Event()
    start = time.perf_counter()
    process = subprocess.Popen([PYTHON, "-m", "miniplay", "run", "-i", str(inventory), playbook, "-f", str(forks)],
                               cwd=work, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    watcher = threading.Thread(target=_watch, args=(process.pid, sample, done), daemon=True)
    watcher.start()
    out, _ = process.communicate()
    sample.wall = time.perf_counter() - start
    done.set()
    watcher.join()
    sample.rc = process.returncode
    recap = re.findall(rb"^h\d+\s+: ok=(\d+)\s+changed=\d+\s+unreachable=(\d+)\s+failed=(\d+)", out, re.M)
    sample.failures = hosts - len(recap) + sum(1 for _, unreachable, failed in recap
                                               if int(unreachable) or int(failed))
    return sample


def _load() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def report(hosts: int, samples: list[Sample], empty_fds: int) -> dict[str, float]:
    workers = [rss for sample in samples for rss in sample.worker_rss_kb.values()]
    pss = [kb for sample in samples for kb in sample.worker_pss_kb.values() if kb]
    private = [kb for sample in samples for kb in sample.worker_private_kb.values() if kb]
    figures = {
        "wall": statistics.median(sample.wall for sample in samples),
        "controller_mb": statistics.median(sample.controller_rss_kb for sample in samples) / 1024,
        "fds": statistics.median(sample.controller_fds for sample in samples),
        "worker_mb": statistics.median(workers) / 1024 if workers else 0.0,
        "worker_max_mb": max(workers) / 1024 if workers else 0.0,
        "worker_pss_mb": statistics.median(pss) / 1024 if pss else 0.0,
        "worker_private_mb": statistics.median(private) / 1024 if private else 0.0,
        "failures": max(sample.failures for sample in samples),
    }
    per_host = (figures["fds"] - empty_fds) / hosts
    print(f"{hosts:>6} hosts | wall {figures['wall']:7.2f} s | controller {figures['controller_mb']:6.1f} MB, "
          f"{figures['fds']:5.0f} fds ({per_host:.2f}/host) | worker RSS median {figures['worker_mb']:.1f} MB, "
          f"max {figures['worker_max_mb']:.1f} MB, PSS median {figures['worker_pss_mb']:.1f} MB, private median "
          f"{figures['worker_private_mb']:.1f} MB | failures {figures['failures']} | rc "
          f"{sorted({sample.rc for sample in samples})}")
    return figures


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--small", type=int, default=100)
    parser.add_argument("--large", type=int, default=1000)
    parser.add_argument("--forks", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="20 and 200 hosts, once each")
    args = parser.parse_args()
    if args.quick:
        args.small, args.large, args.repeat = 20, 200, 1
    work = Path(tempfile.mkdtemp(prefix="miniplay-scale-"))
    (work / "files").mkdir()
    (work / "site.yml").write_text(TASKS)
    (work / "empty.yml").write_text("- hosts: all\n  gather_facts: false\n  tasks: []\n")
    empty_fds = run_once(work, 1, args.forks, "empty.yml").controller_fds
    print(f"load average before: {_load()}  (python {sys.version.split()[0]}, {os.cpu_count()} cpus, "
          f"-f {args.forks}, {args.repeat} runs each, interleaved)")
    small: list[Sample] = []
    large: list[Sample] = []
    for _ in range(args.repeat):
        small.append(run_once(work, args.small, args.forks))
        large.append(run_once(work, args.large, args.forks))
    low = report(args.small, small, empty_fds)
    high = report(args.large, large, empty_fds)
    scale = args.large / args.small
    print(f"wall {args.large} / ({scale:g} x {args.small}) = {high['wall'] / (scale * low['wall']):.2f}  "
          f"(goal <= 1.2)")
    print(f"load average after: {_load()}")


if __name__ == "__main__":
    main()
