"""fail — stop this host with a message (controller only)."""
from __future__ import annotations

from typing import Any

from . import ActionContext


def run(ctx: ActionContext) -> dict[str, Any]:
    return {"changed": False, "failed": True, "msg": ctx.args.get("msg", "Failed as requested from task")}
