"""Async jobs through the real CLI: Ansible's registered values and output, and our extras.

Each test writes a small playbook, runs `miniplay run` on this machine (local
connection) with its own job directory, and checks what a user sees: the output
lines, the registered values (printed with `debug: var=`), the job files, and —
for the timing claims — when lines were printed compared with when the job ended.
"""
from __future__ import annotations

import datetime
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from async_helpers import (inventory, job_files, pid_alive, read_job, run_playbook, stop_jobs, stop_pids,
                           timed_miniplay)
from helpers import REPO, miniplay, write

JID = re.compile(r"^j\d+\.\d+$")
POLLED_KEYS = {"ansible_job_id", "changed", "cmd", "delta", "end", "failed", "finished", "msg", "rc", "results_file",
               "start", "started", "stderr", "stderr_lines", "stdout", "stdout_lines"}
LAUNCH_KEYS = {"ansible_job_id", "changed", "failed", "finished", "results_file", "started"}
RUNNING_KEYS = {"ansible_job_id", "changed", "failed", "finished", "results_file", "started", "stderr",
                "stderr_lines", "stdout", "stdout_lines"}


@pytest.fixture
def async_dir(tmp_path: Path):
    directory = tmp_path / "async"
    yield directory
    stop_jobs(directory)


def wall(text: str) -> float:
    """A module's `start`/`end` (local time, str(datetime)) as epoch seconds."""
    return datetime.datetime.strptime(text, "%Y-%m-%d %H:%M:%S.%f").timestamp()


def task_lines(stdout: str, name: str) -> list[str]:
    """The lines printed under `TASK [name]`, up to the next banner."""
    lines = stdout.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(f"TASK [{name}] "))
    block = []
    for line in lines[start + 1:]:
        if line.startswith(("TASK [", "PLAY RECAP")):
            break
        block.append(line)
    return [line for line in block if line]


def wait_for_final(path: Path, timeout: float = 5.0) -> dict:
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            data = read_job(path)
            if "started" not in data:
                return data
        except (OSError, ValueError):
            pass
        time.sleep(0.05)
    raise AssertionError(f"{path} never got its final result")


# =========================================================================== poll > 0
def test_polled_task_registers_the_job_result_and_removes_the_file(tmp_path: Path, async_dir: Path) -> None:
    result = run_playbook(tmp_path, """
        - hosts: localhost
          gather_facts: false
          tasks:
            - name: Polled job
              command: sleep 1.4
              async: 10
              poll: 1
              register: polled
            - debug: var=polled
            - stat: path="{{ polled.results_file }}"
              register: leftover
            - debug: var=leftover.stat.exists
        """)
    assert result.rc == 0, result.stdout + result.stderr
    polled = result.debug_values()["polled"]
    assert set(polled) == POLLED_KEYS
    jid = polled["ansible_job_id"]
    assert JID.match(jid)
    assert polled["results_file"] == str(async_dir / jid)
    assert (polled["started"], polled["finished"], polled["changed"], polled["failed"]) == (True, True, True, False)
    assert polled["cmd"] == ["sleep", "1.4"] and polled["rc"] == 0
    assert task_lines(result.stdout, "Polled job") == [
        f"ASYNC POLL on localhost: jid={jid} started=True finished=False",
        f"ASYNC OK on localhost: jid={jid}",
        "changed: [localhost]",
    ]
    assert result.debug_values()["leftover.stat.exists"] is False
    assert job_files(async_dir) == []


