"""`include_role` at run time: a role loaded when a host reaches the task, cached per run.

The loading itself is roles.py's (find, read, compile); this keeps the run's cache, so every
host that includes the same role with the same arguments gets the very same tasks, and adds
the role's new handlers to the play.
"""
from __future__ import annotations

import json
import os
import threading
from dataclasses import dataclass
from typing import Any

from ..core.errors import ParseError
from ..core.fieldtypes import loose_bool
from ..core.model import Block, Node, Play, Task
from .roles import (
    RoleBuilder,
    RoleInstance,
    TasksFileLoader,
    configured_roles_path,
    parent_role_context,
    role_file_names,
)


@dataclass
class IncludedRole:
    """What include_role hands the strategy: the role's name, its nodes for this host, its handlers."""

    name: str
    nodes: list[Node]


class RoleIncluder:
    """Loads roles when a host reaches include_role; one per run (it owns the run's role cache).

    Loaded roles are cached by role, arguments and inherited keywords, so every host gets
    the very same Task objects and the linear strategy keeps them in lockstep.
    """

    def __init__(self, loader: TasksFileLoader, playbook_dir: str, config: dict[str, Any] | None,
                 config_file: str | None) -> None:
        self.loader = loader
        self.playbook_dir = playbook_dir
        self.config = config
        self.config_file = config_file
        self._cache: dict[str, tuple[RoleInstance, Block]] = {}
        self._lock = threading.Lock()

    def include(self, play: Play, task: Task, args: dict[str, Any], inherited: dict[str, Any]) -> IncludedRole:
        """Load a role for include_role (its dependencies are marked blocks, as always).

        New handlers join the play's handlers; `public: true` exports the role's defaults
        and vars to the rest of the play.
        """
        name = args.get("name", args.get("role"))
        if not name:
            raise ParseError("'name' is a required field for include_role.", task.location)
        cache_key = json.dumps([str(name), role_file_names(args), inherited, task.uid], sort_keys=True, default=str)
        with self._lock:
            cached = self._cache.get(cache_key)
            if cached is None:
                cached = self._load(play, task, args, inherited, name)
                self._cache[cache_key] = cached
            role, block = cached
            if loose_bool(args.get("public", False)):
                defaults = dict(play.keywords.get("_role_export_defaults") or {})
                defaults.update(role.exported_defaults())
                role_vars = dict(play.keywords.get("_role_export_vars") or {})
                role_vars.update(role.exported_vars())
                play.keywords["_role_export_defaults"] = defaults
                play.keywords["_role_export_vars"] = role_vars
        return IncludedRole(name=role.name, nodes=block.block)

    def _load(self, play: Play, task: Task, args: dict[str, Any], inherited: dict[str, Any],
              name: Any) -> tuple[RoleInstance, Block]:
        builder = RoleBuilder(self.loader, self._basedirs(task), self._roles_path())
        role_basedir = os.path.dirname(task.role_path) if task.role_path else None
        spec = {"name": name, "keywords": {}, "when": [], "tags": [], "vars": {}, "params": {},
                "name_location": task.where("_args")}
        role = builder.load(spec, task.location, role_file_names(args), role_basedir)
        block, handlers = builder.compile(role, inherited, parent_role_context(task), mark_self=False)
        known = {(h.role_path, str(h.location)) for h in play.handlers}
        fresh = [h for h in handlers if (h.role_path, str(h.location)) not in known]
        if fresh:  # never replace a handler the play has: it may be notified already
            play.handlers = play.handlers + fresh
        return role, block

    def _basedirs(self, task: Task) -> list[str]:
        basedirs = []
        if not task.role_path:
            basedirs.append(os.path.dirname(os.path.abspath(task.location.path)))
        basedirs.append(self.playbook_dir)
        return basedirs

    def _roles_path(self) -> list[str]:
        if self.config or self.config_file:
            return configured_roles_path(self.config, self.config_file)
        return configured_roles_path()
