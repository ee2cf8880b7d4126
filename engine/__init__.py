"""miniplay: a small, fast, honest engine for Ansible-style YAML playbooks.

The public API is `run_playbook()`; the `miniplay` command is a thin layer on it.
The package is layered (docs/architecture.md): core, templating, loading, vars, planning,
transport, running, views, cli, each importing only the ones before it.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, TextIO

from .core.version import __version__

if TYPE_CHECKING:
    from .core.events import EventBus
    from .running.run import RunResult


def run_playbook(path: str, inventory: list[str] | None = None, extra_vars: dict[str, Any] | None = None,
                 stdout: TextIO | None = None, events: EventBus | None = None, console: bool = True,
                 **option_values: Any) -> RunResult:
    """Load and run a playbook; return its `RunResult` (recap per host, exit code).

    Options mirror the CLI: inventory, extra_vars, forks, limit, verbosity, check, diff,
    events (an `EventBus` to subscribe your own renderers to, or None), stdout (a text stream),
    console (False: no console output).
    """
    import sys

    from .core.events import EventBus
    from .core.options import Options
    from .loading.playbook import Loader
    from .running.run import Run
    from .views.console import ConsoleRenderer

    options = Options(inventory=list(inventory or []), extra_vars=dict(extra_vars or {}), **option_values)
    bus = events or EventBus()
    if console:
        bus.subscribe(ConsoleRenderer(stdout or sys.stdout, verbosity=options.verbosity))
    loader = Loader(options.yaml_warnings, vault=options.vault_secrets, module_paths=options.module_path,
                    config=options.config, extra_vars=options.extra_vars)
    playbook = loader.load_playbook(path)
    run = Run(options, bus, playbook_dir=playbook.basedir, loader=loader)
    return run.run_playbook(playbook)


__all__ = ["run_playbook", "__version__"]