def test_polled_failures_timeout_and_failed_module(tmp_path: Path, async_dir: Path) -> None:
    started = time.time()
    result = run_playbook(tmp_path, """
        - hosts: localhost
          gather_facts: false
          tasks:
            - name: Too slow
              command: sleep 30
              async: 1
              poll: 1
              register: slow
              ignore_errors: true
            - debug: var=slow
            - name: Fails
              command: /bin/false
              async: 10
              poll: 1
              register: bad
              ignore_errors: true
            - debug: var=bad
        """)
    elapsed = time.time() - started
    assert result.rc == 0, result.stdout + result.stderr
    slow = result.debug_values()["slow"]
    assert slow["msg"] == "async task did not complete within the requested time - 1s"
    assert slow["failed"] is True and slow["changed"] is False
    jid = slow["async_result"]["ansible_job_id"]
    assert slow["async_result"] == {"ansible_job_id": jid, "finished": False, "results_file": str(async_dir / jid),
                                    "started": True, "stderr": "", "stderr_lines": [], "stdout": "",
                                    "stdout_lines": []}
    lines = task_lines(result.stdout, "Too slow")
    assert lines[0] == f"ASYNC POLL on localhost: jid={jid} started=True finished=False"
    assert lines[1] == f"ASYNC FAILED on localhost: jid={jid}"
    assert "[ERROR]: Task failed: Action failed: async task did not complete within the requested time - 1s" in lines
    assert any(line.startswith("fatal: [localhost]: FAILED! => {\"async_result\"") for line in lines)
    # The job file is kept (as in Ansible) and the target's deadline kill writes into it.
    final = wait_for_final(async_dir / jid)
    assert final["msg"] == "Timeout exceeded" and final["failed"] is True and "child_pid" in final
    bad = result.debug_values()["bad"]
    assert bad["rc"] == 1 and bad["failed"] is True and bad["finished"] is True
    assert bad["msg"] == "non-zero return code"
    bad_lines = task_lines(result.stdout, "Fails")
    assert bad_lines[0] == f"ASYNC FAILED on localhost: jid={bad['ansible_job_id']}"
    assert not any(line.startswith("ASYNC POLL") for line in bad_lines)
    assert elapsed < 8, "a 1 s limit with poll 1 must not wait for Ansible's 15 s default or a 5 s wrapper step"


# =========================================================================== poll: 0 and async_status
def test_fire_and_forget_and_every_async_status_state(tmp_path: Path, async_dir: Path) -> None:
    result = run_playbook(tmp_path, f"""
        - hosts: localhost
          gather_facts: false
          tasks:
            - name: Launch
              shell: sleep 0.8; echo hi
              async: 20
              poll: 0
              register: job
            - debug: var=job
            - stat: path="{{{{ job.results_file }}}}"
              register: file_after_launch
            - debug: var=file_after_launch
            - name: Running
              async_status: jid="{{{{ job.ansible_job_id }}}}"
              register: running
            - debug: var=running
            - name: Join
              async_status: jid="{{{{ job.ansible_job_id }}}}"
              register: finished
              until: finished is finished
              retries: 25
              delay: 0.2
            - debug: var=finished
            - stat: path="{{{{ job.results_file }}}}"
              register: file_after_join
            - debug: var=file_after_join
            - name: Cleanup
              async_status: jid="{{{{ job.ansible_job_id }}}}" mode=cleanup
              register: cleaned
            - debug: var=cleaned
            - name: Missing
              async_status: jid="{{{{ job.ansible_job_id }}}}"
              register: missing
              until: missing is finished
              retries: 3
              delay: 0.1
              ignore_errors: true
            - debug: var=missing
            - copy: content="half a job file, not JSON" dest="{async_dir}/j1.1"
            - name: Unparsable
              async_status: jid=j1.1
              register: garbage
            - debug: var=garbage
        """)
    assert result.rc == 0, result.stdout + result.stderr
    values = result.debug_values()
    job = values["job"]
    jid = job["ansible_job_id"]
    path = str(async_dir / jid)
    assert job == {"ansible_job_id": jid, "changed": True, "failed": False, "finished": False,
                   "results_file": path, "started": True}
    assert task_lines(result.stdout, "Launch") == ["changed: [localhost]"]
    assert values["file_after_launch"]["stat"]["exists"] is True
    running = values["running"]
    assert set(running) == RUNNING_KEYS
    assert (running["started"], running["finished"], running["changed"]) == (True, False, False)
    finished = values["finished"]
    assert finished["finished"] is True and finished["stdout"] == "hi" and finished["stdout_lines"] == ["hi"]
    assert finished["changed"] is True and finished["cmd"] == "sleep 0.8; echo hi" and finished["attempts"] >= 1
    assert task_lines(result.stdout, "Join")[-1] == "changed: [localhost]"
    assert values["file_after_join"]["stat"]["exists"] is True, "poll: 0 never cleans up"
    assert values["cleaned"] == {"ansible_job_id": jid, "changed": False, "erased": path, "failed": False,
                                 "finished": False, "started": False, "stderr": "", "stderr_lines": [],
                                 "stdout": "", "stdout_lines": []}
    missing = values["missing"]
    assert missing["msg"] == "could not find job" and missing["failed"] is True
    assert missing["finished"] is True and missing["started"] is True and missing["attempts"] == 1
    garbage = values["garbage"]
    assert (garbage["started"], garbage["finished"]) == (True, False)
    assert "_miniplay" not in json.dumps(values)


