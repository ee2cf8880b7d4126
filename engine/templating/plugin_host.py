"""Collection filter and test plugins, run in the Python where their imports resolve.

How this works
--------------
A collection's filter plugins are Python files that import Ansible's controller code
(`ansible.errors`, `ansible.module_utils`, ...) and third-party libraries (jmespath,
netaddr). Those import where the user's ansible-core is installed, not necessarily in
miniplay's own Python, so the controller starts this file once per run, with that Python
(`python plugin_host.py '<json settings>'`), and sends one JSON line per call:

    {"kind": "filter", "collection": "community.general", "root": ".../community/general",
     "name": "dict_kv", "args": [...], "kwargs": {...}}      ->  {"value": ...} | {"error": "...", "warnings": [...]}

A plugin is found the way Ansible finds it: the file named like the plugin first, then
every other file of the collection's `plugins/filter` (or `plugins/test`) folder; a file
that fails to import is skipped with Ansible's warning. It exits when its stdin closes.

This file is executed by another interpreter: it imports nothing from miniplay.
"""
from __future__ import annotations

import sys

if sys.path and sys.path[0] == __import__("os").path.dirname(__import__("os").path.abspath(__file__)):
    del sys.path[0]  # this file's folder is miniplay's package: never importable by plugins  # noqa: E402

import importlib  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
from collections.abc import Callable  # noqa: E402
from typing import Any


def install_collection_finder(paths: list[str]) -> None:
    """ansible-core's own collection importer when it is there, else plain namespace packages."""
    try:
        from ansible.utils.collection_loader._collection_finder import _AnsibleCollectionFinder

        _AnsibleCollectionFinder(paths=paths, scan_sys_path=True)._install()
    except Exception:
        sys.path[:0] = [p for p in paths if p not in sys.path]


class Plugins:
    """Finds and caches filter/test functions of installed collections."""

    def __init__(self) -> None:
        self.loaded: dict[tuple[str, str, str], dict[str, Callable[..., Any]]] = {}
        self.warned: set[str] = set()

    def find(self, kind: str, collection: str, root: str, name: str,
             warnings: list[str]) -> Callable[..., Any] | None:
        if kind == "lookup":
            return self._lookup(collection, root, name)
        folder = os.path.join(root, "plugins", kind) if root else ""
        if not folder or not os.path.isdir(folder):
            return None
        files = sorted(f[:-3] for f in os.listdir(folder) if f.endswith(".py") and f != "__init__.py")
        files.sort(key=lambda f: f != name)  # the file named like the plugin first
        for stem in files:
            table = self._file(kind, collection, stem, warnings)
            if name in table:
                return table[name]
        return None

    def _lookup(self, collection: str, root: str, name: str) -> Callable[..., Any] | None:
        """A lookup is the file of its name; it runs with ansible-core's loader and templar."""
        if not os.path.isfile(os.path.join(root, "plugins", "lookup", name + ".py")):
            return None
        module = importlib.import_module(f"ansible_collections.{collection}.plugins.lookup.{name}")
        from ansible.parsing.dataloader import DataLoader
        from ansible.template import Templar

        loader = DataLoader()
        plugin = module.LookupModule(loader=loader, templar=Templar(loader=loader))

        def run(terms: list[Any], variables: dict[str, Any] | None = None, **options: Any) -> Any:
            plugin._templar = Templar(loader=loader, variables=variables or {})  # what `self._templar` sees
            return plugin.run(terms, variables=variables or {}, **options)

        return run

    def _file(self, kind: str, collection: str, stem: str, warnings: list[str]) -> dict[str, Callable[..., Any]]:
        key = (kind, collection, stem)
        if key in self.loaded:
            return self.loaded[key]
        table: dict[str, Callable[..., Any]] = {}
        try:
            module = importlib.import_module(f"ansible_collections.{collection}.plugins.{kind}.{stem}")
            holder = getattr(module, "FilterModule" if kind == "filter" else "TestModule")
            table = dict(getattr(holder(), "filters" if kind == "filter" else "tests")())
        except Exception as exc:
            text = (f"Skipping {kind} plugins in {collection}.{stem}'; an error occurred while loading: "
                    f"{exc}")
            if text not in self.warned:
                self.warned.add(text)
                warnings.append(text)
        self.loaded[key] = table
        return table


def serve(plugins: Plugins, stdin: Any, stdout: Any) -> None:
    for line in stdin:
        if not line.strip():
            continue
        request = json.loads(line)
        warnings: list[str] = []
        try:
            function = plugins.find(request["kind"], request["collection"], request["root"], request["name"],
                                    warnings)
            if function is None:
                reply: dict[str, Any] = {"missing": True}
            else:
                extra = {"variables": request["variables"]} if "variables" in request else {}  # a lookup's
                value = function(*_jinja_first(function), *request.get("args", []), **extra,
                                 **request.get("kwargs", {}))
                reply = {"value": _plain(value)}
        except Exception as exc:
            reply = {"error": str(exc) or repr(exc), "type": type(exc).__name__}
        reply["warnings"] = warnings
        stdout.write(json.dumps(reply, default=str) + "\n")
        stdout.flush()


def _jinja_first(function: Callable[..., Any]) -> list[Any]:
    """What Jinja passes first to a plugin marked @pass_environment / @pass_eval_context / @pass_context."""
    marker = getattr(getattr(function, "jinja_pass_arg", None), "name", None)
    if marker is None:
        return []
    import jinja2
    from jinja2.nodes import EvalContext

    environment = jinja2.Environment()
    if marker == "environment":
        return [environment]
    if marker == "eval_context":
        return [EvalContext(environment)]
    return [environment.from_string("").new_context()]


def _plain(value: Any) -> Any:
    """JSON-ready: mappings to dicts, sets and tuples to lists, generators consumed."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_plain(v) for v in value]
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if hasattr(value, "items"):
        return {str(k): _plain(v) for k, v in value.items()}
    if hasattr(value, "__iter__") and not isinstance(value, (bytes, bytearray)):
        return [_plain(v) for v in value]
    return str(value)


def main() -> None:
    settings = json.loads(sys.argv[1])
    install_collection_finder(settings["paths"])
    protocol_out = os.fdopen(os.dup(1), "w")
    sys.stdout = sys.stderr  # a plugin that prints cannot break the protocol
    serve(Plugins(), sys.stdin, protocol_out)


if __name__ == "__main__":
    main()
