"""`--events`, `--trace` and the live status line, through the real CLI.

One run of playbooks/visibility-demo.yml (three local "hosts", a retried task,
a skipped one, async jobs, a rescue, a handler) feeds most tests here.
"""
from __future__ import annotations

import json
import os
import pty
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest

from helpers import REPO, miniplay, write

DEMO = REPO / "playbooks" / "visibility-demo.yml"
HOSTS = ["web1", "web2", "web3"]


def run_demo(tmp: Path, *extra: str):
    return miniplay("run", str(DEMO), "-i", ",".join(HOSTS), "-e", f"workdir={tmp}", *extra, cwd=tmp,
                    env={"ANSIBLE_ASYNC_DIR": str(tmp / "async")})


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("events")
    result = run_demo(tmp, "--events", "run.jsonl", "--trace", "trace.json")
    assert result.rc == 0, result.stdout + result.stderr
    records = [json.loads(line) for line in (tmp / "run.jsonl").read_text().splitlines()]
    trace = json.loads((tmp / "trace.json").read_text())
    return tmp, result, records, trace


def of_kind(records, kind, host=None):
    return [r for r in records if r["kind"] == kind and (host is None or r["host"] == host)]


# ---------------------------------------------------------------------- the JSONL log
def test_every_line_has_the_documented_shape(demo):
    _, _, records, _ = demo
    assert records[0]["kind"] == "log_start" and records[0]["data"]["schema"] == 1
    for index, rec in enumerate(records):
        assert set(rec) == {"seq", "time", "kind", "host", "task", "data"}, rec
        assert rec["seq"] == index
        if rec["task"] is not None:
            assert set(rec["task"]) == {"uid", "name", "path", "handler"}
            path, line, _column = rec["task"]["path"].rsplit(":", 2)
            assert path == str(DEMO) and int(line) > 0
    times = [r["time"] for r in records]
    assert times == sorted(times)


def test_the_log_tells_the_whole_run(demo):
    _, _, records, _ = demo
    kinds = {r["kind"] for r in records}
    for kind in ("playbook_start", "play_start", "task_start", "host_start", "host_result", "retry", "conditional",
                 "task_vars", "async_launch", "recap"):
        assert kind in kinds, kind
    # one start and one result per host and task; the handler's run says it is one
    starts = of_kind(records, "task_start")
    assert [s["data"]["name"] for s in starts][:2] == ["Build the release (web2 is the slow one)",
                                                     "Warm the cache in the background"]
    handler = [s for s in starts if s["data"]["handler"]]
    assert handler and handler[0]["task"]["handler"] is True
    assert handler[0]["data"]["task"]["module"] == "debug"
    for host in HOSTS:
        assert len(of_kind(records, "host_start", host)) == len(of_kind(records, "host_result", host))
    # task_start says what the task is, as written
    info = next(s["data"]["task"] for s in starts if s["data"]["name"].startswith("Wait until"))
    assert info["until"] == ["health.rc == 0"] and info["retries"] == 5 and info["register"] == "health"
    # the retries of web1 (two failed attempts, with their delay)
    retries = of_kind(records, "retry", "web1")
    assert [r["data"]["attempt"] for r in retries if r["task"]["name"].startswith("Wait until")] == [1, 2]
    assert retries[0]["data"]["delay"] == 0.2
    # async launches, one per host, with the job id the join later reads
    launches = of_kind(records, "async_launch")
    assert sorted(r["host"] for r in launches) == HOSTS
    assert all(r["data"]["jid"] and r["data"]["limit"] == 10 and r["data"]["poll"] == 0 for r in launches)
    recap = of_kind(records, "recap")[0]["data"]["stats"]
    assert recap["web2"]["rescued"] == 1 and recap["web1"]["failed"] == 0


def test_conditionals_and_variable_sources_are_logged(demo):
    _, _, records, _ = demo
    skipped = [r for r in of_kind(records, "conditional", "web1") if r["task"]["name"] == "Only on web3"]
    assert skipped[0]["data"]["keyword"] == "when" and skipped[0]["data"]["result"] is False
    assert [c["value"] for c in skipped[0]["data"]["clauses"]] == [True, False]
    sources = [r for r in of_kind(records, "task_vars", "web1") if r["task"]["name"] == "Render the configuration"]
    assert sources[0]["data"]["vars"]["release"] == {"layer": "play vars"}
    assert sources[0]["data"]["vars"]["inventory_hostname"] == {"layer": "magic"}


def test_a_failed_result_is_in_the_log(demo):
    _, _, records, _ = demo
    failed = [r for r in of_kind(records, "host_result", "web2") if r["data"]["status"] == "failed"]
    assert len(failed) == 1 and failed[0]["data"]["result"]["rc"] == 1
    assert failed[0]["task"]["name"] == "Migrate the database (fails on web2)"


def test_console_output_is_unchanged_by_the_log(demo, tmp_path):
    _, result, _, _ = demo
    plain = run_demo(tmp_path)
    assert plain.rc == 0
    def stable(text: str) -> list[str]:  # banners and recap: timings and host order may differ
        return [line for line in text.splitlines() if line.startswith(("PLAY", "TASK", "RUNNING", "web"))]

    assert stable(result.stdout) == stable(plain.stdout)
    assert "\x1b[K" not in result.stdout  # not a terminal: no status line


