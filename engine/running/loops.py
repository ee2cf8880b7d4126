"""What a task's `loop:` (or `with_<lookup>:`) means, apart from running it.

The executor runs each item (with its retries) and reports it; this file knows how the items
are found, which variables each item sees (`loop_control`: loop_var, index_var, extended) and
how an item is labelled and counted, as Ansible's task executor does.
"""
from __future__ import annotations

import types
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..core.errors import TemplateError
from ..core.results import is_failed

if TYPE_CHECKING:
    from ..core.model import Task
    from ..templating.templar import Templar
    from ..vars.layers import VarsView


class NotAList(TemplateError):
    """`loop:` gave something other than a list (Ansible adds a hint and no `changed`)."""


def loop_where(task: Task) -> Any:
    """Where the loop's value is written: `loop:` or the `with_<lookup>:` it came from."""
    return task.value_where("loop", *(key for key in task.value_locations if key.startswith("with_")))


def loop_items(templar: Templar, task: Task, view: VarsView) -> list[Any]:
    """The items: the templated `loop:` list, or what the `with_<lookup>:` lookup returns."""
    value = templar.template(task.get("loop"), view)
    lookup = task.get("loop_with")
    if lookup:
        terms = value if isinstance(value, list) else [value]
        return list(templar.run_lookup(lookup, terms, view, {}, wantlist=True))
    if isinstance(value, (list, tuple, types.GeneratorType)):
        return list(value)
    raise NotAList(f"The `loop` value must resolve to a 'list', not '{type(value).__name__}'.")


@dataclass
class LoopSettings:
    """A task's `loop_control`, templated once for the whole loop."""

    loop_var: str
    index_var: Any
    pause: float
    extended: bool
    allitems: bool

    @classmethod
    def of(cls, control: dict[str, Any], templar: Templar, view: VarsView) -> LoopSettings:
        return cls(loop_var=str(templar.template(control.get("loop_var", "item"), view)),
                   index_var=control.get("index_var"),
                   pause=float(templar.template(control.get("pause", 0), view) or 0),
                   extended=bool(templar.template(control.get("extended", False), view)),
                   allitems=bool(control.get("extended_allitems", True)))

    def item_vars(self, items: list[Any], index: int) -> dict[str, Any]:
        """The variables one item's run sees (and its result carries)."""
        values: dict[str, Any] = {self.loop_var: items[index], "ansible_loop_var": self.loop_var}
        if self.index_var:
            values[self.index_var] = index
            values["ansible_index_var"] = self.index_var
        if self.extended:
            values["ansible_loop"] = extended_info(items, index, self.allitems)
        return values


def extended_info(items: list[Any], index: int, allitems: bool) -> dict[str, Any]:
    """`ansible_loop` under `loop_control: {extended: true}`."""
    length = len(items)
    info: dict[str, Any] = {"index": index + 1, "index0": index, "first": index == 0, "last": index == length - 1,
                            "length": length, "revindex": length - index, "revindex0": length - index - 1}
    if allitems:
        info["allitems"] = items
    if index > 0:
        info["previtem"] = items[index - 1]
    if index < length - 1:
        info["nextitem"] = items[index + 1]
    return info


def item_label(control: dict[str, Any], item: Any, templar: Templar, item_view: VarsView) -> Any:
    """What the `(item=...)` part of an item's line shows: `loop_control.label`, else the item."""
    if "label" not in control:
        return item
    try:
        return templar.template(control["label"], item_view)
    except TemplateError:
        return control["label"]


def item_status(result: dict[str, Any]) -> str:
    """How an item's line is headed: failed, skipping, changed or ok."""
    if is_failed(result):
        return "failed"
    if result.get("skipped"):
        return "skipped"
    return "changed" if result.get("changed") else "ok"
