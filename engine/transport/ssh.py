"""The SSH connection: one fabric (paramiko) connection per host, open for the whole run.

How this works
--------------
`SSHConnection.open()` resolves the host's settings the way `ssh` would see them for
Ansible — inventory variables first (ansible_host, ansible_port, ansible_user,
ansible_ssh_private_key_file, ansible_password, ansible_ssh_common_args/extra_args,
ansible_ssh_timeout, ansible_host_key_checking, ...), then the run's options (the -u,
--private-key, -k, -T flags, ansible.cfg [defaults]), then the ssh config file
(~/.ssh/config, or the file given with `-F`) — and opens one fabric `Connection`.

Everything that runs on the host then travels over that one connection: the worker is
one long-lived session channel (`start_process`), and each raw command is one short
channel (`exec_command`). Files travel inside worker requests, so no sftp is needed.

Host keys are checked by default against the known_hosts files (`~/.ssh/known_hosts` and
`/etc/ssh/ssh_known_hosts`, or `ansible_ssh_known_hosts_file`, or `-o UserKnownHostsFile`).
An unknown or changed key is refused with a clear message; never silently accepted.
`host_key_checking = False` (ansible.cfg, ANSIBLE_HOST_KEY_CHECKING, or the inventory
variables ansible_host_key_checking / ansible_ssh_host_key_checking) turns the check off.

`-o ProxyJump=` / `-J` (or ProxyJump in the ssh config) goes through fabric gateways, one
hop after the other, each with the same host key policy. `-o ProxyCommand=` works too.

Three speed details matter: TCP_NODELAY on the socket (paramiko leaves Nagle on, which costs
~40 ms per small request on loopback), the server's post-login request acknowledged at once
(`ssh_ack.py`: another 40 ms on the first channel), and one channel per worker for the whole run.

A connection that drops is re-opened once, the next time something is started on it; if
that fails the host is unreachable. `dropped` tells the worker client that the session
ended because the connection went away (UNREACHABLE), not because the worker failed.

`MINIPLAY_SSH_ISOLATED=1` in the environment makes miniplay ignore the user's own ssh
files (~/.ssh/config, ~/.ssh/known_hosts, ~/.ssh/id_*, the agent, /etc/ssh/ssh_config):
for tests and labs that must not depend on the developer's account.
"""
from __future__ import annotations

import logging
import os
import socket
import threading
import time
from typing import Any

from ..core.errors import ConnectionFailed
from .base import CommandResult, Connection, RemoteProcess
from .ssh_ack import acking_transport
from .ssh_known_hosts import keys_for
from .ssh_settings import (  # noqa: F401  (re-exported: the settings are part of this connection's API)
    DEFAULT_TIMEOUT,
    FAILED,
    ISOLATED_ENV,
    SSHSettings,
    jump_settings,
    load_ssh_config,
    parse_ssh_args,
    resolve_settings,
)


# ====================================================================== host keys
def _host_key_policies():
    import paramiko

    class Strict(paramiko.MissingHostKeyPolicy):
        def missing_host_key(self, client, hostname, key):
            raise HostKeyUnknown(hostname, key.get_name())

    class AcceptNew(paramiko.MissingHostKeyPolicy):
        def missing_host_key(self, client, hostname, key):
            client.get_host_keys().add(hostname, key.get_name(), key)  # this run only; nothing is written

    class Accept(paramiko.MissingHostKeyPolicy):
        def missing_host_key(self, client, hostname, key):
            return None

    return {"yes": Strict, "accept-new": AcceptNew, "no": Accept}


class HostKeyUnknown(Exception):
    def __init__(self, name: str, key_type: str) -> None:
        super().__init__(name)
        self.name = name
        self.key_type = key_type


