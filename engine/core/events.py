"""One event protocol, many renderers.

How this works
--------------
Every step of a run (play start, task start, a host's result, an item, a retry, an async
poll...) is an instance of one of the `Event` classes below, published on the run's
`EventBus`. Each class is one `kind` of docs/events.md and holds that kind's fields; `data`
is the same fields as the JSON log writes them (fields left unset are left out, as before;
a result's `notes` are for the renderers and are not logged).

Renderers subclass `Reporter`, which has one method per kind (`on_host_result(event)`, ...)
doing nothing; a renderer overrides only the kinds it shows. The console, the minimal ad hoc
output, the live status line, the JSONL log and the trace are reporters; none of them reaches
into the engine.
"""
from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

from .model import Play, Task
from .results import NO_NOTES, ResultNotes


class _Unset:
    """The value of an optional field that was not given (left out of `data`)."""

    _instance: ClassVar[_Unset | None] = None

    def __new__(cls) -> _Unset:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "UNSET"

    def __bool__(self) -> bool:
        return False


UNSET: Any = _Unset()

_BASE_FIELDS = frozenset({"time", "host", "task"})


@dataclass(kw_only=True, repr=False, eq=False)
class Event:
    """What every event has: when (stamped by the bus), on which host, for which task."""

    kind: ClassVar[str] = ""
    _logged_names: ClassVar[tuple[str, ...] | None] = None  # each kind's data fields, set on first use
    time: float = 0.0
    host: str | None = None
    task: Task | None = None

    # One __repr__ and __eq__ for every kind, the same as dataclass would write for each: letting
    # dataclass generate them per class (repr=True, eq=True) costs ~4 ms at every start.
    def __repr__(self) -> str:
        shown = ", ".join(f"{f.name}={getattr(self, f.name)!r}" for f in dataclasses.fields(self) if f.repr)
        return f"{type(self).__qualname__}({shown})"

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return self._compared() == other._compared()

    def _compared(self) -> tuple[Any, ...]:
        return tuple(getattr(self, f.name) for f in dataclasses.fields(self) if f.compare)

    @property
    def data(self) -> dict[str, Any]:
        """The kind's own fields, in declaration order, without those left unset."""
        cached = self.__dict__.get("_data")
        if cached is None:
            kind = type(self)
            names = kind.__dict__.get("_logged_names")  # the kind's own, worked out once per class
            if names is None:
                names = tuple(f.name for f in dataclasses.fields(self)
                              if f.name not in _BASE_FIELDS and f.metadata.get("logged", True))
                kind._logged_names = names
            cached = {name: value for name in names if (value := getattr(self, name)) is not UNSET}
            self.__dict__["_data"] = cached
        return cached


@dataclass(kw_only=True, repr=False, eq=False)
class LoggedEvent(Event):
    """An event read back from a JSON log (or made by hand): its kind and data as plain values."""

    kind: str = ""  # type: ignore[misc]  # an instance field here, the class's own kind elsewhere
    payload: dict[str, Any] = field(default_factory=dict)

    @property
    def data(self) -> dict[str, Any]:
        return self.payload


# --------------------------------------------------------------------------- the kinds
# Each has a docstring: for a class without one, dataclass writes one from its signature at import.
@dataclass(kw_only=True, repr=False, eq=False)
class PlaybookStart(Event):
    """A playbook starts (after it loaded)."""

    kind: ClassVar[str] = "playbook_start"
    path: str
    plays: int
    written: str


@dataclass(kw_only=True, repr=False, eq=False)
class PlayStart(Event):
    """A play (or the next serial batch of it) starts."""

    kind: ClassVar[str] = "play_start"
    name: str
    play: Play


@dataclass(kw_only=True, repr=False, eq=False)
class NoHosts(Event):
    """The play matched no host."""

    kind: ClassVar[str] = "no_hosts"
    pattern: str


@dataclass(kw_only=True, repr=False, eq=False)
class TaskStart(Event):
    """A task (or handler) starts on its hosts."""

    kind: ClassVar[str] = "task_start"
    name: str
    handler: bool
    hosts: list[str]


@dataclass(kw_only=True, repr=False, eq=False)
class HostStart(Event):
    """A host got a fork slot and starts the task."""

    kind: ClassVar[str] = "host_start"


@dataclass(kw_only=True, repr=False, eq=False)
class TaskVars(Event):
    """The variables the task's templates read, and their layers."""

    kind: ClassVar[str] = "task_vars"
    vars: dict[str, Any]


