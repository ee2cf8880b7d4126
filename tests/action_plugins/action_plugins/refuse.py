"""Fails the way Ansible's own actions do: AnsibleActionFail with a message."""
from __future__ import annotations

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase


class ActionModule(ActionBase):
    def run(self, tmp=None, task_vars=None):
        raise AnsibleActionFail("refused: %s" % self._task.args.get("why", "no reason"))
