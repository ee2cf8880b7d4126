"""Replaces the generic action: runs the task's module as Ansible's does, and marks the result."""
from __future__ import annotations

from ansible.plugins.action import ActionBase


class ActionModule(ActionBase):
    _supports_async = True

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        result.update(self._execute_module(task_vars=task_vars, wrap_async=bool(self._task.async_val)))
        result["seen_by"] = "normal"
        return result
