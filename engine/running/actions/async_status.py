"""async_status, controller half: tell the target module where the job files are.

The async directory is decided here, with the host's variables (`ansible_async_dir`,
then `ANSIBLE_ASYNC_DIR`, then ansible.cfg `async_dir`, then `~/.ansible_async`), the
same way the async launch decides it, so both always look in the same place. The
target module expands `~` as the user it runs as (the become user under become).
"""
from __future__ import annotations

from typing import Any

from . import ActionContext


def run(ctx: ActionContext) -> dict[str, Any]:
    from ..jobs import async_dir_for

    # no_invocation: a finished job's result keeps the job's own `invocation`, as in Ansible.
    return ctx.module("async_status", ctx.args, async_dir=async_dir_for(ctx.services.options, ctx.vars), no_invocation=True)
