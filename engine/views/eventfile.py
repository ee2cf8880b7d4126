"""Reading an events file back (`miniplay report`, `miniplay explain`) without trusting it.

The file may be cut short by a killed run, hand-edited, another program's output, binary, or
huge. Each line is checked against the schema (docs/events.md) before any renderer sees it:
the top-level fields, and each kind's `data` fields against the types its event class in
core/events.py declares. The renderers can then index what the schema promises.

The first bad line ends the reading: the lines before it are kept (a report or explanation
of a good prefix is still worth having) and the problem is one sentence naming FILE:LINE.
A torn last line is what a killed run leaves; it is dropped without a word. A kind this
version does not know is skipped with a note, as docs/events.md asks readers to do.
"""
from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from ..core.events import EVENT_TYPES

MAX_LINE = 64 * 1024 * 1024   # bytes; a real line (one event) is far below this
_NUMBER = (int, float)
_TYPES: dict[str, tuple[type, ...]] = {
    "str": (str,), "int": (int,), "float": _NUMBER, "bool": (bool,), "Play": (dict,),
    "str | None": (str, type(None)),
}
_WORDS = {str: "a string", int: "an integer", float: "a number", bool: "a boolean", dict: "an object",
          list: "a list", type(None): "null"}
_TOP: dict[str, tuple[type, ...]] = {"seq": (int,), "time": _NUMBER, "kind": (str,), "host": (str, type(None)),
                                     "task": (dict, type(None)), "data": (dict,)}
_TASK_REF: dict[str, tuple[type, ...]] = {"uid": (int,), "name": (str,), "path": (str,), "handler": (bool,)}
_START = {"log_start": {"schema": (int,), "miniplay": (str,), "pid": (int,)}}


def _allowed(annotation: str) -> tuple[type, ...] | None:
    """The JSON types a declared field type allows (None: anything)."""
    if annotation in _TYPES:
        return _TYPES[annotation]
    if annotation.startswith("list["):
        return (list,)
    if annotation.startswith("dict["):
        return (dict,)
    return None


def _kind_fields() -> dict[str, dict[str, tuple[tuple[type, ...] | None, bool]]]:
    """kind -> field -> (allowed types, required), from the event classes."""
    kinds: dict[str, dict[str, tuple[tuple[type, ...] | None, bool]]] = {}
    for event_type in EVENT_TYPES:
        fields: dict[str, tuple[tuple[type, ...] | None, bool]] = {}
        for spec in dataclasses.fields(event_type):
            if spec.name in ("time", "host", "task") or not spec.metadata.get("logged", True):
                continue
            required = spec.default is dataclasses.MISSING and spec.default_factory is dataclasses.MISSING
            fields[spec.name] = (_allowed(str(spec.type)), required)
        kinds[event_type.kind] = fields
    for kind, start_fields in _START.items():
        kinds[kind] = {name: (types, True) for name, types in start_fields.items()}
    return kinds


def _words(types: tuple[type, ...]) -> str:
    named = [t for t in types if not (t is int and float in types)]   # a number: int or float
    return " or ".join(dict.fromkeys(_WORDS.get(t, t.__name__) for t in named))


def _is(value: Any, types: tuple[type, ...]) -> bool:
    if isinstance(value, bool) and bool not in types:
        return False   # JSON true is no number here
    return isinstance(value, types)


@dataclass
class EventFile:
    """The records read, the problem that stopped the reading (FILE:LINE: ...), and notes."""

    records: list[dict[str, Any]] = field(default_factory=list)
    problem: str | None = None
    notes: list[str] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)     # each record's line number


