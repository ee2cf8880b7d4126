"""Imports a library that is not installed."""
from __future__ import annotations

import no_such_library_for_miniplay  # noqa: F401

from ansible.plugins.action import ActionBase


class ActionModule(ActionBase):
    def run(self, tmp=None, task_vars=None):
        return {"changed": False}
