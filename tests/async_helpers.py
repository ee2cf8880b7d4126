"""Shared pieces of the async tests: a local inventory, timed CLI runs, process cleanup.

Every run gets its own job directory (ANSIBLE_ASYNC_DIR), so tests never read or
clean the developer's real ~/.ansible_async, and every process a test starts is
ended by PID when the test is over.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

from helpers import CliRun, miniplay, write

PYTHON = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable


def inventory(path: Path, hosts: tuple[str, ...] = ("localhost",)) -> Path:
    lines = [f"{h} ansible_connection=local ansible_python_interpreter={PYTHON}" for h in hosts]
    return write(path, "\n".join(lines) + "\n")


def env_for(async_dir: Path, **extra: str) -> dict[str, str]:
    return {"ANSIBLE_ASYNC_DIR": str(async_dir), **extra}


def run_playbook(tmp_path: Path, text: str, *args: str, hosts: tuple[str, ...] = ("localhost",),
                 async_dir: Optional[Path] = None, env: Optional[dict[str, str]] = None) -> CliRun:
    """Write `text` as a playbook and run it with a local inventory through the real CLI."""
    playbook = write(tmp_path / "site.yml", text)
    inv = inventory(tmp_path / "hosts.ini", hosts)
    full_env = env_for(async_dir or tmp_path / "async")
    full_env.update(env or {})
    return miniplay("run", "-i", str(inv), str(playbook), *args, cwd=tmp_path, env=full_env)


@dataclass
class TimedRun:
    """A CLI run whose stdout lines carry the wall-clock time they were printed."""

    rc: int
    lines: list[tuple[float, str]] = field(default_factory=list)
    stderr: str = ""
    started: float = 0.0

    @property
    def stdout(self) -> str:
        return "\n".join(line for _, line in self.lines) + "\n"

    def times(self, prefix: str) -> list[float]:
        return [t for t, line in self.lines if line.startswith(prefix)]

    def debug_values(self) -> dict[str, object]:
        return CliRun(self.rc, self.stdout, self.stderr).debug_values()


def timed_miniplay(*args: str, cwd: Path, env: dict[str, str], timeout: float = 60) -> TimedRun:
    full_env = dict(os.environ)
    full_env.pop("ANSIBLE_CONFIG", None)
    full_env["PYTHONPATH"] = ""
    full_env.update(env)
    started = time.time()
    proc = subprocess.Popen([sys.executable, "-m", "miniplay", *args], cwd=cwd, env=full_env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, bufsize=1)
    run = TimedRun(rc=-1, started=started)
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            run.lines.append((time.time(), line.rstrip("\n")))
        run.stderr = proc.stderr.read() if proc.stderr else ""
        run.rc = proc.wait(timeout=timeout)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return run


def job_files(async_dir: Path) -> list[Path]:
    if not async_dir.is_dir():
        return []
    return sorted(p for p in async_dir.iterdir() if not p.name.startswith("."))


def read_job(path: Path) -> dict:
    return json.loads(path.read_text())


def pid_alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as handle:
            state = handle.read().rsplit(")", 1)[1].split()[0]
        return state not in ("Z", "X")
    except (OSError, IndexError):
        return False


def stop_pids(pids: list[int]) -> list[int]:
    """SIGKILL whatever is still alive among `pids`; return the ones that were."""
    alive = [pid for pid in pids if pid_alive(pid)]
    for pid in alive:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
    return alive


def _start_ticks(pid: int) -> Optional[int]:
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return int(handle.read().rsplit(")", 1)[1].split()[19])
    except (OSError, IndexError, ValueError):
        return None


def stop_jobs(async_dir: Path) -> None:
    """End every job supervisor still running for this directory (each kills its job's processes).

    A supervisor is recognised by its pid *and* its start time, so a reused pid is never touched.
    """
    supervisors = []
    for path in job_files(async_dir):
        try:
            meta = read_job(path).get("_miniplay") or {}
        except (OSError, ValueError):
            continue
        pid = meta.get("pid")
        if pid and "end" not in meta and _start_ticks(pid) == meta.get("pid_start"):
            supervisors.append(pid)
            try:
                os.kill(pid, signal.SIGTERM)
            except OSError:
                pass
    deadline = time.time() + 3
    for pid in supervisors:
        while pid_alive(pid) and time.time() < deadline:
            time.sleep(0.05)
    stop_pids(supervisors)