# ====================================================================== streams and processes
class _ChannelWriter:
    """stdin of a remote process: write() sends everything at once; flush() has nothing to do."""

    def __init__(self, channel: Any) -> None:
        self.channel = channel

    def write(self, data: bytes) -> int:
        try:
            self.channel.sendall(data)
        except (OSError, EOFError) as exc:  # paramiko raises EOFError when the connection is gone
            raise BrokenPipeError(str(exc) or "the ssh channel is closed") from None
        return len(data)

    def flush(self) -> None:
        if self.channel.closed:
            raise BrokenPipeError("the ssh channel is closed")

    def close(self) -> None:
        try:
            self.channel.shutdown_write()
        except Exception:  # already closed, or the transport is gone
            pass

    @property
    def closed(self) -> bool:
        return self.channel.closed


class _ChannelReader:
    """stdout or stderr of a remote process. read1() returns what has arrived (b"" at the end)."""

    def __init__(self, channel: Any, stderr: bool = False) -> None:
        self.channel = channel
        self._recv = channel.recv_stderr if stderr else channel.recv

    def read1(self, size: int = -1) -> bytes:
        try:
            return self._recv(size if size and size > 0 else 1 << 16)
        except TimeoutError:
            raise
        except (OSError, EOFError):
            return b""

    def read(self, size: int = -1) -> bytes:
        if size is not None and size >= 0:
            return self.read1(size) if size else b""
        parts: list[bytes] = []
        while True:
            chunk = self.read1(1 << 16)
            if not chunk:
                return b"".join(parts)
            parts.append(chunk)

    def close(self) -> None:
        """The channel is shared with the other stream; closing happens in the process."""

    @property
    def closed(self) -> bool:
        return self.channel.closed


class SSHProcess(RemoteProcess):
    """A command running in one session channel."""

    ends_with_connection = True  # its channel closes with the connection; the worker ends on that EOF

    def __init__(self, channel: Any) -> None:
        self.channel = channel
        self.stdin = _ChannelWriter(channel)  # type: ignore[assignment]
        self.stdout = _ChannelReader(channel)  # type: ignore[assignment]
        self.stderr = _ChannelReader(channel, stderr=True)  # type: ignore[assignment]

    def poll(self) -> int | None:
        if self.channel.eof_received and not self.channel.exit_status_ready():
            self.channel.status_event.wait(0.5)  # sshd sends the exit status right after the output ends
        if self.channel.exit_status_ready():
            return self.channel.recv_exit_status()
        transport = self.channel.get_transport()
        if self.channel.closed or transport is None or not transport.is_active():
            return 255  # like ssh when the connection is gone
        return None

    def wait(self, timeout: float) -> int | None:
        self.channel.status_event.wait(timeout)
        return self.poll()

    def terminate(self, grace: float = 2.0) -> None:
        """Close stdin (the worker ends on EOF), give it a moment, then close the channel."""
        self.stdin.close()
        deadline = time.monotonic() + grace
        while not self.channel.exit_status_ready() and not self.channel.closed and time.monotonic() < deadline:
            self.channel.status_event.wait(0.05)
        self.channel.close()


