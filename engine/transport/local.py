"""The local connection: the target is this machine, processes are subprocesses."""
from __future__ import annotations

import os
import signal
import subprocess

from .base import CommandResult, Connection, RemoteProcess


class LocalProcess(RemoteProcess):
    def __init__(self, popen: subprocess.Popen[bytes]) -> None:
        if popen.stdin is None or popen.stdout is None or popen.stderr is None:
            raise ValueError("LocalProcess needs a process started with stdin, stdout and stderr pipes")
        self.popen = popen
        self.stdin = popen.stdin
        self.stdout = popen.stdout
        self.stderr = popen.stderr

    def poll(self) -> int | None:
        return self.popen.poll()

    def wait(self, timeout: float) -> int | None:
        try:
            return self.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None

    def terminate(self, grace: float = 2.0) -> None:
        """Close stdin (the worker ends on EOF); after `grace`, kill what is left of its process
        group (the shell and the interpreter under it; async jobs have their own sessions)."""
        try:
            self.stdin.close()
        except OSError:
            pass
        try:
            self.popen.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            try:
                os.killpg(self.popen.pid, signal.SIGKILL)
            except OSError:
                self.popen.kill()
            self.popen.wait()


class LocalConnection(Connection):
    transport = "local"

    def open(self) -> None:
        """Nothing to open: the host is this machine."""

    def start_process(self, command: str) -> RemoteProcess:
        popen = subprocess.Popen(command, shell=True, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, bufsize=0, start_new_session=True,
                                 env=dict(os.environ))
        return LocalProcess(popen)

    def exec_command(self, command: str, stdin: bytes | None = None,
                     timeout: float | None = None) -> CommandResult:
        proc = subprocess.run(command, shell=True, input=stdin,
                              stdin=None if stdin is not None else subprocess.DEVNULL,
                              capture_output=True, timeout=timeout)
        return CommandResult(proc.returncode, proc.stdout, proc.stderr)
