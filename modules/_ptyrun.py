"""Run a program on a pseudo-terminal and answer its prompts: what `expect` needs, with no pexpect.

How this works: the child gets a new session whose controlling terminal is the slave side
of a pty (so programs that insist on a tty, like passwd or ssh-keygen prompts, talk to us);
we read the master side, keep the unread output in a buffer and, after every read, look for
the prompt patterns. The pattern that matches earliest in the buffer wins (the first listed
on a tie), everything up to the end of its match becomes output, and its answer is written
back. The timeout counts from the previous match, as pexpect's `run` counts it; when it runs
out the child's process group is stopped (HUP, CONT, INT, then KILL) and the exit code is None.
"""
from __future__ import annotations

import errno
import fcntl
import os
import re
import select
import signal
import struct
import subprocess
import termios
import time
from typing import Callable, List, Union

# Runtime aliases use typing's names: the target's Python may be 3.8.
Answer = Union[bytes, Callable[[List[bytes]], bytes]]


def _child_setup(slave: int, echo: bool) -> Callable[[], None]:
    def setup() -> None:
        os.setsid()
        fcntl.ioctl(slave, termios.TIOCSCTTY, 0)
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
        if not echo:
            attrs = termios.tcgetattr(slave)
            attrs[3] &= ~termios.ECHO
            termios.tcsetattr(slave, termios.TCSANOW, attrs)
    return setup


def _stop(proc: subprocess.Popen) -> None:
    """pexpect's forced close: HUP, CONT and INT first, KILL if it still lives."""
    for sig in (signal.SIGHUP, signal.SIGCONT, signal.SIGINT):
        try:
            os.killpg(proc.pid, sig)
        except OSError:
            return
    try:
        proc.wait(timeout=0.1)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except OSError:
            pass
        proc.wait()


def _earliest(patterns: list[re.Pattern[bytes]], buffer: bytes) -> tuple[int, re.Match[bytes]] | None:
    best = None
    for index, pattern in enumerate(patterns):
        found = pattern.search(buffer)
        if found and (best is None or found.start() < best[1].start()):
            best = (index, found)
    return best


def run_with_answers(argv: list[str], answers: list[tuple[bytes, Answer]], timeout: float | None,
                     cwd: str | None, env: dict[str, str], echo: bool) -> tuple[bytes, int | None]:
    """(all output, exit status or None on timeout). An answer may be a function of the output so far."""
    patterns = [re.compile(question) for question, _answer in answers]
    master, slave = os.openpty()
    try:
        proc = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, cwd=cwd, env=env,
                                preexec_fn=_child_setup(slave, echo), close_fds=True)
    finally:
        os.close(slave)
    output: list[bytes] = []
    buffer = b""
    deadline = None if timeout is None else time.monotonic() + timeout
    timed_out = False
    try:
        while True:
            wait = None if deadline is None else max(0.0, deadline - time.monotonic())
            ready, _, _ = select.select([master], [], [], wait)
            if not ready:
                timed_out = True
                break
            try:
                chunk = os.read(master, 4096)
            except OSError as exc:
                if exc.errno != errno.EIO:
                    raise
                chunk = b""
            if not chunk:  # the child closed the terminal: end of output
                break
            buffer += chunk
            while True:
                hit = _earliest(patterns, buffer)
                if hit is None:
                    break
                index, found = hit
                output.append(buffer[:found.end()])
                buffer = buffer[found.end():]
                answer = answers[index][1]
                reply = answer(output) if callable(answer) else answer
                os.write(master, reply)
                if timeout is not None:
                    deadline = time.monotonic() + timeout
        output.append(buffer)
    except BaseException:  # an answer that gave up (no responses left): the child must not linger
        _stop(proc)
        raise
    finally:
        if timed_out:
            _stop(proc)
        os.close(master)
    status = proc.wait()
    return b"".join(output), None if timed_out or status < 0 else status
