"""The `--forks` slots: how many hosts work at once, admitted in inventory order.

A fork thread holds a slot only while its host is actively working; a host waiting for an
async job gives its slot back (`released()`), so a polled async task is launched on every host
before any waiting starts, whatever `--forks` is.
"""
from __future__ import annotations

import contextlib
import heapq
import itertools
import threading
from collections.abc import Iterator


class FairSlots:
    """A counting semaphore that admits waiters in ticket order (inventory order, like Ansible's queue).

    A release hands its slot straight to the waiter with the lowest ticket, waking that thread
    only: with one thread per host queued for a slot, waking them all at each release (one shared
    condition) cost hosts x hosts wake-ups per task, most of a 1,000-host run's system time.
    """

    def __init__(self, size: int) -> None:
        self._free = size
        self._waiting: list[tuple[int, threading.Lock]] = []  # a heap of (ticket, the waiter's gate)
        self._lock = threading.Lock()

    def acquire(self, ticket: int) -> None:
        with self._lock:
            if self._free > 0 and not self._waiting:
                self._free -= 1
                return
            gate = threading.Lock()
            gate.acquire()
            heapq.heappush(self._waiting, (ticket, gate))
        gate.acquire()  # released by the release() that hands this waiter its slot

    def release(self) -> None:
        with self._lock:
            if self._waiting:
                _, gate = heapq.heappop(self._waiting)
                gate.release()
            else:
                self._free += 1


class ForkSlots:
    """The run's fork slots, with tickets that keep hosts in the order they were queued."""

    def __init__(self, forks: int) -> None:
        self._slots = FairSlots(max(1, forks))
        self._tickets = itertools.count()
        self._holding = threading.local()

    def take_ticket(self) -> int:
        """A place in the queue for a fork slot: hosts start in the order they were queued."""
        return next(self._tickets)

    @contextlib.contextmanager
    def held(self, ticket: int | None = None) -> Iterator[None]:
        """Hold one of the `--forks` slots while this thread works on a host."""
        self._slots.acquire(self.take_ticket() if ticket is None else ticket)
        self._holding.active = True
        try:
            yield
        finally:
            self._holding.active = False
            self._slots.release()

    @contextlib.contextmanager
    def released(self) -> Iterator[None]:
        """Give the slot back while waiting (for an async job), so other hosts can start."""
        holding = getattr(self._holding, "active", False)
        if holding:
            self._holding.active = False
            self._slots.release()
        try:
            yield
        finally:
            if holding:
                self._slots.acquire(self.take_ticket())
                self._holding.active = True
