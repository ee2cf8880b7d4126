"""Run options: what the CLI flags, ansible.cfg and environment decide, in one object."""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

DEFAULT_FORKS = 5
DEFAULT_POLL_INTERVAL = 15


def _env_int(name: str, default: int) -> int:
    try:
        return int(os.environ[name])
    except (KeyError, ValueError):
        return default


@dataclass
class Options:
    """Everything a run is told from outside the playbook: flags, ansible.cfg, ANSIBLE_* (defaults here).

    (A docstring also spares dataclass writing one from the long signature at every start.)"""

    inventory: list[str] = field(default_factory=list)
    extra_vars: dict[str, Any] = field(default_factory=dict)
    forks: int = field(default_factory=lambda: _env_int("ANSIBLE_FORKS", DEFAULT_FORKS))
    limit: str | None = None
    verbosity: int = 0
    check: bool = False
    diff: bool = False
    poll_interval: int = field(default_factory=lambda: _env_int("ANSIBLE_POLL_INTERVAL", DEFAULT_POLL_INTERVAL))
    tags: list[str] = field(default_factory=list)
    skip_tags: list[str] = field(default_factory=list)
    start_at_task: str | None = None
    force_handlers: bool = False
    remote_user: str | None = None
    private_key_file: str | None = None
    connection_password: str | None = None
    become: bool = False
    become_user: str | None = None
    become_method: str | None = None
    become_password: str | None = None
    timeout: int | None = None
    host_key_checking: bool | None = None
    ssh_common_args: str | None = None
    ssh_extra_args: str | None = None
    config: dict[str, Any] = field(default_factory=dict)   # ansible.cfg [defaults]
    module_path: list[str] = field(default_factory=list)  # -M/--module-path (before ANSIBLE_LIBRARY)
    config_file: str | None = None
    connection: str | None = None   # -c/--connection: local or ssh, for every host without ansible_connection
    step: bool = False              # --step: confirm each task on standard input
    # The fact cache (ansible.cfg fact_caching*, ANSIBLE_CACHE_PLUGIN*): memory, or jsonfile in a directory
    fact_caching: str = "memory"
    fact_caching_connection: str | None = None
    fact_caching_prefix: str = ""
    fact_caching_timeout: int = 86400
    flush_cache: bool = False       # --flush-cache: forget the inventory hosts' cached facts first
    vault_secrets: Any = None   # VaultSecrets: passwords for vault-encrypted data (vault_secrets.py)
    # Duplicate-key warnings met while reading YAML (the -e files, the playbooks, vars files),
    # oldest first; the run shows and empties it. One list per run: two runs never share it.
    yaml_warnings: list[str] = field(default_factory=list, repr=False, compare=False)
