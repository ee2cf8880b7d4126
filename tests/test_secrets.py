"""Secrets stay secret on every channel (issue 14).

One playbook plants a distinct secret in each place a secret lives: no_log task arguments,
no_log loop items, an until loop that retries, failing tasks, a polled async job, set_fact,
a registered no_log result shown by a no_log debug, a vault value used by a no_log task,
and the become password of a sudo over SSH. The run goes at -vvvv with an events file and a
trace; the report and explain are made from the events. Every channel is then searched for
every secret: stdout, stderr, the events, the trace, the report's HTML, explain's output,
the async job files, the files the run left on the target (its home and remote tmp dirs,
root's too, and the new entries of /tmp), and the command lines of every process seen
while the run went on. Each search must find nothing.

The secrets live in a vars file (and the vault value in a vault-encrypted string), never in
the playbook itself: the playbook's own lines are shown as source excerpts, as in Ansible.
The tasks hand them to their commands on stdin: a command line a task runs is the user's own
(`ps` shows it, as it shows any process's), so what the argv search guards is miniplay's
plumbing (ssh, sudo, the workers), which must never carry one.
"""
from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest

from helpers import miniplay, write
from reference import ansible_playbook, compare, require_ansible

PLAYBOOK = """
- hosts: all
  gather_facts: false
  vars_files: [secrets.yml]
  tasks:
    - name: no_log arguments
      command: cat
      args:
        stdin: "{{ s_arg }}"
      no_log: true
    - name: no_log loop items
      debug:
        msg: "item {{ item }}"
      loop: ["{{ s_item1 }}", "{{ s_item2 }}"]
      no_log: true
    - name: no_log loop with a label
      command: cat
      args:
        stdin: "{{ item }}"
      loop: ["{{ s_label }}"]
      loop_control:
        label: "labelled {{ item }}"
      no_log: true
    - name: until retries
      command: cat
      args:
        stdin: "{{ s_until }}"
      register: retried
      until: retried.attempts > 2
      retries: 3
      delay: 0
      no_log: true
    - name: a failing action
      fail:
        msg: "failed with {{ s_fail }}"
      no_log: true
      ignore_errors: true
    - name: a failing module
      shell: cat; exit 3
      args:
        stdin: "{{ s_module }}"
      no_log: true
      ignore_errors: true
    - name: a failing loop item
      copy:
        src: "/nonexistent/{{ item }}"
        dest: /tmp/nowhere
      loop: ["{{ s_loopfail }}"]
      no_log: true
      ignore_errors: true
    - name: a polled async job
      shell: sleep 1; cat
      args:
        stdin: "{{ s_async }}"
      async: 30
      poll: 1
      no_log: true
    - name: set_fact
      set_fact:
        fact_value: "{{ s_fact }}"
      no_log: true
    - name: register a no_log result
      command: cat
      args:
        stdin: "{{ s_register }}"
      register: kept
      no_log: true
    - name: show it under no_log
      debug:
        var: kept
      no_log: true
    - name: a vault value
      command: cat
      args:
        stdin: "{{ s_vault }}"
      no_log: true
    - name: become with a password
      command: id -un
      become: true
      register: became
    - name: the values were real
      assert:
        that:
          - kept.stdout == s_register
          - fact_value == s_fact
          - retried.attempts == 3
          - retried.stdout == s_until
          - became.stdout == "root"
"""

NAMES = ("arg", "item1", "item2", "label", "until", "fail", "module", "loopfail", "async", "fact", "register")


def _sample_command_lines(stop: threading.Event, seen: set[str]) -> None:
    """Every process's argv, read from /proc again and again until the run ends."""
    while not stop.is_set():
        for pid in os.listdir("/proc"):
            if not pid.isdigit():
                continue
            try:
                with open(f"/proc/{pid}/cmdline", "rb") as handle:
                    seen.add(handle.read().replace(b"\0", b" ").decode(errors="replace"))
            except OSError:
                continue
        time.sleep(0.01)


def _files_under(root: Path, since: float) -> list[Path]:
    """Regular files under root changed since the run started (unreadable ones skipped)."""
    found: list[Path] = []
    if not root.exists():
        return found
    for folder, _dirs, files in os.walk(root):
        for name in files:
            path = Path(folder) / name
            try:
                if path.is_file() and not path.is_symlink() and path.stat().st_mtime >= since \
                        and path.stat().st_size < 5_000_000:
                    found.append(path)
            except OSError:
                continue
    return found


def _hits(secrets: dict[str, str], channels: dict[str, str]) -> list[str]:
    return [f"{name} in {channel}" for channel, text in channels.items()
            for name, value in secrets.items() if value in text]


