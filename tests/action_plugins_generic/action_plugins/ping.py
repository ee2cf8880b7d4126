"""An action named like a module: it stands in front of that module."""
from __future__ import annotations

from ansible.plugins.action import ActionBase


class ActionModule(ActionBase):
    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        result.update(self._execute_module(module_args={"data": "through ping.py"}, task_vars=task_vars))
        result["seen_by"] = "ping.py"
        return result
