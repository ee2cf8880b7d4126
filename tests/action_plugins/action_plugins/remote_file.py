"""Works the target through the base class's low-level helpers: tmp dir, file transfer, a raw command."""
from __future__ import annotations

from ansible.plugins.action import ActionBase


class ActionModule(ActionBase):
    TRANSFERS_FILES = True

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        tmpdir = self._make_tmp_path()
        path = self._connection._shell.join_path(tmpdir, "note.txt")
        self._transfer_data(path, self._task.args["text"])
        done = self._low_level_execute_command("cat " + path)
        result.update(changed=False, read_back=done["stdout"], rc=done["rc"], tmpdir=tmpdir,
                      home=self._remote_expand_user("~"))
        self._remove_tmp_path(tmpdir)
        return result
