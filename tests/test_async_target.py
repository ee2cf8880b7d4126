"""The target side of async jobs, called directly: launch, the supervisor, async_status.

These run the same code the worker runs on a host (`modules/_jobs.py`,
`modules/async_status.py`) in this process, so the process structure and the
job-file states can be checked precisely.
"""
from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from async_helpers import pid_alive, stop_jobs
from miniplay.modules import _jobs
from miniplay.modules.async_status import job_status


@pytest.fixture
def jobdir(tmp_path: Path):
    directory = tmp_path / "jobs"
    yield directory
    stop_jobs(directory)


def wait_final(path: Path, timeout: float = 5) -> dict:
    deadline = time.time() + timeout
    while time.time() < deadline:
        data = json.loads(path.read_text())
        if "started" not in data:
            return data
        time.sleep(0.02)
    raise AssertionError("no final result")


def stat_fields(pid: int) -> list[str]:
    with open(f"/proc/{pid}/stat") as handle:
        return handle.read().rsplit(")", 1)[1].split()


def test_launch_detaches_the_job_into_its_own_session_and_group(jobdir: Path) -> None:
    launch = _jobs.launch({"module": "command", "args": {"_raw_params": "sleep 0.6"}, "async": 5,
                           "async_dir": str(jobdir), "task": "t"}, None)
    assert set(launch) == {"failed", "started", "finished", "ansible_job_id", "results_file"}
    path = Path(launch["results_file"])
    meta = json.loads(path.read_text())["_miniplay"]
    supervisor, runner = meta["pid"], meta["child_pid"]
    sup, run = stat_fields(supervisor), stat_fields(runner)
    # fields: [state, ppid, pgrp, session, ...]
    assert int(sup[3]) != os.getsid(0), "the job runs in a new session"
    assert int(run[2]) == runner, "the runner leads its own process group"
    assert int(run[1]) == supervisor
    final = wait_final(path)
    assert final["rc"] == 0 and final["cmd"] == ["sleep", "0.6"]
    end = time.time() + 2
    while pid_alive(supervisor) and time.time() < end:
        time.sleep(0.02)
    assert not pid_alive(supervisor)


def test_a_job_whose_file_cannot_be_written_never_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    marker = tmp_path / "ran"
    # /proc/self is a directory nobody can create files in; pretend the access check passed.
    monkeypatch.setattr(_jobs.os, "access", lambda *a, **k: True)
    launch = _jobs.launch({"module": "command", "args": {"_raw_params": f"touch {marker}"}, "async": 5,
                           "async_dir": "/proc/self"}, None)
    assert launch["failed"] is True
    assert launch["msg"].startswith("could not start the async job: could not write the job file /proc/self/j")
    time.sleep(0.3)
    assert not marker.exists()


def test_bad_limits_are_refused() -> None:
    assert _jobs.launch({"module": "ping", "args": {}, "async": 0}, None)["failed"] is True
    assert "positive integer" in _jobs.launch({"module": "ping", "args": {}, "async": "x"}, None)["msg"]


def test_async_status_states(tmp_path: Path) -> None:
    directory = str(tmp_path)
    missing = job_status(directory, "j1.2")
    assert missing["failed"] is True and missing["msg"] == "could not find job"
    assert (missing["started"], missing["finished"]) == (True, True)
    (tmp_path / "j1.2").write_text("")
    assert (job_status(directory, "j1.2")["finished"], job_status(directory, "j1.2")["started"]) == (False, True)
    (tmp_path / "j1.2").write_text(json.dumps({"started": True, "finished": False, "ansible_job_id": "j1.2",
                                               "_miniplay": {"pid": 1}}))
    running = job_status(directory, "j1.2")
    assert "_miniplay" not in running and running["finished"] is False
    (tmp_path / "j1.2").write_text(json.dumps({"rc": 0, "stdout": "a\nb", "changed": True, "_miniplay": {}}))
    done = job_status(directory, "j1.2")
    assert done["finished"] is True and done["stdout_lines"] == ["a", "b"] and done["stderr_lines"] == []
    assert done["results_file"] == str(tmp_path / "j1.2") and "_miniplay" not in done
    cleaned = job_status(directory, "j1.2", "cleanup")
    assert cleaned["erased"] == str(tmp_path / "j1.2") and not (tmp_path / "j1.2").exists()
    assert (cleaned["started"], cleaned["finished"]) == (False, False)


def test_descendants_finds_grandchildren() -> None:
    import subprocess

    proc = subprocess.Popen(["sh", "-c", "sleep 5 & sleep 5; wait"])
    try:
        time.sleep(0.2)
        found = _jobs.descendants(os.getpid())
        assert proc.pid in found
        assert len([p for p in found if p != proc.pid and stat_fields(p)[1] == str(proc.pid)]) == 2
    finally:
        for pid in reversed(_jobs.descendants(proc.pid)):
            os.kill(pid, 9)
        proc.kill()
        proc.wait()
