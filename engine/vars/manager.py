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
from typing import TYPE_CHECKING, Any, Optional

from ..core.errors import Location, ParseError, TemplateError
from .layers import HostVars, Layer, VarsView
from ..core.yamlfile import load_yaml_file, to_plain

if TYPE_CHECKING:
    from ..core.model import Task
    from ..running.run import PlayState, Run

VERSION_INFO = {"full": "2.19.14", "major": 2, "minor": 19, "revision": 14, "string": "2.19.14 (miniplay)"}


class VariableManager:
    def __init__(self, run: "Run") -> None:
        self.run = run
        self._inventory_layers: dict[str, list[Layer]] = {}
        self._lock = threading.Lock()

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

    def magic(self, host: str, play: Optional["PlayState"], task: Optional["Task"]) -> dict[str, Any]:
        run = self.run
        inventory = run.inventory
        state = run.host_state(host)
        values: dict[str, Any] = {
            "inventory_hostname": host,
            "inventory_hostname_short": host.split(".")[0],
            "group_names": inventory.group_names(host),
            "groups": run.groups_map(),
            "ansible_check_mode": run.options.check,
            "ansible_diff_mode": run.options.diff,
            "ansible_verbosity": run.options.verbosity,
            "ansible_forks": run.options.forks,
            "ansible_version": VERSION_INFO,
            "ansible_run_tags": run.options.tags or ["all"],
            "ansible_skip_tags": run.options.skip_tags,
            "playbook_dir": run.playbook_dir,
            "ansible_facts": state.facts,
            "ansible_config_file": run.options.config_file or "",
            "ansible_playbook_python": sys.executable,
            "ansible_inventory_sources": [os.path.abspath(source) if os.path.exists(source) else source
                                          for source in run.inventory_sources],
        }
        if run.options.limit:
            values["ansible_limit"] = run.options.limit
        if run.inventory_sources:
            first = os.path.abspath(run.inventory_sources[0])
            values["inventory_file"] = first
            values["inventory_dir"] = os.path.dirname(first)
        if play is not None:
            values.update(
                hostvars=play.hostvars,
                # the whole play (serial does not narrow it) minus the failed; the batch is the batch
                ansible_play_hosts=[h for h in play.all_hosts if h not in run.dead_hosts],
                ansible_play_batch=play.active_hosts(),
                play_hosts=play.active_hosts(),
                ansible_play_hosts_all=list(play.all_hosts),
                ansible_play_name=play.play.display_name,
                role_names=play.play.keywords.get("_role_names", []),
                ansible_role_names=play.play.keywords.get("_role_names", []),
                ansible_play_role_names=play.play.keywords.get("_role_names", []),
                ansible_dependent_role_names=[],
            )
        if task is not None and task.role:
            values["role_name"] = task.role
            values["role_path"] = task.role_path
            values["ansible_role_name"] = task.role
        return values

    def view(self, host: str, play: Optional["PlayState"], task: Optional["Task"] = None,
             params: Optional[dict[str, Any]] = None) -> VarsView:
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

    def hostvars_view(self, play: "PlayState", host: str) -> VarsView:
        """`hostvars[host]`: what belongs to the host (inventory, facts, registered values,
        include_vars, -e and the per-host magic), not the play's own vars, as in Ansible."""
        return self.view(host, None, None)

    def make_hostvars(self, play: "PlayState") -> HostVars:
        return HostVars(lambda host: self.hostvars_view(play, host), lambda: list(self.run.inventory.hosts))


def load_vars_file(path: str) -> dict[str, Any]:
    """A vars file (YAML or JSON) must hold a mapping."""
    data = to_plain(load_yaml_file(path), path)
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ParseError(f"vars file {path} must contain a mapping of variable names to values, "
                         f"got a {type(data).__name__}")
    return data


def resolve_vars_files(entries: list[Any], basedir: str, view: VarsView,
                       where: Optional[Location] = None) -> list[tuple[str, dict[str, Any]]]:
    """(path, values) for each play vars_files entry; a list entry takes the first file that exists.
    `where` is the play's `vars_files:` value, named by the error for a missing file."""
    loaded: list[tuple[str, dict[str, Any]]] = []
    for entry in entries:
        candidates = entry if isinstance(entry, list) else [entry]
        found = None
        for candidate in candidates:
            try:
                name = str(view.templar.template(candidate, view))
            except TemplateError:
                continue
            path = name if os.path.isabs(name) else os.path.join(basedir, name)
            if os.path.exists(path):
                found = path
                break
        if found is None:
            if isinstance(entry, list):
                raise ParseError(f"vars file {entry} was not found: none of the files in the list exists", where)
            name = str(entry)
            raise ParseError(f"vars file {name} was not found. Could not find file on the Ansible Controller.", where)
        loaded.append((found, load_vars_file(found)))
    return loaded
