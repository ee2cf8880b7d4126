"""The open-files limit: raised toward the hard limit at start, and a clear warning (with the
numbers) before the play when even that is too low for the inventory.

The mechanism is proved with fewer hosts under a lowered limit: 150 local hosts hold more
descriptors than a soft limit of 256 allows, so without the raise some hosts would fail with
"Too many open files".
"""
from __future__ import annotations

import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import write

HOSTS = 150


def _run(tmp_path: Path, soft: int, hard: int) -> subprocess.CompletedProcess:
    write(tmp_path / "hosts.ini", f"h[001:{HOSTS}] ansible_connection=local ansible_python_interpreter={sys.executable}\n")
    write(tmp_path / "site.yml", """
        - hosts: all
          gather_facts: false
          tasks:
            - command: "true"
            - debug: msg=hi
        """)

    def lower_limit() -> None:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))

    env = {**os.environ, "PYTHONPATH": ""}
    return subprocess.run([sys.executable, "-m", "miniplay", "run", "-i", "hosts.ini", "site.yml", "-f", "20"],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600, preexec_fn=lower_limit)


def _hard_limit() -> int:
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    return 1 << 20 if hard == resource.RLIM_INFINITY else hard


def test_the_soft_limit_is_raised_so_every_host_runs(tmp_path: Path) -> None:
    if _hard_limit() < 1024:
        pytest.skip("this machine's hard open-files limit is below 1024")
    result = _run(tmp_path, 256, 1024)
    assert result.returncode == 0, result.stdout[-2000:]
    assert f"h{HOSTS:03d}                       : ok=2" in result.stdout
    assert "Too many open files" not in result.stdout and "open-files limit" not in result.stderr


def test_a_limit_too_low_is_announced_once_with_the_numbers(tmp_path: Path) -> None:
    result = _run(tmp_path, 256, 256)
    assert result.stderr.count("The open-files limit is too low for this inventory") == 1
    assert f"{HOSTS} hosts may need about {64 + 3 * HOSTS} file descriptors" in result.stderr
    assert "the limit is 256 (hard limit 256)" in result.stderr
    assert result.stderr.index("open-files limit") < len(result.stderr) and "PLAY [all]" in result.stdout
    assert "a bug" not in result.stdout  # hosts past the limit fail with a plain reason
