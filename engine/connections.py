"""One connection and one worker per host (and per become user) for the whole run.

Connection settings come from the host's variables (ansible_connection,
ansible_host, ansible_user, ...), rendered once when the host is first used.
A host that cannot be reached raises ConnectionFailed, which the executor turns
into an UNREACHABLE result.
"""
from __future__ import annotations

import sys
import threading
from typing import TYPE_CHECKING, Any, Optional

from .connection.factory import connection_for
from .errors import ConnectionFailed, MiniplayError, TemplateError
from .workerclient import WorkerClient, WorkerError

if TYPE_CHECKING:
    from .model import Task
    from .run import Run
    from .vars import VarsView

CONNECTION_VARS = (
    "ansible_connection", "ansible_host", "ansible_port", "ansible_user", "ansible_ssh_private_key_file",
    "ansible_private_key_file", "ansible_password", "ansible_ssh_pass", "ansible_ssh_common_args",
    "ansible_ssh_extra_args", "ansible_ssh_timeout", "ansible_timeout", "ansible_python_interpreter",
    "ansible_host_key_checking", "ansible_ssh_host_key_checking", "ansible_become", "ansible_become_user",
    "ansible_become_method", "ansible_become_password", "ansible_become_pass", "ansible_async_dir",
    "ansible_user_known_hosts_file", "ansible_ssh_known_hosts_file",
)


class Connections:
    """Opens connections and workers lazily, one per (host, become user)."""

    def __init__(self, run: "Run") -> None:
        self.run = run
        self._workers: dict[tuple[str, str], WorkerClient] = {}
        self._connections: dict[str, Any] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    def _lock_for(self, host: str) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(host, threading.Lock())

    def settings(self, host: str, view: "VarsView") -> dict[str, Any]:
        """The host's connection variables, rendered."""
        values: dict[str, Any] = {}
        for name in CONNECTION_VARS:
            if name in view:
                try:
                    values[name] = view[name]
                except (TemplateError, KeyError):
                    continue
        if host in ("localhost", "127.0.0.1") and "ansible_connection" not in values \
                and host not in self.run.inventory.hosts:
            values["ansible_connection"] = "local"
        options = self.run.options
        values.setdefault("_options", options)
        return values

    def target_for(self, host: str, view: "VarsView", task: Optional["Task"]) -> tuple[str, "VarsView"]:
        """The host a task really runs on (delegate_to) and that host's variables."""
        if task is None or not task.get("delegate_to"):
            return host, view
        delegate = str(self.run.templar.template(task.get("delegate_to"), view))
        if delegate == host:
            return host, view
        if delegate not in self.run.inventory.hosts and delegate not in ("localhost", "127.0.0.1"):
            raise MiniplayError(f"delegate_to: the host '{delegate}' is not in the inventory")
        return delegate, self.run.vars.view(delegate, None)

    def worker(self, host: str, view: "VarsView", task: Optional["Task"] = None) -> WorkerClient:
        target, target_view = self.target_for(host, view, task)
        become_user = self._become_user(task, view)
        key = (target, become_user or "")
        worker = self._workers.get(key)
        if worker is not None and worker.alive:
            return worker
        with self._lock_for(target):
            worker = self._workers.get(key)
            if worker is not None and worker.alive:
                return worker
            settings = self.settings(target, target_view)
            connection = self._connection(target, settings)
            python = settings.get("ansible_python_interpreter") or (
                sys.executable if connection.transport == "local" else "python3")
            prefix = ""
            if become_user is not None:
                from .become import become_prefix

                prefix = become_prefix(self.run, task, view, become_user, settings)
            worker = WorkerClient(connection, str(python), on_event=lambda msg, h=target: self.run.jobs.on_worker_event(h, msg),
                                  command_prefix=prefix)
            try:
                worker.start()
            except WorkerError:
                worker.close()
                raise
            self._workers[key] = worker
            return worker

    def _become_user(self, task: Optional["Task"], view: "VarsView") -> Optional[str]:
        if task is None:
            return None
        become = task.get("become")
        if become is None:
            become = view.get("ansible_become", self.run.options.become)
        if not self.run.templar.template(become, view):
            return None
        user = task.get("become_user") or view.get("ansible_become_user") or self.run.options.become_user or "root"
        return str(self.run.templar.template(user, view))

    def _connection(self, host: str, settings: dict[str, Any]):
        connection = self._connections.get(host)
        if connection is None:
            connection = connection_for(host, settings)
            try:
                connection.open()
            except ConnectionFailed:
                raise
            except Exception as exc:  # a connection library error is still just "unreachable"
                raise ConnectionFailed(f"Failed to connect to the host: {exc}") from None
            self._connections[host] = connection
        return connection

    def connection(self, host: str, view: "VarsView", task: Optional["Task"] = None):
        """The open connection to the host (for raw commands)."""
        target, target_view = self.target_for(host, view, task)
        with self._lock_for(target):
            return self._connection(target, self.settings(target, target_view))

    def close_all(self) -> None:
        for worker in list(self._workers.values()):
            try:
                worker.close()
            except Exception:
                pass
        self._workers.clear()
        for connection in list(self._connections.values()):
            try:
                connection.close()
            except Exception:
                pass
        self._connections.clear()
