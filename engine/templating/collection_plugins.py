"""Filters and tests from installed collections (`x | community.general.dict_kv('k')`).

The templar's filter and test tables answer a fully qualified name they do not hold by
asking `CollectionPlugins`: if the collection is installed (its `meta/runtime.yml` may
redirect the name), the name becomes a function that sends the call to the plugin host
(plugin_host.py), a process started once per run with the Python that owns the user's
ansible-core, where the plugin's own imports resolve. Failures are the template's
failure, naming the plugin (and, for a file that cannot be imported, the import).
"""
from __future__ import annotations

import json
import os
import sys
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

from ..core.errors import TemplateError

if TYPE_CHECKING:
    import subprocess


class CollectionIndexView(Protocol):
    """Where installed collections are (loading.collection_index.CollectionIndex)."""

    paths: list[str]

    def root(self, namespace: str, name: str) -> str | None:
        """The collection's folder, None when it is not installed."""

    def route(self, namespace: str, name: str, kind: str, plugin: str) -> Any:
        """The plugin's entry in the collection's meta/runtime.yml (redirects, removals)."""


class PluginSource(Protocol):
    """What the plugins need of the run's module finder (loading.foreign_modules.ForeignModules)."""

    @property
    def index(self) -> CollectionIndexView:
        """The installed collections."""

    @property
    def install(self) -> Any:
        """The controller's ansible-core install (its Python runs the plugin host), or None."""


class PluginNotFound(TemplateError):
    """The collection is installed but has no plugin of that name."""


# The keyword that hands a collection lookup the task's variables (never a lookup option: not an identifier).
# Here, not in lookups/: the run makes this object at start, and importing lookups/ costs every filter.
TASK_VARIABLES = "task variables"

KIND_FOLDERS = {"filter": "filter", "test": "test", "lookup": "lookup"}


class CollectionPlugins:
    """One run's view of collection filter/test plugins, and its plugin host process."""

    def __init__(self, foreign: PluginSource, warn: Callable[[str], Any] | None = None) -> None:
        self.foreign = foreign
        self.warn = warn
        self._process: subprocess.Popen | None = None
        self._lock = threading.Lock()
        self._warned: set[str] = set()

    def function(self, kind: str, fqcn: str) -> Callable[..., Any] | None:
        """A callable for `ns.col.name` when that collection is installed, else None."""
        target = self._route(kind, fqcn, 0)
        if target is None:
            return None
        collection, root, name = target

        def call(*args: Any, **kwargs: Any) -> Any:
            variables = kwargs.pop(TASK_VARIABLES, None)  # a lookup's run(terms, variables)
            return self._call(kind, fqcn, collection, root, name, args, kwargs, variables)

        call.__name__ = fqcn
        return call

    def _route(self, kind: str, fqcn: str, depth: int) -> tuple[str, str, str] | None:
        parts = fqcn.split(".")
        if len(parts) < 3 or depth > 10 or parts[:2] in (["ansible", "builtin"], ["ansible", "legacy"]):
            return None
        namespace, name_col, name = parts[0], parts[1], ".".join(parts[2:])
        root = self.foreign.index.root(namespace, name_col)
        if root is None:
            return None
        route = self.foreign.index.route(namespace, name_col, kind, name)
        if route.redirect:
            return self._route(kind, route.redirect, depth + 1)
        if not os.path.isdir(os.path.join(root, "plugins", KIND_FOLDERS[kind])):
            return None
        return f"{namespace}.{name_col}", root, name

    # ------------------------------------------------------------------ the plugin host
    def _call(self, kind: str, fqcn: str, collection: str, root: str, name: str, args: tuple,
              kwargs: dict[str, Any], variables: Any = None) -> Any:
        from .filters import PluginFailed

        request = {"kind": kind, "collection": collection, "root": root, "name": name,
                   "args": [plain_data(a) for a in args], "kwargs": {k: plain_data(v) for k, v in kwargs.items()}}
        if variables is not None:
            request["variables"] = plain_variables(variables)
        with self._lock:
            reply = self._ask(request)
        for text in reply.get("warnings") or []:
            if text not in self._warned and self.warn is not None:
                self._warned.add(text)
                self.warn(text)
        if reply.get("missing"):
            if kind == "lookup":
                raise PluginNotFound(f"The lookup plugin '{fqcn}' was not found.")
            noun = "filter" if kind == "filter" else "test"
            raise PluginNotFound(f"Syntax error in template: No {noun} named '{fqcn}'.")
        if "error" in reply:
            raise PluginFailed(reply["error"], kind, fqcn)
        return reply.get("value")

    def _ask(self, request: dict[str, Any]) -> dict[str, Any]:
        process = self._started()
        assert process.stdin is not None and process.stdout is not None
        try:
            process.stdin.write(json.dumps(request, default=str) + "\n")
            process.stdin.flush()
            line = process.stdout.readline()
        except (OSError, ValueError):
            line = ""
        if not line:
            self._process = None
            return {"error": "the plugin host stopped (its Python could not run the plugin code)"}
        return json.loads(line)

    def _started(self) -> subprocess.Popen:
        if self._process is not None and self._process.poll() is None:
            return self._process
        install = self.foreign.install
        python = install.python if install is not None and install.python else sys.executable
        host = os.path.join(os.path.dirname(os.path.abspath(__file__)), "plugin_host.py")
        settings = json.dumps({"paths": self.foreign.index.paths})
        import subprocess  # here: the run makes this object at start, and few runs start the plugin host

        env = {**os.environ, "PYTHONWARNINGS": "ignore"}
        self._process = subprocess.Popen([python, host, settings], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                         stderr=subprocess.DEVNULL, text=True, env=env)
        return self._process

    def close(self) -> None:
        process, self._process = self._process, None
        if process is not None:
            stop_helper(process)


