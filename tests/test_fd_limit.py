"""Open files: one controller descriptor per idle host, the soft limit raised toward the hard
limit at start, and a clear warning (with the numbers) before the play when even that is too low.

The mechanisms are proved with fewer hosts under lowered limits:
- 300 local hosts at `-f 20` under a hard limit of 512 (nothing to raise to): with the three
  descriptors per host a worker used to hold (stdin, stdout and stderr pipes) some 130 hosts
  would fail with "Too many open files"; with one per idle host every host runs;
- 300 hosts under a soft limit of 256 with a hard limit of 1024: only the raise lets them run;
- 400 hosts under 256/256: the warning, once.
"""
from __future__ import annotations

import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import write


def _run(tmp_path: Path, hosts: int, soft: int, hard: int) -> subprocess.CompletedProcess:
    write(tmp_path / "hosts.ini", f"h[001:{hosts}] ansible_connection=local ansible_python_interpreter={sys.executable}\n")
    write(tmp_path / "site.yml", """
        - hosts: all
          gather_facts: false
          tasks:
            - command: "true"
            - debug: msg=hi
            - ping:
        """)

    def lower_limit() -> None:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))

    env = {**os.environ, "PYTHONPATH": ""}
    return subprocess.run([sys.executable, "-m", "miniplay", "run", "-i", "hosts.ini", "site.yml", "-f", "20"],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=900, preexec_fn=lower_limit)


def _hard_limit() -> int:
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    return 1 << 20 if hard == resource.RLIM_INFINITY else hard


def _all_ok(result: subprocess.CompletedProcess, hosts: int) -> None:
    assert result.returncode == 0, result.stdout[-2000:]
    assert result.stdout.count(": ok=3    changed=1    unreachable=0    failed=0") == hosts
    assert "Too many open files" not in result.stdout and "open-files limit" not in result.stderr


def test_an_idle_host_holds_one_descriptor(tmp_path: Path) -> None:
    if _hard_limit() < 512:
        pytest.skip("this machine's hard open-files limit is below 512")
    _all_ok(_run(tmp_path, 300, 512, 512), 300)


def test_the_soft_limit_is_raised_so_every_host_runs(tmp_path: Path) -> None:
    if _hard_limit() < 1024:
        pytest.skip("this machine's hard open-files limit is below 1024")
    _all_ok(_run(tmp_path, 300, 256, 1024), 300)


def test_a_limit_too_low_is_announced_once_with_the_numbers(tmp_path: Path) -> None:
    result = _run(tmp_path, 400, 256, 256)
    assert result.stderr.count("The open-files limit is too low for this inventory") == 1
    assert f"400 hosts may need about {64 + 400} file descriptors (1 per host)" in result.stderr
    assert "the limit is 256 (hard limit 256)" in result.stderr
    assert "PLAY [all]" in result.stdout
    assert "a bug" not in result.stdout  # hosts past the limit fail with a plain reason
