"""Builds the variable view for one host and one task, in Ansible's precedence order.

From lowest to highest (docs/variables.md has the user-facing table):
role defaults < inventory (group vars by depth, then host vars, then group_vars/
and host_vars/ files) < facts < play vars < play vars_files < role vars <
block and task vars < include_vars < set_fact and registered vars < role and
include params < magic variables < extra vars (-e).
"""
from __future__ import annotations

import os
import sys
import threading
from typing import TYPE_CHECKING, Any, Protocol

from .layers import HostVars, Layer, VarsView

if TYPE_CHECKING:
    from ..core.model import Play, Task
    from ..core.options import Options
    from ..loading.inventory import Inventory
    from ..templating.templar import Templar
    from .layers import HostState

VERSION_INFO = {"full": "2.19.14", "major": 2, "minor": 19, "revision": 14, "string": "2.19.14 (miniplay)"}


class VarsSources(Protocol):
    """What the variable manager reads from the run (the run satisfies this; nothing else of it is seen)."""

    options: Options
    templar: Templar
    playbook_dir: str
    inventory_sources: list[str]
    dead_hosts: set[str]

    @property
    def inventory(self) -> Inventory:
        """The current inventory (replaced by `meta: refresh_inventory`)."""

    def host_state(self, host: str) -> HostState:
        """What the run learned about the host: facts, registered values."""

    def groups_map(self) -> dict[str, list[str]]:
        """The `groups` magic variable."""

    def search_paths(self, task: Task | None, play: Any) -> list[str]:
        """Where relative files are looked up for the task."""


class PlayScope(Protocol):
    """The play (serial batch) in progress, as its variables see it (running.playstate.PlayState)."""

    play: Play
    all_hosts: list[str]
    matched_hosts: list[str]
    hostvars: HostVars

    def active_hosts(self) -> list[str]:
        """The batch's hosts that are still in the play."""

    def play_hosts(self, dead_hosts: set[str]) -> list[str]:
        """The play's hosts, every batch, minus `dead_hosts`."""

    def vars_files_layers(self, host: str) -> list[Layer]:
        """The play's vars_files for the host, as layers."""


