"""Runs action plugins written for Ansible, in the Python of the user's ansible-core.

How this works
--------------
An action plugin is a class (`ActionModule`) that subclasses ansible-core's `ActionBase`
and drives the target through methods of its base class. miniplay never copies that
code: the controller starts this file with the Python that owns the user's ansible-core
(`python action_plugin_host.py '<json settings>'`), and sends one JSON line per task:

    {"op": "run", "path": ".../action_plugins/x.py", "name": "x", "task": {...}, "task_vars": {...}}

This process loads the class, builds it with ansible-core's own loader, templar, play
context and `sh` shell, and replaces, on that one instance, the methods that reach the
target (`_execute_module`, `_low_level_execute_command`, `_transfer_data`, `_transfer_file`,
`_remote_expand_user`, `_make_tmp_path`, `_remove_tmp_path`, `_fixup_perms2`) and the
action loader's `get()` by calls back to the controller:

    -> {"call": "execute_module", "module": "ansible.legacy.shell", "args": {...}, "wrap_async": false}
    <- {"reply": {...the module's result...}}     (or {"raise": "text"}: an AnsibleError in the plugin)

so modules run through miniplay's workers and other actions are miniplay's. While it
waits for a reply the controller may send another `run` (a plugin asking for another
user plugin): it is served in place. The task ends with `{"done": result, "warnings": [...]}`
or `{"error": "one paragraph"}`. It exits when its stdin closes.

This file is executed by another interpreter: it imports nothing from miniplay.
"""
from __future__ import annotations

import sys

if sys.path and sys.path[0] == __import__("os").path.dirname(__import__("os").path.abspath(__file__)):
    del sys.path[0]  # this file's folder is miniplay's package: never importable by plugins  # noqa: E402

import base64  # noqa: E402
import importlib.util  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import traceback  # noqa: E402
from typing import Any  # noqa: E402

BRIDGED = "miniplay's bridge to Ansible action plugins"


class Channel:
    """The JSON-lines conversation with the controller."""

    def __init__(self, stdin: Any, stdout: Any) -> None:
        self.stdin = stdin
        self.stdout = stdout
        self.classes: dict[tuple[str, float], Any] = {}   # plugin classes loaded, by (file, mtime)

    def send(self, message: dict[str, Any]) -> None:
        self.stdout.write(json.dumps(message, default=_jsonable) + "\n")
        self.stdout.flush()

    def receive(self) -> dict[str, Any] | None:
        line = self.stdin.readline()
        return json.loads(line) if line.strip() else None

    def ask(self, call: dict[str, Any]) -> Any:
        """One call to the controller; a nested `run` it sends meanwhile is served here."""
        self.send(call)
        while True:
            message = self.receive()
            if message is None:
                raise SystemExit(0)
            if "reply" in message:
                return message["reply"]
            if "raise" in message:
                from ansible.errors import AnsibleError

                raise AnsibleError(message["raise"])
            if message.get("op") == "run":
                self.send(run_plugin(self, message))


def _jsonable(value: Any) -> Any:
    if isinstance(value, (bytes, bytearray)):
        return value.decode("utf-8", "replace")
    if hasattr(value, "items"):
        return dict(value.items())
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    return str(value)


class BridgeTask:
    """The task as the plugin sees it (`self._task`): what miniplay knows of it, nothing more."""

    def __init__(self, fields: dict[str, Any]) -> None:
        self.args: dict[str, Any] = dict(fields.get("args") or {})
        self.action: str = fields.get("action", "")
        self.resolved_action: str = fields.get("resolved_action", self.action)
        self.async_val: int = int(fields.get("async_val") or 0)
        self.poll: int = int(fields.get("poll") or 0)
        self.check_mode: bool = bool(fields.get("check_mode"))
        self.diff: bool = bool(fields.get("diff"))
        self.environment: list[Any] = [fields.get("environment") or {}]
        self.no_log: bool = bool(fields.get("no_log"))
        self.delegate_to: str | None = fields.get("delegate_to")
        self.become: bool = bool(fields.get("become"))
        self.become_user: str | None = fields.get("become_user")
        self.name: str = fields.get("name") or ""
        self.register: str | None = fields.get("register")
        self.ignore_errors: bool = bool(fields.get("ignore_errors"))
        self.loop = None
        self.until: list[Any] = []
        self.retries = fields.get("retries")
        self.delay = fields.get("delay")
        self.collections: list[str] = list(fields.get("collections") or [])
        self._role = None
        self._parent = None

    def copy(self, **_: Any) -> BridgeTask:
        twin = BridgeTask({})
        twin.__dict__.update({k: (dict(v) if isinstance(v, dict) else v) for k, v in self.__dict__.items()})
        return twin

    def get_search_path(self) -> list[str]:
        return []


