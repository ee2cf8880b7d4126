"""miniplay: a small, fast, honest engine for Ansible-style YAML playbooks.

The public API is `run_playbook()`; the `miniplay` command is a thin layer on it.
"""
from __future__ import annotations

from .core.version import __version__


def run_playbook(path: str, **options):
    """Run a playbook and return its `RunResult` (recap per host, exit code).

    Options mirror the CLI: inventory, extra_vars, forks, limit, verbosity,
    check, diff, events (an events.EventBus or None), stdout (a text stream).
    """
    from .running.run import run_playbook as _run

    return _run(path, **options)


__all__ = ["run_playbook", "__version__"]
