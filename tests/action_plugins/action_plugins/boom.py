"""Fails the way a buggy plugin does: an exception."""
from __future__ import annotations

from ansible.plugins.action import ActionBase


class ActionModule(ActionBase):
    def run(self, tmp=None, task_vars=None):
        raise RuntimeError("the plugin broke on purpose")