def stop_helper(process: subprocess.Popen[str]) -> None:
    """End a helper process that serves JSON lines on stdin: it exits when stdin closes; one that
    has not after 5 s is killed (and reaped)."""
    try:
        if process.stdin is not None:
            process.stdin.close()
        process.wait(timeout=5)
    except Exception:
        process.kill()
        process.wait()


def plain_data(value: Any) -> Any:
    """Plain JSON data for a helper process: mappings (hostvars, lazy views) become dicts, sets and
    tuples lists, anything else odd a string."""
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if hasattr(value, "items"):
        return {str(k): plain_data(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [plain_data(v) for v in value]
    return str(value)


def plain_variables(view: Any) -> dict[str, Any]:
    """The task's variables as plain data for a lookup's `run(terms, variables)`: every name that
    renders (one that cannot is left out), less `hostvars` and `vars` (every host's variables)."""
    found: dict[str, Any] = {}
    for key in list(view):
        if key in ("hostvars", "vars"):
            continue
        try:
            found[str(key)] = plain_data(view[key])
        except Exception:
            continue
    return found


class PluginTable(dict):
    """Jinja's filter (or test) table, also answering `ns.col.name` from installed collections."""

    def __init__(self, base: dict[str, Any], kind: str, source: Callable[[], CollectionPlugins | None]) -> None:
        super().__init__(base)
        self.kind = kind
        self.source = source

    def __contains__(self, key: object) -> bool:
        return dict.__contains__(self, key) or self._load(key)

    def __missing__(self, key: Any) -> Any:
        if self._load(key):
            return dict.__getitem__(self, key)
        raise KeyError(key)

    def get(self, key: Any, default: Any = None) -> Any:
        return self[key] if key in self else default

    def _load(self, key: object) -> bool:
        plugins = self.source()
        if plugins is None or not isinstance(key, str) or key.count(".") < 2:
            return False
        function = plugins.function(self.kind, key)
        if function is None:
            return False
        self[key] = function
        return True
