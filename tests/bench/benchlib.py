"""What every benchmark here shares: interleaved rounds, medians, the load line, the table.

The machine these benches run on is shared, so a single timing means little. Each bench
runs its engines in turns (A, B, C, A, B, C, ...), so a burst of load hits every engine
alike, keeps every sample, and reports medians; the ratios between engines are the figures
to read. The 1, 5 and 15 minute load averages are printed with each table so a reader can
judge how quiet the machine was. Benchmarks print; they never assert a time.
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

ANSIBLE = os.environ.get("MINIPLAY_ANSIBLE_PLAYBOOK", "/opt/ansible-venv/bin/ansible-playbook")
PYTHON = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable
MINIPLAY = [sys.executable, "-m", "miniplay", "run"]


def arguments(description: str, rounds: int = 5, quick_rounds: int = 3) -> argparse.ArgumentParser:
    """A parser with the options every bench has: --rounds, --quick, --no-ansible."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--rounds", type=int, default=None,
                        help=f"interleaved rounds; the median is reported (default {rounds}, --quick {quick_rounds})")
    parser.add_argument("--quick", action="store_true", help="fewer rounds and sizes: a minute or two")
    parser.add_argument("--no-ansible", action="store_true", help="leave ansible-core out")
    parser.add_argument("--before", metavar="DIR", default=None,
                        help="also run the `miniplay` package in DIR (e.g. an older commit's engine/ exported "
                             "as DIR/miniplay), interleaved with the others: before/after in one table")
    parser.set_defaults(default_rounds=rounds, quick_rounds=quick_rounds)
    return parser


def rounds_of(args: argparse.Namespace) -> int:
    if args.rounds:
        return args.rounds
    return args.quick_rounds if args.quick else args.default_rounds


def have_ansible(args: argparse.Namespace) -> bool:
    if args.no_ansible:
        return False
    if not os.path.exists(ANSIBLE):
        print(f"ansible-core not found at {ANSIBLE}: its column is left out")
        return False
    return True


def environment(**extra: str) -> dict[str, str]:
    """This process's environment for the engines, minus PYTHONDONTWRITEBYTECODE.

    An installed miniplay (or ansible-core) has its bytecode cached; without the cache every
    run would compile the engine's source again (a third of a one-host run), which measures
    the sandbox, not the engine.
    """
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env.update(extra)
    return env


def before_environment(env: dict[str, str], directory: str) -> dict[str, str]:
    """`env` for running the `miniplay` package found in `directory` (an older version)."""
    return {**env, "PYTHONPATH": directory}


def load_line() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f} on {os.cpu_count()} cores"


def wall(command: Sequence[str], cwd: Path, env: dict[str, str]) -> float:
    """Seconds the command took; a failed run is reported on stderr (its time still counts)."""
    start = time.perf_counter()
    proc = subprocess.run(list(command), cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          check=False)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        sys.stderr.write(f"FAILED (rc {proc.returncode}): {' '.join(command)}\n"
                         f"{proc.stdout.decode(errors='replace')[-2000:]}\n")
    return elapsed


def interleaved(engines: dict[str, Callable[[], float]], rounds: int) -> dict[str, list[float]]:
    """Run every engine once per round, in turn; each callable returns one sample (seconds)."""
    samples: dict[str, list[float]] = {name: [] for name in engines}
    for _ in range(rounds):
        for name, measure in engines.items():
            samples[name].append(measure())
    return samples


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


def spread(values: Sequence[float]) -> str:
    """`median (min–max)`, for a sample list."""
    if not values:
        return "-"
    return f"{median(values):.3f} ({min(values):.3f}-{max(values):.3f})"


def table(title: str, header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A Markdown table headed by its title and the load average now."""
    lines = [f"### {title}", f"_{load_line()}_", "", "| " + " | ".join(header) + " |",
             "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def ratio(numerator: Sequence[float], denominator: Sequence[float]) -> str:
    """The ratio of two medians, e.g. '0.84'."""
    if not numerator or not denominator:
        return "-"
    return f"{median(numerator) / median(denominator):.2f}"