def _check(record: Any, kinds: dict[str, dict[str, tuple[tuple[type, ...] | None, bool]]]) -> str | None:
    """What is wrong with one record, or None."""
    if not isinstance(record, dict):
        return f"a line must be a JSON object, not {_words((type(record),))}"
    for name, top_types in _TOP.items():
        if name not in record:
            return f"the field '{name}' is missing"
        if not _is(record[name], top_types):
            return f"'{name}' must be {_words(top_types)}, not {json.dumps(record[name])[:60]}"
    task = record["task"]
    for name, ref_types in _TASK_REF.items() if isinstance(task, dict) else ():
        if name in task and not _is(task[name], ref_types):
            return f"'task.{name}' must be {_words(ref_types)}, not {json.dumps(task[name])[:60]}"
    fields = kinds.get(record["kind"])
    for name, (types, required) in (fields or {}).items():
        if name not in record["data"]:
            if required:
                return f"a '{record['kind']}' record needs 'data.{name}'"
            continue
        value = record["data"][name]
        if types is not None and not _is(value, types):
            return f"'data.{name}' of a '{record['kind']}' record must be {_words(types)}, " \
                   f"not {json.dumps(value, default=str)[:60]}"
    return None


def read_events(path: str) -> EventFile:
    """Read and check an events file, stopping at the first bad line."""
    kinds = _kind_fields()
    found = EventFile()
    try:
        handle = open(path, "rb")   # closed below; the lines are decoded one by one
    except OSError as exc:
        found.problem = f"cannot read events file {path}: {exc.strerror}"
        return found
    with handle:
        number, offset = 0, 0
        while True:
            raw = handle.readline(MAX_LINE + 1)
            if not raw:
                break
            number += 1
            problem = _line_problem(raw, offset, number, found, kinds, handle)
            offset += len(raw)
            if problem:
                found.problem = f"{path}:{number}: {problem}"
                return found
    if not found.records:
        found.problem = f"{path}: not a miniplay events file (it is empty; it must start with a log_start record)"
    return found


def _line_problem(raw: bytes, offset: int, number: int, found: EventFile,
                  kinds: dict[str, dict[str, tuple[tuple[type, ...] | None, bool]]], handle: Any) -> str | None:
    """Read one line into `found`; what is wrong with it, or None (also for a torn last line)."""
    if len(raw) > MAX_LINE:
        return f"a line longer than {MAX_LINE // (1024 * 1024)} MiB: not an event of miniplay's"
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return f"not UTF-8 text (byte offset {offset + exc.start} of the file): not a miniplay events file"
    if not text.strip():
        return None
    try:
        record = json.loads(text)
    except json.JSONDecodeError as exc:
        if not text.endswith("\n") or not handle.peek(1):
            return None   # the last line: torn, as a killed run leaves it
        return f"not valid JSON ({exc.msg} at column {exc.colno})"
    except RecursionError:
        return "JSON nested too deeply"
    problem = _check(record, kinds)
    if not found.records and problem:
        return f"not a miniplay events file ({problem})"
    if not found.records and record["kind"] not in ("log_start", "playbook_start"):
        return "not a miniplay events file (it must start with a log_start record)"
    if problem:
        return problem
    if record["kind"] not in kinds:
        found.notes.append(f"line {number}: unknown event kind {record['kind']!r}, skipped")
        return None
    found.records.append(record)
    found.lines.append(number)
    return None


Rendered = TypeVar("Rendered")
# what a renderer raises on a nested field the checks above do not look into (a loop's
# `results` that is a string, a recap count that is a list...)
SHAPE_ERRORS = (TypeError, KeyError, AttributeError, ValueError, IndexError, RecursionError)


def render_checked(found: EventFile, path: str, render: Callable[[list[dict[str, Any]]], Rendered]) -> Rendered:
    """`render(records)`; if a record's nested fields break the renderer, the first such record
    is found (by rendering shorter prefixes: renderers are pure) and the prefix before it is
    rendered instead, with the problem naming its line."""
    try:
        return render(found.records)
    except SHAPE_ERRORS as exc:
        error = f"{type(exc).__name__}: {exc}"[:200]
    good, bad = 0, len(found.records)   # render(records[:good]) works; render(records[:bad]) fails
    while bad - good > 1:
        middle = (good + bad) // 2
        try:
            render(found.records[:middle])
            good = middle
        except SHAPE_ERRORS:
            bad = middle
    record = found.records[bad - 1]
    found.problem = (f"{path}:{found.lines[bad - 1]}: this '{record.get('kind')}' record has fields of another "
                     f"shape than miniplay writes ({error})")
    del found.records[good:], found.lines[good:]
    return render(found.records)
