"""no_log: the one step where what a task saw becomes what events carry.

Every channel miniplay has (the console at each -v, the JSONL events, the trace, the HTML
report, explain, the live status line) renders events, so censoring the result, the item
label and the retry data here, where the executor builds those events, covers them all.
Nothing downstream needs to know about no_log, and nothing downstream can leak it.

The shapes follow ansible-core 2.19: a censored result keeps `attempts`, `changed`,
`retries`, `warnings` and `deprecations` next to `censored` (its `exception` is dropped
too: a traceback can quote a value); a loop keeps its `results` list (each hidden item
censored the same way) so renderers still see a loop; an item's label reads
`(censored due to no_log)`. `register` is not touched: the variable keeps the real values,
as in Ansible.

One deliberate difference: Ansible's `[ERROR]: Task failed: ...` line quotes the result's
`msg` even under no_log, and a `fail: msg="{{ secret }}"` prints the secret there. The
message is kept here only when it quotes no value the task saw (its arguments, its item,
the other values of its result); otherwise the line says `(censored due to no_log)`.
"""
from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from ..core.errors import TemplateError
from ..core.results import ResultNotes, visible

NO_LOG_MESSAGE = "the output has been hidden due to the fact that 'no_log: true' was specified for this result"
CENSORED_LABEL = "(censored due to no_log)"
HIDDEN_NOTE = "_miniplay_no_log"   # on a loop item's result: this item was censored (no_log per item)

_PRESERVED = ("attempts", "changed", "retries", "warnings", "deprecations")
_STATUS = ("failed", "skipped", "unreachable")          # the renderers read these; never displayed
_TEXT_NOTES = ("header", "cause", "help", "exception", "origin_text")
_TOKEN_SPLIT = re.compile(r"[\s'\"=:,;()\[\]{}<>|&]+")
_MIN_VALUE, _MIN_TOKEN = 3, 4   # shorter values would match ordinary words of any message


def censor_result(result: dict[str, Any]) -> dict[str, Any]:
    """Ansible's censored shape of one result (a loop item's, or a task's without its items)."""
    kept = {key: result[key] for key in _PRESERVED + _STATUS if key in result}
    return {"censored": NO_LOG_MESSAGE, **kept}


def _strings(value: Any, depth: int = 0) -> Iterator[str]:
    """Every string (and number) inside a value, bounded in depth."""
    if depth > 20:
        return
    if isinstance(value, dict):
        for inner in value.values():
            yield from _strings(inner, depth + 1)
    elif isinstance(value, (list, tuple, set)):
        for inner in value:
            yield from _strings(inner, depth + 1)
    elif isinstance(value, (str, int, float)) and not isinstance(value, bool):
        yield str(value)


@dataclass(frozen=True)
class Censor:
    """What one task on one host hides: whether no_log holds, and the values the task saw
    (its rendered arguments and loop items), which a message shown under no_log may not quote."""

    hide: bool
    seen: tuple[Any, ...] = ()

    def label(self, label: Any) -> Any:
        return CENSORED_LABEL if self.hide else label

    def item(self, item: Any) -> Any:
        """A loop item where an event would carry it (a conditional's `item`)."""
        return CENSORED_LABEL if self.hide else item

    def shown(self, result: dict[str, Any]) -> tuple[dict[str, Any], ResultNotes]:
        """The result and notes an event carries: as they are, or censored."""
        items = result.get("results") if isinstance(result.get("results"), list) else None
        hidden_items = items is not None and any(isinstance(i, dict) and i.get(HIDDEN_NOTE) for i in items)
        notes = ResultNotes.of(result)
        if not self.hide and not hidden_items:
            return visible(result), notes
        shown = censor_result(result)
        if items is not None:
            shown["results"] = [censor_result(item) if isinstance(item, dict) and (self.hide or item.get(HIDDEN_NOTE))
                                else visible(item) if isinstance(item, dict) else item for item in items]
        return shown, self._notes(result, notes)

    def _notes(self, result: dict[str, Any], notes: ResultNotes) -> ResultNotes:
        """The notes of a censored result: texts that quote a value the task saw are dropped;
        the message of the [ERROR] line is kept when it quotes none."""
        values = self._values(result)
        dropped: dict[str, Any] = {name: None for name in _TEXT_NOTES
                                   if getattr(notes, name) and self._quotes(str(getattr(notes, name)), values)}
        message = result.get("msg")
        if message in (None, ""):
            kept: str | None = None
        else:
            kept = CENSORED_LABEL if self._quotes(str(message), values) else str(message)
        return dataclasses.replace(notes, message=kept, **dropped)

    def _values(self, result: dict[str, Any]) -> set[str]:
        found = {text for text in _strings([value for key, value in result.items() if key != "msg"])}
        found.update(_strings(list(self.seen)))
        return found

    @staticmethod
    def _quotes(text: str, values: set[str]) -> bool:
        """Whether the text quotes one of the values, whole or one of its words."""
        for value in values:
            if len(value) >= _MIN_VALUE and value in text:
                return True
            if any(len(token) >= _MIN_TOKEN and token in text for token in _TOKEN_SPLIT.split(value)):
                return True
        return False


NOT_HIDDEN = Censor(hide=False)


def censor_for(hide: bool, rendered_args: Callable[[], Any], *items: Any) -> Censor:
    """The censor of one task run: the arguments as rendered for the host (and item) are asked
    for only when no_log holds (an argument that cannot be rendered adds nothing)."""
    if not hide:
        return NOT_HIDDEN
    try:
        args = rendered_args()
    except TemplateError:
        args = None
    return Censor(hide=True, seen=(args, *items))