def test_poll_zero_is_always_changed_and_when_false_launches_nothing(tmp_path: Path, async_dir: Path) -> None:
    result = run_playbook(tmp_path, """
        - hosts: localhost
          gather_facts: false
          tasks:
            - ping:
              async: 10
              poll: 0
              register: pinged
            - ping:
              async: 10
              poll: 1
              register: polled_ping
            - command: echo never
              async: 10
              poll: 1
              when: false
              register: skipped
            - debug: var=pinged
            - debug: var=polled_ping
            - debug: var=skip_shape
              vars:
                skip_shape: "{{ skipped }}"
        """)
    assert result.rc == 0, result.stdout + result.stderr
    values = result.debug_values()
    assert values["pinged"]["changed"] is True
    assert values["polled_ping"]["changed"] is False and values["polled_ping"]["ping"] == "pong"
    assert values["skip_shape"] == {"changed": False, "false_condition": False,
                                 "skip_reason": "Conditional result was False", "skipped": True}
    # one file: the poll-0 ping; the polled one was cleaned up; the skipped task started nothing
    assert [p.name for p in job_files(async_dir)] == [values["pinged"]["ansible_job_id"]]


def test_loops_one_job_per_item_results_in_item_order(tmp_path: Path, async_dir: Path) -> None:
    result = run_playbook(tmp_path, """
        - hosts: localhost
          gather_facts: false
          tasks:
            - name: Polled loop
              command: echo {{ item }}
              loop: [a, b, c]
              async: 10
              poll: 1
              register: polled
            - name: Launch loop
              shell: sleep 0.{{ item }}; echo {{ item }}
              loop: [3, 1, 2]
              async: 10
              poll: 0
              register: launched
            - name: Join loop
              async_status: jid="{{ item.ansible_job_id }}"
              loop: "{{ launched.results }}"
              loop_control:
                label: "{{ item.item }}"
              register: joined
              until: joined is finished
              retries: 25
              delay: 0.2
            - debug: var=polled
            - debug: var=launched
            - debug: var=joined
        """)
    assert result.rc == 0, result.stdout + result.stderr
    values = result.debug_values()
    polled = values["polled"]["results"]
    assert [r["stdout"] for r in polled] == ["a", "b", "c"]
    assert [r["item"] for r in polled] == ["a", "b", "c"]
    assert len({r["ansible_job_id"] for r in polled}) == 3
    for item in polled:
        assert POLLED_KEYS | {"item", "ansible_loop_var", "invocation"} == set(item)
    lines = task_lines(result.stdout, "Polled loop")
    assert lines == [line for r in polled for line in
                     (f"ASYNC OK on localhost: jid={r['ansible_job_id']}", f"changed: [localhost] => (item={r['item']})")]
    launched = values["launched"]
    assert launched["changed"] is True and launched["msg"] == "All items completed"
    for result_item, item in zip(launched["results"], [3, 1, 2]):
        assert set(result_item) == LAUNCH_KEYS | {"item", "ansible_loop_var"}
        assert result_item["item"] == item and result_item["finished"] is False
    assert [r["stdout"] for r in values["joined"]["results"]] == ["3", "1", "2"]
    # the join wakes as each job ends, so whether an item retries depends on timing (as in Ansible)
    assert [line for line in task_lines(result.stdout, "Join loop") if line.startswith("changed:")] == \
        [f"changed: [localhost] => (item={i})" for i in (3, 1, 2)]