@pytest.mark.usefixtures("sudo")
def test_no_secret_reaches_any_channel(ssh_hosts, tmp_path: Path) -> None:
    host = ssh_hosts[0]
    token = uuid.uuid4().hex[:10]
    secrets = {name: f"S3cret{name.capitalize()}{token}" for name in NAMES}
    secrets["vault"] = f"S3cretVault{token}"
    secrets["become password"] = host.password
    (tmp_path / "pw").write_text("vault password for the secrets test\n")
    vaulted = miniplay("vault", "encrypt_string", "--vault-password-file", "pw", secrets["vault"],
                       "--name", "s_vault", cwd=tmp_path)
    assert vaulted.rc == 0, vaulted.stderr
    plain = "".join(f"s_{name}: {secrets[name]}\n" for name in NAMES)
    write(tmp_path / "secrets.yml", plain + vaulted.stdout)
    write(tmp_path / "site.yml", PLAYBOOK)
    write(tmp_path / "hosts.ini", host.inventory_line("h1") + "\n")
    started = time.time() - 1
    tmp_before = set(os.listdir("/tmp"))

    stop, argv_seen = threading.Event(), set[str]()
    sampler = threading.Thread(target=_sample_command_lines, args=(stop, argv_seen), daemon=True)
    sampler.start()
    env = {**{k: v for k, v in os.environ.items() if k != "ANSIBLE_CONFIG"}, "PYTHONPATH": ""}
    try:
        run = subprocess.run([sys.executable, "-m", "miniplay", "run", "-vvvv", "-i", "hosts.ini", "site.yml",
                              "--vault-password-file", "pw", "--events", "events.jsonl", "--trace", "trace.json"],
                             cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    finally:
        stop.set()
        sampler.join()
    assert run.returncode == 0, run.stdout + run.stderr
    report = miniplay("report", "events.jsonl", "-o", "report.html", cwd=tmp_path)
    assert report.rc == 0, report.stderr
    explained = miniplay("explain", "events.jsonl", cwd=tmp_path)
    assert explained.rc == 0, explained.stderr
    assert (tmp_path / "trace.json").stat().st_size > 0 and explained.stdout.strip()

    channels = {
        "stdout": run.stdout, "stderr": run.stderr,
        "events": (tmp_path / "events.jsonl").read_text(), "trace": (tmp_path / "trace.json").read_text(),
        "report": (tmp_path / "report.html").read_text(), "explain": explained.stdout + explained.stderr,
        "report command": report.stdout + report.stderr,
        "process command lines": "\n".join(argv_seen),
    }
    left_on_target = [host.home, Path("/root/.ansible"), Path("/root/.ansible_async"),
                      *(Path("/tmp") / name for name in set(os.listdir("/tmp")) - tmp_before)]
    for root in left_on_target:
        for path in _files_under(root, started):
            channels[str(path)] = path.read_bytes().decode(errors="replace")
    assert len(argv_seen) > 10, "the process sampler saw nothing"
    assert _hits(secrets, channels) == []
    assert "(item=(censored due to no_log))" in run.stdout
    assert "FAILED - RETRYING" in run.stdout and "censored" in run.stdout


CENSORED_SHAPES = """
- hosts: all
  gather_facts: false
  tasks:
    - name: loop
      debug: msg="x {{ item }}"
      loop: [hidden-a, hidden-b]
      no_log: true
      register: looped
    - debug: var=looped
    - name: until
      command: echo hidden-u
      register: until_result
      until: until_result.attempts > 1
      retries: 3
      delay: 0
      no_log: true
    - name: failing
      command: /bin/false hidden-f
      no_log: true
      ignore_errors: true
    - set_fact: fact=hidden-s
      no_log: true
    - name: loop fail
      command: "/bin/false {{ item }}"
      loop: [hidden-l]
      no_log: true
      ignore_errors: true
    - name: no_log per item
      debug: msg="{{ item }}"
      loop: [shown, hidden-p]
      no_log: "{{ item == 'hidden-p' }}"
"""


@pytest.mark.parametrize("verbosity", [[], ["-v"]])
def test_censored_shapes_match_ansible(tmp_path: Path, verbosity: list[str]) -> None:
    """Item labels, loop results, failures, set_fact and per-item no_log, line for line as
    ansible-core prints them; `register` keeps the real values in both."""
    require_ansible()
    write(tmp_path / "p/hosts", "localhost ansible_connection=local ansible_python_interpreter=/usr/bin/python3\n")
    playbook = write(tmp_path / "p/site.yml", CENSORED_SHAPES)
    ours, _ = compare(playbook, tmp_path / "p/hosts", *verbosity)
    assert "(item=(censored due to no_log))" in ours.stdout and '"item": "hidden-a"' in ours.stdout


def _retry_block(text: str) -> str:
    start = text.index("FAILED - RETRYING")
    return text[start:text.index("\n}\n", start) + 2]


def test_a_censored_retry_at_vvv_matches_ansible(tmp_path: Path) -> None:
    require_ansible()
    write(tmp_path / "hosts", "localhost ansible_connection=local ansible_python_interpreter=/usr/bin/python3\n")
    write(tmp_path / "site.yml", CENSORED_SHAPES)
    theirs = ansible_playbook("-vvv", "-i", "hosts", "site.yml", cwd=tmp_path)
    ours = miniplay("run", "-vvv", "-i", "hosts", "site.yml", cwd=tmp_path)
    assert _retry_block(ours.stdout) == _retry_block(theirs.stdout)
    assert '"retries": 4' in _retry_block(ours.stdout) and "hidden-u" not in _retry_block(ours.stdout)
