"""Controller side of async jobs (placeholder until the async work lands)."""
from __future__ import annotations

from typing import Any

from .results import error_result


class JobManager:
    def __init__(self, run: Any) -> None:
        self.run = run

    def on_worker_event(self, host: str, message: dict[str, Any]) -> None:
        """A worker reported a job event."""

    def run_async_task(self, ctx: Any, module: str, args: dict[str, Any], async_seconds: int, poll: int) -> dict:
        return error_result("async is not available yet")

    def close(self) -> None:
        """Nothing to stop."""