# ====================================================================== the connection
class SSHConnection(Connection):
    transport = "ssh"

    def __init__(self, host: str, variables: dict) -> None:
        super().__init__(host, variables)
        self.settings: SSHSettings | None = None
        self._fabric: Any = None
        self._gateways: list[Any] = []
        self._lock = threading.RLock()
        self._closed = False
        self._opened = False

    # ------------------------------------------------------------------ state
    @property
    def alive(self) -> bool:
        transport = self._fabric.transport if self._fabric is not None else None
        return transport is not None and transport.is_active()

    @property
    def dropped(self) -> str | None:
        """Why the connection went away, if it did (and we did not close it ourselves)."""
        if not self._opened or self._closed or self.alive:
            return None
        settings = self.settings
        where = settings.address if settings else self.host
        return f"{FAILED}Connection to {where} closed by remote host."

    def _address(self) -> str:
        return self.settings.address if self.settings else self.host

    # ------------------------------------------------------------------ open / close
    def open(self) -> None:
        with self._lock:
            if self.alive:
                return
            self._closed = False
            self.settings = settings = resolve_settings(self.host, self.variables)
            gateway: Any = False
            try:
                if settings.proxy_jump:
                    gateway = self._open_jumps(settings)
                elif settings.proxy_command:
                    gateway = settings.proxy_command
                connection = _make_connection(settings, gateway)
                _connect(connection, settings, via=settings.proxy_jump)
            except BaseException:
                self._close_fabric()  # the jump hops opened so far
                raise
            self._fabric = connection
            self._opened = True

    def _open_jumps(self, settings: SSHSettings) -> Any:
        previous: Any = False
        self._gateways = []
        for hop in jump_settings(settings.proxy_jump or "", settings):
            gateway = _make_connection(hop, previous)
            _connect(gateway, hop, via=None, jump=True)
            self._gateways.append(gateway)
            previous = gateway
        return previous

    def _ensure_open(self) -> None:
        """Open on first use; re-open once if the connection dropped since."""
        with self._lock:
            if self.alive:
                return
            if self._fabric is not None:
                self._close_fabric()
            self.open()

    def close(self) -> None:
        with self._lock:
            self._closed = True
            self._close_fabric()

    def _close_fabric(self) -> None:
        for connection in [self._fabric, *reversed(self._gateways)]:
            if connection is None:
                continue
            try:
                connection.close()
            except Exception:
                pass
        self._fabric = None
        self._gateways = []

    # ------------------------------------------------------------------ running things
    def _session(self) -> Any:
        self._ensure_open()
        settings = self.settings
        assert settings is not None
        try:
            return self._fabric.transport.open_session(timeout=settings.timeout)
        except Exception as exc:
            import paramiko

            if isinstance(exc, paramiko.ChannelException):
                # The transport is up but refuses channels (MaxSessions): a host problem, not a drop.
                raise ConnectionFailed(f"{FAILED}channel open failed: {exc}") from None
            # The connection died between the liveness check and here: one more try
            # (unless another thread has re-opened it meanwhile).
            with self._lock:
                if not self.alive:
                    self._close_fabric()
                    self.open()
            try:
                return self._fabric.transport.open_session(timeout=settings.timeout)
            except Exception as again:
                raise ConnectionFailed(f"{FAILED}could not open a session channel: {again}") from None

    def start_process(self, command: str) -> RemoteProcess:
        channel = self._session()
        try:
            channel.exec_command(command)
        except Exception as exc:
            channel.close()
            if isinstance(exc, EOFError):  # paramiko's word for a connection that went away
                raise ConnectionFailed(self.dropped or f"{FAILED}Connection to {self._address()} closed by remote "
                                       "host.") from None
            raise ConnectionFailed(f"{FAILED}could not start a command: {exc}") from None
        return SSHProcess(channel)

    def exec_command(self, command: str, stdin: bytes | None = None,
                     timeout: float | None = None) -> CommandResult:
        channel = self._session()
        try:
            channel.settimeout(timeout)
            channel.exec_command(command)
            errors: list[bytes] = []
            reader = threading.Thread(target=lambda: errors.append(_ChannelReader(channel, True).read()),
                                      daemon=True)
            reader.start()
            if stdin:
                channel.sendall(stdin)
            channel.shutdown_write()
            out = _ChannelReader(channel).read()
            reader.join(timeout)
            status = channel.recv_exit_status() if channel.exit_status_ready() or not channel.closed else 255
            if status == -1:
                status = 255
            return CommandResult(status, out, errors[0] if errors else b"")
        except TimeoutError:
            raise TimeoutError(f"the command did not finish within {timeout}s") from None
        finally:
            channel.close()


