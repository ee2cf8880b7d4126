"""pause — wait for some seconds or minutes (controller only).

Interactive prompts are not supported: without seconds/minutes miniplay refuses,
since nobody may be at the keyboard.
"""
from __future__ import annotations

import datetime
import time
from typing import Any

from ...core.events import Display
from . import ActionContext


def run(ctx: ActionContext) -> dict[str, Any]:
    seconds: Any = ctx.args.get("seconds")
    minutes: Any = ctx.args.get("minutes")
    if seconds is None and minutes is None:
        return {"failed": True, "changed": False,
                "msg": "miniplay's pause needs seconds or minutes: interactive prompts are not supported"}
    try:
        amount = float(seconds) if seconds is not None else float(minutes)
    except (TypeError, ValueError):
        return {"failed": True, "changed": False, "msg": f"non-integer value given for prompt duration: {seconds or minutes}"}
    if amount != amount or amount in (float("inf"), float("-inf")):
        return {"failed": True, "changed": False, "msg": f"non-integer value given for prompt duration: {seconds or minutes}"}
    unit = "seconds" if seconds is not None else "minutes"
    duration = amount if seconds is not None else amount * 60
    ctx.services.bus.emit(Display(host=ctx.host, task=ctx.task, text=f"Pausing for {int(duration)} seconds"))
    start = datetime.datetime.now()
    began = time.monotonic()
    left = max(0.0, duration)
    while left > 0:  # time.sleep() overflows past what the platform can wait: a day at a time
        time.sleep(min(left, 86400.0))
        left = duration - (time.monotonic() - began)
    waited = time.monotonic() - began
    stop = datetime.datetime.now()
    # Like Ansible, report the time actually waited (rounded), not the time asked for.
    shown = round(waited / 60.0, 2) if unit == "minutes" else round(waited, 2)
    return {"changed": False, "rc": 0, "start": str(start), "stop": str(stop),
            "delta": int(waited), "stdout": f"Paused for {shown} {unit}", "stderr": "",
            "echo": True, "user_input": ""}
