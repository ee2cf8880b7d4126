"""become: start the worker as another user through sudo or su.

How this works
--------------
A become worker is started with a prefix in front of the usual worker command:

    sudo -H -S -p '<random prompt>' -u USER /bin/sh -c 'echo <marker> >&2; exec "$0" "$@"' python3 -u -c ...
    su USER -c 'echo <marker> >&2; exec "$0" "$@"' -- python3 -u -c ...

Before the worker client sends anything, `Become.handshake` reads the process's stderr:

* the prompt appears (sudo prints our random prompt; su prints its own "Password:"): the
  password is written to the process's stdin, once; a second prompt means it was wrong;
* the marker appears: the command now runs as USER, and the worker protocol can start;
* the stream ends first: escalation failed, and sudo/su said why on stderr.

The password only ever travels on the process's stdin: it is never part of a command line
(so never in `ps`, logs or job files) and it is never sent unless the prompt asked for it, so
it cannot leak into the worker's input either. Async jobs started by a become worker run as
USER and write their status files in USER's home (sudo -H, su set HOME).
"""
from __future__ import annotations

import secrets
import shlex
import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .worker import WorkerError

if TYPE_CHECKING:
    from ..core.model import Task
    from ..core.options import Options
    from ..templating.templar import Templar
    from ..vars.layers import VarsView
    from .base import CommandResult, Connection, RemoteProcess

METHODS = ("sudo", "su")
DEFAULT_FLAGS = {"sudo": "-H", "su": ""}
DEFAULT_TIMEOUT = 10.0


@dataclass
class Become:
    """How to become `user` on one host: the command prefix and the password handshake."""

    method: str
    user: str
    password: str | None = field(default=None, repr=False)
    flags: str = ""
    exe: str = ""
    timeout: float = DEFAULT_TIMEOUT
    nonce: str = field(default_factory=lambda: secrets.token_hex(12))

    @property
    def prompt(self) -> str:
        return f"[miniplay become {self.nonce}] password:"

    @property
    def marker(self) -> str:
        return f"MINIPLAY-BECOME-OK-{self.nonce}"

    @property
    def prefix(self) -> str:
        """Goes in front of `python3 -u -c <bootstrap>`; the python command becomes "$0" "$@"."""
        script = shlex.quote(f'echo {self.marker} >&2; exec "$0" "$@"')
        exe = self.exe or self.method
        flags = f"{self.flags} " if self.flags else ""
        if self.method == "su":
            return f"{exe} {flags}{shlex.quote(self.user)} -c {script} -- "
        return f"{exe} {flags}-S -p {shlex.quote(self.prompt)} -u {shlex.quote(self.user)} /bin/sh -c {script} "

    # ------------------------------------------------------------------ handshake
    def handshake(self, process: RemoteProcess) -> bytes:
        """Answer the password prompt if there is one; return once the command runs as the user.

        Returns what the command already printed on stderr after the marker. Raises
        WorkerError (carrying the task result to show) when escalation fails.
        """
        timed_out = threading.Event()

        def expire() -> None:
            timed_out.set()
            _stop(process)

        timer = threading.Timer(self.timeout, expire)
        timer.daemon = True
        timer.start()
        stream = process.stderr
        read = stream.read1 if hasattr(stream, "read1") else stream.read
        marker = self.marker.encode()
        prompt = self.prompt.encode()
        seen = b""        # everything printed, for the error message
        pending = b""     # printed since the password was last sent
        answered = False
        try:
            while True:
                try:
                    chunk = read(4096)
                except (OSError, ValueError):
                    chunk = b""
                if not chunk:
                    break
                seen += chunk
                pending += chunk
                if marker in pending:
                    rest = pending.split(marker, 1)[1]
                    return rest[1:] if rest.startswith(b"\n") else rest
                if self._prompted(pending, prompt):
                    if self.password is None:
                        raise self._failure(f"Missing {self.method} password", seen, process)
                    if answered:
                        raise self._failure(f"Incorrect {self.method} password", seen, process)
                    try:
                        process.stdin.write(self.password.encode() + b"\n")
                        process.stdin.flush()
                    except OSError:
                        break
                    answered = True
                    pending = b""
        finally:
            timer.cancel()
        text = _clean(seen, self.prompt)
        if timed_out.is_set():
            raise self._failure(f"Timeout ({self.timeout:g}s) waiting for privilege escalation prompt: {text}",
                                seen, process)
        if answered and self.method == "su" and "failure" in text.lower():
            raise self._failure(f"Incorrect {self.method} password", seen, process)
        raise self._failure(f"Privilege escalation failed ({self.method} to {self.user}): "
                            f"{text or 'no output'}", seen, process)

    def run(self, connection: Connection, command: str) -> CommandResult:
        """Run one shell command as the become user (for `raw`): the same prefix and handshake."""
        from .base import CommandResult

        process = connection.start_process(f"{self.prefix}/bin/sh -c {shlex.quote(command)}")
        errors = [self.handshake(process)]
        process.stdin.close()

        def drain() -> None:
            read = process.stderr.read1 if hasattr(process.stderr, "read1") else process.stderr.read
            while True:
                chunk = read(65536)
                if not chunk:
                    return
                errors.append(chunk)

        reader = threading.Thread(target=drain, daemon=True)
        reader.start()
        out = []
        read = process.stdout.read1 if hasattr(process.stdout, "read1") else process.stdout.read
        while True:
            chunk = read(65536)
            if not chunk:
                break
            out.append(chunk)
        reader.join()
        status = process.poll()
        while status is None:
            time.sleep(0.01)
            status = process.poll()
        return CommandResult(status, b"".join(out), b"".join(errors))

    def _prompted(self, pending: bytes, prompt: bytes) -> bool:
        if self.method == "sudo":
            return prompt in pending
        # su prints its own, translated prompt ("Password: ", "Passwort: ", ...) and then waits
        tail = pending.rstrip(b" ")
        return tail.endswith(b":") or tail.endswith("\uff1a".encode())

    def _failure(self, message: str, seen: bytes, process: RemoteProcess) -> WorkerError:
        _stop(process)
        detail = _clean(seen, self.prompt)
        result = {"changed": False, "failed": True, "msg": f"Task failed: {message}"}
        return WorkerError(message, detail, rc=1, result=result)


