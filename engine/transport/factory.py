"""Pick the connection class for a host from its variables (ansible_connection)."""
from __future__ import annotations

from ..core.errors import MiniplayError
from .base import Connection


def connection_for(host: str, variables: dict) -> Connection:
    kind = str(variables.get("ansible_connection") or "ssh")
    if kind == "local":
        from .local import LocalConnection

        return LocalConnection(host, variables)
    if kind in ("ssh", "paramiko", "smart"):
        from .ssh import SSHConnection

        return SSHConnection(host, variables)
    raise MiniplayError(f"miniplay does not support the connection plugin '{kind}' (host {host}); "
                        "use ssh or local")
