"""Runs the command module on the target with words of its own, and says it did."""
from __future__ import annotations

from ansible.plugins.action import ActionBase


class ActionModule(ActionBase):
    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        words = self._task.args.get("words", "")
        outcome = self._execute_module(module_name="ansible.legacy.command",
                                       module_args={"argv": ["echo", "wrapped:", words]}, task_vars=task_vars)
        result.update(outcome)
        result["via_plugin"] = "wrap_module"
        return result
