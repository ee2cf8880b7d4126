"""Action plugins written for Ansible, run by the user's ansible-core, their target work done by miniplay.

How this works
--------------
A task whose module key is an action plugin (loading/action_plugin_finder.py) is handed
to `ActionPluginBridge.run()`. It takes a helper process (action_plugin_host.py, run by
the Python that owns the user's ansible-core; one per task in flight, kept for the next
task), sends it the task and its variables, and answers what the plugin asks until the
plugin returns:

* `execute_module` — the module runs through the host's worker like any task's module
  (native or written for Ansible); with `wrap_async` it starts as an async job and is
  polled as the task's `poll` says (run/jobs.py), and then the job's last status is the
  task's result, as in Ansible (the plugin is handed that status, not the launch);
* `action` — another action (`action_loader.get('ansible.legacy.shell')`): miniplay's
  own, or another user plugin, served by the same helper in place;
* `command`, `write`, `tmpdir`, `remove`, `expand_user` — shell commands over the host's
  connection (`_low_level_execute_command`, `_transfer_data`, the remote tmp dir).

The plugin's result is the task's result and goes through the executor's result handling.
A plugin that cannot be loaded, raises, or uses what the bridge does not give fails its
task with one paragraph naming the file. Without ansible-core on the controller the task
fails saying what to install.
"""
from __future__ import annotations

import base64
import dataclasses
import json
import os
import re
import shlex
import subprocess
import threading
from typing import TYPE_CHECKING, Any

from ..core.registry import canonical_name, controller_actions, target_modules
from ..core.results import error_result
from ..loading.ansible_install import INSTALL_HINT
from ..loading.foreign_modules import ForeignModule
from ..templating.collection_plugins import plain_data, plain_variables, stop_helper
from ..transport.worker import WorkerError
from .actions import ActionContext, get_action

if TYPE_CHECKING:
    from ..loading.action_plugin_finder import ActionPlugin
    from ..loading.foreign_modules import ForeignModules
    from .jobs import JobManager

HOST_FILE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "action_plugin_host.py")
USER_HOME = re.compile(r"^~[A-Za-z0-9_.-]*$")


class BridgeRefusal(Exception):
    """What the plugin asked cannot be done; it becomes an AnsibleError inside the plugin."""


@dataclasses.dataclass
class Conversation:
    """One task's plugin run: the helper it talks to and what the answers need."""

    process: subprocess.Popen
    ctx: ActionContext
    plugin: ActionPlugin
    async_seconds: int
    poll: int
    module_failed: bool = False
    polled: dict[str, Any] | None = None   # an async job the plugin started, waited for: the task's result


