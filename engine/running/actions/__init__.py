"""Controller-side actions: tasks that never touch the target, or only half of one.

Each file here defines `run(ctx: ActionContext) -> dict`. A name that is also a
target module (copy, template, fetch...) is the controller half of it: it reads
or renders files here, then calls the target module through `ctx.module()`.
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable

if TYPE_CHECKING:
    from ..executor import TaskExecutor
    from ...core.model import Task
    from ...vars.layers import VarsView


@dataclass
class ActionContext:
    """What an action may use: its templated args, the host's variables, the run."""

    executor: "TaskExecutor"
    host: str
    task: "Task"
    args: dict[str, Any]
    vars: "VarsView"
    check_mode: bool = False
    diff: bool = False
    environment: dict[str, Any] = field(default_factory=dict)

    @property
    def run(self):
        return self.executor.run

    @property
    def templar(self):
        return self.executor.run.templar

    @property
    def state(self):
        return self.executor.run.host_state(self.host)

    def module(self, name: str, args: dict[str, Any], **options: Any) -> dict[str, Any]:
        """Run a target module on this host's worker and return its result."""
        return self.executor.call_module(self, name, args, **options)

    def warn(self, text: str) -> None:
        self.executor.run.bus.emit("warning", host=self.host, task=self.task, text=text)

    def search(self, kind: str, name: str) -> str:
        """Find a controller file (`files`/`templates`/`vars`) the way Ansible does."""
        return self.executor.run.find_file(self.task, kind, name, self.vars)


def get_action(name: str) -> Callable[[ActionContext], dict[str, Any]]:
    return importlib.import_module(f"{__name__}.{name}").run
