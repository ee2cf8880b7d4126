"""meta — engine instructions (flush_handlers, end_play, end_host, noop...).

Actions: flush_handlers, end_play, end_batch, end_host, clear_host_errors, clear_facts,
reset_connection (the next task logs in afresh, e.g. for new group memberships),
refresh_inventory, noop, end_role.

As in Ansible's linear strategy, each host gets its own banner and `when`, except
end_play, end_batch, clear_host_errors, clear_facts and refresh_inventory: the
batch's first host decides those for all. A false `when` shows `skipping:` but is
not counted in the recap. The strategy carries these out itself; this action only
exists so that `meta` is a known name.
"""
from __future__ import annotations

from typing import Any

from . import ActionContext


def run(ctx: ActionContext) -> dict[str, Any]:
    return {"changed": False, "skipped": False}