class BridgeConnection:
    """`self._connection`: the shell syntax of the target (ansible-core's `sh`), no transport of its own."""

    has_native_async = False
    has_pipelining = False
    become = None
    transport = "miniplay"
    _connected = True

    def __init__(self) -> None:
        from ansible.plugins.loader import shell_loader

        self._shell = shell_loader.get("sh")
        self._shell.tmpdir = None


class BridgeActionLoader:
    """`action_loader` as the plugin sees it: `get()` of another action runs miniplay's (or the user's)."""

    def __init__(self, channel: Channel, real: Any, task: BridgeTask) -> None:
        self.channel = channel
        self.real = real
        self.task = task

    def get(self, name: str, *args: Any, **kwargs: Any) -> BridgeAction:
        return BridgeAction(self.channel, name, kwargs.get("task") or (args[0] if args else self.task))

    def has_plugin(self, name: str, *args: Any, **kwargs: Any) -> bool:
        return True

    def __getattr__(self, attribute: str) -> Any:
        return getattr(self.real, attribute)


class BridgeAction:
    """Another action, run by the controller with this task's (possibly changed) arguments."""

    def __init__(self, channel: Channel, name: str, task: Any) -> None:
        self.channel = channel
        self.name = name
        self._task = task

    def run(self, tmp: Any = None, task_vars: Any = None) -> dict[str, Any]:
        return dict(self.channel.ask({"call": "action", "name": self.name, "args": dict(self._task.args)}))


class SharedLoaders:
    """`self._shared_loader_obj`: ansible-core's plugin loaders, with the action loader bridged."""

    def __init__(self, real: Any, action_loader: BridgeActionLoader) -> None:
        self.real = real
        self.action_loader = action_loader

    def __getattr__(self, attribute: str) -> Any:
        return getattr(self.real, attribute)


def _bind(plugin: Any, channel: Channel) -> None:
    """Route what the plugin asks of the target back to the controller, on this instance only."""
    task = plugin._task
    shell = plugin._connection._shell

    def execute_module(module_name: Any = None, module_args: Any = None, tmp: Any = None, task_vars: Any = None,
                       persist_files: bool = False, delete_remote_tmp: Any = None, wrap_async: bool = False,
                       ignore_unknown_opts: bool = False) -> dict[str, Any]:
        return dict(channel.ask({"call": "execute_module", "module": module_name or task.action,
                                 "args": task.args if module_args is None else module_args,
                                 "wrap_async": bool(wrap_async)}))

    def low_level(cmd: str, sudoable: bool = True, in_data: Any = None, executable: Any = None,
                  encoding_errors: str = "surrogate_then_replace", chdir: Any = None) -> dict[str, Any]:
        return dict(channel.ask({"call": "command", "cmd": cmd, "in_data": _text(in_data),
                                 "executable": executable, "chdir": chdir}))

    def transfer_data(remote_path: str, data: Any) -> str:
        if isinstance(data, dict):
            data = json.dumps(data)
        raw = data if isinstance(data, bytes) else str(data).encode("utf-8", "surrogateescape")
        channel.ask({"call": "write", "path": remote_path, "data": base64.b64encode(raw).decode()})
        return remote_path

    def transfer_file(local_path: str, remote_path: str) -> str:
        with open(local_path, "rb") as handle:
            return transfer_data(remote_path, handle.read())

    def make_tmp_path(remote_user: Any = None) -> str:
        shell.tmpdir = channel.ask({"call": "tmpdir"})
        return str(shell.tmpdir)

    def remove_tmp_path(tmp_path: Any, force: bool = False) -> None:
        if tmp_path:
            channel.ask({"call": "remove", "path": tmp_path})
            if tmp_path == shell.tmpdir:
                shell.tmpdir = None

    plugin._execute_module = execute_module
    plugin._low_level_execute_command = low_level
    plugin._transfer_data = transfer_data
    plugin._transfer_file = transfer_file
    plugin._remote_expand_user = lambda path, sudoable=True: channel.ask({"call": "expand_user", "path": path})
    plugin._make_tmp_path = make_tmp_path
    plugin._remove_tmp_path = remove_tmp_path
    plugin._fixup_perms2 = lambda remote_paths, remote_user=None, execute=True: None
    plugin._early_needs_tmp_path = lambda: False


def _text(value: Any) -> str | None:
    if value is None:
        return None
    return value.decode("utf-8", "surrogateescape") if isinstance(value, bytes) else str(value)


def _load_class(channel: Channel, path: str, collection: str | None) -> Any:
    """The plugin's class, imported once per file version by this helper."""
    key = (path, os.stat(path).st_mtime)
    if key not in channel.classes:
        channel.classes[key] = _import_class(path, collection)
    return channel.classes[key]


def _import_class(path: str, collection: str | None) -> Any:
    if collection:
        stem = os.path.splitext(os.path.basename(path))[0]
        module = importlib.import_module(f"ansible_collections.{collection}.plugins.action.{stem}")
    else:
        spec = importlib.util.spec_from_file_location(f"ansible.plugins.action.__miniplay_{abs(hash(path))}", path)
        if spec is None or spec.loader is None:
            raise ImportError(f"cannot load {path}")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    return module.ActionModule


