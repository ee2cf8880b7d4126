"""The connection interface: how the controller reaches one host.

Deliberately tiny: open, start a long-lived process (the worker), run one plain
command (for `raw` and for probing), close. Orchestration — what to run and
when — lives above it in the strategy, the executor and the worker client.
"""
from __future__ import annotations

import abc
from dataclasses import dataclass
from typing import IO


@dataclass
class CommandResult:
    rc: int
    stdout: bytes
    stderr: bytes


class RemoteProcess(abc.ABC):
    """A process running on the host with its three standard streams."""

    stdin: IO[bytes]
    stdout: IO[bytes]
    stderr: IO[bytes]
    # True when closing the process's connection ends it as surely as waiting for it would:
    # over SSH, the most `terminate` can do is close the channel, which closing the
    # connection does too, so the end of a run need not wait for such a worker to leave.
    ends_with_connection = False

    @abc.abstractmethod
    def poll(self) -> int | None:
        """The exit status if the process has ended, else None."""

    @abc.abstractmethod
    def wait(self, timeout: float) -> int | None:
        """The exit status once the process has ended; None if it is still running after `timeout`."""

    @abc.abstractmethod
    def terminate(self, grace: float = 2.0) -> None:
        """End its input, give it `grace` seconds to exit, then stop it (and close its streams)."""


class Connection(abc.ABC):
    """One host. Implementations: local (subprocess) and ssh (fabric)."""

    transport = "base"
    # False when a started worker should stop writing to its stderr stream, so the controller
    # can release that stream's descriptor (local pipes); SSH channel streams cost nothing.
    stderr_after_start = True

    def __init__(self, host: str, variables: dict) -> None:
        self.host = host
        self.variables = variables

    @abc.abstractmethod
    def open(self) -> None:
        """Connect; raise ConnectionFailed with the cause if the host cannot be reached."""

    @abc.abstractmethod
    def start_process(self, command: str) -> RemoteProcess:
        """Start `command` (a shell command line) and return it with open pipes."""

    @abc.abstractmethod
    def exec_command(self, command: str, stdin: bytes | None = None,
                     timeout: float | None = None) -> CommandResult:
        """Run a shell command to completion."""

    def close(self) -> None:  # noqa: B027  (optional on purpose: a connection with nothing to release keeps it)
        """Release the connection; the default has nothing to release."""