class ActionPluginBridge:
    """The run's action plugin helpers (started on first use, closed with the run)."""

    def __init__(self, foreign: ForeignModules, jobs: JobManager) -> None:
        self.foreign = foreign
        self.jobs = jobs
        self._idle: list[subprocess.Popen] = []
        self._all: list[subprocess.Popen] = []
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ entry point
    def run(self, ctx: ActionContext, plugin: ActionPlugin, async_seconds: int, poll: int) -> dict[str, Any]:
        install = self.foreign.install
        if install is None or not install.package_dir:
            return error_result(f"The action plugin {plugin.path} is Python code written for Ansible: running it "
                                f"needs ansible-core on the controller, and none was found. {INSTALL_HINT}")
        process = self._take(install.python)
        talk = Conversation(process, ctx, plugin, async_seconds, poll)
        try:
            result = self._converse(talk, self._request(ctx, plugin, async_seconds, poll))
        finally:
            self._give(process)
        if talk.polled is not None and not result.get("failed"):
            result = talk.polled  # as in Ansible: a polled job's last status is the task's result
        if result.get("failed") and talk.module_failed:
            result["_miniplay_module_failed"] = True
        return result

    def _request(self, ctx: ActionContext, plugin: ActionPlugin, async_seconds: int, poll: int) -> dict[str, Any]:
        task = ctx.task
        fields = {"args": ctx.args, "action": task.action, "resolved_action": _resolved(plugin, task.action),
                  "async_val": async_seconds, "poll": poll, "check_mode": ctx.check_mode, "diff": ctx.diff,
                  "environment": ctx.environment, "no_log": ctx.executor.flag(task, "no_log", ctx.vars),
                  "name": task.name, "register": task.register, "delegate_to": task.get("delegate_to"),
                  "become": ctx.executor.flag(task, "become", ctx.vars), "collections": task.get("collections")}
        generic = os.path.basename(plugin.path) == "normal.py" and plugin.name.rsplit(".", 1)[-1] != "normal"
        return {"op": "run", "path": plugin.path, "name": plugin.name, "collection": plugin.collection,
                "raw_params_owner": None if generic else plugin.name,  # free-form text goes to the module then
                "basedir": ctx.services.playbook_dir, "task": plain_data(fields), "task_vars": plain_variables(ctx.vars)}

    # ------------------------------------------------------------------ the conversation
    def _converse(self, talk: Conversation, request: dict[str, Any]) -> dict[str, Any]:
        self._send(talk.process, request)
        while True:
            message = self._receive(talk.process)
            if message is None:
                return error_result(f"The action plugin {talk.plugin.path} stopped the Python running it "
                                    "(ansible-core's interpreter exited).")
            if "done" in message:
                for text in message.get("warnings") or []:
                    talk.ctx.warn(str(text))
                return dict(message["done"])
            if "error" in message:
                return {**error_result(str(message["error"])), "_miniplay_action_failure": True}
            try:
                reply: dict[str, Any] = {"reply": self._answer(talk, message)}
            except BridgeRefusal as exc:
                reply = {"raise": str(exc)}
            self._send(talk.process, reply)

    def _answer(self, talk: Conversation, message: dict[str, Any]) -> Any:
        call = message.get("call")
        if call == "execute_module":
            return self._execute_module(talk, str(message["module"]), dict(message.get("args") or {}),
                                        bool(message.get("wrap_async")))
        if call == "action":
            return self._action(talk, str(message["name"]), dict(message.get("args") or {}))
        if call == "command":
            return self._command(talk.ctx, str(message["cmd"]), message.get("in_data"), message.get("executable"),
                                 message.get("chdir"))
        if call == "write":
            done = self._command(talk.ctx, f"cat > {shlex.quote(str(message['path']))}",
                                 base64.b64decode(message["data"]), None, None)
            if done["rc"] != 0:
                raise BridgeRefusal(f"failed to transfer file to {message['path']}: {done['stderr']}")
            return None
        if call == "tmpdir":
            done = self._command(talk.ctx, "umask 77 && mkdir -p ~/.ansible/tmp && "
                                           "mktemp -d ~/.ansible/tmp/ansible-tmp-XXXXXXXXXX", None, None, None)
            if done["rc"] != 0:
                raise BridgeRefusal(f"Failed to create temporary directory: {done['stderr']}")
            return done["stdout"].strip()
        if call == "remove":
            self._command(talk.ctx, f"rm -rf {shlex.quote(str(message['path']))}", None, None, None)
            return None
        if call == "expand_user":
            return self._expand_user(talk.ctx, str(message["path"]))
        raise BridgeRefusal(f"miniplay's bridge to action plugins cannot answer '{call}'")

    def _execute_module(self, talk: Conversation, written: str, args: dict[str, Any],
                        wrap_async: bool) -> dict[str, Any]:
        key = self._module_key(talk, written)
        ctx = talk.ctx
        if wrap_async and talk.async_seconds > 0:
            result = self.jobs.run_async_task(ctx, key, args, talk.async_seconds, talk.poll)
            if talk.poll > 0:
                talk.polled = result
        else:
            result = ctx.module(key, args)
        talk.module_failed = talk.module_failed or bool(result.get("failed"))
        return result

    def _module_key(self, talk: Conversation, written: str) -> str:
        """The module `written` names: the plugin's own module, a native one, or one written for Ansible."""
        plugin, task = talk.plugin, talk.ctx.task
        if plugin.module and written in (task.action, plugin.name):
            return plugin.module
        name = canonical_name(written)
        if name is not None and name in target_modules():
            return name
        found = self.foreign.resolve(written, task.role_path, task.get("collections"))
        if isinstance(found, ForeignModule):
            return found.key
        raise BridgeRefusal(f"couldn't resolve module/action '{written}' (asked by the action plugin {plugin.path})"
                            + (f": {found.message}" if found.message else ""))

    def _action(self, talk: Conversation, written: str, args: dict[str, Any]) -> dict[str, Any]:
        """Another action, as `action_loader.get(name).run()` asks: a user plugin, or miniplay's own."""
        ctx = talk.ctx
        name = canonical_name(written)
        task = ctx.task
        nested = self.foreign.action_plugin(written, name, task.role_path, task.get("collections"))
        sub_task = dataclasses.replace(task, module=name or written, args=args)
        sub_ctx = dataclasses.replace(ctx, task=sub_task, args=args)
        if nested is not None and nested.path != talk.plugin.path:
            inner = Conversation(talk.process, sub_ctx, nested, talk.async_seconds, talk.poll)
            return self._converse(inner, self._request(sub_ctx, nested, talk.async_seconds, talk.poll))
        if name is None:
            raise BridgeRefusal(f"couldn't resolve action '{written}' (asked by the action plugin {talk.plugin.path})")
        if name in controller_actions():
            return get_action(name)(sub_ctx)
        result = sub_ctx.module(name, args)
        talk.module_failed = talk.module_failed or bool(result.get("failed"))
        return result

    # ------------------------------------------------------------------ the host's shell
    def _command(self, ctx: ActionContext, command: str, stdin: Any, executable: Any,
                 chdir: Any) -> dict[str, Any]:
        if chdir:
            command = f"cd {shlex.quote(str(chdir))} && {command}"
        if executable:
            command = f"{executable} -c {shlex.quote(command)}"
        data = stdin.encode("utf-8", "surrogateescape") if isinstance(stdin, str) else stdin
        connections = ctx.services.connections
        connection = connections.connection(ctx.host, ctx.vars, ctx.task)
        try:
            plan = connections.become_plan(ctx.host, ctx.vars, ctx.task)
            if plan is not None and data is not None:
                raise BridgeRefusal("sending data on stdin to a command run with become")
            done = plan.run(connection, command) if plan is not None else connection.exec_command(command, stdin=data)
        except WorkerError as exc:
            raise BridgeRefusal(str(exc)) from None
        stdout = done.stdout.decode("utf-8", errors="replace")
        stderr = done.stderr.decode("utf-8", errors="replace")
        return {"rc": done.rc, "stdout": stdout, "stdout_lines": stdout.splitlines(), "stderr": stderr,
                "stderr_lines": stderr.splitlines()}

    def _expand_user(self, ctx: ActionContext, path: str) -> str:
        if not path.startswith("~"):
            return path
        head, _, rest = path.partition("/")
        if not USER_HOME.match(head):
            return path
        done = self._command(ctx, f"echo {head}", None, None, None)
        home = done["stdout"].strip() or head
        return f"{home}/{rest}" if rest else home

    # ------------------------------------------------------------------ helper processes
    def _take(self, python: str) -> subprocess.Popen:
        with self._lock:
            while self._idle:
                process = self._idle.pop()
                if process.poll() is None:
                    return process
        import sys

        settings = json.dumps({"paths": self.foreign.index.paths})
        env = {**os.environ, "PYTHONWARNINGS": "ignore", "ANSIBLE_NOCOLOR": "1"}
        process = subprocess.Popen([python or sys.executable, HOST_FILE, settings], stdin=subprocess.PIPE,
                                   stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env)
        with self._lock:
            self._all.append(process)
        return process

    def _give(self, process: subprocess.Popen) -> None:
        if process.poll() is None:
            with self._lock:
                self._idle.append(process)

    @staticmethod
    def _send(process: subprocess.Popen, message: dict[str, Any]) -> None:
        assert process.stdin is not None
        try:
            process.stdin.write(json.dumps(message, default=str) + "\n")
            process.stdin.flush()
        except (OSError, ValueError):
            pass  # the reply read finds it gone

    @staticmethod
    def _receive(process: subprocess.Popen) -> dict[str, Any] | None:
        assert process.stdout is not None
        try:
            line = process.stdout.readline()
        except (OSError, ValueError):
            return None
        return json.loads(line) if line.strip() else None

    def close(self) -> None:
        with self._lock:
            processes, self._all, self._idle = self._all, [], []
        for process in processes:
            stop_helper(process)


def _resolved(plugin: ActionPlugin, action: str) -> str:
    """The action's full name as ansible-core would have resolved it."""
    if "." in action:
        return action
    return f"{plugin.collection}.{action}" if plugin.collection else f"ansible.legacy.{action}"
