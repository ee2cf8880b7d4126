"""`miniplay adhoc` (Ansible's `ansible`, minimal output, -B/-P) and `miniplay jobs`."""
from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest

from async_helpers import inventory, job_files, pid_alive, read_job, stop_jobs, stop_pids
from helpers import CliRun, miniplay


@pytest.fixture
def async_dir(tmp_path: Path):
    directory = tmp_path / "async"
    yield directory
    stop_jobs(directory)


def adhoc(tmp_path: Path, async_dir: Path, *args: str, hosts: tuple[str, ...] = ("localhost",)) -> CliRun:
    inv = inventory(tmp_path / "hosts.ini", hosts)
    return miniplay("adhoc", *args, "-i", str(inv), cwd=tmp_path, env={"ANSIBLE_ASYNC_DIR": str(async_dir)})


def jobs(tmp_path: Path, async_dir: Path, *args: str) -> CliRun:
    inv = inventory(tmp_path / "hosts.ini")
    return miniplay("jobs", *args, "-i", str(inv), cwd=tmp_path, env={"ANSIBLE_ASYNC_DIR": str(async_dir)})


def block(stdout: str, header: str) -> dict:
    """The JSON after `header => ` in minimal output."""
    start = stdout.index(header + " => {")
    text = stdout[start + len(header) + 4:]
    end = text.index("\n}\n") + 2
    return json.loads(text[:end])


def jid_of(stdout: str) -> str:
    match = re.search(r'"ansible_job_id": "(j\d+\.\d+)"', stdout)
    assert match, stdout
    return match.group(1)


# =========================================================================== adhoc
def test_adhoc_minimal_output(tmp_path: Path, async_dir: Path) -> None:
    ok = adhoc(tmp_path, async_dir, "localhost", "-a", "echo hello")
    assert (ok.rc, ok.stdout) == (0, "localhost | CHANGED | rc=0 >>\nhello\n")
    ping = adhoc(tmp_path, async_dir, "all", "-m", "ping")
    assert (ping.rc, ping.stdout) == (0, 'localhost | SUCCESS => {\n    "changed": false,\n    "ping": "pong"\n}\n')
    bad = adhoc(tmp_path, async_dir, "localhost", "-a", "sh -c 'echo out; echo err >&2; exit 1'")
    assert bad.rc == 2
    assert bad.stdout.endswith("localhost | FAILED | rc=1 >>\nouterrnon-zero return code\n")
    assert bad.stdout.startswith("[ERROR]: Task failed: Module failed: non-zero return code\n"
                                 "Origin: <adhoc 'command' task>\n\n{'action': 'command'")
    one = adhoc(tmp_path, async_dir, "localhost", "-o", "-a", "printf 'a\\nb'")
    assert one.stdout == "localhost | CHANGED | rc=0 | (stdout) a\\nb\n"
    none = adhoc(tmp_path, async_dir, "localhost", "-m", "command")
    assert none.rc == 5 and "No argument passed to command module" in none.stderr


def test_adhoc_background_poll_and_async_status(tmp_path: Path, async_dir: Path) -> None:
    polled = adhoc(tmp_path, async_dir, "localhost", "-B", "10", "-P", "1", "-a", "sleep 1.2")
    assert polled.rc == 0, polled.stdout + polled.stderr
    assert "ASYNC" not in polled.stdout, "the minimal output has no ASYNC lines"
    result = block(polled.stdout, "localhost | CHANGED")
    assert result["finished"] is True and result["cmd"] == ["sleep", "1.2"] and result["started"] is True
    assert job_files(async_dir) == []

    started = adhoc(tmp_path, async_dir, "localhost", "-B", "30", "-P", "0", "-a", "sleep 1")
    launch = block(started.stdout, "localhost | CHANGED")
    jid = launch["ansible_job_id"]
    assert launch == {"ansible_job_id": jid, "changed": True, "finished": False,
                      "results_file": str(async_dir / jid), "started": True}
    running = adhoc(tmp_path, async_dir, "localhost", "-m", "async_status", "-a", f"jid={jid}")
    assert running.rc == 0 and block(running.stdout, "localhost | SUCCESS")["finished"] is False
    time.sleep(1.2)
    done = adhoc(tmp_path, async_dir, "localhost", "-m", "async_status", "-a", f"jid={jid}")
    finished = block(done.stdout, "localhost | CHANGED")
    assert finished["finished"] is True and finished["rc"] == 0
    cleaned = adhoc(tmp_path, async_dir, "localhost", "-m", "async_status", "-a", f"jid={jid} mode=cleanup")
    assert block(cleaned.stdout, "localhost | SUCCESS")["erased"] == str(async_dir / jid)
    missing = adhoc(tmp_path, async_dir, "localhost", "-m", "async_status", "-a", f"jid={jid}")
    assert missing.rc == 2
    assert block(missing.stdout, "localhost | FAILED!")["msg"] == "could not find job"