def _stop(process: RemoteProcess) -> None:
    try:
        process.terminate()
    except Exception:
        pass


def _clean(seen: bytes, prompt: str) -> str:
    text = seen.decode("utf-8", errors="replace").replace(prompt, "")
    lines = [line.strip() for line in text.replace("\r", "\n").splitlines()]
    return " ".join(line for line in lines if line and line not in ("Sorry, try again.",))


# ---------------------------------------------------------------------- choosing
def become_for(options: Options, templar: Templar, task: Task | None, view: VarsView, become_user: str,
               settings: dict[str, Any]) -> Become:
    """The become plan for a task: method, flags, password, from keywords, vars, flags, ansible.cfg."""
    config = getattr(options, "config", {}) or {}

    def keyword(name: str, var: str, option: str | None, default: Any) -> Any:
        value = task.get(name) if task is not None else None
        if value is None:
            value = settings.get(var) if var in settings else view.get(var)
        if value is None and option:
            value = getattr(options, option, None)
        if value is None:
            value = config.get(name)
        if value is None:
            return default
        return templar.template(value, view)

    method = str(keyword("become_method", "ansible_become_method", "become_method", "sudo")).strip()
    if method not in METHODS:
        message = f"Task failed: Invalid become method specified, could not find matching plugin: '{method}' " \
                  f"(miniplay supports {', '.join(METHODS)})"
        raise WorkerError(message, result={"changed": False, "failed": True, "msg": message})
    flags = keyword("become_flags", "ansible_become_flags", None, DEFAULT_FLAGS[method])
    exe = keyword("become_exe", "ansible_become_exe", None, method)
    password = settings.get("ansible_become_password", settings.get("ansible_become_pass"))
    if password is None:
        password = getattr(options, "become_password", None)
    timeout = settings.get("ansible_timeout") or settings.get("ansible_ssh_timeout") or options.timeout
    try:
        timeout_value = float(timeout) if timeout else DEFAULT_TIMEOUT
    except (TypeError, ValueError):
        timeout_value = DEFAULT_TIMEOUT
    return Become(method=method, user=become_user, password=None if password is None else str(password),
                  flags=str(flags or "").strip(), exe=str(exe or method), timeout=max(timeout_value, 1.0))