@dataclass(kw_only=True, repr=False, eq=False)
class Conditional(Event):
    """A when / until / changed_when / failed_when was evaluated."""

    kind: ClassVar[str] = "conditional"
    keyword: str
    clauses: list[dict[str, Any]]
    result: bool
    attempt: Any = UNSET          # until: which attempt
    item: Any = UNSET             # in a loop: the item (unless no_log)


@dataclass(kw_only=True, repr=False, eq=False)
class Retry(Event):
    """An `until` attempt failed; another follows."""

    kind: ClassVar[str] = "retry"
    name: str
    retries_left: int
    result: dict[str, Any]
    attempt: int
    delay: float
    notes: ResultNotes = field(default=NO_NOTES, metadata={"logged": False})


@dataclass(kw_only=True, repr=False, eq=False)
class ItemResult(Event):
    """One loop item ended."""

    kind: ClassVar[str] = "item_result"
    result: dict[str, Any]
    status: str
    label: Any
    index: int
    delegated_to: str | None
    target_module: bool
    notes: ResultNotes = field(default=NO_NOTES, metadata={"logged": False})


@dataclass(kw_only=True, repr=False, eq=False)
class HostResult(Event):
    """The task ended on a host."""

    kind: ClassVar[str] = "host_result"
    result: dict[str, Any]
    status: str
    ignored: Any = UNSET          # the rest is unset for a meta task skipped by its `when`
    loop: Any = UNSET
    delegated_to: Any = UNSET
    target_module: Any = UNSET
    error_text: Any = UNSET       # ad hoc only: the text of the error block under the result
    notes: ResultNotes = field(default=NO_NOTES, metadata={"logged": False})   # the engine's, not logged


@dataclass(kw_only=True, repr=False, eq=False)
class AsyncLaunch(Event):
    """An async job started."""

    kind: ClassVar[str] = "async_launch"
    jid: str
    limit: int
    poll: int


@dataclass(kw_only=True, repr=False, eq=False)
class AsyncPoll(Event):
    """A polled async job was still running."""

    kind: ClassVar[str] = "async_poll"
    jid: str
    started: bool
    finished: bool


@dataclass(kw_only=True, repr=False, eq=False)
class AsyncEnd(Event):
    """A polled async job is over."""

    kind: ClassVar[str] = "async_end"
    jid: str
    ok: bool


@dataclass(kw_only=True, repr=False, eq=False)
class Notify(Event):
    """A changed task notified a handler."""

    kind: ClassVar[str] = "notify"
    handler: str


@dataclass(kw_only=True, repr=False, eq=False)
class Notified(Event):
    """A flush takes a waiting handler."""

    kind: ClassVar[str] = "notified"
    handler: str


@dataclass(kw_only=True, repr=False, eq=False)
class Verbose(Event):
    """A line shown from a -v level on."""

    kind: ClassVar[str] = "verbose"
    level: int
    text: str


@dataclass(kw_only=True, repr=False, eq=False)
class Display(Event):
    """A line an action shows while it runs (pause)."""

    kind: ClassVar[str] = "display"
    text: str


@dataclass(kw_only=True, repr=False, eq=False)
class Included(Event):
    """An include loaded its file for some hosts."""

    kind: ClassVar[str] = "included"
    path: str
    hosts: list[str]
    label: Any = UNSET            # a looped include's item label


@dataclass(kw_only=True, repr=False, eq=False)
class WarningEvent(Event):
    """A warning."""

    kind: ClassVar[str] = "warning"
    text: str


@dataclass(kw_only=True, repr=False, eq=False)
class Deprecation(Event):
    """A deprecation notice (a collection's meta/runtime.yml deprecates a plugin)."""

    kind: ClassVar[str] = "deprecation"
    text: str


@dataclass(kw_only=True, repr=False, eq=False)
class NoMoreHosts(Event):
    """max_fail_percentage ended the play."""

    kind: ClassVar[str] = "no_more_hosts"


@dataclass(kw_only=True, repr=False, eq=False)
class Recap(Event):
    """The run is over: the recap counts."""

    kind: ClassVar[str] = "recap"
    stats: dict[str, dict[str, int]]
    custom_stats: Any = UNSET        # set_stats data, per host and "_run" (only when a play set some)
    show_custom_stats: Any = UNSET   # show_custom_stats in ansible.cfg: the console prints them


