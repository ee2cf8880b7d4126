"""Action plugins written for Ansible: where they are found, and which task runs one.

How this works
--------------
Ansible runs every task through an *action plugin* on the controller; most modules go
through the generic one, `normal`. A user may ship their own, as a Python file with an
`ActionModule` class, and Ansible then runs it instead of its own:

* `action_plugins/` beside the playbook and in each loaded role (a role's folder counts
  from the moment the role is loaded, for the rest of the run, as in Ansible);
* `ANSIBLE_ACTION_PLUGINS` or `action_plugins` in ansible.cfg
  (default `~/.ansible/plugins/action:/usr/share/ansible/plugins/action`);
* a collection's `plugins/action/<name>.py` for `ns.col.name`, or for a short name
  through the play's `collections:` list.

A plugin named like a module overrides that module's action (`action_plugins/copy.py`
runs for `copy:`); a plugin named `normal.py` replaces the generic action, so it runs
for every module that has no action of its own. The loader asks `find()` while it
reads a task; what is found is remembered under a key that becomes the task's
`module`, and the executor hands such a task to the bridge (running/action_bridge.py),
which runs the plugin with the user's installed ansible-core.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

DEFAULT_ACTION_PATHS = ("~/.ansible/plugins/action", "/usr/share/ansible/plugins/action")
KEY_PREFIX = "action_plugin:"
GENERIC = "normal"


@dataclass(frozen=True)
class ActionPlugin:
    """One action plugin file and the module a task names through it."""

    key: str              # the task's `module`
    name: str             # the plugin's name as the task wrote it (or `normal`)
    path: str             # the plugin file on the controller
    module: str | None    # the module it stands in front of: a native name or a foreign key; None if none
    collection: str | None = None  # `ns.col` for a collection's plugin (imported as its package)


class ActionPluginFinder:
    """The action plugin folders of one loader, and the plugins tasks named so far."""

    def __init__(self, config: dict[str, Any], environ: dict[str, str],
                 listings: dict[str, frozenset[str]] | None = None) -> None:
        self.listings = {} if listings is None else listings  # folder -> its entries, read once
        configured = environ.get("ANSIBLE_ACTION_PLUGINS") or config.get("action_plugins")
        paths = [p for p in str(configured).split(os.pathsep) if p] if configured else list(DEFAULT_ACTION_PATHS)
        self.configured = [os.path.abspath(os.path.expanduser(p)) for p in paths]
        self.role_folders: list[str] = []
        self.plugins: dict[str, ActionPlugin] = {}
        self._found: dict[tuple[Any, ...], ActionPlugin | None] = {}

    def add_role(self, role_path: str) -> None:
        folder = os.path.join(role_path, "action_plugins")
        if os.path.isdir(folder) and folder not in self.role_folders:
            self.role_folders.append(folder)

    def folders(self, role_path: str | None, playbook_dir: str | None) -> list[str]:
        """Where a short name is looked for, first match wins."""
        found = [os.path.join(role_path, "action_plugins")] if role_path else []
        found += self.role_folders
        if playbook_dir:
            found.append(os.path.join(playbook_dir, "action_plugins"))
        return found + self.configured

    def get(self, key: str) -> ActionPlugin | None:
        return self.plugins.get(key)

    def find(self, written: str, module: str | None, generic: bool, role_path: str | None,
             playbook_dir: str | None, collection_root: Any, collections: list[str]) -> ActionPlugin | None:
        """The plugin a task naming `written` runs, or None for miniplay's own action.

        `module` is what the name resolves to as a module (None when nothing); `generic` says
        that module has no action of its own in Ansible (then `normal.py` stands in front of it);
        `collection_root(ns, col)` gives an installed collection's folder.
        """
        parts = written.split(".")
        if len(parts) >= 3 and tuple(parts[:2]) == ("ansible", "builtin"):
            return None
        if len(parts) >= 3 and tuple(parts[:2]) != ("ansible", "legacy"):
            return self._in_collection(parts[0], parts[1], ".".join(parts[2:]), written, module, collection_root)
        # a short name with no `collections:` depends on the folders' listings only (read once):
        # looked up once per role, playbook folder and set of role folders, not for every task
        key = (written, module, generic, role_path, playbook_dir, len(self.role_folders)) if not collections else None
        if key is not None and key in self._found:
            return self._found[key]
        found = self._find_short(written, parts[-1], module, generic, role_path, playbook_dir, collection_root,
                                 collections)
        if key is not None:
            self._found[key] = found
        return found

    def _find_short(self, written: str, name: str, module: str | None, generic: bool, role_path: str | None,
                    playbook_dir: str | None, collection_root: Any, collections: list[str]) -> ActionPlugin | None:
        """`find` for a name that is not collection-qualified: the folders, then `collections:`."""
        for folder in self.folders(role_path, playbook_dir):
            if name + ".py" in self._entries(folder):
                return self._remember(ActionPlugin("", written, os.path.join(folder, name + ".py"), module))
        for entry in collections:
            pieces = str(entry).split(".")
            if len(pieces) == 2 and tuple(pieces) not in (("ansible", "builtin"), ("ansible", "legacy")):
                found = self._in_collection(pieces[0], pieces[1], name, written, module, collection_root)
                if found is not None:
                    return found
        if module is None or not generic:
            return None
        for folder in self.folders(role_path, playbook_dir):
            if GENERIC + ".py" in self._entries(folder):
                return self._remember(ActionPlugin("", written, os.path.join(folder, GENERIC + ".py"), module))
        return None

    def _entries(self, folder: str) -> frozenset[str]:
        entries = self.listings.get(folder)
        if entries is None:
            try:
                entries = frozenset(os.listdir(folder))
            except OSError:
                entries = frozenset()
            self.listings[folder] = entries
        return entries

    def _in_collection(self, namespace: str, collection: str, name: str, written: str, module: str | None,
                       collection_root: Any) -> ActionPlugin | None:
        root = collection_root(namespace, collection)
        path = os.path.join(root, "plugins", "action", *name.split(".")) + ".py" if root else ""
        if not path or not os.path.isfile(path):
            return None
        return self._remember(ActionPlugin("", written, path, module, f"{namespace}.{collection}"))

    def _remember(self, plugin: ActionPlugin) -> ActionPlugin:
        for known in self.plugins.values():
            if (known.name, known.path, known.module) == (plugin.name, plugin.path, plugin.module):
                return known
        key = f"{KEY_PREFIX}{plugin.name}#{len(self.plugins)}"
        plugin = ActionPlugin(key, plugin.name, plugin.path, plugin.module, plugin.collection)
        self.plugins[key] = plugin
        return plugin
