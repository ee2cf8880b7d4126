"""vars_prompt on a terminal: the questions, private answers, confirm, defaults and -e.

Runs the real CLI on a pseudo-terminal (the only way a program sees a terminal in a test) and
answers as a user would. Without a terminal the behaviour is compared with ansible-core in
tests/differential/vars_prompt.yml.
"""
from __future__ import annotations

import os
import pty
import select
import sys
import time
from pathlib import Path

from helpers import write

PLAYBOOK = """
- hosts: localhost
  gather_facts: false
  vars_prompt:
    - name: user_name
      prompt: Your name
      default: bob
      private: false
    - name: secret
      prompt: Secret
      confirm: true
    - name: skipped
      prompt: Never asked
  tasks:
    - debug:
        msg: "name={{ user_name }} secret={{ secret }} skipped={{ skipped }}"
"""


def run_on_terminal(args: list[str], cwd: Path, answers: list[tuple[str, str]], timeout: float = 60) -> tuple[int, str]:
    """Start `miniplay ARGS` on a pseudo-terminal; when the output shows a question, type its answer."""
    pid, fd = pty.fork()
    if pid == 0:  # the child: miniplay, with the terminal as stdin/stdout
        os.chdir(cwd)
        env = dict(os.environ, PYTHONPATH="")
        os.execve(sys.executable, [sys.executable, "-m", "miniplay", *args], env)
    seen, pending, deadline = "", list(answers), time.monotonic() + timeout
    answered_upto = 0  # a question counts only if it appears after the last answer
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.5)
        if ready:
            try:
                chunk = os.read(fd, 4096).decode(errors="replace")
            except OSError:  # the child closed the terminal: it has ended
                break
            if not chunk:
                break
            seen += chunk
            if pending and seen.endswith(pending[0][0]) and len(seen) - len(pending[0][0]) >= answered_upto:
                os.write(fd, (pending.pop(0)[1] + "\n").encode())
                answered_upto = len(seen)
    if time.monotonic() >= deadline:
        os.kill(pid, 9)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status), seen.replace("\r\n", "\n")


def test_prompts_on_a_terminal(tmp_path: Path) -> None:
    playbook = write(tmp_path / "site.yml", PLAYBOOK)
    answers = [("Your name [bob]: ", ""), ("Secret: ", "one"), ("confirm Secret: ", "two"),
               ("Secret: ", "s3"), ("confirm Secret: ", "s3")]
    rc, output = run_on_terminal(["run", str(playbook), "-e", "skipped=given"], tmp_path, answers)
    assert rc == 0, output
    assert "***** VALUES ENTERED DO NOT MATCH ****" in output
    assert '"msg": "name=bob secret=s3 skipped=given"' in output
    assert "Never asked" not in output, "a variable given with -e is not asked"
    assert "one" not in output.split("Secret: ", 1)[1].split("TASK")[0], "a private answer is not echoed"
