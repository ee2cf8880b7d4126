"""ansible.cfg: found where Ansible finds it; only [defaults] keys miniplay uses are read.

Search order: $ANSIBLE_CONFIG, ./ansible.cfg, ~/.ansible.cfg, /etc/ansible/ansible.cfg.
"""
from __future__ import annotations

import os
import sys
from typing import Any

KEYS = ("inventory", "remote_user", "private_key_file", "forks", "host_key_checking", "timeout", "poll_interval",
        "show_custom_stats", "roles_path", "async_dir", "become", "become_user", "become_method", "vault_password_file",
        "vault_identity_list", "library", "collections_path", "collections_paths", "transport", "fact_caching",
        "fact_caching_connection", "fact_caching_prefix", "fact_caching_timeout", "force_handlers")


def find_config() -> str | None:
    candidates = [os.environ.get("ANSIBLE_CONFIG"), os.path.join(os.getcwd(), "ansible.cfg"),
                  os.path.expanduser("~/.ansible.cfg"), "/etc/ansible/ansible.cfg"]
    for path in candidates:
        if path and os.path.isfile(path):
            return path
    return None


def load_config() -> tuple[dict[str, Any], str | None]:
    path = find_config()
    if path is None:
        return {}, None
    import configparser  # here: most runs find no ansible.cfg

    parser = configparser.ConfigParser(interpolation=None, inline_comment_prefixes=(";", "#"))
    try:
        parser.read(path)
    except configparser.Error as exc:
        from ..core.errors import CliError

        # ansible-playbook stops here with its options error: exit 5
        raise CliError(f"Error reading config file {path}: {exc}") from None
    values: dict[str, Any] = {}
    for section, keys in (("defaults", KEYS), ("privilege_escalation", ("become", "become_user", "become_method"))):
        if parser.has_section(section):
            for key in keys:
                if parser.has_option(section, key):
                    value = parser.get(section, key)
                    if key in ("vault_password_file", "fact_caching_connection"):  # relative to the config file
                        value = os.path.join(os.path.dirname(path), os.path.expanduser(value))
                    if key in ("library", "collections_path", "collections_paths"):
                        value = os.pathsep.join(os.path.join(os.path.dirname(path), os.path.expanduser(p))
                                                for p in value.split(os.pathsep) if p)
                    if key in ("inventory", "private_key_file", "roles_path"):
                        value = os.path.expanduser(value)
                        if key == "inventory" and not os.path.isabs(value) and "," not in value:
                            value = os.path.join(os.path.dirname(path), value)
                    values[key] = value
    return values, path


def config_banner(config_file: str | None, verbosity: int, program: str = "miniplay run") -> str:
    """What `-v` prints first, as Ansible does: which config file is used; `-vv` adds the
    versions that explain a run (ours, not Ansible's)."""
    import platform

    import jinja2
    from ruamel.yaml import __version__ as ruamel_version

    from ..core.version import __version__

    lines = []
    if verbosity >= 2:
        lines += [f"{program} [miniplay {__version__}]", f"  config file = {config_file}",
                  f"  python version = {platform.python_version()} ({sys.executable})",
                  f"  jinja version = {jinja2.__version__}", f"  ruamel.yaml version = {ruamel_version}"]
    lines.append(f"Using {config_file} as config file" if config_file else "No config file found; using defaults")
    return "\n".join(lines) + "\n"