def run_plugin(channel: Channel, request: dict[str, Any]) -> dict[str, Any]:
    """Build the plugin for this task and run it; every failure is one paragraph naming the file."""
    path = request["path"]
    try:
        cls = _load_class(channel, path, request.get("collection"))
    except ImportError as exc:
        missing = f"imports '{exc.name}', which is not installed" if exc.name else f"cannot import: {exc}"
        return {"error": f"Could not load the action plugin {_where(exc, path)}: it {missing} for the Python that "
                         f"runs ansible-core ({sys.executable}). Install it there, or remove the plugin."}
    except Exception as exc:
        return {"error": f"Could not load the action plugin {_where(exc, path)}: {type(exc).__name__}: {exc}"}
    owner = request.get("raw_params_owner")
    if owner and (request.get("task") or {}).get("args", {}).get("_raw_params") and not cls.supports_raw_params:
        return {"done": {"changed": False, "failed": True,  # as ansible-core refuses free-form text
                         "msg": f"Task failed: Action {owner!r} does not support raw params."}, "warnings": []}
    warnings: list[str] = []
    try:
        plugin = _build(cls, channel, request, warnings)
        result = plugin.run(task_vars=request.get("task_vars") or {})
    except Exception as exc:
        return _failure(exc, path, warnings)
    return {"done": dict(result or {}), "warnings": warnings}


def _build(cls: Any, channel: Channel, request: dict[str, Any], warnings: list[str]) -> Any:
    from ansible.parsing.dataloader import DataLoader
    from ansible.playbook.play_context import PlayContext
    from ansible.plugins import loader as plugin_loaders
    from ansible.template import Templar
    from ansible.utils.display import Display

    task = BridgeTask(request["task"])
    loader = DataLoader()
    loader.set_basedir(request.get("basedir") or os.getcwd())
    context = PlayContext()
    context.check_mode = task.check_mode
    context.diff = task.diff
    templar = Templar(loader=loader, variables=request.get("task_vars") or {})
    plugin = cls(task, BridgeConnection(), context, loader, templar, None)
    plugin._shared_loader_obj = SharedLoaders(plugin_loaders, BridgeActionLoader(channel, plugin_loaders.action_loader,
                                                                                 task))
    display = Display()
    display.warning = lambda msg, *a, **k: warnings.append(str(msg))
    _bind(plugin, channel)
    return plugin


def _failure(exc: Exception, path: str, warnings: list[str]) -> dict[str, Any]:
    from ansible.errors import AnsibleAction

    if isinstance(exc, AnsibleAction):  # AnsibleActionFail / AnsibleActionSkip: a result, as in Ansible
        result = dict(getattr(exc, "result", None) or {})
        result.setdefault("msg", getattr(exc, "message", str(exc)))
        result["_miniplay_action_raised"] = True
        if type(exc).__name__.endswith("Skip"):
            result.setdefault("skipped", True)
        else:
            result.setdefault("failed", True)
        return {"done": result, "warnings": warnings}
    if isinstance(exc, AttributeError) and type(getattr(exc, "obj", None)).__name__.startswith("Bridge"):
        holder = {"BridgeTask": "self._task", "BridgeConnection": "self._connection"}.get(
            type(exc.obj).__name__, type(exc.obj).__name__)
        return {"error": f"The action plugin {path} uses {holder}.{exc.name}, which {BRIDGED} does not provide; "
                         "that task cannot run under miniplay."}
    # as Ansible words it; where it happened is in the traceback (shown with -vvv)
    return {"done": {"changed": False, "failed": True, "msg": f"Task failed: {exc}",
                     "exception": "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))},
            "warnings": warnings}


def _where(exc: BaseException, path: str) -> str:
    """`file:line` of the plugin's own line that failed (the file alone when the plugin never ran)."""
    frames = [frame for frame in traceback.extract_tb(exc.__traceback__) if frame.filename == path]
    return f"{path}:{frames[-1].lineno}" if frames else path


def install_collection_finder(paths: list[str]) -> None:
    """ansible-core's collection importer, so a collection's plugin imports its siblings."""
    try:
        from ansible.utils.collection_loader._collection_finder import _AnsibleCollectionFinder

        _AnsibleCollectionFinder(paths=paths, scan_sys_path=True)._install()
    except Exception:
        sys.path[:0] = [p for p in paths if p not in sys.path]


def main() -> None:
    settings = json.loads(sys.argv[1])
    install_collection_finder(settings.get("paths") or [])
    channel = Channel(sys.stdin, os.fdopen(os.dup(1), "w"))
    sys.stdout = sys.stderr  # a plugin that prints cannot break the protocol
    while True:
        request = channel.receive()
        if request is None:
            return
        channel.send(run_plugin(channel, request))


if __name__ == "__main__":
    main()
