"""One connection and one worker per host (and per become user) for the whole run.

Connection settings come from the host's variables (ansible_connection,
ansible_host, ansible_user, ...), rendered once when the host is first used.
A host that cannot be reached raises ConnectionFailed, which the executor turns
into an UNREACHABLE result.
"""
from __future__ import annotations

import functools
import sys
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..core.errors import ConnectionFailed, MiniplayError, TemplateError
from ..core.fieldtypes import loose_bool
from .factory import connection_for
from .worker import WorkerClient, WorkerError

if TYPE_CHECKING:
    from ..core.model import Task
    from ..core.options import Options
    from ..templating.templar import Templar
    from ..vars.layers import VarsView

CONNECTION_VARS = (
    "ansible_connection", "ansible_host", "ansible_port", "ansible_user", "ansible_ssh_private_key_file",
    "ansible_private_key_file", "ansible_password", "ansible_ssh_pass", "ansible_ssh_common_args",
    "ansible_ssh_extra_args", "ansible_ssh_timeout", "ansible_timeout", "ansible_python_interpreter",
    "ansible_host_key_checking", "ansible_ssh_host_key_checking", "ansible_become", "ansible_become_user",
    "ansible_become_method", "ansible_become_password", "ansible_become_pass", "ansible_async_dir",
    "ansible_user_known_hosts_file", "ansible_ssh_known_hosts_file",
    "ansible_ssh_host", "ansible_ssh_port", "ansible_ssh_user", "ansible_ssh_password", "ansible_ssh_args",
    "ansible_become_flags", "ansible_become_exe",
)

# Seconds a worker has, once asked to exit at the end of the run, before it is killed.
CLOSE_BOUND = 2.0
PREPARE_LOOK = 50

# Play/block/task keywords that choose the connection, and the variable that wins over each.
CONNECTION_KEYWORDS = (("remote_user", "ansible_user"), ("port", "ansible_port"), ("connection", "ansible_connection"))


