"""meta — engine instructions (flush_handlers, end_play, end_host, noop...).

The strategy carries these out itself; this action only exists so that `meta`
is a known name and so a meta task reached outside the strategy does nothing.
"""
from __future__ import annotations

from typing import Any

from . import ActionContext


def run(ctx: ActionContext) -> dict[str, Any]:
    return {"changed": False, "skipped": False}