# ====================================================================== fabric plumbing
def _quiet_paramiko() -> None:
    """paramiko logs channel and auth failures at WARNING; ours become result messages instead."""
    logger = logging.getLogger("paramiko")
    if not logger.handlers:
        logger.addHandler(logging.NullHandler())
        logger.propagate = False


def _make_connection(settings: SSHSettings, gateway: Any) -> Any:
    """A fabric Connection that loads no files of its own and checks host keys our way."""
    import fabric

    _quiet_paramiko()
    from paramiko.config import SSHConfig

    config = fabric.Config(ssh_config=SSHConfig(), lazy=True)
    connect_kwargs: dict[str, Any] = {
        "look_for_keys": settings.look_for_keys,
        "allow_agent": settings.allow_agent,
        "banner_timeout": settings.timeout,
        "auth_timeout": max(settings.timeout, 10),
        "channel_timeout": settings.timeout,
        "transport_factory": acking_transport(),
    }
    if settings.key_files:
        connect_kwargs["key_filename"] = list(settings.key_files)
    if settings.password is not None:
        connect_kwargs["password"] = settings.password
    # The handshake's own limit is a little longer than the banner's, so a silent server
    # fails with paramiko's banner timeout (a clear cause) rather than a half-open session.
    connection = _Connection(settings.address, user=settings.user, port=settings.port, config=config,
                             gateway=gateway, connect_timeout=settings.timeout + 1, connect_kwargs=connect_kwargs)
    connection.open_timeout = settings.timeout
    client = connection.client
    client.set_missing_host_key_policy(_host_key_policies()[settings.host_key_mode]())
    if settings.host_key_mode != "no":
        known = client.get_host_keys()
        for path in settings.known_hosts:
            for key_type, key in keys_for(path, settings.key_name):
                known.add(settings.key_name, key_type, key)  # a later file's key of a type wins, as before
    return connection


def _fabric_connection_class():
    import fabric

    class Connection(fabric.Connection):
        """fabric's Connection, with a timeout on the jump host's channel to the target."""

        open_timeout: float = DEFAULT_TIMEOUT

        def open_gateway(self):
            if isinstance(self.gateway, str):
                return super().open_gateway()
            self.gateway.open()
            return self.gateway.transport.open_channel(kind="direct-tcpip", dest_addr=(self.host, int(self.port)),
                                                       src_addr=("", 0), timeout=self.open_timeout)

    return Connection


def load_libraries() -> None:
    """Import fabric and paramiko now (before the host threads need them)."""
    _quiet_paramiko()
    _Connection.load()


class _LazyClass:
    def __init__(self) -> None:
        self.cls: Any = None

    def load(self) -> Any:
        if self.cls is None:
            self.cls = _fabric_connection_class()
        return self.cls

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.load()(*args, **kwargs)


_Connection = _LazyClass()


def _connect(connection: Any, settings: SSHSettings, via: str | None, jump: bool = False) -> None:
    """Open one fabric connection; every failure becomes one clear ConnectionFailed line."""
    started = time.monotonic()
    try:
        if not connection.gateway:
            # Our own socket, so TCP_NODELAY is on before the key exchange (paramiko leaves
            # Nagle on: every handshake round trip would wait for the delayed ACK).
            sock = socket.create_connection((settings.address, settings.port), timeout=settings.timeout)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            connection.connect_kwargs["sock"] = sock
        connection.open()
    except Exception as exc:
        reason = _describe(exc, settings, time.monotonic() - started, connection)
        if jump:
            reason = f"jump host {settings.user}@{settings.address}:{settings.port}: {reason}"
        elif via:
            reason = f"{reason} (via {via})"
        try:
            connection.close()
        except Exception:
            pass
        raise ConnectionFailed(FAILED + reason) from None
    transport = connection.transport
    if transport is not None:
        sock = transport.sock
        if isinstance(sock, socket.socket):
            try:
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            except OSError:
                pass
        if settings.keepalive:
            transport.set_keepalive(settings.keepalive)