class Connections:
    """Opens connections and workers lazily, one per (host, become user)."""

    def __init__(self, options: Options, templar: Templar, knows_host: Callable[[str], bool],
                 host_view: Callable[[str], VarsView], on_worker_event: Callable[[str, dict[str, Any]], None]) -> None:
        """`knows_host(name)`: the name is in the inventory; `host_view(name)`: that host's
        variables (for delegate_to); `on_worker_event(host, message)`: a worker reported a job event."""
        self.options = options
        self.templar = templar
        self.knows_host = knows_host
        self.host_view = host_view
        self.on_worker_event = on_worker_event
        # keyed by (host, become user) and the connection keywords when a task sets any
        self._workers: dict[tuple[str, str] | tuple[str, str, tuple], WorkerClient] = {}
        # keyed by host, or (host, connection keywords)
        self._connections: dict[str | tuple[str, tuple], Any] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    def prepare(self, hosts: list[str]) -> None:
        """Load the SSH libraries (fabric, paramiko) here, once, when one of the hosts uses SSH.

        Left to the first task, every host thread imports them at the same moment and all but
        one queue on the import lock. Only the first PREPARE_LOOK hosts are looked at: past
        that the libraries load on first use, as before.
        """
        for host in hosts[:PREPARE_LOOK]:
            try:
                kind = self.host_view(host).get("ansible_connection")
            except Exception:
                kind = None   # not renderable yet: the connection will say why
            if kind is None and host in ("localhost", "127.0.0.1") and not self.knows_host(host):
                continue
            if str(kind or "ssh") in ("ssh", "paramiko", "smart"):
                from .ssh import load_libraries

                load_libraries()
                return

    def _lock_for(self, host: str) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(host, threading.Lock())

    def settings(self, host: str, view: VarsView) -> dict[str, Any]:
        """The host's connection variables, rendered."""
        values: dict[str, Any] = {}
        for name in CONNECTION_VARS:
            if name in view:
                try:
                    values[name] = view[name]
                except (TemplateError, KeyError):
                    continue
        if host in ("localhost", "127.0.0.1") and "ansible_connection" not in values \
                and not self.knows_host(host):
            values["ansible_connection"] = "local"
        values.setdefault("_options", self.options)
        return values

    def target_for(self, host: str, view: VarsView, task: Task | None) -> tuple[str, VarsView]:
        """The host a task really runs on (delegate_to) and that host's variables."""
        if task is None or not task.get("delegate_to"):
            return host, view
        delegate = str(self.templar.template(task.get("delegate_to"), view))
        if delegate == host:
            return host, view
        if not self.knows_host(delegate) and delegate not in ("localhost", "127.0.0.1"):
            raise MiniplayError(f"delegate_to: the host '{delegate}' is not in the inventory")
        return delegate, self.host_view(delegate)

    def _keywords(self, task: Task | None, view: VarsView) -> tuple:
        """The task's remote_user/port/connection keywords, rendered (empty when none is set)."""
        if task is None:
            return ()
        values = tuple(task.get(keyword) for keyword, _ in CONNECTION_KEYWORDS)
        if all(value is None for value in values):
            return ()
        return tuple(None if value is None else self.templar.template(value, view) for value in values)

    def _with_keywords(self, settings: dict[str, Any], keywords: tuple) -> dict[str, Any]:
        """Keywords fill in what the host's variables leave open (ansible_user beats remote_user),
        and -c/--connection what both leave open."""
        for (_, var), value in zip(CONNECTION_KEYWORDS, keywords, strict=False):
            if value is not None and var not in settings:
                settings[var] = value
        if self.options.connection and "ansible_connection" not in settings:  # -c: under variables and keywords
            settings["ansible_connection"] = self.options.connection
        return settings

    def worker(self, host: str, view: VarsView, task: Task | None = None) -> WorkerClient:
        target, target_view = self.target_for(host, view, task)
        become_user = self._become_user(task, view)
        keywords = self._keywords(task, view)
        key = (target, become_user or "", keywords) if keywords else (target, become_user or "")
        worker = self._workers.get(key)
        if worker is not None and worker.alive and getattr(worker.connection, "alive", True):
            return worker
        with self._lock_for(target):
            worker = self._workers.get(key)
            if worker is not None and worker.alive and getattr(worker.connection, "alive", True):
                return worker
            if worker is not None:  # it died, or its connection dropped: start afresh (ssh re-opens once)
                self._workers.pop(key, None)
                _close_quietly(worker)
            settings = self._with_keywords(self.settings(target, target_view), keywords)
            connection = self._connection(target, settings, keywords)
            python = settings.get("ansible_python_interpreter") or (
                sys.executable if connection.transport == "local" else "python3")
            prefix, handshake = "", None
            if become_user is not None:
                from .become import become_for

                become = become_for(self.options, self.templar, task, view, become_user, settings)
                prefix, handshake = become.prefix, become.handshake

            def on_event(msg: dict, h: str = target) -> None:
                self.on_worker_event(h, msg)

            worker = WorkerClient(connection, str(python), on_event=on_event, command_prefix=prefix, handshake=handshake)
            try:
                worker.start()
            except (WorkerError, ConnectionFailed):
                worker.close()
                raise
            self._workers[key] = worker
            return worker

    def _become_user(self, task: Task | None, view: VarsView) -> str | None:
        if task is None:
            return None
        config = self.options.config or {}
        become = task.get("become")
        if become is None:
            become = view.get("ansible_become", self.options.become or config.get("become"))
        become = self.templar.template(become, view)
        if isinstance(become, str):  # "yes"/"false" from a variable or ansible.cfg
            become = loose_bool(become)
        if not become:
            return None
        user = task.get("become_user") or view.get("ansible_become_user") or self.options.become_user \
            or config.get("become_user") or "root"
        return str(self.templar.template(user, view))

    def _connection(self, host: str, settings: dict[str, Any], keywords: tuple = ()):
        key = (host, keywords) if keywords else host
        connection = self._connections.get(key)
        if connection is None:
            connection = connection_for(host, settings)
            try:
                connection.open()
            except ConnectionFailed:
                raise
            except Exception as exc:  # a connection library error is still just "unreachable"
                raise ConnectionFailed(f"Failed to connect to the host: {exc}") from None
            self._connections[key] = connection
        return connection

    def connection(self, host: str, view: VarsView, task: Task | None = None):
        """The open connection to the host (for raw commands)."""
        target, target_view = self.target_for(host, view, task)
        keywords = self._keywords(task, view)
        with self._lock_for(target):
            return self._connection(target, self._with_keywords(self.settings(target, target_view), keywords),
                                    keywords)

    def become_plan(self, host: str, view: VarsView, task: Task | None = None):
        """How this task becomes another user (a `become.Become`), or None without become.

        For callers that run commands themselves (`raw`): `plan.run(connection, command)`.
        """
        become_user = self._become_user(task, view)
        if become_user is None:
            return None
        from .become import become_for

        target, target_view = self.target_for(host, view, task)
        settings = self._with_keywords(self.settings(target, target_view), self._keywords(task, view))
        return become_for(self.options, self.templar, task, view, become_user, settings)

    def reset(self, host: str) -> bool:
        """Close the host's workers and connection (`meta: reset_connection`), so the next task
        logs in afresh: new group memberships, a changed shell or sshd setting take effect.
        False when nothing was open."""
        with self._lock_for(host):
            workers = [key for key in self._workers if key[0] == host]
            connections = [key for key in self._connections if key == host or (isinstance(key, tuple) and key[0] == host)]
            for key in workers:
                _close_quietly(self._workers.pop(key))
            for connection_key in connections:
                _close_quietly(self._connections.pop(connection_key))
        return bool(workers or connections)

    def close_all(self, bound: float = CLOSE_BOUND) -> list[threading.Thread]:
        """End every worker and connection of the run without making the run wait on them.

        Every worker is asked to exit at once; then one thread per connection waits for that
        host's workers to go (each at most `bound` seconds: one that does not answer is killed,
        or its channel closed) and closes the connection. The threads are returned, already
        started; they are not daemons, so a controller that exits still ends its workers first
        (within the bound), but nothing before that — the recap included — waits for them.
        """
        workers, connections = list(self._workers.items()), list(self._connections.items())
        self._workers.clear()
        self._connections.clear()
        leaving: dict[str, list[Any]] = {}
        for key, worker in workers:
            process = _quietly(worker.ask_to_exit)
            if process is not None:
                leaving.setdefault(key[0], []).append(process)
        closers = []
        for host in {*leaving, *(_host_of(key) for key, _ in connections)}:
            mine = [connection for key, connection in connections if _host_of(key) == host]
            closer = threading.Thread(target=_finish_host, args=(leaving.get(host, []), mine, bound),
                                      name=f"closing-{host}")
            closer.start()
            closers.append(closer)
        return closers


def _host_of(key: str | tuple[str, tuple]) -> str:
    return key if isinstance(key, str) else key[0]


def _quietly(call: Callable[[], Any]) -> Any:
    """call(), or None when it fails: the worker or connection may already be gone."""
    try:
        return call()
    except Exception:
        return None


def _finish_host(processes: list[Any], connections: list[Any], bound: float) -> None:
    """Give the host's workers `bound` seconds to leave (killed after it), then close its connections.

    A worker that its connection's close ends (an SSH channel: the exit request is already
    on the wire, and the closed channel is its EOF) is not waited for: waiting would end the
    same way, a round trip later (at 20 hosts, 0.1 s at the end of every run)."""
    for process in processes:
        if not (connections and process.ends_with_connection):
            _quietly(functools.partial(process.terminate, grace=bound))
    for connection in connections:
        _close_quietly(connection)


def _close_quietly(closable: Any) -> None:
    """Close a worker or connection that may already be gone."""
    _quietly(closable.close)