def test_adhoc_refuses_background_for_actions_that_cannot(tmp_path: Path, async_dir: Path) -> None:
    result = adhoc(tmp_path, async_dir, "localhost", "-m", "debug", "-a", "msg=hi", "-B", "5")
    assert result.rc == 2
    assert "[ERROR]: Task failed: This action (debug) does not support async." in result.stdout
    assert block(result.stdout, "localhost | FAILED!") == {"changed": False,
                                                           "msg": "This action (debug) does not support async."}
    assert not async_dir.exists()


def test_adhoc_launches_on_every_host_before_polling(tmp_path: Path, async_dir: Path) -> None:
    began = time.time()
    result = adhoc(tmp_path, async_dir, "all", "-f", "1", "-B", "10", "-P", "1", "-a", "sleep 1.2",
                   hosts=("h1", "h2", "h3"))
    elapsed = time.time() - began
    assert result.rc == 0, result.stdout + result.stderr
    assert sorted(re.findall(r"^(h\d) \| CHANGED", result.stdout, re.M)) == ["h1", "h2", "h3"]
    assert elapsed < 3.4, f"three 1.2 s jobs with -f 1 must overlap (took {elapsed:.1f}s)"


# =========================================================================== jobs
def test_jobs_list_status_wait_kill_clean(tmp_path: Path, async_dir: Path) -> None:
    long = jid_of(adhoc(tmp_path, async_dir, "localhost", "-B", "60", "-P", "0", "-a",
                        "sh -c 'sleep 40 & setsid sleep 41 & sleep 42'").stdout)
    quick = jid_of(adhoc(tmp_path, async_dir, "localhost", "-B", "60", "-P", "0", "-a", "echo quick").stdout)
    failing = jid_of(adhoc(tmp_path, async_dir, "localhost", "-B", "60", "-P", "0", "-a", "sleep 0.5 /nope").stdout)

    waited = jobs(tmp_path, async_dir, "wait", quick)
    assert waited.rc == 0 and block(waited.stdout, "localhost | CHANGED")["stdout"] == "quick"
    waited = jobs(tmp_path, async_dir, "wait", failing, "--max-wait", "10")
    assert waited.rc == 2 and block(waited.stdout, "localhost | FAILED")["rc"] == 1

    listing = jobs(tmp_path, async_dir, "list")
    assert listing.rc == 0
    header = listing.lines()[0].split()
    assert header == ["HOST", "JID", "STATE", "STARTED", "ELAPSED", "LIMIT", "TASK", "COMMAND"]
    rows = {line.split()[1]: line for line in listing.lines()[1:]}
    assert rows[long].split()[2] == "running" and rows[long].endswith("sh -c 'sleep 40 & setsid sleep 41 & sleep 42'")
    assert rows[quick].split()[2] == "changed" and rows[failing].split()[2] == "failed"
    as_json = json.loads(jobs(tmp_path, async_dir, "list", "--json").stdout)
    assert {j["jid"]: j["state"] for j in as_json} == {long: "running", quick: "changed", failing: "failed"}

    status = jobs(tmp_path, async_dir, "status", long)
    assert status.rc == 0 and block(status.stdout, "localhost | RUNNING")["finished"] is False
    unknown = jobs(tmp_path, async_dir, "status", "j1.1")
    assert unknown.rc == 1 and "could not find job j1.1" in unknown.stderr

    meta = read_job(async_dir / long)["_miniplay"]
    killed = jobs(tmp_path, async_dir, "kill", long)
    assert killed.rc == 0 and killed.stdout == f"localhost | KILLED | jid={long}\n"
    assert not pid_alive(meta["pid"]) and not pid_alive(meta["child_pid"])
    after = jobs(tmp_path, async_dir, "status", long)
    assert after.rc == 2 and block(after.stdout, "localhost | KILLED")["msg"] == "Job killed by 'miniplay jobs kill'"

    kept = jobs(tmp_path, async_dir, "clean", "--older-than", "1h")
    assert kept.stdout == "localhost | removed 0 job files\n"
    cleaned = jobs(tmp_path, async_dir, "clean")
    assert cleaned.lines()[0] == "localhost | removed 3 job files"
    assert job_files(async_dir) == []
    assert jobs(tmp_path, async_dir, "list").stdout == "No async jobs found.\n"


def test_jobs_clean_keeps_running_jobs(tmp_path: Path, async_dir: Path) -> None:
    running = jid_of(adhoc(tmp_path, async_dir, "localhost", "-B", "20", "-P", "0", "-a", "sleep 5").stdout)
    try:
        cleaned = jobs(tmp_path, async_dir, "clean")
        assert cleaned.stdout == "localhost | removed 0 job files (kept 1 running)\n"
        assert [p.name for p in job_files(async_dir)] == [running]
    finally:
        meta = read_job(async_dir / running)["_miniplay"]
        jobs(tmp_path, async_dir, "kill", running)
        stop_pids([meta["pid"]])


def test_jobs_bad_duration(tmp_path: Path, async_dir: Path) -> None:
    result = jobs(tmp_path, async_dir, "clean", "--older-than", "soon")
    assert result.rc == 5 and "is not a duration" in result.stderr
