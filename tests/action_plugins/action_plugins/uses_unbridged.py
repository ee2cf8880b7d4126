"""Asks the task for something the bridge does not carry."""
from __future__ import annotations

from ansible.plugins.action import ActionBase


class ActionModule(ActionBase):
    def run(self, tmp=None, task_vars=None):
        return {"changed": False, "parent": self._task.get_first_parent_include()}
