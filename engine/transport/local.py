"""The local connection: the target is this machine, processes are subprocesses.

A process's stdin and stdout are the two directions of one socket pair, so a worker costs
the controller one descriptor for the whole run instead of two pipes; its stderr is a pipe
that the worker closes once it has started (see `Connection.stderr_after_start`), so an
idle host holds exactly one descriptor.
"""
from __future__ import annotations

import os
import signal
import socket
import subprocess

from .base import CommandResult, Connection, RemoteProcess


class _SocketStdin:
    """The writing direction of the process's socket: close() sends EOF (the worker ends on it)."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.closed = False

    def write(self, data: bytes) -> int:
        self.sock.sendall(data)
        return len(data)

    def flush(self) -> None:
        if self.closed:
            raise BrokenPipeError("the process's stdin is closed")

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        try:
            self.sock.shutdown(socket.SHUT_WR)
        except OSError:  # the process is gone already
            pass


class LocalProcess(RemoteProcess):
    def __init__(self, popen: subprocess.Popen[bytes], sock: socket.socket) -> None:
        if popen.stderr is None:
            raise ValueError("LocalProcess needs a process started with a stderr pipe")
        self.popen = popen
        self.sock = sock
        self.stdin = _SocketStdin(sock)  # type: ignore[assignment]
        self.stdout = sock.makefile("rb")
        self.stderr = popen.stderr

    def poll(self) -> int | None:
        return self.popen.poll()

    def wait(self, timeout: float) -> int | None:
        try:
            return self.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None

    def terminate(self, grace: float = 2.0) -> None:
        """Send EOF (the worker ends on it); after `grace`, kill what is left of its process
        group (async jobs have their own sessions)."""
        self.stdin.close()
        try:
            self.popen.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            try:
                os.killpg(self.popen.pid, signal.SIGKILL)
            except OSError:
                self.popen.kill()
            self.popen.wait()
        self.sock.close()  # the descriptor goes once the reader's file object is closed too
        try:
            self.stdout.close()
        except (OSError, ValueError):  # a reader thread is still inside read()
            pass


class LocalConnection(Connection):
    transport = "local"
    stderr_after_start = False

    def open(self) -> None:
        """Nothing to open: the host is this machine."""

    def start_process(self, command: str) -> RemoteProcess:
        ours, theirs = socket.socketpair()
        try:
            # exec: the shell becomes the command, so no shell process holds a copy of its stderr
            popen = subprocess.Popen(f"exec {command}", shell=True, stdin=theirs.fileno(), stdout=theirs.fileno(),
                                     stderr=subprocess.PIPE, bufsize=0, start_new_session=True,
                                     env=dict(os.environ))
        except BaseException:
            ours.close()
            raise
        finally:
            theirs.close()
        return LocalProcess(popen, ours)

    def exec_command(self, command: str, stdin: bytes | None = None,
                     timeout: float | None = None) -> CommandResult:
        proc = subprocess.run(command, shell=True, input=stdin,
                              stdin=None if stdin is not None else subprocess.DEVNULL,
                              capture_output=True, timeout=timeout)
        return CommandResult(proc.returncode, proc.stdout, proc.stderr)