def _describe(exc: BaseException, settings: SSHSettings, elapsed: float, connection: Any) -> str:
    """The cause, worded like OpenSSH's own messages."""
    import paramiko
    from paramiko.ssh_exception import NoValidConnectionsError

    target = f"ssh: connect to host {settings.address} port {settings.port}"
    if isinstance(exc, HostKeyUnknown):
        return (f"No {exc.key_type} host key is known for {exc.name} and you have requested strict checking. "
                f"Host key verification failed. (known_hosts: {', '.join(settings.known_hosts) or 'none'})")
    if isinstance(exc, paramiko.BadHostKeyException):
        return (f"WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED! The {exc.key.get_name()} host key of "
                f"{settings.key_name} does not match the one in known_hosts "
                f"({', '.join(settings.known_hosts) or 'none'}). Host key verification failed.")
    if isinstance(exc, NoValidConnectionsError):
        errors = list(exc.errors.values())
        first = errors[0] if errors else exc
        return f"{target}: {_errno_text(first)}"
    if _closed_during_setup(exc):
        return f"Connection closed by {settings.address} port {settings.port}"
    if isinstance(exc, (paramiko.AuthenticationException, paramiko.PasswordRequiredException)) or (
            isinstance(exc, paramiko.SSHException) and "authentication methods" in str(exc)):
        methods = getattr(exc, "allowed_types", None) or _allowed_methods(connection, settings)
        text = f"{settings.user}@{settings.address}: Permission denied ({','.join(methods) or 'publickey'})."
        if settings.missing_keys:
            text += f" Identity file {', '.join(settings.missing_keys)} not accessible: No such file or directory."
        return text
    if isinstance(exc, socket.gaierror):
        return f"ssh: Could not resolve hostname {settings.address}: {exc.strerror or exc}"
    if isinstance(exc, (socket.timeout, TimeoutError)):
        return f"{target}: Connection timed out"
    if isinstance(exc, paramiko.ChannelException):
        return f"{target}: {exc.text or 'channel open failed'}"
    if isinstance(exc, paramiko.SSHException) and "banner" in str(exc).lower():
        if elapsed >= settings.timeout * 0.9:
            return f"Connection timed out during banner exchange ({settings.timeout:g}s)"
        return f"kex_exchange_identification: Connection closed by remote host ({settings.address} port {settings.port})"
    if isinstance(exc, OSError):
        return f"{target}: {_errno_text(exc)}"
    if elapsed >= settings.timeout * 0.9:
        return f"{target}: Connection timed out ({settings.timeout:g}s)"
    if isinstance(exc, EOFError):
        return f"Connection closed by {settings.address} port {settings.port}"
    return f"{target}: {type(exc).__name__}: {exc}"


def _closed_during_setup(exc: BaseException) -> bool:
    """The server (or something between) closed the connection during the key exchange or the
    authentication: paramiko reports it as a failed authentication or a missing session, which
    must not read as "Permission denied"."""
    text = str(exc)
    return isinstance(exc, EOFError) or "transport shut down or saw EOF" in text or text == "No existing session"


def _errno_text(exc: BaseException) -> str:
    if isinstance(exc, (socket.timeout, TimeoutError)):
        return "Connection timed out"
    if isinstance(exc, OSError) and exc.errno is not None:
        return os.strerror(exc.errno)
    return str(exc)


def _allowed_methods(connection: Any, settings: SSHSettings) -> list[str]:
    """Ask the server which methods it offers (an auth 'none' attempt), for the message."""
    import paramiko

    transport = getattr(connection.client, "get_transport", lambda: None)()
    if transport is None or not transport.is_active():
        return []
    try:
        transport.auth_none(settings.user)
    except paramiko.BadAuthenticationType as exc:
        return [m for m in exc.allowed_types if m != "keyboard-interactive"] or list(exc.allowed_types)
    except Exception:
        return []
    return []
