"""Answers on the controller, without touching the target."""
from __future__ import annotations

from ansible.plugins.action import ActionBase


class ActionModule(ActionBase):
    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        result.update(changed=False, answer=42, asked=self._task.args.get("question"),
                      host=task_vars.get("inventory_hostname"), greeting=task_vars.get("greeting"))
        return result
