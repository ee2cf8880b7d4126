"""Controller-side actions: tasks that never touch the target, or only half of one.

Each file here defines `run(ctx: ActionContext) -> dict`. A name that is also a
target module (copy, template, fetch...) is the controller half of it: it reads
or renders files here, then calls the target module through `ctx.module()`.
"""
from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from ...core.events import WarningEvent

if TYPE_CHECKING:
    from ...core.events import EventBus
    from ...core.model import Node, Task
    from ...core.options import Options
    from ...loading.foreign_modules import ForeignModules
    from ...loading.inventory import Inventory
    from ...loading.role_includer import RoleIncluder
    from ...templating.templar import Templar
    from ...transport.pool import Connections
    from ...vars.layers import HostState, VarsView
    from ..customstats import CustomStats
    from ..playstate import PlayState


class ActionServices(Protocol):
    """The parts of the run an action may use (the run satisfies this; actions see nothing else of it)."""

    options: Options
    playbook_dir: str
    bus: EventBus
    templar: Templar
    connections: Connections   # raw runs its command over the host's connection
    roles: RoleIncluder        # include_role
    custom_stats: CustomStats  # set_stats

    @property
    def foreign(self) -> ForeignModules:
        """Modules written for Ansible: library/, -M, collections, ansible-core (dnf picks its backend)."""
    yaml_warnings: list[str]     # duplicate YAML keys (include_vars reports its own at once)

    @property
    def inventory(self) -> Inventory:
        """The current inventory (add_host and group_by change it)."""

    def inventory_changed(self) -> None:
        """Tell the run the inventory changed (its groups and inventory variables are rebuilt)."""

    def host_state(self, host: str) -> HostState:
        """What the run learned about a host (set_fact writes here)."""

    def find_file(self, task: Task, kind: str, name: str, view: Any) -> str:
        """A controller file (`files`/`templates`/`vars`), looked for the way Ansible does."""

    def load_include(self, path: str, inherited: dict[str, Any], role: str | None,
                     role_path: str | None) -> list[Node]:
        """An included tasks file, loaded once per run and inherited keywords."""


class TaskRunner(Protocol):
    """The executor, as an action sees it: the play in progress and how to call a target module."""

    play: PlayState

    def call_module(self, ctx: ActionContext, name: str, args: dict[str, Any], **options: Any) -> dict[str, Any]:
        """Run a target module on the context's host and return its result."""

    def flag(self, task: Task, key: str, view: VarsView) -> bool:
        """A boolean task keyword (no_log, run_once...), rendered for the host."""


@dataclass
class ActionContext:
    """What an action may use: its templated args, the host's variables, and the run's services."""

    executor: TaskRunner
    services: ActionServices
    host: str
    task: Task
    args: dict[str, Any]
    vars: VarsView
    check_mode: bool = False
    diff: bool = False
    environment: dict[str, Any] = field(default_factory=dict)

    @property
    def templar(self) -> Templar:
        return self.services.templar

    @property
    def state(self) -> HostState:
        return self.services.host_state(self.host)

    def module(self, name: str, args: dict[str, Any], **options: Any) -> dict[str, Any]:
        """Run a target module on this host's worker and return its result."""
        return self.executor.call_module(self, name, args, **options)

    def warn(self, text: str) -> None:
        self.services.bus.emit(WarningEvent(host=self.host, task=self.task, text=text))

    def search(self, kind: str, name: str) -> str:
        """Find a controller file (`files`/`templates`/`vars`) the way Ansible does."""
        return self.services.find_file(self.task, kind, name, self.vars)


def get_action(name: str) -> Callable[[ActionContext], dict[str, Any]]:
    """The `run` function of the action module `name` (one file a name, in this folder)."""
    return importlib.import_module(f"{__name__}.{name}").run
