"""wait_for_connection — wait until the host answers again: log in afresh and run `ping`.

Each attempt drops the host's worker and connection (as `meta: reset_connection` does) and
runs the ping module on a new one, so a host that was rebooted, re-imaged or had its sshd
restarted is reached through a new login.

Arguments:
  delay            seconds to wait before the first attempt (default 0)
  sleep            seconds between attempts (default 1)
  timeout          give up after this many seconds (default 600)
  connect_timeout  seconds each SSH login may take (default 5)

In check mode the task is skipped.

Returns: elapsed (whole seconds); on timeout failed with "timed out waiting for ping module
test: <the last error>".

Example:
  - name: Wait for the host to come back
    wait_for_connection:
      delay: 10
      timeout: 300
"""
from __future__ import annotations

import datetime
import time
from collections.abc import Callable
from typing import Any

from ...core.errors import MiniplayError
from . import ActionContext

VALID_ARGS = frozenset({"connect_timeout", "delay", "sleep", "timeout"})
DEFAULTS = {"connect_timeout": 5, "delay": 0, "sleep": 1, "timeout": 600}


class TimedOut(Exception):
    """No attempt succeeded before the deadline."""


def int_args(ctx: ActionContext, names: dict[str, int]) -> dict[str, int]:
    """The task's numeric arguments (Ansible runs int() on each), with their defaults."""
    values = {}
    for name, default in names.items():
        raw = ctx.args.get(name, default)
        try:
            values[name] = int(raw)
        except (TypeError, ValueError):
            raise ValueError(f"invalid literal for int() with base 10: {str(raw)!r}") from None
    return values


def fresh_login_view(ctx: ActionContext, connect_timeout: Any):
    """The host's variables with the SSH login timeout this task asks for."""
    if connect_timeout in (None, ""):
        return ctx.vars
    return ctx.vars.child({"ansible_ssh_timeout": connect_timeout, "ansible_timeout": connect_timeout},
                          label="connect_timeout")


def ping_once(ctx: ActionContext, view) -> None:
    """Reset the host's worker and connection, then run ping on a new one; raise on any trouble."""
    ctx.services.connections.reset(ctx.services.connections.target_for(ctx.host, ctx.vars, ctx.task)[0])  # delegate_to
    try:
        result = ctx.executor.call_module(_with_vars(ctx, view), "ping", {})
    except MiniplayError as exc:  # ConnectionFailed and friends
        raise RuntimeError(exc.message) from None
    if result.get("ping") != "pong":
        raise RuntimeError(str(result.get("msg") or "ping test failed"))


def _with_vars(ctx: ActionContext, view) -> ActionContext:
    from dataclasses import replace

    return replace(ctx, vars=view)


def until_success(attempt: Callable[[], None], timeout: int, sleep: int, what: str) -> None:
    deadline = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=timeout)
    error: Any = None
    while datetime.datetime.now(datetime.timezone.utc) < deadline:
        try:
            attempt()
            return
        except Exception as exc:  # any failure is "not yet": try again until the deadline
            error = exc
            time.sleep(sleep)
    raise TimedOut(f"timed out waiting for {what}: {error}")


def run(ctx: ActionContext) -> dict[str, Any]:
    unknown = sorted(set(ctx.args) - VALID_ARGS)
    if unknown:
        message = f"Invalid options for wait_for_connection: {', '.join(unknown)}"
        return {"failed": True, "changed": False, "msg": message, "_miniplay_header": f"Task failed: {message}"}
    try:
        numbers = int_args(ctx, DEFAULTS)
    except ValueError as exc:
        return {"failed": True, "changed": False, "msg": f"Task failed: {exc}"}
    if ctx.check_mode:
        return {"changed": False, "skipped": True, "failed": False}
    view = fresh_login_view(ctx, numbers["connect_timeout"])
    result: dict[str, Any] = {"changed": False}
    start = datetime.datetime.now()
    if numbers["delay"]:
        time.sleep(numbers["delay"])
    try:
        until_success(lambda: ping_once(ctx, view), numbers["timeout"], numbers["sleep"], "ping module test")
    except TimedOut as exc:
        result.update(failed=True, msg=str(exc))
    result["elapsed"] = (datetime.datetime.now() - start).seconds
    return result