def test_check_mode(tmp_path: Path, async_dir: Path) -> None:
    marker = tmp_path / "touched"
    real = tmp_path / "really-touched"
    result = run_playbook(tmp_path, f"""
        - hosts: localhost
          gather_facts: false
          tasks:
            - name: Polled command
              command: echo hi
              async: 10
              poll: 1
              register: polled
            - command: echo hi
              async: 10
              poll: 0
              register: launched
            - async_status: jid="{{{{ launched.ansible_job_id }}}}"
              register: later
              until: later is finished
              retries: 20
              delay: 0.1
            - file: path={marker} state=touch
              async: 10
              poll: 1
              register: touched
            - command: touch {real}
              async: 10
              poll: 1
              check_mode: false
            - debug: var=polled
            - debug: var=launched
            - debug: var=later
            - debug: var=touched
        """, "--check")
    assert result.rc == 0, result.stdout + result.stderr
    values = result.debug_values()
    polled = values["polled"]
    assert polled["skipped"] is True and polled["changed"] is False and polled["failed"] is False
    assert polled["msg"] == "Command would have run if not in check mode"
    assert (polled["finished"], polled["rc"], polled["start"]) == (True, 0, None)
    lines = task_lines(result.stdout, "Polled command")
    assert lines == [f"ASYNC OK on localhost: jid={polled['ansible_job_id']}", "skipping: [localhost]"]
    assert values["launched"]["changed"] is True
    assert values["later"]["skipped"] is True
    assert values["touched"]["changed"] is True
    assert not marker.exists(), "check mode must not change anything"
    assert real.exists(), "check_mode: false runs for real"


# =========================================================================== better than Ansible
def test_launch_everywhere_then_poll_once_whatever_forks(tmp_path: Path, async_dir: Path) -> None:
    hosts = ("h1", "h2", "h3", "h4")
    started = time.time()
    result = run_playbook(tmp_path, """
        - hosts: all
          gather_facts: false
          tasks:
            - command: sleep 1.5
              async: 10
              poll: 1
              register: job
            - debug: var=job.start
        """, "-f", "1", hosts=hosts)
    elapsed = time.time() - started
    assert result.rc == 0, result.stdout + result.stderr
    starts = [wall(v) for v in re.findall(r'"job.start": "([^"]+)"', result.stdout)]
    assert len(starts) == 4
    assert max(starts) - min(starts) < 1.0, "every host's job starts before any host's waiting is over"
    assert elapsed < 5.5, f"with -f 1, four 1.5 s jobs must overlap (took {elapsed:.1f}s)"


def test_polled_task_ends_with_its_job_and_polls_on_time(tmp_path: Path, async_dir: Path) -> None:
    playbook = write(tmp_path / "site.yml", """
        - hosts: localhost
          gather_facts: false
          tasks:
            - name: Quick job, slow poll
              command: sleep 1
              async: 20
              poll: 5
              register: quick
            - debug: var=quick.end
            - name: Ticking job
              command: sleep 2.5
              async: 20
              poll: 1
              register: ticking
            - debug: var=ticking.start
            - debug: var=ticking.end
        """)
    inv = inventory(tmp_path / "hosts.ini")
    run = timed_miniplay("run", "-i", str(inv), str(playbook), cwd=tmp_path, env={"ANSIBLE_ASYNC_DIR": str(async_dir)})
    assert run.rc == 0, run.stdout + run.stderr
    values = run.debug_values()
    changed = run.times("changed: [localhost]")
    # No wasted waiting: the task ends right after its job, not at the next multiple of poll.
    quick_lag = changed[0] - wall(values["quick.end"])
    assert quick_lag < 0.2, f"the polled task ended {quick_lag:.3f}s after its job"
    assert "ASYNC POLL" not in "\n".join(task_lines(run.stdout, "Quick job, slow poll"))
    ticking_lag = changed[1] - wall(values["ticking.end"])
    assert ticking_lag < 0.2, f"the polled task ended {ticking_lag:.3f}s after its job"
    # ASYNC POLL lines still come every `poll` seconds while the job runs.
    polls = run.times("ASYNC POLL")
    assert len(polls) == 2
    begin = wall(values["ticking.start"])
    assert abs(polls[0] - begin - 1.0) < 0.3 and abs(polls[1] - begin - 2.0) < 0.3, \
        [round(p - begin, 3) for p in polls]