class VariableManager:
    def __init__(self, run: VarsSources) -> None:
        self.run = run
        self._inventory_layers: dict[str, list[Layer]] = {}
        self._lock = threading.Lock()
        self._run_wide: tuple[dict[str, Any], dict[str, Any]] | None = None  # the magic variables that are the same all run
        self._search_path_cache: dict[tuple[Any, ...], list[str]] = {}

    def forget_inventory(self) -> None:
        """Called after add_host/group_by: inventory layers must be rebuilt."""
        with self._lock:
            self._inventory_layers.clear()

    def inventory_layers(self, host: str) -> list[Layer]:
        layers = self._inventory_layers.get(host)
        if layers is None:
            pairs = self.run.inventory.vars_layers(host)
            layers = [Layer(label, values) for label, values in reversed(pairs)]
            with self._lock:
                self._inventory_layers[host] = layers
        return layers

    def _run_wide_magic(self) -> tuple[dict[str, Any], dict[str, Any]]:
        """The magic variables every host and task of the run share (options, the inventory's
        sources), in two parts that go before and after `playbook_dir` and `ansible_facts` (the
        order the variables are listed in stays as it was): worked out once, as they cost
        file-system calls (abspath, exists)."""
        parts = self._run_wide
        if parts is None:
            run = self.run
            before = {
                "ansible_check_mode": run.options.check,
                "ansible_diff_mode": run.options.diff,
                "ansible_verbosity": run.options.verbosity,
                "ansible_forks": run.options.forks,
                "ansible_version": VERSION_INFO,
                "ansible_run_tags": run.options.tags or ["all"],
                "ansible_skip_tags": run.options.skip_tags,
            }
            after = {
                "ansible_config_file": run.options.config_file or "",
                "ansible_playbook_python": sys.executable,
                "ansible_inventory_sources": [os.path.abspath(source) if os.path.exists(source) else source
                                              for source in run.inventory_sources],
            }
            if run.options.limit:
                after["ansible_limit"] = run.options.limit
            if run.inventory_sources:
                first = os.path.abspath(run.inventory_sources[0])
                after["inventory_file"] = first
                after["inventory_dir"] = os.path.dirname(first)
            parts = self._run_wide = (before, after)
        return parts

    def magic(self, host: str, play: PlayScope | None, task: Task | None) -> dict[str, Any]:
        run = self.run
        before, after = self._run_wide_magic()
        # a fresh dict, and fresh lists where a template could change one in place (`do x.append()`)
        values: dict[str, Any] = {
            "inventory_hostname": host,
            "inventory_hostname_short": host.split(".")[0],
            "group_names": run.inventory.group_names(host),
            "groups": run.groups_map(),
            **before,
            "playbook_dir": run.playbook_dir,
            "ansible_facts": run.host_state(host).facts,
            **after,
        }
        for name in ("ansible_run_tags", "ansible_skip_tags", "ansible_inventory_sources"):
            values[name] = list(values[name])
        if play is not None:
            batch = play.active_hosts()
            values.update(
                hostvars=play.hostvars,
                # the whole play (serial does not narrow it) minus the failed; the batch is the batch
                ansible_play_hosts=play.play_hosts(run.dead_hosts),
                ansible_play_batch=batch,
                play_hosts=list(batch),
                ansible_play_hosts_all=list(play.matched_hosts),
                ansible_play_name=play.play.display_name,
                role_names=play.play.keywords.get("_role_names", []),
                ansible_role_names=play.play.keywords.get("_all_role_names", []),
                ansible_play_role_names=play.play.keywords.get("_role_names", []),
                ansible_dependent_role_names=play.play.keywords.get("_dependent_role_names", []),
            )
        values["ansible_search_path"] = self.ansible_search_path(task)
        if task is not None and task.role:
            values["role_name"] = task.role
            values["role_path"] = task.role_path
            values["ansible_role_name"] = task.role
        return values

    def ansible_search_path(self, task: Task | None) -> list[str]:
        """Ansible's `ansible_search_path`: the role paths from this task's role up to the play's,
        then the task file's directory, then the playbook's. Worked out once per (role chain,
        task file, playbook folder): every host and every task of one file share it."""
        chain = tuple(task.keywords.get("_role_chain") or ()) if task is not None else ()
        role_path = task.role_path if task is not None else None
        task_file = task.location.path if task is not None else None
        key = (chain, role_path, task_file, self.run.playbook_dir)
        paths = self._search_path_cache.get(key)
        if paths is None:
            paths = list(chain)
            if role_path and role_path not in paths:
                paths.insert(0, role_path)
            if task_file:
                task_dir = os.path.dirname(os.path.abspath(task_file))
                if task_dir not in paths:
                    paths.append(task_dir)
            if self.run.playbook_dir not in paths:
                paths.append(self.run.playbook_dir)
            self._search_path_cache[key] = paths
        return list(paths)

    def view(self, host: str, play: PlayScope | None, task: Task | None = None,
             params: dict[str, Any] | None = None) -> VarsView:
        run = self.run
        state = run.host_state(host)
        layers: list[Layer] = [Layer("extra vars (-e)", run.options.extra_vars),
                               Layer("magic", self.magic(host, play, task), lazy=False)]
        if params:
            layers.append(Layer("include/role params", params))
        if task is not None and task.keywords.get("_role_params"):
            layers.append(Layer(f"role {task.role} params", task.keywords["_role_params"]))
        layers.append(Layer("set_fact / register", state.registered, lazy=False))
        if state.include_vars:
            layers.append(Layer("include_vars", state.include_vars))
        if task is not None:
            if task.keywords.get("vars"):
                layers.append(Layer("task vars", task.keywords["vars"]))
            if task.keywords.get("_role_vars"):
                layers.append(Layer(f"role {task.role} vars", task.keywords["_role_vars"]))
        if play is not None and play.play.keywords.get("_role_export_vars"):
            layers.append(Layer("vars of the play's roles", play.play.keywords["_role_export_vars"]))
        if play is not None:
            layers.extend(play.vars_files_layers(host))
            layers.append(Layer("play vars", play.play.vars))
        layers.append(Layer("facts", state.fact_vars, lazy=False))
        layers.extend(self.inventory_layers(host))
        if task is not None and task.keywords.get("_role_defaults"):
            layers.append(Layer(f"role {task.role} defaults", task.keywords["_role_defaults"]))
        if play is not None and play.play.keywords.get("_role_export_defaults"):
            layers.append(Layer("defaults of the play's roles", play.play.keywords["_role_export_defaults"]))
        if play is not None:  # the address defaults to the name (not in hostvars, as in Ansible)
            layers.append(Layer("connection defaults", {"ansible_host": host}, lazy=False))
        return VarsView(layers, run.templar, search_paths=run.search_paths(task, play))

    def hostvars_view(self, play: PlayScope, host: str) -> VarsView:
        """`hostvars[host]`: what belongs to the host (inventory, facts, registered values,
        include_vars, -e and the per-host magic), not the play's own vars, as in Ansible."""
        return self.view(host, None, None)

    def make_hostvars(self, play: PlayScope) -> HostVars:
        from ..loading.inventory.model import LOCALHOST_NAMES

        return HostVars(lambda host: self.hostvars_view(play, host), lambda: list(self.run.inventory.hosts),
                        LOCALHOST_NAMES)