EVENT_TYPES: tuple[type[Event], ...] = (
    PlaybookStart, PlayStart, NoHosts, TaskStart, HostStart, TaskVars, Conditional, Retry, ItemResult,
    HostResult, AsyncLaunch, AsyncPoll, AsyncEnd, Notify, Notified, Verbose, Display, Included, WarningEvent,
    Deprecation, NoMoreHosts, Recap,
)


# --------------------------------------------------------------------------- reporters
class Reporter:
    """Base of every renderer: one method per event kind, each doing nothing.

    A renderer overrides the kinds it shows; `reporter(event)` calls the method for the
    event's kind (an event read back from a log reaches the same method).
    """

    def __call__(self, event: Event) -> None:
        method = getattr(self, f"on_{event.kind}", None)
        if method is not None:
            method(event)

    def on_playbook_start(self, event: PlaybookStart) -> None:
        """A playbook starts (after it loaded)."""

    def on_play_start(self, event: PlayStart) -> None:
        """A play (or the next serial batch of it) starts."""

    def on_no_hosts(self, event: NoHosts) -> None:
        """The play matched no host."""

    def on_task_start(self, event: TaskStart) -> None:
        """A task (or handler) starts on its hosts."""

    def on_host_start(self, event: HostStart) -> None:
        """A host got a fork slot and starts the task."""

    def on_task_vars(self, event: TaskVars) -> None:
        """The variables the task's templates read, and their layers."""

    def on_conditional(self, event: Conditional) -> None:
        """A when / until / changed_when / failed_when was evaluated."""

    def on_retry(self, event: Retry) -> None:
        """An `until` attempt failed; another follows."""

    def on_item_result(self, event: ItemResult) -> None:
        """One loop item ended."""

    def on_host_result(self, event: HostResult) -> None:
        """The task ended on a host."""

    def on_async_launch(self, event: AsyncLaunch) -> None:
        """An async job started."""

    def on_async_poll(self, event: AsyncPoll) -> None:
        """A polled async job was still running."""

    def on_async_end(self, event: AsyncEnd) -> None:
        """A polled async job is over."""

    def on_notify(self, event: Notify) -> None:
        """A changed task notified a handler."""

    def on_notified(self, event: Notified) -> None:
        """A flush takes a waiting handler."""

    def on_verbose(self, event: Verbose) -> None:
        """A line shown from a -v level on."""

    def on_display(self, event: Display) -> None:
        """A line an action shows while it runs (pause)."""

    def on_included(self, event: Included) -> None:
        """An include loaded its file for some hosts."""

    def on_warning(self, event: WarningEvent) -> None:
        """A warning."""

    def on_deprecation(self, event: Deprecation) -> None:
        """A deprecation notice (a collection's meta/runtime.yml deprecates a plugin)."""

    def on_no_more_hosts(self, event: NoMoreHosts) -> None:
        """max_fail_percentage ended the play."""

    def on_recap(self, event: Recap) -> None:
        """The run is over: the recap counts."""


def notes_of(event: Event) -> ResultNotes:
    """The engine's notes on the event's result (an event read back from a log has none)."""
    notes = getattr(event, "notes", None)
    return notes if isinstance(notes, ResultNotes) else ResultNotes.of(event.data.get("result") or {})


Subscriber = Callable[[Event], None]


class EventBus:
    """Delivers events to subscribers one at a time, so output lines never interleave."""

    def __init__(self) -> None:
        self._subscribers: list[Subscriber] = []
        self._lock = threading.RLock()
        self._wanted: dict[str, bool] = {}  # wants() by kind, until the next subscriber comes

    def subscribe(self, subscriber: Subscriber) -> None:
        self._subscribers.append(subscriber)
        self._wanted = {}

    def wants(self, kind: str) -> bool:
        """Whether any subscriber may show events of this kind, so an event that costs work to
        put together (`task_vars`) is made only for a log or view that reads it. A subscriber that
        is not a Reporter, or one with its own `__call__`, is taken to want every kind."""
        wanted = self._wanted.get(kind)
        if wanted is None:
            method = f"on_{kind}"
            wanted = any(not isinstance(subscriber, Reporter) or type(subscriber).__call__ is not Reporter.__call__
                         or getattr(type(subscriber), method, None) is not getattr(Reporter, method, None)
                         for subscriber in self._subscribers)
            self._wanted[kind] = wanted
        return wanted

    def emit(self, event: Event) -> Event:
        with self._lock:  # stamped under the lock: delivery order and time order agree
            event.time = time.time()
            for subscriber in self._subscribers:
                subscriber(event)
        return event