def test_deadline_kills_the_job_and_everything_it_started(tmp_path: Path, async_dir: Path) -> None:
    pids = tmp_path / "pids"
    pids.mkdir()
    result = run_playbook(tmp_path, f"""
        - hosts: localhost
          gather_facts: false
          tasks:
            - name: A job that starts helpers everywhere
              shell: |
                setsid sleep 300 & echo $! > {pids}/other-session
                (sleep 301 & echo $! > {pids}/orphan)
                setsid sh -c 'sleep 302 & echo $! > {pids}/daemon' &
                sh -c 'trap "" TERM HUP; sleep 303' & echo $! > {pids}/same-group
                sleep 304
              async: 1
              poll: 0
              register: job
            - async_status: jid="{{{{ job.ansible_job_id }}}}"
              register: done
              until: done is finished
              retries: 40
              delay: 0.1
              ignore_errors: true
            - debug: var=done
        """)
    started = {}
    try:
        for _ in range(50):
            started = {p.name: int(p.read_text()) for p in pids.iterdir() if p.read_text().strip()}
            if len(started) == 4:
                break
            time.sleep(0.05)
        assert result.rc == 0, result.stdout + result.stderr
        done = result.debug_values()["done"]
        assert done["msg"] == "Timeout exceeded" and done["failed"] is True and done["finished"] is True
        assert isinstance(done["child_pid"], int)
        meta = read_job(async_dir / done["ansible_job_id"])["_miniplay"]
        assert meta["state"] == "timeout"
        assert 0 <= meta["end"] - meta["deadline"] < 1.0, "killed within 1 s of the async limit"
        assert len(started) == 4, started
        assert [name for name, pid in started.items() if pid_alive(pid)] == []
    finally:
        leaked = stop_pids(list(started.values()))
    assert leaked == []


