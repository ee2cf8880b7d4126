"""Live status: one line at the bottom of a terminal while tasks and async jobs run.

    [3/12] Install packages · running: web2 4.2s, web3 4.1s · 1 async job pending

How this works
--------------
`LiveStatus` wraps the console renderer as one bus subscriber, so for every
event it can erase its status line, let the console print its normal lines,
then draw the line again below them; a small ticker thread redraws it twice a
second so the durations move. Both hold the same lock, so a console line and
the status line never mix. The runner enables it only when stdout is a
terminal: redirected output stays the console's plain lines, byte for byte.
"""
from __future__ import annotations

import atexit
import shutil
import threading
import time
from collections.abc import Callable
from typing import Any, TextIO

from ..core.events import Event, Reporter
from ..core.model import iter_tasks

CLEAR = "\r\033[K"
DIM = "\033[2m"
RESET = "\033[0m"


class LiveStatus(Reporter):
    def __init__(self, inner: Callable[[Event], None] | None, stream: TextIO, interval: float = 0.5,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.inner = inner
        self.out = stream
        self.interval = interval
        self.clock = clock
        self._lock = threading.Lock()
        self._shown = ""
        self._number = 0
        self._total = 0
        self._task = ""
        self._handler = False
        self._running: dict[str, float] = {}
        self._jobs: dict[tuple[str, str], float] = {}
        self._ticker: threading.Thread | None = None
        self._stop = threading.Event()
        atexit.register(self.close)  # an interrupted run must not leave the status line behind

    # ------------------------------------------------------------------ subscriber
    def __call__(self, event: Event) -> None:
        with self._lock:
            self._erase()
            if self.inner is not None:
                self.inner(event)
            super().__call__(event)   # the on_* method of its kind updates the state
            if event.kind == "recap":
                self._stop.set()
                return
            self._draw()
        if self._ticker is None or not self._ticker.is_alive():
            self._stop.clear()
            self._ticker = threading.Thread(target=self._tick, name="live-status", daemon=True)
            self._ticker.start()

    def close(self) -> None:
        self._stop.set()
        with self._lock:
            try:
                self._erase()
            except (OSError, ValueError):  # the terminal is gone
                pass

    # ------------------------------------------------------------------ state (one method per event kind)
    def on_play_start(self, event: Event) -> None:
        play = event.data.get("play")
        self._number = 0
        self._total = 0
        if play is not None and hasattr(play, "sections"):
            self._total = sum(1 for section in play.sections() for _ in iter_tasks(section))
            gather = play.get("gather_facts", True)
            if gather not in (False, "false", "no", "False", "off"):
                self._total += 1
        self._running.clear()

    def on_task_start(self, event: Event) -> None:
        self._handler = bool(event.data.get("handler"))
        if not self._handler:
            self._number += 1
            self._total = max(self._total, self._number)
        self._task = str(event.data.get("name", ""))

    def on_host_start(self, event: Event) -> None:
        if event.host:
            self._running[event.host] = self.clock()

    def on_host_result(self, event: Event) -> None:
        if event.host:
            self._running.pop(event.host, None)
            self._job_from_result(event.host, event.data.get("result") or {}, self.clock(), event)

    def on_item_result(self, event: Event) -> None:
        if event.host:
            self._job_from_result(event.host, event.data.get("result") or {}, self.clock(), event)

    def on_async_launch(self, event: Event) -> None:
        if event.host:
            self._jobs[(event.host, str(event.data.get("jid", "")))] = self.clock()

    def on_async_end(self, event: Event) -> None:
        if event.host:
            self._jobs.pop((event.host, str(event.data.get("jid", ""))), None)

    def on_recap(self, event: Event) -> None:
        self._running.clear()

    def _job_from_result(self, host: str, result: dict[str, Any], now: float, event: Event) -> None:
        jid = result.get("ansible_job_id")
        if not jid:
            return
        if result.get("finished") in (1, True):
            self._jobs.pop((host, str(jid)), None)
        elif result.get("started") in (1, True) and not (event.task is not None and event.task.module == "async_status"):
            self._jobs.setdefault((host, str(jid)), now)

    # ------------------------------------------------------------------ drawing
    def status_line(self) -> str:
        """The text of the status line now ('' when nothing runs)."""
        if not self._running and not self._jobs:
            return ""
        now = self.clock()
        parts = []
        if self._running:
            prefix = "handler" if self._handler else f"[{self._number}/{self._total}]"
            hosts = sorted(self._running.items(), key=lambda item: item[1])
            shown = ", ".join(f"{h} {now - t:.1f}s" for h, t in hosts[:4])
            if len(hosts) > 4:
                shown += f" +{len(hosts) - 4} more"
            parts.append(f"{prefix} {self._task} · running: {shown}")
        if self._jobs:
            count = len(self._jobs)
            oldest = now - min(self._jobs.values())
            parts.append(f"{count} async job{'s' if count != 1 else ''} pending (oldest {oldest:.0f}s)")
        return " · ".join(parts)

    def _draw(self) -> None:
        text = self.status_line()
        if not text:
            return
        width = max(20, shutil.get_terminal_size((100, 24)).columns - 1)
        if len(text) > width:
            text = text[:width - 1] + "…"
        self.out.write(f"{DIM}{text}{RESET}")
        self.out.flush()
        self._shown = text

    def _erase(self) -> None:
        if self._shown:
            self.out.write(CLEAR)
            self.out.flush()
            self._shown = ""

    def _tick(self) -> None:
        while not self._stop.wait(self.interval):
            with self._lock:
                if self._stop.is_set():
                    return
                self._erase()
                self._draw()
