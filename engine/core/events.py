"""One event protocol, many renderers.

Every step of a run (play start, task start, a host's result, an item, a retry,
an async poll...) is an `Event` on the run's `EventBus`. The console, the
minimal ad hoc output, the JSONL log and the trace are subscribers; none of
them reaches into the engine.
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Optional

from .model import Task


@dataclass
class Event:
    kind: str
    time: float
    host: Optional[str] = None
    task: Optional[Task] = None
    data: dict[str, Any] = field(default_factory=dict)


Subscriber = Callable[[Event], None]


class EventBus:
    """Delivers events to subscribers one at a time, so output lines never interleave."""

    def __init__(self) -> None:
        self._subscribers: list[Subscriber] = []
        self._lock = threading.RLock()

    def subscribe(self, subscriber: Subscriber) -> None:
        self._subscribers.append(subscriber)

    def emit(self, kind: str, host: Optional[str] = None, task: Optional[Task] = None, **data: Any) -> Event:
        with self._lock:  # stamped under the lock: delivery order and time order agree
            event = Event(kind=kind, time=time.time(), host=host, task=task, data=data)
            for subscriber in self._subscribers:
                subscriber(event)
        return event