def test_jobs_outlive_a_killed_controller(tmp_path: Path, async_dir: Path) -> None:
    playbook = write(tmp_path / "site.yml", """
        - hosts: localhost
          gather_facts: false
          tasks:
            - name: Survivor
              shell: sleep 1.5; echo survived
              async: 30
              poll: 1
        """)
    inv = inventory(tmp_path / "hosts.ini")
    env = dict(os.environ, ANSIBLE_ASYNC_DIR=str(async_dir), PYTHONPATH="")
    controller = subprocess.Popen([sys.executable, "-m", "miniplay", "run", "-i", str(inv), str(playbook)],
                                  cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    workers: list[int] = []
    try:
        deadline = time.time() + 15
        while not job_files(async_dir) and time.time() < deadline:
            time.sleep(0.02)
        files = job_files(async_dir)
        assert files, "the job never started"
        workers = _descendants(controller.pid)
        controller.send_signal(signal.SIGKILL)
        controller.wait()
        assert "started" in read_job(files[0]), "the job is still running after the controller died"
        waited = miniplay("jobs", "wait", files[0].name, "-i", str(inv), cwd=tmp_path,
                          env={"ANSIBLE_ASYNC_DIR": str(async_dir)})
        assert waited.rc == 0, waited.stdout + waited.stderr
        assert '"stdout": "survived"' in waited.stdout
        final = read_job(files[0])
        assert final["stdout"] == "survived" and final["rc"] == 0
        # the controller's workers noticed and went away on their own
        end = time.time() + 3
        while any(pid_alive(p) for p in workers) and time.time() < end:
            time.sleep(0.05)
        assert [p for p in workers if pid_alive(p)] == []
    finally:
        if controller.poll() is None:
            controller.kill()
            controller.wait()
        stop_pids(workers)


def _descendants(root: int) -> list[int]:
    parents = {int(n): _ppid(int(n)) for n in os.listdir("/proc") if n.isdigit()}
    found, queue = [], [root]
    while queue:
        parent = queue.pop()
        children = [pid for pid, ppid in parents.items() if ppid == parent]
        found += children
        queue += children
    return found


def _ppid(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return int(handle.read().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return -1


# =========================================================================== job files
def test_job_files_are_ansibles_format_with_our_fields_under_one_key(tmp_path: Path, async_dir: Path) -> None:
    result = run_playbook(tmp_path, """
        - hosts: localhost
          gather_facts: false
          tasks:
            - name: Plain job
              shell: sleep 1.5; echo done
              async: 10
              poll: 0
              register: plain
            - name: Secret job
              shell: echo {{ secret }} > /dev/null
              async: 10
              poll: 0
              no_log: true
              register: hidden
              vars:
                secret: hunter2-s3cr3t
            - debug: var=plain.ansible_job_id
            - debug: var=hidden.ansible_job_id
        """)
    assert result.rc == 0, result.stdout + result.stderr
    values = result.debug_values()
    path = async_dir / values["plain.ansible_job_id"]
    first = read_job(path)
    assert list(first)[:3] == ["started", "finished", "ansible_job_id"]
    assert (first["started"], first["finished"], first["ansible_job_id"]) == (True, False, path.name)
    meta = first["_miniplay"]
    assert meta["task"] == "Plain job" and meta["module"] == "shell" and meta["command"] == "sleep 1.5; echo done"
    assert abs(meta["deadline"] - meta["start"] - 10) < 1e-6 and meta["async"] == 10
    assert pid_alive(meta["pid"]) and meta["pgid"] == meta["child_pid"]
    final = wait_for_final(path)
    assert final["stdout"] == "done" and final["rc"] == 0 and "started" not in final
    assert final["_miniplay"]["state"] == "finished" and final["_miniplay"]["end"] >= meta["start"]
    secret = wait_for_final(async_dir / values["hidden.ansible_job_id"])
    assert secret["_miniplay"]["command"] is None
    assert "hunter2" not in json.dumps(secret["_miniplay"])
    assert "hunter2" not in result.stdout
    assert [p.name for p in async_dir.iterdir() if p.name.startswith(".")] == [], "no temp files left"


def test_async_dir_from_variable_environment_and_home(tmp_path: Path, async_dir: Path) -> None:
    custom = tmp_path / "custom"
    home = tmp_path / "home"
    home.mkdir()
    result = run_playbook(tmp_path, f"""
        - hosts: localhost
          gather_facts: false
          vars:
            ansible_async_dir: {custom}
          tasks:
            - command: echo x
              async: 10
              poll: 0
              register: job
            - async_status: jid="{{{{ job.ansible_job_id }}}}"
              register: seen
              until: seen is finished
              retries: 20
              delay: 0.1
            - debug: var=job.results_file
        - hosts: localhost
          gather_facts: false
          tasks:
            - name: Without the variable
              async_status: jid="{{{{ job.ansible_job_id }}}}"
              register: elsewhere
              ignore_errors: true
            - debug: var=elsewhere.msg
            - command: echo y
              async: 10
              poll: 1
              register: at_home
              environment:
                ANSIBLE_ASYNC_DIR: /this/is/not/used
            - debug: var=at_home.results_file
        """, env={"ANSIBLE_ASYNC_DIR": "", "HOME": str(home)})
    assert result.rc == 0, result.stdout + result.stderr
    values = result.debug_values()
    assert values["job.results_file"].startswith(str(custom) + "/")
    assert values["elsewhere.msg"] == "could not find job"
    assert values["at_home.results_file"].startswith(str(home / ".ansible_async") + "/")


# =========================================================================== bad input
# A value that is not a number fails the task on each host, as in Ansible (tests/test_keyword_types.py)
@pytest.mark.parametrize("keyword,value,message", [
    ("async", "-5", "'async' must be a non-negative integer"),
])
def test_bad_async_and_poll_values_are_refused_at_load_time(tmp_path: Path, keyword: str, value: str,
                                                           message: str) -> None:
    other = {"async": "10", "poll": "1"}
    other[keyword] = value
    playbook = write(tmp_path / "site.yml", f"""
        - hosts: localhost
          gather_facts: false
          tasks:
            - name: Bad
              command: sleep 1
              async: {other['async']}
              poll: {other['poll']}
        """)
    result = miniplay("run", str(playbook), cwd=tmp_path, env={"ANSIBLE_ASYNC_DIR": str(tmp_path / "a")})
    assert result.rc == 4
    assert message in result.stderr
    assert f"Origin: {playbook}:" in result.stderr
    assert not (tmp_path / "a").exists()


@pytest.mark.parametrize("action", ["debug: msg=x", "set_fact: a=1", "async_status: jid=j1.1", "pause: seconds=1"])
def test_async_on_an_action_that_cannot_run_async(tmp_path: Path, action: str) -> None:
    playbook = write(tmp_path / "site.yml", f"""
        - hosts: localhost
          gather_facts: false
          tasks:
            - {action}
              async: 10
        """)
    result = miniplay("run", str(playbook), cwd=tmp_path)
    assert result.rc == 2, "the task fails when it runs (as in Ansible), not the load"
    name = action.split(":")[0]
    assert f"[ERROR]: Task failed: This action ({name}) does not support async.\nOrigin: {playbook}:4:" \
        in result.stdout
    assert f'fatal: [localhost]: FAILED! => {{"msg": "This action ({name}) does not support async."}}' \
        in result.stdout


def test_runtime_errors_name_the_task_and_the_cause(tmp_path: Path, async_dir: Path) -> None:
    not_a_dir = tmp_path / "a-file"
    not_a_dir.write_text("")
    result = run_playbook(tmp_path, f"""
        - hosts: all
          gather_facts: false
          tasks:
            - name: Status without a jid
              async_status:
              ignore_errors: true
            - name: Job in an impossible directory
              command: echo x
              async: 10
              poll: 1
              vars:
                ansible_async_dir: {not_a_dir}/jobs
              ignore_errors: true
        """)
    assert result.rc == 0, result.stdout + result.stderr
    lines = task_lines(result.stdout, "Status without a jid")
    assert any("missing required arguments: jid" in line for line in lines if line.startswith("fatal:"))
    lines = task_lines(result.stdout, "Job in an impossible directory")
    assert any(f"could not create directory: {not_a_dir}/jobs" in line and "Not a directory" in line
               for line in lines if line.startswith("fatal:"))
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("a-file")) == ["a-file"]


def test_unwritable_async_dir_starts_nothing(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    result = run_playbook(tmp_path, f"""
        - hosts: localhost
          gather_facts: false
          tasks:
            - name: Job in a read-only place
              command: touch {marker}
              async: 10
              poll: 0
              vars:
                ansible_async_dir: /proc/self
        """)
    assert result.rc == 2
    fatal = [line for line in task_lines(result.stdout, "Job in a read-only place") if line.startswith("fatal:")]
    assert fatal and "the async directory /proc/self is not writable" in fatal[0]
    assert not marker.exists()


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write to any directory")
def test_unwritable_async_dir(tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    try:
        result = run_playbook(tmp_path, """
            - hosts: localhost
              gather_facts: false
              tasks:
                - name: Job
                  command: echo x
                  async: 10
                  poll: 0
            """, async_dir=locked)
        assert result.rc == 2
        assert f"the async directory {locked} is not writable" in result.stdout
        assert list(locked.iterdir()) == []
    finally:
        locked.chmod(0o700)


def test_target_without_python(tmp_path: Path) -> None:
    inv = write(tmp_path / "hosts.ini", "nopython ansible_connection=local "
                                        "ansible_python_interpreter=/nonexistent/bin/python3\n")
    playbook = write(tmp_path / "site.yml", """
        - hosts: all
          gather_facts: false
          tasks:
            - name: Long job
              command: sleep 1
              async: 10
              poll: 1
        """)
    result = miniplay("run", "-i", str(inv), str(playbook), cwd=tmp_path,
                      env={"ANSIBLE_ASYNC_DIR": str(tmp_path / "a")})
    assert result.rc == 2
    lines = task_lines(result.stdout, "Long job")
    fatal = [line for line in lines if line.startswith("fatal: [nopython]")]
    assert fatal and "/nonexistent/bin/python3" in fatal[0] and "not found" in fatal[0]


# =========================================================================== the teaching playbooks
EXAMPLES = sorted((REPO / "playbooks").glob("async-*.yml"))
EXPECTED = {
    "async-long-task": ["ASYNC POLL on localhost", "ASYNC OK on localhost", "fetch done, compile done, package done"],
    "async-fire-and-forget": ["backup of 42 files written", "first look: finished=False"],
    "async-join-jobs": ["Download: success", "Reports: success", "Index: success"],
    "async-loop": ["alpha.tar.gz fetched", "changed: [localhost] => (item=gamma.tar.gz)"],
    "async-failures": ["ASYNC FAILED on localhost", "rolling back", "the listing failed (rc=2), carrying on",
                       "async task did not complete within the requested time - 2s"],
    "async-batches": ["included: ", "(item=sleep 0.3)", "5 items in 3 batches"],
}


def test_every_seed_pattern_has_an_example() -> None:
    assert {p.stem for p in EXAMPLES} == set(EXPECTED)


@pytest.mark.parametrize("playbook", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_example_playbooks_run(playbook: Path, tmp_path: Path, async_dir: Path) -> None:
    result = miniplay("run", str(playbook), cwd=tmp_path, env={"ANSIBLE_ASYNC_DIR": str(async_dir)})
    assert result.rc == 0, result.stdout + result.stderr
    assert "failed=0" in result.stdout
    for text in EXPECTED[playbook.stem]:
        assert text in result.stdout, text
    assert job_files(async_dir) == [], "every example cleans up its job files"
