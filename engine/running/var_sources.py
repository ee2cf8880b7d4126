"""Where each variable a task reads comes from: the data of the `task_vars` event (for `explain`).

Kept out of the executor: it is a walk over the variable layers, not part of running the task.
"""
from __future__ import annotations

from typing import Any

from ..core.model import Task
from ..templating.varrefs import task_refs, template_refs
from ..vars.layers import VarsView

MAX_SOURCES = 200  # a bound on the walk through lazily templated values


class VariableSources:
    """Per task (cached by identity), the variables its templates read; per host, their layers."""

    def __init__(self) -> None:
        self._names: dict[int, tuple[Task, list[str]]] = {}

    def of(self, task: Task, view: VarsView) -> dict[str, Any]:
        """Each variable the task's templates read, and those its lazy values read in turn, with
        the layer that supplies it (`via`: the variable whose value named it). Empty when none."""
        entry = self._names.get(id(task))
        if entry is None or entry[0] is not task:
            entry = self._names[id(task)] = (task, sorted(task_refs(task).names))
        sources: dict[str, Any] = {}
        pending: list[tuple[str, str | None]] = [(name, None) for name in entry[1]]
        while pending and len(sources) < MAX_SOURCES:
            name, via = pending.pop(0)
            if name in sources:
                continue
            layer = view.find(name)
            sources[name] = {"layer": layer.label if layer is not None else None}
            if via:
                sources[name]["via"] = via
            if layer is not None and layer.lazy:
                value = layer.values.get(name)
                if isinstance(value, str):
                    pending += [(n, name) for n in sorted(template_refs(value).names) if n not in sources]
        return sources