def test_loop_items_and_polled_jobs(tmp_path):
    book = write(tmp_path / "book.yml", """
        - hosts: localhost
          gather_facts: false
          tasks:
            - name: Count
              debug: msg={{ item }}
              loop: [a, b]
            - name: Polled job
              command: sleep 0.2
              async: 5
              poll: 1
    """)
    result = miniplay("run", str(book), "--events", "ev.jsonl", "--trace", "tr.json", cwd=tmp_path,
                      env={"ANSIBLE_ASYNC_DIR": str(tmp_path / "async")})
    assert result.rc == 0, result.stdout + result.stderr
    records = [json.loads(line) for line in (tmp_path / "ev.jsonl").read_text().splitlines()]
    assert [r["data"]["label"] for r in of_kind(records, "item_result")] == ["a", "b"]
    launch, end = of_kind(records, "async_launch")[0], of_kind(records, "async_end")[0]
    assert launch["data"]["jid"] == end["data"]["jid"] and end["data"]["ok"] is True
    trace = json.loads((tmp_path / "tr.json").read_text())
    jobs = [e for e in trace["traceEvents"] if e.get("cat") == "async"]
    assert len(jobs) == 1 and jobs[0]["dur"] >= 150_000 and jobs[0]["tid"] >= 10


def test_an_unwritable_events_or_trace_file_is_a_clear_error_before_running(tmp_path):
    hello = str(REPO / "playbooks" / "hello.yml")
    result = miniplay("run", hello, "--events", str(tmp_path / "no" / "x.jsonl"), cwd=tmp_path)
    assert result.rc == 5 and result.stdout == ""
    assert f"cannot write the events file {tmp_path / 'no' / 'x.jsonl'}: No such file or directory" in result.stderr
    assert "Traceback" not in result.stderr and "bug" not in result.stderr
    result = miniplay("run", hello, "--trace", str(tmp_path / "no" / "t.json"), cwd=tmp_path)
    assert result.rc == 5 and result.stdout == "" and "cannot write the trace file" in result.stderr


# ---------------------------------------------------------------------- the trace
def test_trace_has_a_span_per_host_task_and_attempt(demo):
    _, _, records, trace = demo
    events = trace["traceEvents"]
    processes = {e["args"]["name"]: e["pid"] for e in events if e["ph"] == "M" and e["name"] == "process_name"}
    assert set(HOSTS) <= set(processes) and processes["run"] == 0
    spans = [e for e in events if e["ph"] == "X"]
    for host in HOSTS:
        mine = [e for e in spans if e["pid"] == processes[host]]
        tasks = [e for e in mine if e["cat"] in ("task", "handler")]
        assert len(tasks) == len(of_kind(records, "host_result", host))
        assert all(e["args"]["path"].startswith(str(DEMO)) for e in tasks)
        assert any(e["cat"] == "async" for e in mine), host
    web1 = [e for e in spans if e["pid"] == processes["web1"]]
    attempts = [e for e in web1 if e["cat"] == "attempt" and e["name"].startswith("Wait until")]
    assert [e["args"]["attempt"] for e in attempts] == [1, 2, 3]
    assert [e["args"]["status"] for e in attempts] == ["retry", "retry", "ok"]
    assert any(e["cat"] == "retry-delay" for e in web1)


def test_trace_shows_hosts_waiting_for_the_slowest(demo):
    _, _, _, trace = demo
    spans = [e for e in trace["traceEvents"] if e["ph"] == "X"]
    build_waits = [e for e in spans if e["cat"] == "wait" and e["args"]["task"].startswith("Build the release")]
    # web2 sleeps 0.6 s, web1 0.2 s and web3 0.3 s: both wait for web2
    assert {e["args"]["slowest"] for e in build_waits} == {"web2"}
    assert len(build_waits) == 2 and all(e["dur"] > 150_000 for e in build_waits)
    assert all(e["ts"] >= 0 for e in spans)


# ---------------------------------------------------------------------- live status on a terminal
def run_in_pty(args: list[str], cwd: Path, env: dict[str, str], timeout: float = 60) -> str:
    pid, fd = pty.fork()
    if pid == 0:  # the child: miniplay with a terminal as stdout
        os.chdir(cwd)
        os.environ.update(env)
        os.environ["PYTHONPATH"] = ""
        os.execvp(sys.executable, [sys.executable, "-m", "miniplay", *args])
    out = b""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 1)
        if not ready:
            continue
        try:
            chunk = os.read(fd, 65536)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    os.waitpid(pid, 0)
    os.close(fd)
    return out.decode("utf-8", "replace")


def test_live_status_line_on_a_terminal_only(tmp_path):
    args = ["run", str(DEMO), "-i", ",".join(HOSTS), "-e", f"workdir={tmp_path}"]
    text = run_in_pty(args, tmp_path, {"ANSIBLE_ASYNC_DIR": str(tmp_path / "async")})
    assert "PLAY RECAP" in text
    assert "\r\x1b[K" in text
    assert "[1/11] Build the release (web2 is the slow one) · running: " in text
    assert "async jobs pending" in text
    # the status line never ends up inside a console line: every line is erased before printing
    for line in text.split("\n"):
        if "TASK [" in line:
            assert "running:" not in line.split("TASK [")[0].split("\r\x1b[K")[-1]
    assert text.rstrip().endswith("ignored=0")  # nothing left on the screen after the recap


def test_piped_output_has_no_status_line(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "miniplay", "run", str(REPO / "playbooks" / "hello.yml")],
                          cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0
    assert "\x1b" not in proc.stdout
